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
#  2. CPU time per syscall, the steadier figure on a shared host (wall time
#     counts the time a task waits for a CPU; CPU time does not):
#     escalate_target -c times N 1-byte reads of /dev/zero with
#     CLOCK_PROCESS_CPUTIME_ID, untraced, with the EMPTY tp_btf programs
#     (the floor), with the empty programs reading the clock once each
#     (floor + clock: any tracer that times each call pays it) and traced
#     by escalate-trace (--pid, no --follow-children).  RC interleaved rounds,
#     median and minimum.  Goal: ours within 15% of the floor.
#  3. stdin ingest of telkit JSON lines (lines/s and CPU ns per line),
#     against jq -c on the same file, with the default threads, with
#     --threads 1 (serial), and with the robust detectors on (--detect all),
#     in R interleaved rounds: bench/escalate/ingest.sh, which also runs
#     alone.  Goal (issue 20): >= 1.5M lines/s on 2 CPUs and >= 4x jq;
#     (issue 21) >= 1M lines/s with the detectors on.
# Usage: bench/escalate/run.sh [N=1000000] [R=3] [LINES=2000000] [RC=9]   (root)
set -eu
N=${1:-1000000}
R=${2:-3}
LINES=${3:-2000000}
RC=${4:-9}
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

# pc MODE: CPU ns per read(2) of escalate_target -c -r N under MODE
# (untraced, empty, clock, ours)
pc() {
	local pid line lp=""
	coproc TG { exec "$B/tests/escalate_target" -w -p -c -r "$N"; }
	read -r _ pid <&"${TG[0]}"
	case $1 in
	empty | clock)
		rm -f "$tmp/f" "$tmp/e.out"
		mkfifo "$tmp/f"
		"$B/tests/escalate_empty" tp_btf $([ "$1" = clock ] && echo clock) <"$tmp/f" >"$tmp/e.out" &
		lp=$!
		exec 3>"$tmp/f"
		until grep -qs attached "$tmp/e.out"; do sleep 0.01; done ;;
	ours)
		rm -f "$tmp/pc.err"
		"$ET" -j -v --manual --pid "$pid" --trace-for 600s >/dev/null 2>"$tmp/pc.err" &
		lp=$!
		until grep -qs "tracing pid" "$tmp/pc.err"; do sleep 0.01; done ;;
	esac
	kill -USR1 "$pid"
	read -r line <&"${TG[0]}"
	wait "$TG_PID"
	case $1 in empty | clock) exec 3>&- ;; esac
	[ -z "$lp" ] || wait "$lp"
	echo "$line" | awk -v n="$N" '{ printf "%.1f\n", $2 / n }'
}
for _ in $(seq "$RC"); do
	for mode in untraced empty clock ours; do echo "$mode $(pc $mode)"; done
done >"$tmp/pc"
pcm() { awk -v m="$1" '$1 == m { print $2 }' "$tmp/pc" | median; }
pcmin() { awk -v m="$1" '$1 == m { print $2 }' "$tmp/pc" | sort -g | head -1; }
echo "CPU time per read(2) of /dev/zero, escalate_target -r $N (median of $RC interleaved rounds, min):"
pu=$(pcm untraced) pe=$(pcm empty) pk=$(pcm clock) po=$(pcm ours)
printf '  untraced                %7.1f ns  (min %.1f)\n' "$pu" "$(pcmin untraced)"
printf '  empty tp_btf programs   %7.1f ns  (min %.1f)  %.2fx untraced (the floor)\n' "$pe" "$(pcmin empty)" \
	"$(echo "$pe / $pu" | bc -l)"
printf '  empty + clock           %7.1f ns  (min %.1f)  %.2fx the floor\n' "$pk" "$(pcmin clock)" "$(echo "$pk / $pe" | bc -l)"
printf '  escalate-trace          %7.1f ns  (min %.1f)  %.2fx the floor, %.2fx floor + clock; %.0f ns over the floor\n' \
	"$po" "$(pcmin ours)" "$(echo "$po / $pe" | bc -l)" "$(echo "$po / $pk" | bc -l)" "$(echo "$po - $pe" | bc -l)"
echo "$po $pe" | awk '{ printf "  goal within 15%% of the floor: %s (%.2fx)\n", $1 / $2 <= 1.15 ? "met" : "NOT met", $1 / $2 }'

# 3. stdin ingest, interleaved rounds against jq (bench/escalate/ingest.sh)
"$here/bench/escalate/ingest.sh" "$LINES" "$R"
