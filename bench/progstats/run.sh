#!/usr/bin/env bash
# bench/progstats: one full sample of 1000+ programs, progstats vs bpftool.
#   bench/progstats/run.sh [NPROGS] [REPS]      (root; binaries from $TELKIT_BIN)
# Loads NPROGS trivial socket filters (tests/helpers/progstats_load), then in
# the same run, interleaved, times REPS rounds of
#   bpftool prog show -j                  one sample = one process
#   progstats -j -i 1ms -c 201 vs -c 1    one sample of a sampling run:
#                                         the wall time of 200 more / 200
#   progstats --once -j                   a one-shot process
# (progstats' default walk: the iter/bpf_prog iterator; output to
# /dev/null), and counts system calls with strace -c -f.  Prints medians,
# the ratios and syscalls per program.
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

now() { date +%s%N; }
# wall NS of one run of "$@", output to /dev/null
wall() { local a b; a=$(now); "$@" >/dev/null; b=$(now); echo $((b - a)); }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { echo "$1 / 1000000" | bc -l; }
ratio() { echo "$1 / $2" | bc -l; }
MORE=200
ps_t=(); bt_t=(); run_t=(); floor_t=()
for _ in $(seq "$REPS"); do
	ps_t+=("$(wall "$PS" --once -j)")
	bt_t+=("$(wall bpftool prog show -j)")
	floor_t+=("$(wall "$PS" --version)")
	# a sampling run: what MORE further samples cost, measured from outside
	# (at -i 1ms passes run back to back: a pass takes longer than that)
	one=$(wall "$PS" -j -i 1ms -c 1)
	many=$(wall "$PS" -j -i 1ms -c $((MORE + 1)))
	run_t+=($(((many - one) / MORE)))
done
ps_m=$(median "${ps_t[@]}")
bt_m=$(median "${bt_t[@]}")
run_m=$(median "${run_t[@]}")
floor_m=$(median "${floor_t[@]}")
printf 'medians of %d, interleaved; bpftool prog show -j (a process per sample): %.2f ms\n' "$REPS" "$(ms "$bt_m")"
printf 'one sample of a running progstats -j (wall time of %d more samples / %d): %.2f ms: ratio %.1fx (goal >= 5x)\n' \
	"$MORE" "$MORE" "$(ms "$run_m")" "$(ratio "$bt_m" "$run_m")"
printf 'one-shot process progstats --once -j: %.2f ms: ratio %.1fx (of which starting a process: %.2f ms, progstats --version)\n' \
	"$(ms "$ps_m")" "$(ratio "$bt_m" "$ps_m")" "$(ms "$floor_m")"

# The pass as progstats times it itself (-v), per walk.
for walk in iter syscall; do
	pass_us=$("$PS" -j -i 100ms -c "$REPS" -v --walk "$walk" 2>&1 >/dev/null |
		sed -n 's/.* programs in \([0-9.]*\) us$/\1/p' | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf 'pass timed by progstats -v (--walk %s): %.2f ms; bpftool process / pass: %.1fx\n' \
		"$walk" "$(echo "$pass_us / 1000" | bc -l)" "$(echo "$bt_m / ($pass_us * 1000)" | bc -l)"
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
