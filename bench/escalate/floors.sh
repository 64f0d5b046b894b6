#!/bin/sh
# bench/escalate/floors.sh — the cost of each syscall hook, with EMPTY
# programs (the floor under anything a tracer does there) and with
# escalate-trace itself, on a syscall-bound dd; plus each hook's attach and
# detach time.  POSIX sh (busybox in the tests/vm guest, where fentry
# loads: tests/vm/run bench/escalate/floors.sh [N] [R]).  Root.
#   floor HOOK      dd bs=1 count=N with build/tests/escalate_empty HOOK
#                   attached (tp_btf, raw_tp: raw_syscalls sys_enter/sys_exit;
#                   fentry: an fentry+fexit pair per syscall function)
#   escalate HOOK   dd traced by escalate-trace --hook HOOK (the dd is the
#                   child of `time`: --follow-children)
#   follow on/off   an unrelated dd while escalate-trace traces an idle
#                   process with and without --follow-children
# dd's run time is busybox time's %e (10 ms resolution): keep N so that
# the untraced dd runs for a second or more.  Median of R runs; ratios are
# against the untraced dd of the same run.
# Under TCG each fentry attach/detach cycle of ~900 trampolines takes about
# a minute: RI (default R) sets the runs of the follow on/off pair alone.
# Usage: bench/escalate/floors.sh [N=1000000] [R=3] [RI=R]
set -u
N=${1:-1000000}
R=${2:-3}
RI=${3:-$R}
here=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
B=${TELKIT_BIN:-$here/build}
if [ -x "$B/escalate-trace" ]; then
	ET=$B/escalate-trace EMPTY=$B/tests/escalate_empty
else # the guest: everything on PATH
	ET=escalate-trace EMPTY=escalate_empty
fi
BB=$(command -v busybox || echo /bin/busybox)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dd_time() { "$BB" time -f %e dd if=/dev/zero of=/dev/null bs=1 count="$N" 2>&1 >/dev/null | tail -1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
wait_for() { # FILE PATTERN: up to 120 s
	w=0
	until grep -q "$2" "$1" 2>/dev/null || [ $w -ge 1200 ]; do sleep 0.1; w=$((w + 1)); done
	grep -q "$2" "$1" 2>/dev/null
}

# empty HOOK: one dd with HOOK's empty programs attached; "secs attach_us detach_us"
empty() {
	rm -f "$tmp/fifo" "$tmp/empty.out"
	mkfifo "$tmp/fifo"
	"$EMPTY" "$1" <"$tmp/fifo" >"$tmp/empty.out" 2>"$tmp/empty.err" &
	epid=$!
	exec 3>"$tmp/fifo"
	if ! wait_for "$tmp/empty.out" attached; then
		exec 3>&-
		wait $epid
		return 1
	fi
	t=$(dd_time)
	exec 3>&-
	wait $epid
	echo "$t $(awk '/attached/ {a = $2} /detached/ {d = $2} END {print a, d}' "$tmp/empty.out")"
}

# traced HOOK: one dd traced by escalate-trace on HOOK; "secs hook"
traced() {
	rm -f "$tmp/dd.err" "$tmp/et.err"
	sh -c 'kill -STOP $$; exec "$0" time -f %e dd if=/dev/zero of=/dev/null bs=1 count="$1"' \
		"$BB" "$N" 2>"$tmp/dd.err" >/dev/null &
	pid=$!
	until [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = T ]; do sleep 0.01; done
	"$ET" -j -v --manual --pid $pid --follow-children --hook "$1" --trace-for 3600s \
		>"$tmp/et.json" 2>"$tmp/et.err" &
	etpid=$!
	wait_for "$tmp/et.err" "tracing pid" || { kill -CONT $pid; wait $pid $etpid; return 1; }
	kill -CONT $pid
	wait $pid
	wait $etpid
	echo "$(tail -1 "$tmp/dd.err") $(sed -n 's/.*"hook":"\([a-z_]*\)".*/\1/p' "$tmp/et.json")"
}

# idle FOLLOW: an unrelated dd while escalate-trace traces an idle sleep
idle() {
	sleep 3600 &
	spid=$!
	rm -f "$tmp/et.err"
	"$ET" -j -v --manual --pid $spid $1 --trace-for 3600s >/dev/null 2>"$tmp/et.err" &
	etpid=$!
	wait_for "$tmp/et.err" "tracing pid" || { kill $spid $etpid; wait; return 1; }
	dd_time
	kill -INT $etpid
	wait $etpid
	kill $spid
	wait $spid 2>/dev/null
}

runs() { # N CMD...: median of N runs' first fields
	n=$1
	shift
	k=0
	while [ $k -lt "$n" ]; do "$@" | awk '{print $1}'; k=$((k + 1)); done | median
}

echo "dd if=/dev/zero of=/dev/null bs=1 count=$N ($(nproc) CPUs, $(uname -r)), median of $R:"
u=$(runs "$R" dd_time)
printf '  %-26s %7ss\n' "untraced" "$u"
for h in tp_btf raw_tp fentry fentry_multi; do
	: >"$tmp/times"
	i=0
	while [ $i -lt "$R" ]; do empty $h >>"$tmp/times" || break; i=$((i + 1)); done
	if [ ! -s "$tmp/times" ]; then
		printf '  %-26s refused: %s\n' "floor $h" "$(tail -1 "$tmp/empty.err")"
		continue
	fi
	t=$(awk '{print $1}' "$tmp/times" | median)
	a=$(awk '{print $2}' "$tmp/times" | median)
	d=$(awk '{print $3}' "$tmp/times" | median)
	printf '  %-26s %7ss %6sx  attach %s us, detach %s us\n' "floor $h (empty)" "$t" "$(ratio "$t" "$u")" "$a" "$d"
done
for h in auto fentry tp_btf raw_tp; do
	: >"$tmp/times"
	i=0
	while [ $i -lt "$R" ]; do traced $h >>"$tmp/times" || break; i=$((i + 1)); done
	t=$(awk '{print $1}' "$tmp/times" | median)
	used=$(awk '{print $2}' "$tmp/times" | sort -u | paste -sd, -)
	printf '  %-26s %7ss %6sx  (hook %s)\n' "escalate-trace --hook $h" "$t" "$(ratio "$t" "$u")" "$used"
done
echo "an unrelated dd while escalate-trace traces an idle process (median of $RI):"
off=$(runs "$RI" idle "")
on=$(runs "$RI" idle --follow-children)
printf '  %-26s %7ss %6sx\n' "follow off" "$off" "$(ratio "$off" "$u")"
printf '  %-26s %7ss %6sx  (on / off: %s)\n' "--follow-children" "$on" "$(ratio "$on" "$u")" "$(ratio "$on" "$off")"
