#!/bin/sh
# bench/escalate/floors.sh — the cost of each syscall hook, with EMPTY
# programs (the floor under anything a tracer does there) and with
# escalate-trace itself, on a syscall-bound dd; plus each hook's attach and
# detach time.  POSIX sh (busybox in the tests/vm guest, where fentry
# loads: tests/vm/run bench/escalate/floors.sh [N] [R] [RI]).  Root.
#   floor HOOK      dd bs=1 count=N with build/tests/escalate_empty HOOK
#                   attached (tp_btf, raw_tp: raw_syscalls sys_enter/sys_exit;
#                   fentry: an fentry+fexit pair per syscall function;
#                   fentry_multi: one multi-link each)
#   + clock         the same programs reading the clock once each
#                   (escalate_empty HOOK clock): the floor of any tracer that
#                   times each call, which needs a read at entry and at exit
#   escalate HOOK   dd traced by escalate-trace --hook HOOK (the dd is the
#                   child of `time`: --follow-children)
#   follow on/off   an unrelated dd while escalate-trace traces an idle
#                   process with and without --follow-children
# Each row gives dd's wall time and its CPU time (user + system, from
# wait4's rusage as busybox time reports it: 10 ms resolution, keep dd at
# half a second or more).  The programs run in dd's syscalls, so they are
# in its system time; CPU time does not count the time dd waits for a CPU,
# which on a shared host is most of the noise in wall time.  The rows are
# measured in R interleaved rounds (one of each per round) and each is the
# median of its R values; ratios are against the untraced dd.  A hook the
# kernel refuses is tried in the first round only.
# Under TCG each fentry attach/detach cycle of ~900 trampolines takes about
# a minute: RI (default R) sets the runs of the follow on/off pair alone.
# HOOKS and TRACED (quoted lists) narrow the floors and the escalate-trace
# rows (e.g. "tp_btf fentry_multi" "auto tp_btf": more rounds in the same
# time where a per-function fentry cycle is slow).
# Usage: bench/escalate/floors.sh [N=1000000] [R=3] [RI=R] [HOOKS] [TRACED]
set -u
N=${1:-1000000}
R=${2:-3}
RI=${3:-$R}
HOOKS=${4:-tp_btf raw_tp fentry fentry_multi}
TRACED=${5:-auto fentry tp_btf raw_tp}
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

