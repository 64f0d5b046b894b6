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

@test "source renamed over mid-read: the open file's bytes land, --verify names the replacement" {
	head -c $((4 * 1048576)) /dev/urandom >"$D/data"
	head -c $((4 * 1048576)) /dev/urandom >"$D/other"
	old=$(pycrc "$D/data")
	"$T" -j --verify --loop 5000 "$D/data" >"$D/out" 2>"$D/err" &
	pid=$!
	wait_until 30 holds_file "$pid" "$D/data" || fail "never opened: $(cat "$D/err")"
	sleep 0.1
	kill -0 "$pid" 2>/dev/null || skip "the run ended before the replacement (too fast a host)"
	mv "$D/other" "$D/data"
	wait "$pid" && rc=0 || rc=$?
	s=$(summary "$D/out")
	# every loop read the file that was open: one crc over consistent bytes
	jq -e --arg c "$old" '.crc32 == $c and .complete == true and .failed_completions == 0 and
		.inflight_reads == 0 and .verified == false' <<<"$s" >/dev/null || fail "$s"
	assert_equal "$rc" 3
	# named as a replaced file, not as a device or memory fault
	[ "$(grep -c . "$D/err")" -eq 1 ] &&
		grep -q "'$D/data' was replaced during the run: landed crc32 $old != source crc32 $(pycrc "$D/data")" "$D/err" &&
		grep -q "fix: keep the source in place" "$D/err" || fail "$(cat "$D/err")"
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

# Evict FILE from the page cache (written back first); prints fincore's page count.
evict() {
	python3 -c 'import os,sys
fd=os.open(sys.argv[1],os.O_RDONLY); os.fsync(fd)
os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED)' "$1"
	fincore -n -o PAGES "$1" | tr -d ' '
}

@test "--nowait on an uncached file: -EAGAIN completions (counted by BPF) retried blocking, bytes verify" {
	require_cmd fincore
	require_bpf
	require_btf
	local f=$D/cold size=$((8 * 1048576 + 4097)) s k
	head -c $size /dev/urandom >"$f"
	[ "$(evict "$f")" = 0 ] || skip "the file system of $D keeps $f cached after POSIX_FADV_DONTNEED"
	# RWF_NOWAIT buffered reads of pages that are not cached cannot complete
	# without I/O: the kernel posts -EAGAIN, the tool retries without NOWAIT.
	run --separate-stderr "$(helper ingest_ops)" "$T" -j --nowait --verify --validate "$f"
	[ "$status" -ne 77 ] || skip "$stderr"
	assert_success
	s=$(summary <(echo "$output"))
	k=$(tail -1 <<<"$stderr")
	[ "$(jq .eagain_retries <<<"$s")" -gt 0 ] || fail "no -EAGAIN retried: $s"
	assert_equal "$(jq .eagain_retries <<<"$s")" "$(jq .read_fixed_eagain <<<"$k")"
	assert_equal "$(jq .completed_bytes <<<"$s")" $size
	assert_equal "$(jq .read_fixed_bytes <<<"$k")" $size
	assert_equal "$(jq .completed_reads <<<"$s")" "$(jq .submitted_reads <<<"$s")"
	assert_equal "$(jq .completed_reads <<<"$s")" "$(jq .read_fixed_cqes <<<"$k")"
	assert_equal "$(jq .failed_completions <<<"$s")" 0
	assert_equal "$(jq .cpu_bounce_bytes <<<"$s")" 0
	assert_equal "$(jq -r .crc32 <<<"$s")" "$(pycrc "$f")"
	assert_equal "$(jq -c 'select(.type == "event") | .match' <<<"$output")" true
	# a retry is the same read: the kernel saw one extra SQE per -EAGAIN
	assert_equal "$(jq .ops.READ_FIXED <<<"$k")" \
		$(( $(jq .submitted_reads <<<"$s") + $(jq .eagain_retries <<<"$s") ))

	# now cached (fincore: every page): no -EAGAIN, by either count (the check
	# can fail).  The test caches it itself and checks before and after the
	# run: a loaded host reclaimed 11 of 2050 pages the tool had read.
	local full=$(( (size + 4095) / 4096 )) try
	cached() { [ "$(fincore -n -o PAGES "$f" | tr -d ' ')" = "$full" ]; }
	for try in 1 2 3; do
		wait_until 30 eval 'cat "$f" >/dev/null && cached' || fail "$f not kept cached: $(fincore "$f")"
		run --separate-stderr "$(helper ingest_ops)" "$T" -j --nowait --verify "$f"
		! cached || break
	done
	cached || fail "$f reclaimed during each of 3 runs: $(fincore "$f")"
	assert_success
	s=$(summary <(echo "$output"))
	assert_equal "$(jq .eagain_retries <<<"$s")" 0
	assert_equal "$(jq .read_fixed_eagain <<<"$(tail -1 <<<"$stderr")")" 0
	assert_equal "$(jq -r .crc32 <<<"$s")" "$(pycrc "$f")"
}

@test "--nowait on a file cached 64KiB per MiB: short reads resubmitted, the rest retried, bytes verify" {
	require_cmd fincore
	local f=$D/part size=$((6 * 1048576)) s
	head -c $size /dev/urandom >"$f"
	[ "$(evict "$f")" = 0 ] || skip "the file system of $D keeps $f cached after POSIX_FADV_DONTNEED"
	# POSIX_FADV_RANDOM: no readahead, exactly the pages read get cached
	python3 -c 'import os,sys
fd=os.open(sys.argv[1],os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_RANDOM)
for off in range(0, 6 << 20, 1 << 20): os.pread(fd, 65536, off)' "$f"
	assert_equal "$(fincore -n -o PAGES "$f" | tr -d ' ')" $((6 * 16))
	run --separate-stderr "$T" -j --nowait --verify --validate "$f"
	assert_success
	s=$(summary <(echo "$output"))
	# the first chunk's first read returns its cached 64KiB (nothing else of
	# it is cached: the test read with POSIX_FADV_RANDOM), and every short
	# read's remainder is a new read.  Later chunks may be short or whole:
	# the tool's own fd does readahead, which may have cached a chunk before
	# it is read (a CI run under load saw 5 short reads of 6).
	sr=$(jq .short_reads <<<"$s")
	[ "$sr" -ge 1 ] || fail "expected a short read: $s"
	[ "$(jq .submitted_reads <<<"$s")" -ge $((6 + sr)) ] || fail "remainders not resubmitted: $s"
	assert_equal "$(jq .completed_bytes <<<"$s")" $size
	assert_equal "$(jq .submitted_bytes <<<"$s")" $size
	assert_equal "$(jq .completed_reads <<<"$s")" "$(jq .submitted_reads <<<"$s")"
	assert_equal "$(jq -r .crc32 <<<"$s")" "$(pycrc "$f")"
}

@test "--nowait is refused with --path passthrough (one line, exit 2)" {
	run --separate-stderr "$T" --nowait --path passthrough /dev/null
	assert_usage_error --nowait
}
