#!/usr/bin/env bash
# bench/progstats: one full sample of 1000+ programs, progstats vs bpftool.
#   bench/progstats/run.sh [NPROGS] [REPS]      (root; binaries from $TELKIT_BIN)
# Loads NPROGS trivial socket filters (tests/helpers/progstats_load), then in
# the same run, interleaved (bench/progstats/spawn.py: wall time and the
# child's CPU), times REPS rounds of
#   bpftool prog show -j                  one sample = one process
#   progstats --once -j                   a one-shot process
#   progstats -j -i 100us -c 201 vs -c 1    one sample of a sampling run:
#                                         200 more samples / 200
# and, to say where the one-shot's time goes, progstats --version (process
# start), --once -j --top 1 (all but the records), the iterator's load
# (strace -T) and the pass as -v times it.  (progstats' default walk: the
# iter/bpf_prog iterator; output to /dev/null.)  Counts system calls with
# strace -c -f.  Prints medians, the ratios and syscalls per program.
set -eu
N=${1:-1000}
REPS=${2:-15}
here=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TELKIT_BIN:-$here/build}
PS=$BIN/progstats
LOADER=$BIN/tests/progstats_load
[ "$(id -u)" -eq 0 ] || { echo "bench/progstats: needs root" >&2; exit 1; }
for c in "$PS" "$LOADER"; do
	[ -x "$c" ] || { echo "bench/progstats: $c missing (make all)" >&2; exit 1; }
done
command -v bpftool >/dev/null || { echo "bench/progstats: needs bpftool" >&2; exit 1; }

tmp=$(mktemp -d)
"$LOADER" -s -b "$N" -t 600 >"$tmp/loader" 2>&1 &
lpid=$!
trap 'kill $lpid 2>/dev/null; wait $lpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 200); do grep -q '^ready' "$tmp/loader" && break; sleep 0.05; done
grep -q '^ready' "$tmp/loader" || { cat "$tmp/loader"; exit 1; }
total=$(bpftool prog show -j | jq length)
listed=$("$PS" --once -j | grep -c '"type":"sample"')
echo "programs loaded: $N test + $((total - N)) others = $total; progstats listed $listed"

SPAWN="python3 $here/bench/progstats/spawn.py"
ms() { echo "$1 / 1000000" | bc -l; }
ratio() { echo "$1 / $2" | bc -l; }
MORE=200
# Every command a process of its own, interleaved round by round; medians of
# the wall time and of the CPU (user + system, the child's rusage), stdout to
# /dev/null.  One-shot commands, and a sampling run whose MORE further
# samples are the difference between -c MORE+1 and -c 1 (at -i 100us passes
# run back to back: a pass takes longer than that; at -i 1ms a pass of 1000
# programs now ends early, and the wall time per sample would be the 1 ms
# interval, not the pass).
$SPAWN "$REPS" \
	"bpftool prog show -j" \
	"$PS --once -j" \
	"$PS --version" \
	"$PS --once -j --top 1" \
	"$PS -j -i 100us -c 1" \
	"$PS -j -i 100us -c $((MORE + 1))" >"$tmp/spawn"
row() { sed -n "${1}p" "$tmp/spawn"; }
read -r bt_w bt_c _ < <(row 1)
read -r ps_w ps_c _ < <(row 2)
read -r st_w st_c _ < <(row 3)
read -r top_w top_c _ < <(row 4)
read -r one_w one_c _ < <(row 5)
read -r many_w many_c _ < <(row 6)
run_w=$(((many_w - one_w) / MORE))
run_c=$(((many_c - one_c) / MORE))
printf 'medians of %d rounds, interleaved, wall / CPU (user+sys)\n' "$REPS"
printf 'bpftool prog show -j (a process per sample):  %6.2f ms / %6.2f ms\n' \
	"$(ms "$bt_w")" "$(ms "$bt_c")"
printf 'progstats --once -j (a one-shot process):      %6.2f ms / %6.2f ms: ratio %.1fx / %.1fx (goal >= 5x)\n' \
	"$(ms "$ps_w")" "$(ms "$ps_c")" "$(ratio "$bt_w" "$ps_w")" "$(ratio "$bt_c" "$ps_c")"
printf 'one sample of a running progstats -j:          %6.2f ms / %6.2f ms: ratio %.1fx / %.1fx (goal >= 25x)\n' \
	"$(ms "$run_w")" "$(ms "$run_c")" "$(ratio "$bt_w" "$run_w")" "$(ratio "$bt_c" "$run_c")"
printf '  (-c %d minus -c 1, / %d)\n' "$((MORE + 1))" "$MORE"
printf 'of the one-shot: starting a process (progstats --version) %.2f / %.2f ms;\n' \
	"$(ms "$st_w")" "$(ms "$st_c")"
printf '  the records of all but one program (--once -j minus --once -j --top 1) %.2f / %.2f ms\n' \
	"$(ms $((ps_w - top_w)))" "$(ms $((ps_c - top_c)))"

# Loading the iterator (a light skeleton: its loader program's BPF_PROG_LOAD,
# then BPF_PROG_TEST_RUN, which loads the iterator inside the kernel), as
# strace -T times the two calls; median of REPS.
for _ in $(seq "$REPS"); do
	strace -T -e trace=bpf -o "$tmp/lt" "$PS" --once -j --id 1 >/dev/null
	awk -F'<' '/BPF_PROG_LOAD|BPF_PROG_TEST_RUN/ { sub(/>.*/, "", $NF); t += $NF } END { print t * 1e6 }' "$tmp/lt"
done | sort -n | awk '{ v[NR] = $1 } END { printf "  loading the program iterator (strace -T: the loader load + test run): %.2f ms\n", v[int((NR + 1) / 2)] / 1000 }'

# The pass as progstats times it itself (-v), per walk.
for walk in iter syscall; do
	pass_us=$("$PS" -j -i 100ms -c "$REPS" -v --walk "$walk" 2>&1 >/dev/null |
		sed -n 's/.* programs in \([0-9.]*\) us$/\1/p' | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf 'pass timed by progstats -v (--walk %s): %.2f ms; bpftool process (wall) / pass: %.1fx\n' \
		"$walk" "$(echo "$pass_us / 1000" | bc -l)" "$(echo "$bt_w / ($pass_us * 1000)" | bc -l)"
done

# Syscalls: strace's summary "total" line, and the bpf() calls alone.
sys_count() {
	strace -f -c -o "$tmp/st" "$@" >/dev/null 2>&1
	awk -v want="$1" '$NF == "total" { t = $(NF - 2) } $NF == want { b = $4 } \
		END { print t + 0, b + 0 }' want=bpf "$tmp/st"
}
read -r bt_all bt_bpf < <(sys_count bpftool prog show -j)
for walk in iter syscall; do
	read -r ps_all ps_bpf < <(sys_count "$PS" --once -j --walk "$walk")
	printf 'syscalls per program, --once -j --walk %s: progstats %.2f (bpf() %.2f), bpftool %.2f (bpf() %.2f) (goal <= 4)\n' \
		"$walk" "$(echo "$ps_all / $total" | bc -l)" "$(echo "$ps_bpf / $total" | bc -l)" \
		"$(echo "$bt_all / $total" | bc -l)" "$(echo "$bt_bpf / $total" | bc -l)"
done
