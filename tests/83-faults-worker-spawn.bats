#!/usr/bin/env bats
# worker-spawn under faults: workers that kill themselves, die or hang in
# the middle of their report, flood the report pipe, fork in a loop, and
# SIGINT to the parent at every phase of a run.  After each: the run ends in
# bounded time with one report per worker, no process of the run remains
# (every worker's argv carries a unique marker, so only our own pids are
# matched, whatever else runs on the host) and its cgroup is gone.
# (exit 7, a worker ignoring SIGUSR1, an external SIGKILL, one SIGINT mid-run
# and a closed stdout are in 30-worker-spawn.bats.)

load test_helper

setup() {
	require_tool worker-spawn
	require_cmd jq
	WS=$(bin worker-spawn)
	D=$BATS_TEST_TMPDIR
	MK="sleep 9$RANDOM$RANDOM.5"     # unique marker in every worker's argv
}

teardown() {
	pkill -KILL -f "$MK" 2>/dev/null || true
}

reports() { jq -c 'select(.type == "report")' "$1"; }

# none_left: no process whose command line carries this test's marker.
none_left() {
	local try
	for try in $(seq 20); do
		pgrep -f "$MK" >/dev/null || return 0
		sleep 0.1
	done
	fail "processes of the run left: $(pgrep -af "$MK")"
}

@test "a worker that SIGKILLs itself: signaled:9, the others report normally" {
	run --separate-stderr "$WS" -w "exec:kill -KILL \$\$; $MK" -w spin-wait -d 1s -j
	assert_success
	echo "$output" >"$D/out"
	[ "$(reports "$D/out" | wc -l)" -eq 2 ]
	reports "$D/out" | jq -se '.[0].exit_info == {"kind": "signaled", "signal": 9} and .[0].completed == false and
		.[1].exit_info == null and .[1].completed == true' >/dev/null || fail "$(reports "$D/out")"
	none_left
}

# The shim (tests/faults/ws_report_shim.c) cuts or corrupts the report write.
shim() {
	require_cmd cc
	cc -shared -fPIC -O2 -o "$D/shim.so" "$TELKIT_ROOT/tests/faults/ws_report_shim.c" -ldl ||
		fail "cannot build the shim"
	# a sanitizer runtime must come first; the shim only wraps write()
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

@test "truncated, stuck and flooding reports: sentinels, bounded time, no crash" {
	shim
	for mode in half header hang huge; do
		start=$SECONDS
		WS_FAULT=$mode LD_PRELOAD="$D/shim.so" "$WS" -w spin-wait -n 2 -w "exec:$MK" -d 1s -j \
			>"$D/$mode.out" 2>"$D/$mode.err"
		rc=$?
		assert_equal "$rc" 0
		[ ! -s "$D/$mode.err" ] || fail "$mode: stderr: $(cat "$D/$mode.err")"
		# the shared 5 s collection deadline bounds a stuck or endless writer
		[ $((SECONDS - start)) -lt 20 ] || fail "$mode: took $((SECONDS - start)) s"
		r=$(reports "$D/$mode.out" | head -2)
		[ "$(wc -l <<<"$r")" -eq 2 ] || fail "$mode: $(cat "$D/$mode.out")"
		case $mode in
		half|header) want='{"kind": "exited", "code": 0}' ;;
		*) want='{"kind": "timed_out"}' ;;
		esac
		jq -se "all(.exit_info == $want and .completed == false and .work_units == 0)" \
			<<<"$r" >/dev/null || fail "$mode: $r"
		# the exec worker never writes a report: untouched by the shim
		reports "$D/$mode.out" | tail -1 | jq -e '.exit_info == {"kind": "signaled", "signal": 10}' >/dev/null ||
			fail "$mode: exec worker: $(reports "$D/$mode.out" | tail -1)"
		jq -se 'map(select(.type == "summary")) | length >= 1' "$D/$mode.out" >/dev/null ||
			fail "$mode: no summary"
		none_left
	done
}

# most_grandkids PID: the largest number of children any child of PID has,
# from one snapshot of the process table (two forks a sample, so a loaded
# machine still takes enough samples).
most_grandkids() {
	ps -e -o pid=,ppid= | awk -v top="$1" '
		{ parent[$1] = $2 }
		END {
			for (c in parent) {
				w = parent[c]
				if ((w in parent) && parent[w] == top && ++n[w] > most)
					most = n[w]
			}
			print most + 0
		}'
}

@test "fork-exit is bounded: each worker has at most one child at any time" {
	"$WS" -w fork-exit -n 2 -w "exec:$MK" -d 3s -j >"$D/out" 2>"$D/err" &
	ws=$!
	max=0 samples=0
	while kill -0 "$ws" 2>/dev/null; do
		n=$(most_grandkids "$ws")
		[ "$n" -gt "$max" ] && max=$n
		samples=$((samples + 1))
		sleep 0.02
	done
	wait "$ws"
	[ "$samples" -ge 10 ] || fail "only $samples samples"
	[ "$max" -le 1 ] || fail "a fork-exit worker had $max children at once"
	reports "$D/out" | head -2 | jq -se 'all(.completed and .work_units > 100)' >/dev/null ||
		fail "$(reports "$D/out")"
	none_left
}

