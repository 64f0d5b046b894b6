#!/usr/bin/env bash
# bench/progstats: one full sample of 1000+ programs, progstats vs bpftool.
#   bench/progstats/run.sh [NPROGS] [REPS]      (root; binaries from $TELKIT_BIN)
# Loads NPROGS trivial socket filters (tests/helpers/progstats_load), then in
# the same run, interleaved, times REPS runs each of
#   progstats --once -j        and        bpftool prog show -j
# (progstats' default walk: the iter/bpf_prog iterator)
# (whole processes, output to /dev/null), and counts system calls with
# strace -c -f.  Prints medians, the ratio and syscalls per program.
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
ps_t=(); bt_t=()
for _ in $(seq "$REPS"); do
	a=$(now); "$PS" --once -j >/dev/null; b=$(now); ps_t+=($((b - a)))
	a=$(now); bpftool prog show -j >/dev/null; b=$(now); bt_t+=($((b - a)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ps_m=$(median "${ps_t[@]}")
bt_m=$(median "${bt_t[@]}")
printf 'one sample, median of %d: progstats %.2f ms, bpftool prog show -j %.2f ms\n' \
	"$REPS" "$(echo "$ps_m / 1000000" | bc -l)" "$(echo "$bt_m / 1000000" | bc -l)"
printf 'ratio bpftool/progstats: %.1fx (goal >= 5x)\n' "$(echo "$bt_m / $ps_m" | bc -l)"

# A running progstats pays only the pass (no exec, no BPF load), per walk.
for walk in iter syscall; do
	pass_us=$("$PS" -j -i 100ms -c "$REPS" -v --walk "$walk" 2>&1 >/dev/null |
		sed -n 's/.* programs in \([0-9.]*\) us$/\1/p' | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf 'steady state (--walk %s): progstats -i pass %.2f ms; bpftool process per sample / pass: %.1fx\n' \
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
