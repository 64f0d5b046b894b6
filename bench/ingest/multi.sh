#!/usr/bin/env bash
# bench/ingest/multi.sh: nvme-gpu-ingest over four sources at once vs fio
# with four jobs (numjobs=4: one job per source), same sources, same run:
#   seq:  O_DIRECT sequential reads, bs CHUNK, QD per source; MB/s of each,
#         ratio us/fio (goal >= 1.00x), CPU s/GiB of each (goal <= fio's);
#   rand: O_DIRECT random 4 KiB reads at QD 32 per source, each block once
#         (fio's random map; ours --rw randread); IOPS ratio (goal >= 1.00x),
#         p99 latency of each (goal <= fio's; fio's lat_ns, submission to
#         completion, like ours).
# fio: ioengine=io_uring with fixedbufs and registerfiles (as ours: registered
# buffers and files), iomem=shmhuge when HUGE=1 (hugetlb pages are then
# reserved for the run and given back; ours asks for THP always).
# Sources: four loop devices over four separate backing files of SIZE_MiB in
# DIR (LOOP_DIO=1: the loop devices read their backing files with direct I/O,
# so the disk under DIR is read; default: the backing files' page cache is
# warm and the figures are the I/O path's CPU cost, not a disk's).
# CPU seconds: user+sys of the whole process (/usr/bin/time), both tools.
# Usage: bench/ingest/multi.sh [SIZE_MiB=256] [REPS=3]
#        (env: CHUNK=1M QD=16 DIR=/var/tmp THREADS= HUGE=0 LOOP_DIO=0)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
T=${TELKIT_BIN:-$here/build}/nvme-gpu-ingest
size_mib=${1:-256} reps=${2:-3}
chunk=${CHUNK:-1M} qd=${QD:-16}
for c in fio jq losetup bc; do
	command -v "$c" >/dev/null || { echo "bench: $c missing"; exit 1; }
done
[ -x "$T" ] || { echo "bench: build $T first (make build/nvme-gpu-ingest)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench: loop devices need root"; exit 1; }
dir=$(mktemp -d "${DIR:-/var/tmp}/ingest-multi.XXXXXX")
loops=() hp_old=""
cleanup() {
	local l
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	[ -z "$hp_old" ] || echo "$hp_old" >/proc/sys/vm/nr_hugepages
	rm -rf "$dir"
}
trap cleanup EXIT
for k in 0 1 2 3; do
	head -c $((size_mib * 1048576)) /dev/urandom >"$dir/b$k"
	loops+=("$(losetup -f --show --direct-io="$([ "${LOOP_DIO:-0}" = 1 ] && echo on || echo off)" "$dir/b$k")")
done
fio_mem=()
if [ "${HUGE:-0}" = 1 ]; then
	hp_old=$(cat /proc/sys/vm/nr_hugepages)
	echo $((hp_old + 4 * 64)) >/proc/sys/vm/nr_hugepages
	fio_mem=(--iomem=shmhuge)
fi

# run CMD...: prints "MB/s IOPS p99_us cpu_s" (from the tool's own report)
timed() {
	local tf=$dir/time out u s
	out=$(/usr/bin/time -f '%U %S' -o "$tf" "$@")
	read -r u s <"$tf"
	case $1 in
	fio) jq -r '.jobs[0].read | "\(.bw_bytes / 1e6) \(.iops) \(.lat_ns.percentile["99.000000"] / 1e3)"' <<<"$out" ;;
	*) jq -r 'select(.type=="summary") | "\(.mb_s) \(.iops) \(.lat_p99_us)"' <<<"$out" ;;
	esac | tr '\n' ' '
	echo "$u + $s" | bc -l
}

fio_jobs() { # the four per-source job sections
	local k
	for k in 0 1 2 3; do echo "--name=j$k --filename=${loops[$k]}"; done
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { cut -d' ' -f"$1" "$2" | median; }

bench_mode() { # seq|rand
	local ours=() fio=() gib
	if [ "$1" = seq ]; then
		ours=(--direct --bs "$chunk" --iodepth "$qd")
		fio=(--rw=read --bs="$chunk" --iodepth="$qd")
	else
		ours=(--direct --rw randread --bs 4k --iodepth 32 --size $((size_mib / 4))M)
		fio=(--rw=randread --bs=4k --iodepth=32 --size=$((size_mib / 4))M)
	fi
	: >"$dir/us"; : >"$dir/fio"
	for _ in $(seq "$reps"); do
		# shellcheck disable=SC2046
		timed "$T" -j ${THREADS:+--threads "$THREADS"} "${ours[@]}" "${loops[@]}" >>"$dir/us"
		# shellcheck disable=SC2046
		timed fio --ioengine=io_uring --fixedbufs --registerfiles --direct=1 --invalidate=0 \
			--lat_percentiles=1 --group_reporting "${fio_mem[@]}" "${fio[@]}" \
			--output-format=json $(fio_jobs) >>"$dir/fio"
	done
	if [ "$1" = seq ]; then gib=$(echo "4 * $size_mib / 1024" | bc -l); else gib=$(echo "$size_mib / 1024" | bc -l); fi
	printf '%-5s %10.1f %10.1f %7.2fx %10.0f %10.0f %7.2fx %9.1f %9.1f %9.3f %9.3f\n' "$1" \
		"$(col 1 "$dir/us")" "$(col 1 "$dir/fio")" "$(echo "$(col 1 "$dir/us") / $(col 1 "$dir/fio")" | bc -l)" \
		"$(col 2 "$dir/us")" "$(col 2 "$dir/fio")" "$(echo "$(col 2 "$dir/us") / $(col 2 "$dir/fio")" | bc -l)" \
		"$(col 3 "$dir/us")" "$(col 3 "$dir/fio")" \
		"$(echo "$(col 4 "$dir/us") / $gib" | bc -l)" "$(echo "$(col 4 "$dir/fio") / $gib" | bc -l)"
}

echo "4 loop devices x ${size_mib} MiB (loop direct-io ${LOOP_DIO:-0}), seq bs $chunk qd $qd, rand 4k qd 32," \
	"median of $reps; ours threads ${THREADS:-default}; fio $(fio --version) numjobs 4${HUGE:+ hugepages $HUGE}; $(nproc) CPUs"
printf '%-5s %10s %10s %8s %10s %10s %8s %9s %9s %9s %9s\n' mode us_MB/s fio_MB/s ratio us_IOPS fio_IOPS ratio \
	us_p99us fio_p99us us_cpu/GiB fio_cpu/GiB
bench_mode seq
bench_mode rand
