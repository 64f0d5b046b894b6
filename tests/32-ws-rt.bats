#!/usr/bin/env bats
# worker-spawn, priority and RT work types (issue 15): priority-inversion,
# rt-starvation, preempt-storm, signal-storm.  Peers: pi_stress and
# signaltest (rt-tests), strace, perf's sched_switch tracepoint, chrt, the
# kernel's /proc schedstat.  Groups whose semantics need one CPU are pinned to
# one; bounds are test-set values or wide orders of magnitude, never a fixed
# sleep then a timing assert: the host has 2 CPUs shared with other runs.

load test_helper
load worker-spawn

setup() {
	ws_setup
	# the CPU the pinned groups share; the other stays for the rest
	CPU=$(($(nproc) - 1))
	# one run of this file at a time on a shared host: another run's FIFO
	# tiers pinned to the same CPU would starve this run's lower ones (a
	# loaded host once left the priority-inversion holder 4.3 s without its
	# CPU: no iteration in a 2 s run)
	host_lock ws-rt-cpu
}

# a background run ($ws) a failed test left behind, stopped too, is ended
# here (only it: bats' own timeout watchdog is a job of this shell as well)
teardown() {
	if [ -n "${ws:-}" ] && [[ " $(jobs -p | tr '\n' ' ') " == *" $ws "* ]]; then
		kill -CONT "$ws" 2>/dev/null || true
		kill -TERM "$ws" 2>/dev/null || true
		wait "$ws" 2>/dev/null || true
	fi
	host_unlock
}

need_two_cpus() {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (one pinned group, one for the rest)"
}

@test "ws-rt: bad parameters are one line naming them, exit 2" {
	run --separate-stderr "$WSBIN" -w priority-inversion:pi_mode=maybe
	assert_usage_error "pi_mode=maybe"
	run --separate-stderr "$WSBIN" -w rt-starvation:rt_priority=100
	assert_usage_error "rt_priority=100"
	run --separate-stderr "$WSBIN" -w priority-inversion:high_count=0
	assert_usage_error "a high and a low tier"
	run --separate-stderr "$WSBIN" -w priority-inversion:window_ms=0
	assert_usage_error "window_ms"
	run --separate-stderr "$WSBIN" -w signal-storm -n 3
	assert_usage_error "groups of 2"
	run --separate-stderr "$WSBIN" -w preempt-storm:cfs_workers=1 -n 3
	assert_usage_error "groups of 2"
	run --separate-stderr "$WSBIN" -w priority-inversion:low=2,medium=0 -n 4
	assert_usage_error "groups of 3"
	run --separate-stderr "$WSBIN" -w signal-storm:rt_workers=1
	assert_usage_error "rt_workers"
}

# type:args  its wake_sample_total > 0 per worker (1/0), policies per worker
RT_TYPES=(
	"priority-inversion 1,0,? fifo,fifo,fifo"
	"rt-starvation:cfs_workers=2 0,0,0 fifo,normal,normal"
	"preempt-storm 0,0,0 fifo,normal,normal"
	"signal-storm 1,1 normal,normal"
)

@test "ws-rt: each type fills its own reservoirs only, in both modes" {
	require_root
	need_two_cpus
	for mode in fork thread; do
		for t in "${RT_TYPES[@]}"; do
			read -r spec w pol <<<"$t"
			# one type per run: FIFO groups sharing a CPU would starve each other
			# rt-starvation's normal tier runs only in what RT throttling leaves
			# (sched_rt_runtime_us: 50 ms a second): 3 s and nice -10 (as in
			# the sched_switch test) so a loaded host's tasks do not take it all
			args=(-d 1s)
			[[ $spec != rt-starvation* ]] || args=(--nice -10 -d 3s)
			run --separate-stderr "$WSBIN" --mode "$mode" -w "$spec" --affinity "$CPU" "${args[@]}" -j
			assert_success
			r=$(reports "$output" | jq -sc .)
			# the low lock waiter (?) waits only when two lows meet
			jq -e --arg w "$w" --arg pol "$pol" '($w | split(",")) as $w | ($pol | split(",")) as $p |
				length == ($w | length) and all(.[]; .completed and .work_units > 0
				and .iterations > 0 and .iteration_cost_sample_total == 0
				and .timer_sample_total == 0 and .sched_policy_error == null)
				and ([.[] | .sched_policy] == $p)
				and all(to_entries[]; $w[.key] == "?" or
					((.value.wake_sample_total > 0) == ($w[.key] == "1")))' \
				<<<"$r" >/dev/null || fail "$mode $spec: $r"
		done
	done
}

