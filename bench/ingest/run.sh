#!/usr/bin/env bash
# bench/ingest: nvme-gpu-ingest vs fio --ioengine=io_uring --fixedbufs
# --rw=read on the same file, same chunk (bs) and queue depth, in one run:
# buffered with a warm page cache, then O_DIRECT.  Prints MB/s of each, the
# ratio us/fio (goal >= 1.00x) and CPU seconds (user+sys, getrusage of the
# whole process) per GiB read (goal <= fio's).  Median of REPS runs.
# Usage: bench/ingest/run.sh [SIZE_MiB=1024] [REPS=5]   (env: CHUNK=1M QD=16 DIR=)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
T=${TELKIT_BIN:-$here/build}/nvme-gpu-ingest
size_mib=${1:-1024} reps=${2:-5}
chunk=${CHUNK:-1M} qd=${QD:-16}
command -v fio >/dev/null || { echo "bench: fio missing (apt-get install fio)"; exit 1; }
[ -x "$T" ] || { echo "bench: build $T first (make build/nvme-gpu-ingest)"; exit 1; }
dir=$(mktemp -d "${DIR:-/var/tmp}/ingest-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
f=$dir/data.bin
head -c $((size_mib * 1048576)) /dev/urandom >"$f"

# run CMD...: prints "MB/s cpu_s" where MB/s comes from the tool's own report
timed() {
	local tf=$dir/time out
	out=$(/usr/bin/time -f '%U %S' -o "$tf" "$@")
	read -r u s <"$tf"
	case $1 in
	fio) mbs=$(jq '.jobs[0].read.bw_bytes / 1e6' <<<"$out") ;;
	*) mbs=$(jq 'select(.type=="summary") | .mb_s' <<<"$out") ;;
	esac
	echo "$mbs $(echo "$u + $s" | bc -l)"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench_mode() { # buffered|direct
	local d=0 ours=() m u fm fu
	[ "$1" = direct ] && d=1
	: >"$dir/us" ; : >"$dir/fio"
	for _ in $(seq "$reps"); do
		cat "$f" >/dev/null # warm (buffered) / irrelevant (direct)
		timed "$T" -j --qd "$qd" --chunk "$chunk" $([ $d = 1 ] && echo --direct) "$f" >>"$dir/us"
		timed fio --name=ingest --filename="$f" --ioengine=io_uring --fixedbufs --rw=read \
			--bs="$chunk" --iodepth="$qd" --direct=$d --invalidate=0 --output-format=json >>"$dir/fio"
	done
	m=$(cut -d' ' -f1 "$dir/us" | median); u=$(cut -d' ' -f2 "$dir/us" | median)
	fm=$(cut -d' ' -f1 "$dir/fio" | median); fu=$(cut -d' ' -f2 "$dir/fio" | median)
	gib=$(echo "$size_mib / 1024" | bc -l)
	printf '%-9s %12.1f %12.1f %8.2fx %14.3f %14.3f\n' "$1" "$m" "$fm" \
		"$(echo "$m / $fm" | bc -l)" "$(echo "$u / $gib" | bc -l)" "$(echo "$fu / $gib" | bc -l)"
}

echo "file ${size_mib} MiB, chunk $chunk, qd $qd, median of $reps; fio $(fio --version)"
printf '%-9s %12s %12s %9s %14s %14s\n' mode us_MB/s fio_MB/s ratio us_cpu_s/GiB fio_cpu_s/GiB
bench_mode buffered
bench_mode direct
