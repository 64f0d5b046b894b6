# Shared by the worker-spawn test files (tests/30-37).

# In setup: worker-spawn built and jq present; WSBIN is worker-spawn.
ws_setup() {
	require_tool worker-spawn
	WSBIN=$(bin worker-spawn)
	require_cmd jq
}

# no_lsan: LeakSanitizer cannot run under ptrace (SANITIZE=1 builds), so the
# strace runs go without leak checks; the other tests keep them.
no_lsan() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}

# report OUTPUT TYPE: the report records of work type TYPE in OUTPUT.
report() { jq -c "select(.type == \"report\" and .work_type == \"$2\")" <<<"$1"; }

# reports OUTPUT: the report records in OUTPUT.
reports() { jq -c 'select(.type == "report")' <<<"$1"; }

# start_ws ARGS...: worker-spawn -v ARGS in the background ($ws; stdout in
# $BATS_TEST_TMPDIR/out), back once its workers are placed and released.
start_ws() {
	# emptied here, not by the child's redirection: a previous run's
	# "running" line must not be found before the child truncates it
	: >"$BATS_TEST_TMPDIR/out"
	: >"$BATS_TEST_TMPDIR/err"
	"$WSBIN" -v "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	ws=$!
	wait_until 30 grep -q 'running [0-9]* worker' "$BATS_TEST_TMPDIR/err" ||
		fail "workers never ran: $(cat "$BATS_TEST_TMPDIR/err")"
}
