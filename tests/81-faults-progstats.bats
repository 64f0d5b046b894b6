#!/usr/bin/env bats
# progstats under faults: 2000 programs appearing and disappearing while it
# samples every 20 ms (so some vanish between GET_NEXT_ID and GET_INFO), and
# SIGINT, SIGTERM or a reader closing the pipe at random moments.  Each run
# must end at once with exit 0 and no noise, and the BPF run-time stats fd
# must be released: the attached test program's run_time_ns (bpftool) stops.
# (One signal of each kind at a fixed moment, and one unload, are covered in
# 10-progstats.bats.)

load test_helper
load progstats

setup() {
	progstats_setup
	PIDS=()
}

teardown() {
	reap "${PIDS[@]}"
	host_unlock
}


# loader ARGS...: start progstats_load, wait for "ready"; sets LPID, LOUT.
loader() {
	LOUT=$D/loader.$RANDOM
	"$LOADER" "$@" >"$LOUT" 2>&1 &
	LPID=$!
	PIDS+=("$LPID")
	wait_until 20 grep -q '^ready ' "$LOUT" || fail "loader not ready: $(cat "$LOUT")"
}

rt_ns() { bpftool prog show id "$1" -j | jq -r '.run_time_ns // 0'; }

# stats_released ID: run_time_ns of program ID stands still (retried: a
# short-lived holder elsewhere, such as a demo run, may hold stats a moment).
stats_released() {
	local try a b f
	for try in 1 2 3 4 5 6; do
		a=$(rt_ns "$1"); sleep 0.4; b=$(rt_ns "$1")
		[ "$a" = "$b" ] && return 0
		sleep 0.5
	done
	[ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = 1 ] && skip "bpf_stats_enabled sysctl is on"
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:bpf-stats" ] &&
			skip "another process holds BPF run-time stats (${f%/fd/*})"
	done
	fail "run_time_ns of program $1 still moves: stats fd not released"
}

@test "2000 programs appear and vanish while sampling every 20 ms: no error, valid records (iterator walk)" {
	churn iter
}

@test "2000 programs appear and vanish while sampling every 20 ms: no error, valid records (GET_NEXT_ID walk)" {
	churn syscall
}

@test "2000 programs appear and vanish under --group obj: every sample's groups are the sums of their programs" {
	churn iter --group obj
	# each pass: one group record per object, then its programs; the group's
	# figures are its programs' sums even while programs vanish mid-pass
	jq -se 'reduce .[] as $r ({ok: true, g: null, c: 0, n: 0, ids: []};
		if $r.type == "group" then
			.ok = (.ok and (.g == null or (.g.cnt == .c and .g.progs == .n and .g.ids == .ids))) |
			.g = $r | .c = 0 | .n = 0 | .ids = []
		elif $r.type == "sample" then
			.ok = (.ok and $r.obj_btf_id == .g.obj_btf_id) |
			.c += $r.cnt | .n += 1 | .ids += [$r.id]
		else . end) |
		.ok and .g.cnt == .c and .g.progs == .n and .g.ids == .ids' "$D/ps.out" >/dev/null ||
		fail "a group record is not the sum of the samples under it"
	# the loaders' BTF-less filters sit in group "-"
	jq -se 'any(.[]; .type == "sample" and (.name | startswith("pstest_")) and .obj == "-")' \
		"$D/ps.out" >/dev/null || fail "no pstest_ program in group -"
}

# churn WALK [ARGS...]: progstats -j -i 20ms --walk WALK ARGS under 2000 programs coming and going.
churn() {
	loader -a -t 120          # one program that stays (a host may have none)
	"$PS" -j -i 20ms --walk "$@" >"$D/ps.out" 2>"$D/ps.err" &
	pid=$!
	PIDS+=("$pid")
	wait_until 10 grep -q '"type":"sample"' "$D/ps.out" || fail "no sample: $(cat "$D/ps.err")"
	for cycle in $(seq 20); do
		loader -s -b 100 -t 60
		sleep 0.0$((RANDOM % 6))
		kill -TERM "$LPID"
		wait "$LPID"
	done
	sleep 0.2
	stop_clean INT "$pid" "$D/ps.out" "$D/ps.err"
	# it saw the churn: pstest_ programs came and went
	appear=$(jq -s '[.[] | select(.event == "appear" and (.name | startswith("pstest_")))] | length' "$D/ps.out")
	gone=$(jq -s '[.[] | select(.event == "disappear" and (.name // "" | startswith("pstest_")))] | length' "$D/ps.out")
	[ "$appear" -ge 100 ] && [ "$gone" -ge 100 ] || fail "appear=$appear disappear=$gone"
	! pgrep -f "progstats_load -s -b 100" -P $$ >/dev/null
}

@test "SIGINT, SIGTERM or a closed pipe at random moments: exit 0 at once, stats released" {
	loader -a -t 120
	count_id=$(sed -n 's/.* count_id=\([0-9]*\).*/\1/p' "$LOUT")
	[ -n "$count_id" ] || fail "no count_id: $(cat "$LOUT")"
	for i in $(seq 9); do
		how=$(( i % 3 ))
		delay=0.$(printf '%03d' $((RANDOM % 600)))
		[ "$i" -gt 3 ] || delay=0.00$i
		rm -f "$D/rc" "$D/pid"
		if [ "$how" = 2 ]; then
			# the reader goes away after $delay s: SIGPIPE/EPIPE on the next write
			{ "$PS" -j -i 10ms 2>>"$D/ps.err" & echo $! >"$D/pid"; wait $!; echo $? >"$D/rc"; } |
				{ sleep "$delay"; } &
			PIDS+=("$!")
			wait_until 5 test -s "$D/pid"
			pid=$(cat "$D/pid")
			wait_until 10 test -s "$D/rc" || fail "closed pipe after ${delay}s: progstats still running"
			rc=$(cat "$D/rc")
		else
			sig=$([ "$how" = 0 ] && echo INT || echo TERM)
			env --default-signal=INT "$PS" -j -i 10ms >"$D/out.$i" 2>>"$D/ps.err" &
			pid=$!
			PIDS+=("$pid")
			# a signal before exec and handler install kills it by default:
			# random moments are counted from when it catches them
			wait_until 5 caught "$pid" || fail "never caught SIGINT/SIGTERM"
			sleep "$delay"
			kill -"$sig" "$pid"
			wait_until 5 eval '! kill -0 $pid 2>/dev/null || [ "$(ps -o stat= -p $pid)" = Z ]' ||
				fail "SIG$sig after ${delay}s: still running"
			wait "$pid" && rc=0 || rc=$?
		fi
		echo "# try $i: how=$how delay=$delay rc=$rc"
		assert_equal "$rc" 0
	done
	[ ! -s "$D/ps.err" ] || fail "stderr: $(head -5 "$D/ps.err")"
	stats_released "$count_id"
}
