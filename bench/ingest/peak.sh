#!/usr/bin/env bash
# bench/ingest/peak.sh: t/io_uring-style peak IOPS (4 KiB random reads, QD
# 128) on the QEMU NVMe passthrough device of tests/vm/run, ours
# (--path passthrough) vs fio's io_uring_cmd engine (fixedbufs,
# registerfiles), with interrupt and polled completions; fio and its shared
# libraries are shipped into the guest.  QEMU TCG emulates the CPU and the
# controller, so only the ratios mean anything.  Prints the median of 3 of
# each: IOPS, p99 latency (µs), CPU seconds of the process.
# Usage: bench/ingest/peak.sh [SIZE=32M]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
command -v fio >/dev/null || { echo "bench: fio missing"; exit 1; }
dir=$(mktemp -d /var/tmp/ingest-peak.XXXXXX)
trap 'rm -rf "$dir"' EXIT
head -c $((64 * 1048576)) /dev/urandom >"$dir/disk.img"
files=(--file "$(command -v fio):/usr/local/bin/fio")
[ -x /usr/bin/time ] && files+=(--file /usr/bin/time:/usr/bin/time)
for lib in $(ldd "$(command -v fio)" /usr/bin/time 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
	files+=(--file "$(readlink -f "$lib"):$lib")
done
"$here/tests/vm/run" --mem 3072 --timeout 900 --disk "$dir/disk.img" "${files[@]}" \
	"$here/bench/ingest/guest-peak.sh" "${1:-32M}" >"$dir/log"
grep -q PEAK-DONE "$dir/log" || { cat "$dir/log"; exit 1; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-5s %10s %10s %6s %9s %9s %8s %8s\n' mode us_IOPS fio_IOPS ratio us_p99us fio_p99us us_cpu fio_cpu
for mode in irq poll; do
	m() { awk -v w="$1" -v m="$mode" -v c="$2" '$1=="PEAK" && $2==w && $3==m {print $c}' "$dir/log" | median; }
	printf '%-5s %10.0f %10.0f %5.2fx %9.1f %9.1f %8.2f %8.2f\n' "$mode" "$(m ours 4)" "$(m fio 4)" \
		"$(echo "$(m ours 4) / $(m fio 4)" | bc -l)" "$(m ours 5)" "$(m fio 5)" "$(m ours 6)" "$(m fio 6)"
done
