#!/usr/bin/env bats
# nvme-gpu-ingest under faults: a device-mapper `error` target, the source
# file replaced (renamed over) mid-read, and SIGINT at random moments of a
# running ring, checked with strace: the registered buffers are unregistered
# and the ring closed on the way out.  (A file truncated mid-read, EIO from a
# loop device over a truncated file, one SIGINT and a closed stdout are in
# 40-nvme-gpu-ingest.bats.)

load test_helper

setup() {
	require_tool nvme-gpu-ingest
	require_io_uring
	require_cmd jq python3
	T=$(bin nvme-gpu-ingest)
	D=$BATS_TEST_TMPDIR
	DM=
}

teardown() {
	[ -z "$DM" ] || dmsetup remove "$DM" 2>/dev/null || true
}

pycrc() {
	python3 -c 'import sys,zlib; print("%08x" % zlib.crc32(open(sys.argv[1],"rb").read()))' "$1"
}

summary() { jq -c 'select(.type == "summary")' "$1"; }

@test "device-mapper error target: EIO counted after the good part, exit 1" {
	require_root
	require_cmd dmsetup
	DM=telkit-f84-$$-$RANDOM
	# 1 MiB of zeros, then 7 MiB that fail every read
	if ! err=$(printf '0 2048 zero\n2048 14336 error\n' | dmsetup create "$DM" 2>&1); then
		DM=
		skip "device-mapper unavailable: $(head -1 <<<"$err")"
	fi
	for mode in "" --direct; do
		run --separate-stderr "$T" -j $mode "/dev/mapper/$DM"
		assert_equal "$status" 1
		[[ "$stderr" == *"Input/output error"* ]] || fail "$stderr"
		s=$(summary <(echo "$output"))
		jq -e '.completed_bytes == 1048576 and .failed_completions >= 1 and .inflight_reads == 0
			and .cpu_bounce_bytes == 0 and .complete == false' <<<"$s" >/dev/null || fail "$s"
	done
}

@test "source renamed over mid-read: the open file's bytes land, --verify names the mismatch" {
	head -c $((4 * 1048576)) /dev/urandom >"$D/data"
	head -c $((4 * 1048576)) /dev/urandom >"$D/other"
	old=$(pycrc "$D/data")
	"$T" -j --verify --loop 5000 "$D/data" >"$D/out" 2>"$D/err" &
	pid=$!
	sleep 0.2
	kill -0 "$pid" 2>/dev/null || skip "the run ended before the replacement (too fast a host)"
	mv "$D/other" "$D/data"
	wait "$pid" && rc=0 || rc=$?
	s=$(summary "$D/out")
	# every loop read the file that was open: one crc over consistent bytes
	jq -e --arg c "$old" '.crc32 == $c and .complete == true and .failed_completions == 0 and
		.inflight_reads == 0 and .verified == false' <<<"$s" >/dev/null || fail "$s"
	assert_equal "$rc" 3
	[ "$(grep -c . "$D/err")" -eq 1 ] && grep -q "landed crc32 $old != source crc32 $(pycrc "$D/data")" "$D/err" ||
		fail "$(cat "$D/err")"
}

@test "SIGINT at random moments of a running ring: drained, summary, buffers unregistered" {
	require_cmd strace
	# LeakSanitizer cannot run under ptrace (SANITIZE=1 builds)
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	head -c $((4 * 1048576)) /dev/urandom >"$D/data"
	for i in 1 2 3 4; do
		delay=0.$((RANDOM % 5 + 2))$((RANDOM % 10))
		rm -f "$D/trace"
		env --default-signal=INT strace -f -y -qq -o "$D/trace" \
			-e trace=io_uring_setup,io_uring_register,close \
			"$T" -j --qd 8 --loop 1000000 "$D/data" >"$D/out" 2>"$D/err" &
		st=$!
		for _ in $(seq 100); do
			pid=$(pgrep -P "$st" || true)
			[ -n "$pid" ] && grep -qs IORING_REGISTER_BUFFERS "$D/trace" && break
			sleep 0.02
		done
		[ -n "$pid" ] || fail "no tool process under strace"
		sleep "$delay"
		kill -INT "$pid"
		wait "$st" && rc=0 || rc=$?
		echo "# try $i: SIGINT ${delay}s after the buffers were registered: exit $rc"
		assert_equal "$rc" 0
		s=$(summary "$D/out")
		jq -e '.stopped_by == "SIGINT" and .inflight_reads == 0 and .completed_bytes > 0 and
			.submitted_bytes == .completed_bytes and .submitted_reads == .completed_reads' \
			<<<"$s" >/dev/null || fail "$s $(cat "$D/err")"
		# registered, then unregistered, then the ring fd closed
		reg=$(grep -n 'IORING_REGISTER_BUFFERS' "$D/trace" | head -1 | cut -d: -f1)
		unreg=$(grep -n 'IORING_UNREGISTER_BUFFERS.* = 0' "$D/trace" | head -1 | cut -d: -f1)
		closed=$(grep -n 'close([0-9]*<anon_inode:\[io_uring\]>) *= 0' "$D/trace" | tail -1 | cut -d: -f1)
		[ -n "$reg" ] && [ -n "$unreg" ] && [ -n "$closed" ] && [ "$reg" -lt "$unreg" ] &&
			[ "$unreg" -lt "$closed" ] || fail "trace: $(grep -E 'io_uring' "$D/trace")"
		[ ! -s "$D/err" ] || fail "stderr: $(cat "$D/err")"
	done
}