@test "ws-rt: on one CPU the types with never-blocking FIFO workers say so (exit 2); preempt-storm runs" {
	require_root
	require_cmd taskset
	for t in priority-inversion rt-starvation; do
		run --separate-stderr taskset -c 0 "$WSBIN" -w "$t" -d 1s
		assert_usage_error "needs two CPUs"
		[[ "$stderr" == *"$t"* ]] || fail "$stderr"
	done
	run --separate-stderr taskset -c 0 "$WSBIN" -w preempt-storm:cfs_workers=1 -d 1s -j
	assert_success
	[ "$(reports "$output" | jq -s 'map(select(.completed)) | length')" -eq 2 ] || fail "$output"
}

@test "ws-rt: SCHED_FIFO not permitted: exit 2 naming type, priority and the kernel's error" {
	require_root
	require_cmd setpriv
	[ "$(ulimit -r)" = 0 ] || skip "RLIMIT_RTPRIO is $(ulimit -r) here: FIFO stays permitted"
	for spec in "priority-inversion 70" "rt-starvation:rt_priority=33 33" "preempt-storm 1"; do
		read -r t p <<<"$spec"
		run --separate-stderr setpriv --bounding-set -sys_nice --inh-caps -sys_nice \
			"$WSBIN" -w "$t" --affinity "$CPU" -d 1s
		assert_usage_error "SCHED_FIFO $p"
		[[ "$stderr" == *"not permitted"* && "$stderr" == *"${t%%:*}"* ]] || fail "$stderr"
		[ -z "$output" ] || fail "stdout: $output"
	done
	# the rest of the family needs no RT
	run --separate-stderr setpriv --bounding-set -sys_nice --inh-caps -sys_nice \
		"$WSBIN" -w signal-storm -d 1s -j -q
	assert_success
}

@test "ws-rt: RT throttling off (sched_rt_runtime_us -1) is refused, never changed" {
	require_root
	require_cmd unshare
	need_two_cpus
	echo -1 >"$BATS_TEST_TMPDIR/rt_runtime"
	before=$(cat /proc/sys/kernel/sched_rt_runtime_us)
	# a private mount namespace shows the run a file saying -1; the host keeps its value
	run --separate-stderr unshare -m sh -c 'mount --bind "$1" /proc/sys/kernel/sched_rt_runtime_us &&
		exec "$2" -w rt-starvation --affinity "$3" -d 1s' sh \
		"$BATS_TEST_TMPDIR/rt_runtime" "$WSBIN" "$CPU"
	[ "$status" -ne 1 ] || skip "cannot bind-mount over /proc/sys here: $stderr"
	assert_usage_error "sched_rt_runtime_us is -1"
	assert_equal "$(cat /proc/sys/kernel/sched_rt_runtime_us)" "$before"
}

@test "ws-rt: priority-inversion: plain waits outlast the test's window, PI waits stay far below it; pi_stress agrees" {
	require_root
	require_cmd pi_stress
	need_two_cpus
	win=40   # ms: the medium tier's spin per cycle, set here
	run --separate-stderr "$WSBIN" -w "priority-inversion:pi_mode=plain,window_ms=$win" \
		--affinity "$CPU" -d 2s -j --samples
	assert_success
	plain=$(reports "$output")
	run --separate-stderr "$WSBIN" -w "priority-inversion:pi_mode=pi,window_ms=$win" \
		--affinity "$CPU" -d 2s -j --samples
	assert_success
	pi=$(reports "$output")
	# group order: high, medium, low
	hp=$(jq -s '.[0]' <<<"$plain")
	hq=$(jq -s '.[0]' <<<"$pi")
	for r in "$plain" "$pi"; do
		jq -se 'all(.[]; .completed and .sched_policy_error == null and .iterations > 0)
			and .[1].wake_sample_total == 0' <<<"$r" >/dev/null || fail "$r"
	done
	jq -se '.[0].sched_policy == "fifo" and .[1].sched_policy == "fifo" and
		.[2].sched_policy == "fifo"' <<<"$plain" >/dev/null || fail "$plain"
	echo "high waits: plain p50=$(jq .wake_p50_ns <<<"$hp")ns max=$(jq .wake_max_ns <<<"$hp")ns;" \
		"pi p50=$(jq .wake_p50_ns <<<"$hq")ns max=$(jq .wake_max_ns <<<"$hq")ns" >&3
	# plain: the medium tier preempted the low holder, so every high wait >= the window
	jq -e --argjson w "$win" '.wake_sample_total >= 5 and
		(.wake_latencies_ns | length) == .wake_sample_total and
		(.wake_latencies_ns | min) >= $w * 1000000' <<<"$hp" >/dev/null ||
		fail "plain: no inversion as long as the window: $hp"
	# PI: the boosted holder finished first; every wait far below the window
	jq -e --argjson w "$win" '.wake_sample_total >= 5 and .wake_max_ns < $w * 1000000 and
		.wake_p50_ns < $w * 100000' <<<"$hq" >/dev/null || fail "pi: waits not bounded: $hq"
	# the peer: pi_stress's PI-mutex inversions, forced onto one CPU, all resolve
	run timeout 120 pi_stress -u -g 1 -i 100 -q --json="$BATS_TEST_TMPDIR/pi.json"
	assert_success
	jq -e '.return_code == 0 and .inversion >= 100' "$BATS_TEST_TMPDIR/pi.json" >/dev/null ||
		fail "pi_stress: $(cat "$BATS_TEST_TMPDIR/pi.json")"
}