# sigint_at "DELAY..." [WORKER ARGS...]: SIGINT the parent after each DELAY
# (seconds since worker-spawn was exec'd, then since the previous one); exit 0
# with one report per worker, or 130 when the first signal beat the handler.
sigint_at() {
	local delays=$1 cg=telkit-f83-$$-$RANDOM root d
	shift
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	# a background job would start with SIGINT ignored: restore the default
	env --default-signal=INT "$WS" --cgroup "$cg" -w spin-wait -n 2 -w fork-exit \
		-w futex-ping-pong -n 2 "$@" -d 60s -j >"$D/out" 2>"$D/err" &
	ws=$!
	start=$SECONDS
	# tight, fork-free poll: delay 0 should still land in option parsing
	until execed "$ws" worker-spawn; do
		kill -0 "$ws" 2>/dev/null && [ $((SECONDS - start)) -lt 10 ] ||
			fail "worker-spawn never started: $(cat "$D/err")"
	done
	for d in $delays; do
		sleep "$d"
		kill -INT "$ws" 2>/dev/null || true
	done
	wait "$ws" && rc=0 || rc=$?
	echo "# SIGINT after $delays s: exit $rc"
	[ $((SECONDS - start)) -lt 20 ] || fail "after $delays s: took $((SECONDS - start)) s"
	case $rc in
	0) [ "$(reports "$D/out" | wc -l)" -eq 6 ] || fail "after $delays s: $(cat "$D/out")" ;;
	130) [ ! -s "$D/out" ] || fail "killed before its handler yet printed: $(cat "$D/out")" ;;
	*) fail "SIGINT after $delays s: exit $rc: $(cat "$D/err")" ;;
	esac
	[ ! -s "$D/err" ] || fail "after $delays s: stderr: $(cat "$D/err")"
	none_left
	[ -z "$root" ] || [ ! -e "$root/$cg" ] || fail "after $delays s: cgroup $cg left behind"
}

@test "SIGINT to the parent at every phase: no process left, cgroup gone" {
	require_root
	# option parsing, cgroup creation and spawn, ready barrier, start, running
	for delay in 0 0.002 0.01 0.03 0.1 0.5; do
		sigint_at "$delay" -w "exec:$MK"
	done
	# collecting: a worker ignoring SIGUSR1 holds the 5 s deadline open while
	# a second SIGINT arrives
	sigint_at "0.5 1" -w "exec:trap '' USR1; $MK"
	reports "$D/out" | tail -1 | jq -e '.exit_info == {"kind": "timed_out"}' >/dev/null ||
		fail "$(reports "$D/out" | tail -1)"
}

# A hostile sched_ext directory (TELKIT_SCX_SYSFS, the test double): no
# crash, no bogus counter, one warning naming the file, the run reports.
@test "hostile sched_ext sysfs: malformed, oversized or endless events are refused, not half-read" {
	S=$D/scx
	mkdir -p "$S/root"
	echo enabled >"$S/state"; echo 1 >"$S/enable_seq"; echo 0 >"$S/nr_rejected"
	for bad in 'scx_ev_lower 1' 'SCX_EV_X -1' 'SCX_EV_X 1 2' 'SCX_EV_X' 'SCX_EV_X 99999999999999999999' \
		'SCX_EV_X 1\nSCX_EV_X 2' "$(printf 'SCX_EV_%070d 1' 0)" 'SCX_EV_\033[2J 1' ' SCX_EV_X 1' \
		"$(for i in $(seq 70); do printf 'SCX_EV_%d %d\\n' "$i" "$i"; done)"; do
		printf '%b\n' "$bad" >"$S/root/events"
		printf 'x\033]0;t\a\001y' >"$S/root/ops"
		run --separate-stderr env TELKIT_SCX_SYSFS="$S" "$WS" -w spin-wait -d 200ms -j \
			--assert scx-events-clean
		assert_equal "$status" 1
		[[ "$stderr" == *"root/events: "*"no sched_ext event counters"* ]] || fail "$bad: $stderr"
		[[ "$stderr" == *"cannot run: root/events could not be read"* ]] || fail "$bad: $stderr"
		x=$(jq -c 'select(.scope == "run") | .scx' <<<"$output")
		jq -e '(has("events") | not) and .ops == "x?]0;t??y"' <<<"$x" >/dev/null || fail "$bad: $x"
	done
	# bigger than a sysfs page ever is
	head -c 20000 /dev/zero | tr '\0' 'A' >"$S/root/events"
	run --separate-stderr env TELKIT_SCX_SYSFS="$S" "$WS" -w spin-wait -d 200ms -j
	assert_success
	[[ "$stderr" == *"root/events: File too large"* ]] || fail "$stderr"
	# a state that is not a word, numbers that are not numbers: left out
	printf 'enabled\033[31m\n' >"$S/state"; echo x >"$S/enable_seq"; echo -3 >"$S/nr_rejected"
	printf 'SCX_EV_X 1\n' >"$S/root/events"
	run --separate-stderr env TELKIT_SCX_SYSFS="$S" "$WS" -w spin-wait -d 200ms -j
	assert_success
	jq -e 'select(.scope == "run") | .scx | (has("state") or has("enable_seq") or
		has("nr_rejected")) | not' <<<"$output" >/dev/null || fail "$output"
	# a FIFO instead of a file must not hang the run
	rm "$S/root/events"; mkfifo "$S/root/events"
	run timeout -k 5 20 env TELKIT_SCX_SYSFS="$S" "$WS" -w spin-wait -d 200ms -j
	[ "$status" -ne 124 ] || fail "hung on a FIFO"
}
