#!/usr/bin/env bash
# bench/escalate: tracing overhead and ingest rate of escalate-trace, each
# against a peer measured in the same run.
#  1. dd if=/dev/zero of=/dev/null bs=1 count=N (2N syscalls): untraced, traced
#     by escalate-trace (--manual on the stopped shell that then execs dd) and
#     under strace -c -f.  dd's own elapsed time is compared (median of R runs).
#     Goal: ours <= 1.3x untraced.  The floor: the same dd with two EMPTY
#     tp_btf programs on sys_enter/sys_exit (build/tests/escalate_empty), the
#     kernel's syscall-tracepoint path alone.  strace is ~100-400x slower, so it
#     runs once on N/10 bytes and its ratio is per call (keeps the bench short).
#  2. stdin ingest of telkit JSON lines (lines/s and CPU ns per line),
#     against jq -c on the same file, with the default threads, with
#     --threads 1 (serial), and with the robust detectors on (--detect all),
#     in R interleaved rounds: bench/escalate/ingest.sh, which also runs
#     alone.  Goal (issue 20): >= 1.5M lines/s on 2 CPUs and >= 4x jq;
#     (issue 21) >= 1M lines/s with the detectors on.
# Usage: bench/escalate/run.sh [N=1000000] [R=3] [LINES=2000000]   (root)
set -eu
N=${1:-1000000}
R=${2:-3}
LINES=${3:-2000000}
here=$(cd "$(dirname "$0")/../.." && pwd)
B=${TELKIT_BIN:-$here/build}
ET=$B/escalate-trace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DD="dd if=/dev/zero of=/dev/null bs=1 count=$N"

dd_secs() { awk '/copied/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^s,?$/) print $i }' "$1" | tail -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

NS=$(( N / 10 > 0 ? N / 10 : 1 ))
untraced() { $DD 2>"$tmp/dd.err"; dd_secs "$tmp/dd.err"; }
stracec() {
	strace -f -c -o "$tmp/strace.out" dd if=/dev/zero of=/dev/null bs=1 count=$NS 2>"$tmp/dd.err"
	dd_secs "$tmp/dd.err"
}
empty() {
	coproc EMPTY { exec "$B/tests/escalate_empty"; }
	local line
	read -r line <&"${EMPTY[0]}"
	$DD 2>"$tmp/dd.err"
	kill "$EMPTY_PID"
	wait "$EMPTY_PID" || true
	dd_secs "$tmp/dd.err"
}
ours() {
	sh -c 'kill -STOP $$; exec '"$DD" 2>"$tmp/dd.err" &
	local pid=$!
	while [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" != T ]; do sleep 0.01; done
	rm -f "$tmp/ours.err"
	"$ET" -j -v --manual --pid $pid --trace-for 600s >"$tmp/ours.json" 2>"$tmp/ours.err" &
	local epid=$!
	until grep -qs "tracing pid" "$tmp/ours.err"; do sleep 0.01; done
	kill -CONT $pid
	wait $pid
	wait $epid
	dd_secs "$tmp/dd.err"
}

for mode in untraced empty ours; do
	for _ in $(seq "$R"); do $mode; done | median > "$tmp/$mode.t"
done
stracec > "$tmp/stracec.t"
reads=$(jq -r 'select(.event=="escalation") | .syscalls[] | select(.name=="read") | .count' "$tmp/ours.json")
sreads=$(awk '$NF=="read" {print $4}' "$tmp/strace.out")
u=$(cat "$tmp/untraced.t") e=$(cat "$tmp/empty.t") o=$(cat "$tmp/ours.t")
s=$(echo "$(cat "$tmp/stracec.t") * $N / $NS" | bc -l)
echo "dd bs=1 count=$N (median of $R, dd's own elapsed time):"
printf '  untraced        %8.3f s\n' "$u"
printf '  attached empty programs: %.2fx  (%.3f s: the syscall-tracepoint floor)\n' "$(echo "$e / $u" | bc -l)" "$e"
printf '  escalate-trace  %8.3f s  %6.2fx  (read calls counted: %s; %.2fx the floor)\n' "$o" \
	"$(echo "$o / $u" | bc -l)" "$reads" "$(echo "$o / $e" | bc -l)"
printf '  strace -c -f    %8.3f s  %6.2fx  (count=%s once, scaled to N; read calls counted: %s)\n' "$s" \
	"$(echo "$s / $u" | bc -l)" "$NS" "$sreads"
printf '  strace / escalate-trace: %.1fx\n' "$(echo "$s / $o" | bc -l)"

# 2. stdin ingest, interleaved rounds against jq (bench/escalate/ingest.sh)
"$here/bench/escalate/ingest.sh" "$LINES" "$R"