# "wall cpu" of one dd (cpu = user + system)
dd_time() {
	"$BB" time -f '%e %U %S' dd if=/dev/zero of=/dev/null bs=1 count="$N" 2>&1 >/dev/null |
		tail -1 | awk '{ printf "%s %.2f\n", $1, $2 + $3 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
wait_for() { # FILE PATTERN PID: up to 120 s, while PID lives
	w=0
	until grep -q "$2" "$1" 2>/dev/null || [ $w -ge 1200 ] || ! kill -0 "$3" 2>/dev/null; do
		sleep 0.1
		w=$((w + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}

# empty HOOK [clock]: one dd with HOOK's empty programs attached;
# "wall cpu attach_us detach_us"
empty() {
	rm -f "$tmp/fifo" "$tmp/empty.out" "$tmp/why"
	mkfifo "$tmp/fifo"
	"$EMPTY" "$@" <"$tmp/fifo" >"$tmp/empty.out" 2>"$tmp/empty.err" &
	epid=$!
	exec 3>"$tmp/fifo"
	if ! wait_for "$tmp/empty.out" attached $epid; then
		exec 3>&-
		wait $epid
		tail -1 "$tmp/empty.err" >"$tmp/why"
		return 1
	fi
	t=$(dd_time)
	exec 3>&-
	wait $epid
	echo "$t $(awk '/attached/ {a = $2} /detached/ {d = $2} END {print a, d}' "$tmp/empty.out")"
}

# traced HOOK: one dd traced by escalate-trace on HOOK; "wall cpu hook"
traced() {
	rm -f "$tmp/dd.err" "$tmp/et.err" "$tmp/why"
	sh -c 'kill -STOP $$; exec "$0" time -f "%e %U %S" dd if=/dev/zero of=/dev/null bs=1 count="$1"' \
		"$BB" "$N" 2>"$tmp/dd.err" >/dev/null &
	pid=$!
	until [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = T ]; do sleep 0.01; done
	"$ET" -j -v --manual --pid $pid --follow-children --hook "$1" --trace-for 3600s \
		>"$tmp/et.json" 2>"$tmp/et.err" &
	etpid=$!
	if ! wait_for "$tmp/et.err" "tracing pid" $etpid; then
		kill -CONT $pid
		wait $pid $etpid
		tail -1 "$tmp/et.err" >"$tmp/why"
		return 1
	fi
	kill -CONT $pid
	wait $pid
	wait $etpid
	echo "$(tail -1 "$tmp/dd.err" | awk '{ printf "%s %.2f\n", $1, $2 + $3 }')" \
		"$(sed -n 's/.*"hook":"\([a-z_]*\)".*/\1/p' "$tmp/et.json")"
}

# idle FOLLOW: an unrelated dd while escalate-trace traces an idle sleep
idle() {
	sleep 3600 &
	spid=$!
	rm -f "$tmp/et.err"
	"$ET" -j -v --manual --pid $spid $1 --trace-for 3600s >/dev/null 2>"$tmp/et.err" &
	etpid=$!
	wait_for "$tmp/et.err" "tracing pid" $etpid || { kill $spid $etpid; wait; return 1; }
	dd_time
	kill -INT $etpid
	wait $etpid
	kill $spid
	wait $spid 2>/dev/null
	:
}

# one ROW CMD...: append CMD's line to $tmp/ROW, unless ROW was refused
one() {
	row=$1
	shift
	[ -e "$tmp/$row.refused" ] && return
	if "$@" >"$tmp/line"; then
		cat "$tmp/line" >>"$tmp/$row"
	else
		cp "$tmp/why" "$tmp/$row.refused" 2>/dev/null || : >"$tmp/$row.refused"
	fi
}
col() { [ -s "$tmp/$1" ] && awk -v c="$2" '{ print $c }' "$tmp/$1" | median; }

r=0
while [ $r -lt "$R" ]; do
	one untraced dd_time
	for h in $HOOKS; do
		one "floor.$h" empty $h
		[ -e "$tmp/floor.$h.refused" ] || one "clock.$h" empty $h clock
	done
	for h in $TRACED; do one "et.$h" traced $h; done
	r=$((r + 1))
done

echo "dd if=/dev/zero of=/dev/null bs=1 count=$N ($(nproc) CPUs, $(uname -r)), median of $R interleaved rounds;"
echo "wall: dd's elapsed time, cpu: its user + system time; x: against untraced"
uw=$(col untraced 1) uc=$(col untraced 2)
printf '  %-30s %7ss %6s   cpu %6ss %6s\n' "untraced" "$uw" "" "$uc" ""
best="" bestc=""
for h in $HOOKS; do
	if [ ! -s "$tmp/floor.$h" ]; then
		printf '  %-30s refused: %s\n' "floor $h" "$(cat "$tmp/floor.$h.refused" 2>/dev/null)"
		continue
	fi
	w=$(col floor.$h 1) c=$(col floor.$h 2)
	printf '  %-30s %7ss %6sx  cpu %6ss %6sx  attach %s us, detach %s us\n' "floor $h (empty)" \
		"$w" "$(ratio "$w" "$uw")" "$c" "$(ratio "$c" "$uc")" "$(col floor.$h 3)" "$(col floor.$h 4)"
	if [ -s "$tmp/clock.$h" ]; then
		w=$(col clock.$h 1) cc=$(col clock.$h 2)
		printf '  %-30s %7ss %6sx  cpu %6ss %6sx  (%sx the empty floor)\n' "floor $h + clock" \
			"$w" "$(ratio "$w" "$uw")" "$cc" "$(ratio "$cc" "$uc")" "$(ratio "$cc" "$c")"
	fi
	if [ -z "$bestc" ] || awk -v a="$c" -v b="$bestc" 'BEGIN { exit !(a < b) }'; then best=$h bestc=$c; fi
done
for h in $TRACED; do
	if [ ! -s "$tmp/et.$h" ]; then
		printf '  %-30s failed: %s\n' "escalate-trace --hook $h" "$(cat "$tmp/et.$h.refused" 2>/dev/null)"
		continue
	fi
	w=$(col et.$h 1) c=$(col et.$h 2)
	used=$(awk '{print $3}' "$tmp/et.$h" | sort -u | paste -sd, -)
	vs=""
	[ -s "$tmp/floor.$used" ] && vs="; $(ratio "$c" "$(col floor.$used 2)")x its floor's cpu"
	[ -s "$tmp/clock.$used" ] && vs="$vs, $(ratio "$c" "$(col clock.$used 2)")x floor + clock"
	printf '  %-30s %7ss %6sx  cpu %6ss %6sx  (hook %s%s)\n' "escalate-trace --hook $h" \
		"$w" "$(ratio "$w" "$uw")" "$c" "$(ratio "$c" "$uc")" "$used" "$vs"
	[ "$h" = auto ] && autoc=$c
done
if [ -n "$bestc" ] && [ -n "${autoc:-}" ]; then
	echo "goals (cpu time, escalate-trace's auto hook):"
	awk -v a="$autoc" -v u="$uc" -v f="$bestc" -v h="$best" 'BEGIN {
		printf "  traced / untraced %.2fx (goal <= 1.3x): %s\n", a / u, a / u <= 1.3 ? "met" : "NOT met"
		printf "  traced / cheapest empty floor (%s) %.2fx (goal <= 1.15x): %s\n", h, a / f, a / f <= 1.15 ? "met" : "NOT met" }'
fi

echo "an unrelated dd while escalate-trace traces an idle process (median of $RI; wall, cpu):"
k=0
while [ $k -lt "$RI" ]; do
	one off idle ""
	one on idle --follow-children
	k=$((k + 1))
done
ow=$(col off 1) oc=$(col off 2) nw=$(col on 1) nc=$(col on 2)
printf '  %-30s %7ss %6sx  cpu %6ss %6sx\n' "follow off" "$ow" "$(ratio "$ow" "$uw")" "$oc" "$(ratio "$oc" "$uc")"
printf '  %-30s %7ss %6sx  cpu %6ss %6sx  (on / off: wall %s, cpu %s)\n' "--follow-children" "$nw" \
	"$(ratio "$nw" "$uw")" "$nc" "$(ratio "$nc" "$uc")" "$(ratio "$nw" "$ow")" "$(ratio "$nc" "$oc")"