@test "ws-rt: rt-starvation: sched_switch shows the FIFO tier at its priority and the normal worker starved, not stopped" {
	require_root
	require_cmd perf
	need_two_cpus
	# no /proc walks (pgrep, ps) while a FIFO worker owns a CPU: per-CPU
	# kernel work there waits for the throttled share, so they can take
	# seconds; the kernel's trace is read after the run.  nice -10: the normal
	# worker outweighs other runs' tasks in what throttling leaves.
	perf record -q -m 1024 -o "$BATS_TEST_TMPDIR/sw.data" -e sched:sched_switch -C "$CPU" -- \
		"$WSBIN" -w rt-starvation:rt_priority=42 --affinity "$CPU" --nice -10 -d 3s -j \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		skip "perf record failed: $(tail -2 "$BATS_TEST_TMPDIR/err")"
	perf report -i "$BATS_TEST_TMPDIR/sw.data" --stats 2>/dev/null | grep -qi 'lost.*[1-9]' &&
		skip "perf lost events"
	r=$(jq -sc '[.[] | select(.type == "report")]' "$BATS_TEST_TMPDIR/out")
	rt=$(jq '.[0].tid' <<<"$r") cfs=$(jq '.[1].tid' <<<"$r")
	jq -e 'length == 2 and all(.[]; .completed)' <<<"$r" >/dev/null || fail "$r"
	# on-CPU time of each tid on $CPU from switch-in to switch-out (kernel
	# prio of FIFO 42 is 99 - 42 = 57), and the prios they switched out at
	read -r ron con rprio cprio < <(perf script -i "$BATS_TEST_TMPDIR/sw.data" -F time,trace 2>/dev/null |
		awk -v rt="$rt" -v cfs="$cfs" '
		{ t = $1 + 0; prev = next_ = ""; pp = ""
		  for (i = 2; i <= NF; i++) {
			if ($i ~ /^prev_pid=/) prev = substr($i, 10)
			if ($i ~ /^prev_prio=/) pp = substr($i, 11)
			if ($i ~ /^next_pid=/) next_ = substr($i, 10) }
		  if (prev in since) { on[prev] += t - since[prev]; delete since[prev]; pr[prev] = pp }
		  if (next_ == rt || next_ == cfs) since[next_] = t }
		END { printf "%.0f %.0f %s %s\n", on[rt] * 1e9, on[cfs] * 1e9, pr[rt], pr[cfs] }')
	echo "sched_switch on CPU $CPU: FIFO ${ron}ns (prio $rprio), normal ${con}ns (prio $cprio)" >&3
	assert_equal "$rprio" 57
	[ "$cprio" -ge 100 ] || fail "normal worker at kernel prio $cprio"
	[ "$ron" -ge 1000000000 ] || fail "FIFO worker ran only $ron ns"
	[ "$((con * 4))" -lt "$ron" ] || fail "normal worker not starved: fifo $ron ns, normal $con ns"
	[ "$((con * 200))" -gt "$ron" ] || fail "normal worker got nothing (throttling not respected?): $con ns"
}

@test "ws-rt: a FIFO worker its parent cannot stop is killed by the kernel at run length + 5 s (RLIMIT_RTTIME)" {
	require_root
	need_two_cpus
	# 5 s: the parent is stopped long before its run ends, even on a loaded host
	start_ws -w rt-starvation --affinity "$CPU" -d 5s -j
	kill -STOP "$ws"
	read -r rt cfs _ <"/proc/$ws/task/$ws/children" || [ -n "$cfs" ] || fail "no workers"
	# released is not yet running: the worker sets its limit once it runs
	wait_until 10 grep -q '^Max realtime timeout  *10000000  *10000000  *us' "/proc/$rt/limits" ||
		{ kill -CONT "$ws"; fail "$(grep realtime "/proc/$rt/limits")"; }
	grep -q '^Max realtime timeout  *unlimited' "/proc/$cfs/limits" ||
		{ kill -CONT "$ws"; fail "normal worker: $(grep realtime "/proc/$cfs/limits")"; }
	# the stopped parent sends no SIGUSR1: the kernel ends the FIFO spinner
	gone() { [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
	wait_until 60 gone "$rt" || { kill -CONT "$ws"; fail "FIFO worker $rt still running"; }
	kill -CONT "$ws"
	wait "$ws"
	jq -se '[.[] | select(.type == "report")] |
		(.[0].exit_info == {"kind": "signaled", "signal": 9} and (.[0].completed | not)) and .[1].completed' \
		"$BATS_TEST_TMPDIR/out" >/dev/null || fail "$(cat "$BATS_TEST_TMPDIR/out")"
}

@test "ws-rt: preempt-storm: sched_switch counts the FIFO worker's sleeps (its iterations) and its preemptions of the normal spinner" {
	require_root
	require_cmd perf
	need_two_cpus
	perf record -q -m 1024 -o "$BATS_TEST_TMPDIR/sw.data" -e sched:sched_switch -C "$CPU" -- \
		"$WSBIN" -w preempt-storm:cfs_workers=1 --affinity "$CPU" -d 2s -j \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		skip "perf record failed: $(tail -2 "$BATS_TEST_TMPDIR/err")"
	r=$(jq -sc '[.[] | select(.type == "report")]' "$BATS_TEST_TMPDIR/out")
	rt=$(jq '.[0].tid' <<<"$r") cfs=$(jq '.[1].tid' <<<"$r") it=$(jq '.[0].iterations' <<<"$r")
	jq -e '.[0].sched_policy == "fifo" and .[1].sched_policy == "normal" and all(.[]; .completed)' \
		<<<"$r" >/dev/null || fail "$r"
	sw=$(perf script -i "$BATS_TEST_TMPDIR/sw.data" -F trace 2>/dev/null)
	perf report -i "$BATS_TEST_TMPDIR/sw.data" --stats 2>/dev/null | grep -qi 'lost.*[1-9]' &&
		skip "perf lost events"
	sleeps=$(grep -c "prev_pid=$rt prev_prio=98 prev_state=S " <<<"$sw" || true)
	# switches into the FIFO worker from a task still runnable: preemptions (the
	# pinned spinner keeps the CPU busy, so a wake always finds someone to preempt)
	pre=$(grep -c "prev_state=R+* ==> next_comm=[^ ]* next_pid=$rt " <<<"$sw" || true)
	mine=$(grep -c "prev_pid=$cfs prev_prio=[0-9]* prev_state=R+* ==> next_comm=[^ ]* next_pid=$rt " \
		<<<"$sw" || true)
	echo "iterations=$it kernel: FIFO sleeps=$sleeps, preemptions=$pre (of our spinner: $mine)" >&3
	# every iteration ends in one sleep; the last may be cut by the stop
	[ "$sleeps" -ge "$it" ] && [ "$sleeps" -le $((it + 2)) ] || fail "sleeps $sleeps vs iterations $it"
	[ "$it" -gt 100 ] || fail "too few iterations: $it"
	[ "$((pre * 2))" -ge "$sleeps" ] || fail "preemptions $pre for $sleeps FIFO wakes"
	[ "$mine" -gt 0 ] || fail "the normal spinner was never preempted by the FIFO worker"
}

@test "ws-rt: signal-storm: strace counts each worker's tgkill(SIGUSR2) calls exactly as its work_units" {
	require_cmd strace
	# LeakSanitizer cannot run under ptrace (a SANITIZE=1 build exits 1 there)
	run --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -ff -o "$BATS_TEST_TMPDIR/st" -e trace=tgkill -e signal=none \
		"$WSBIN" -w signal-storm:work_iters=0,signals_per_iter=8 -n 4 -d 2s -j -q
	assert_success
	n=0
	while read -r r; do
		tid=$(jq .tid <<<"$r") wu=$(jq .work_units <<<"$r")
		sent=$(grep -cE 'SIGUSR2\) +=  *0$' "$BATS_TEST_TMPDIR/st.$tid" || true)
		[ "$sent" -eq "$wu" ] || fail "tid $tid: strace $sent tgkill calls, work_units $wu"
		[ "$wu" -gt 0 ] || fail "no signals from $tid"
		jq -e '.wake_sample_total > 0 and .completed' <<<"$r" >/dev/null || fail "$r"
		n=$((n + 1))
	done < <(reports "$output")
	assert_equal "$n" 4
	# each worker's signals go to its partner only: pairs (0,1) and (2,3)
	t=($(reports "$output" | jq -r .tid))
	grep -q "^tgkill([0-9]*, ${t[1]}, SIGUSR2)" "$BATS_TEST_TMPDIR/st.${t[0]}" || fail "0 -> 1"
	! grep -q "${t[2]}, SIGUSR2\|${t[3]}, SIGUSR2" "$BATS_TEST_TMPDIR/st.${t[0]}" || fail "0 -> other pair"
}

@test "ws-rt: signal-storm's fastest delivery is signaltest's (same machine, threads, SCHED_OTHER)" {
	require_cmd signaltest
	# the minimum: both see the same kernel path at best; medians on a
	# loaded host depend on whether the receiver is on a CPU at all
	# signaltest's minimum is a hand-off through its thread chain, with each
	# receiver woken; ours can be a delivery to a partner already running on
	# the other CPU (1.3 us against signaltest's 21 us was seen on a loaded
	# CI box): the band is wider below than above.  A unit slip (us for ns)
	# or a figure that is no delivery at all still falls outside it.  A host
	# busy with other work can keep every one of a 2 s run's deliveries
	# waiting for a CPU (380 us against 15 us was seen): up to three pairs of
	# runs, back to back, and one pair inside the band passes.
	local try seen=""
	for try in 1 2 3; do
		run --separate-stderr "$WSBIN" --mode thread -w signal-storm -d 2s -j --samples
		assert_success
		read -r wmin p50 <<<"$(reports "$output" | jq -rs \
			'"\([.[].wake_latencies_ns | min] | min) \([.[].wake_p50_ns] | add / length)"')"
		run timeout 30 signaltest -D 2 -q -m --json="$BATS_TEST_TMPDIR/st.json"
		[ -s "$BATS_TEST_TMPDIR/st.json" ] || skip "signaltest gave no JSON: $output"
		read -r smin savg <<<"$(jq -r '[.thread[]] | "\(map(.min) | min) \(map(.avg) | add / length)"' \
			"$BATS_TEST_TMPDIR/st.json")"
		echo "signal-storm min=${wmin}ns p50=${p50}ns  signaltest min=${smin}us avg=${savg}us" >&3
		seen="$seen [${wmin}ns vs ${smin}us]"
		awk -v w="$wmin" -v s="$smin" 'BEGIN { w /= 1000; if (s < 1) s = 1; if (w < 0.1) exit 1;
			exit !(w >= s / 50 && w <= s * 20) }' && return 0
	done
	fail "signal-storm's min outside 1/50..20x signaltest's in three pairs:$seen"
}

@test "ws-rt: SIGTERM mid-run: every tier reports, no worker or lock waiter left behind" {
	require_root
	need_two_cpus
	start_ws -w priority-inversion:pi_mode=pi,low=2 --affinity "$CPU" -w signal-storm \
		-w rt-starvation --affinity "$CPU" -d 60s -j
	wait_until 10 caught "$ws"
	kill -TERM "$ws"
	wait "$ws" && rc=0 || rc=$?
	assert_equal "$rc" 0
	! grep -v 'running [0-9]* worker\|^worker-spawn: info' "$BATS_TEST_TMPDIR/err" ||
		fail "stderr: $(cat "$BATS_TEST_TMPDIR/err")"
	[ "$(jq -s '[.[] | select(.type=="report" and .completed)] | length' \
		"$BATS_TEST_TMPDIR/out")" -eq 8 ] || fail "$(cat "$BATS_TEST_TMPDIR/out")"
	for k in $(jq -r 'select(.type=="report") | .tid' "$BATS_TEST_TMPDIR/out"); do
		! kill -0 "$k" 2>/dev/null || fail "worker $k still alive"
	done
}
