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
