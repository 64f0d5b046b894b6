#!/usr/bin/env bats
# nvme-gpu-ingest over many sources at once (issue 16 §1): one ring per
# device in worker threads, per-source and per-device records whose counters
# add up to the run's summary, directories, --rw randread, the fio/gdsio
# option names, registered files, CPU pinning, the limits io_uring and
# RLIMIT_MEMLOCK impose.  Sizes are the ones the test wrote (stat), checksums
# Python's zlib, op counts fio's, syscalls strace's.

load test_helper

setup() {
	require_tool nvme-gpu-ingest
	require_io_uring
	T=$(bin nvme-gpu-ingest)
	D=$(mktemp -d)
	LOOPS=()
}

teardown() {
	local l
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$D"
}

# crc32 of a whole file, by an independent implementation.
pycrc() {
	python3 -c 'import sys,zlib; print("%08x" % zlib.crc32(open(sys.argv[1],"rb").read()))' "$1"
}

sel() { jq -r "select(.type==\"$1\") | $2" <<<"$output"; }

SEED="submitted_bytes completed_bytes submitted_reads completed_reads registered_mapped_read_submissions gpudirect_nvme_submissions cpu_bounce_bytes failed_completions"

# Every seed counter: the sum over records of TYPE equals the summary's.
assert_parts_sum() { # TYPE
	local c sum tot
	for c in $SEED; do
		sum=$(jq -s "map(select(.type==\"$1\") | .$c) | add" <<<"$output")
		tot=$(sel summary ".$c")
		assert_equal "$1 $c $sum" "$1 $c $tot"
	done
}

# loopdev SIZE: a loop device over a new backing file of SIZE bytes of random data.
loopdev() {
	local f
	f=$(mktemp "$D/backing.XXXXXX")
	head -c "$1" /dev/urandom >"$f"
	l=$(losetup -f --show "$f" 2>/dev/null) || skip "no loop devices here"
	LOOPS+=("$l")
	BACK[$l]=$f
}

@test "three loop devices and a file: one ring each, per-source bytes are the sizes written, the parts add up to the total" {
	require_cmd losetup
	declare -A BACK
	loopdev $((8 * 1048576))
	loopdev $((5 * 1048576 + 512))
	loopdev $((3 * 1048576))
	head -c 777777 /dev/urandom >"$D/plain"
	run --separate-stderr "$T" -j --threads 4 --validate --verify "${LOOPS[@]}" "$D/plain"
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_json_lines "$output"
	for l in "${LOOPS[@]}"; do
		want=$(stat -c %s "${BACK[$l]}")
		assert_equal "$l $(sel source "select(.source==\"$l\") | .completed_bytes")" "$l $want"
		assert_equal "$l $(sel source "select(.source==\"$l\") | .device")" "$l ${l#/dev/}"
		assert_equal "$l $(sel event "select(.source==\"$l\") | .crc32_landed")" "$l $(pycrc "${BACK[$l]}")"
	done
	assert_equal "$(sel source "select(.source==\"$D/plain\") | .completed_bytes")" 777777
	# each loop device is a device of its own, read by a ring of its own
	for l in "${LOOPS[@]}"; do
		assert_equal "$(sel device "select(.device==\"${l#/dev/}\") | .threads")" 1
	done
	assert_equal "$(sel source .worker | sort -u | wc -l)" 4
	assert_equal "$(sel summary .threads)" 4
	assert_equal "$(sel summary .devices)" 4
	assert_equal "$(sel summary .sources)" 4
	assert_equal "$(sel summary .complete)" true
	assert_parts_sum source
	assert_parts_sum device
	assert_equal "$(sel summary .completed_bytes)" \
		$(( $(stat -c %s "${BACK[${LOOPS[0]}]}") + $(stat -c %s "${BACK[${LOOPS[1]}]}") + $(stat -c %s "${BACK[${LOOPS[2]}]}") + 777777 ))
	for f in iops lat_mean_us lat_p50_us lat_p90_us lat_p99_us lat_p999_us lat_max_us; do
		[ "$(sel device ".$f | . > 0" | sort -u)" = true ] || fail "device $f not > 0: $(sel device ".$f")"
	done
	[ "$(sel summary '.cpu_s_per_gib > 0')" = true ] || fail "summary cpu_s_per_gib"
}

@test "default threads: one per device, capped by the CPUs" {
	require_cmd losetup
	declare -A BACK
	loopdev $((1048576))
	loopdev $((1048576))
	loopdev $((1048576))
	run --separate-stderr "$T" -j "${LOOPS[@]}"
	assert_success
	ncpu=$(nproc)
	want=$(( ncpu < 3 ? ncpu : 3 ))
	assert_equal "$(sel summary .threads)" "$want"
	assert_equal "$(sel summary .devices)" 3
	assert_parts_sum device
}

@test "a directory is every regular file directly in it (no subdirectory, no symlink), each byte-exact" {
	mkdir -p "$D/dir/sub"
	head -c 1 /dev/urandom >"$D/dir/a"
	head -c 4097 /dev/urandom >"$D/dir/b"
	head -c $((2 * 1048576 + 3)) /dev/urandom >"$D/dir/.c"
	head -c 99 /dev/urandom >"$D/dir/sub/nested"
	ln -s "$D/dir/a" "$D/dir/link"
	: >"$D/dir/empty"
	run --separate-stderr "$T" -j --verify --validate --threads 2 "$D/dir"
	assert_success
	assert_equal "$(sel source .source | sort | tr '\n' ' ')" "$D/dir/.c $D/dir/a $D/dir/b $D/dir/empty "
	for f in a b .c empty; do
		assert_equal "$f $(sel source "select(.source==\"$D/dir/$f\") | .completed_bytes")" "$f $(stat -c %s "$D/dir/$f")"
		[ "$f" = empty ] && continue
		assert_equal "$f $(sel event "select(.source==\"$D/dir/$f\") | .crc32_landed")" "$f $(pycrc "$D/dir/$f")"
	done
	assert_parts_sum source
}

@test "randread reads every block once in scattered order: op counts equal bytes/bs and fio's, checksums hold" {
	require_cmd fio
	head -c $((4 * 1048576)) /dev/urandom >"$D/r1"
	head -c $((2 * 1048576)) /dev/urandom >"$D/r2"
	run --separate-stderr "$T" -j --rw randread --bs 4k --iodepth 32 --verify --validate "$D/r1" "$D/r2"
	assert_success
	assert_equal "$(sel summary .rw)" randread
	assert_equal "$(sel summary .chunk)" 4096
	assert_equal "$(sel summary .qd)" 32
	assert_equal "$(sel source "select(.source==\"$D/r1\") | .completed_reads")" 1024
	assert_equal "$(sel source "select(.source==\"$D/r2\") | .completed_reads")" 512
	assert_equal "$(sel event "select(.source==\"$D/r1\") | .match")" true
	assert_equal "$(sel event "select(.source==\"$D/r2\") | .match")" true
	# fio's randread over the same file, random map on: one read per block too
	fio_ios=$(fio --name=r --filename="$D/r1" --rw=randread --bs=4k --iodepth=32 --ioengine=io_uring \
		--invalidate=0 --output-format=json | jq '.jobs[0].read.total_ios')
	assert_equal "$(sel source "select(.source==\"$D/r1\") | .completed_reads")" "$fio_ios"
}

@test "fio and gdsio names: --bs --iodepth --size equal --chunk --qd --length" {
	head -c $((3 * 1048576)) /dev/urandom >"$D/f"
	run --separate-stderr "$T" -j --bs 64k --iodepth 4 --size 1000000 "$D/f"
	assert_success
	a=$(sel summary '[.chunk, .qd, .completed_bytes, .submitted_reads] | @tsv')
	run --separate-stderr "$T" -j --chunk 64k --qd 4 --length 1000000 "$D/f"
	assert_success
	assert_equal "$a" "$(sel summary '[.chunk, .qd, .completed_bytes, .submitted_reads] | @tsv')"
	assert_equal "$a" "$(printf '65536\t4\t1000000\t16')"
}

@test "registered files: strace sees IORING_REGISTER_FILES for every ring, and the summary says so" {
	require_cmd strace
	head -c 1048576 /dev/urandom >"$D/x"
	head -c 1048576 /dev/urandom >"$D/y"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" # LSan cannot run under ptrace
	run --separate-stderr strace -f -qq -e trace=io_uring_register -o "$D/trace" "$T" -j --threads 2 "$D/x" "$D/y"
	assert_success
	assert_equal "$(grep -c 'IORING_REGISTER_FILES' "$D/trace")" 2
	assert_equal "$(grep -c 'IORING_REGISTER_BUFFERS' "$D/trace")" 2
	assert_equal "$(sel summary .registered_files)" true
}

@test "--cpus pins each worker thread; SIGINT stops a --runtime run cleanly" {
	head -c $((4 * 1048576)) /dev/urandom >"$D/p1"
	head -c $((4 * 1048576)) /dev/urandom >"$D/p2"
	last=$(( $(nproc) - 1 ))
	env --default-signal=INT "$T" -j --threads 2 --cpus "$last" --runtime 60s --rw randread --bs 4k \
		"$D/p1" "$D/p2" >"$D/out" 2>"$D/err" &
	pid=$!
	wait_until 30 caught "$pid" || fail "never started: $(cat "$D/err")"
	pinned() {
		local n=0 t
		for t in /proc/"$pid"/task/*; do
			[ "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status" 2>/dev/null)" = "$last" ] && n=$((n + 1))
		done
		[ "$n" -ge 2 ]
	}
	wait_until 30 pinned || fail "workers not pinned to $last"
	stop_clean INT "$pid" "$D/out" "$D/err"
	output=$(cat "$D/out")
	assert_equal "$(sel summary .stopped_by)" SIGINT
	assert_equal "$(sel summary .inflight_reads)" 0
	assert_parts_sum source
}

@test "limits io_uring and RLIMIT_MEMLOCK impose are refused before trying, with the fix" {
	head -c 4096 /dev/urandom >"$D/f"
	run --separate-stderr "$T" --slots 16385 --qd 16 "$D/f"
	assert_usage_error "--slots 16385"
	[[ "$stderr" == *16384* ]] || fail "$stderr"
	run --separate-stderr "$T" --chunk 2G "$D/f"
	assert_usage_error "--chunk"
	run --separate-stderr "$T" --rw write "$D/f"
	assert_usage_error "--rw"
	run --separate-stderr "$T" --cpus x "$D/f"
	assert_usage_error "--cpus"
	run --separate-stderr "$T" --numa 1023 "$D/f"
	assert_usage_error "--numa"
	require_cmd capsh
	require_cmd prlimit
	run --separate-stderr prlimit --memlock=65536 capsh --drop=cap_ipc_lock -- -c \
		"exec '$T' --slots 16 --chunk 1M '$D/f'"
	assert_equal "$status" 1
	[[ "$stderr" == *RLIMIT_MEMLOCK*"fix: "*"ulimit -l"* ]] || fail "$stderr"
	assert_equal "$(grep -c . <<<"$stderr")" 1
}

@test "--numa: a node that exists is used for the slot memory; off uses none" {
	head -c 1048576 /dev/urandom >"$D/f"
	head -c 1048576 /dev/urandom >"$D/g"
	run --separate-stderr "$T" -j --numa 0 --threads 2 "$D/f" "$D/g"
	assert_success
	assert_equal "$(sel source .slot_numa_node | sort -u)" 0
	run --separate-stderr "$T" -j --numa off --threads 2 "$D/f" "$D/g"
	assert_success
	assert_equal "$(sel source .slot_numa_node | sort -u)" -1
}

@test "NVMe under QEMU TCG: passthrough over two names of one namespace is one device; IOPOLL only when asked or polled queues exist" {
	require_cmd python3
	head -c $((8 * 1048576)) /dev/urandom >"$D/disk.img"
	run --separate-stderr "$TELKIT_ROOT/tests/vm/run" --disk "$D/disk.img" "$TELKIT_ROOT/tests/vm/nvme-ingest.sh" multi
	[ "$status" -ne 77 ] || skip "$stderr"
	log=$output
	grep -q '^INGEST-DONE' <<<"$log" || fail "guest did not finish: $(tail -20 <<<"$log") $stderr"
	echo "$log" | grep '^INGEST-' >&3 || true
	recs() { sed -n "s/^INGEST-JSON $1 //p" <<<"$log" | jq -c "select(.type==\"$2\")"; }
	rc() { sed -n "s/^INGEST-RC $1 //p" <<<"$log"; }
	crc4m=$(python3 -c 'import sys,zlib; print("%08x" % zlib.crc32(open(sys.argv[1],"rb").read(4 << 20)))' "$D/disk.img")
	# two names of the namespace: two sources, one device, each 4 MiB, byte-exact
	assert_equal "$(rc pt-two)" 0
	assert_equal "$(recs pt-two summary | jq -c '[.devices, .sources, .completed_bytes, .cpu_bounce_bytes]')" "[1,2,$((8 << 20)),0]"
	assert_equal "$(recs pt-two source | jq -r .completed_bytes | sort -u)" $((4 << 20))
	assert_equal "$(recs pt-two device | jq -r .device)" ng0n1
	assert_equal "$(sed -n 's/^INGEST-JSON pt-two //p' <<<"$log" | jq -r 'select(.event=="verify") | .crc32_source' | sort -u)" "$crc4m"
	assert_equal "$(sed -n 's/^INGEST-JSON pt-two //p' <<<"$log" | jq -r 'select(.event=="verify") | .match' | sort -u)" true
	# without poll queues (sysfs queue/io_poll 0) completions are by interrupt
	iopoll=$(sed -n 's/^INGEST-IOPOLL //p' <<<"$log")
	if [ "$iopoll" = 0 ]; then
		assert_equal "$(recs pt-two summary | jq -r .completions)" interrupt
	fi
	# --hipri: polled and byte-exact, or one line naming the missing poll queues
	if [ "$(rc pt-hipri)" = 0 ]; then
		assert_equal "$(recs pt-hipri summary | jq -r '.completions, (.ring_flags | test("IOPOLL"))' | tr '\n' ' ')" "polled true "
		assert_equal "$(recs pt-hipri summary | jq -r .crc32)" "$crc4m"
	else
		assert_equal "$(rc pt-hipri)" 1
		grep -q '^INGEST-ERR pt-hipri .*poll queues' <<<"$log" || fail "$(grep pt-hipri <<<"$log")"
	fi
	# randread over passthrough: every 4 KiB block once
	assert_equal "$(rc pt-rand)" 0
	assert_equal "$(recs pt-rand summary | jq -c '[.rw, .completed_reads, .completed_bytes]')" "[\"randread\",512,$((2 << 20))]"
}

@test "buffered latency counts a read that completes inside the submit call, as fio's lat does" {
	require_cmd fio
	# 64 MiB in the page cache, 16 MiB reads one at a time: io_uring copies
	# each read inside io_uring_enter, so a clock started after the submit
	# returned would see microseconds where fio's submission-to-completion
	# lat sees the milliseconds of the copy.
	head -c $((64 * 1048576)) /dev/urandom >"$D/c"
	cat "$D/c" >/dev/null
	run --separate-stderr "$T" -j --chunk 16M --qd 1 "$D/c"
	assert_success
	ours_ns=$(sel summary '.lat_p50_us * 1000 | floor')
	fio_ns=$(fio --name=p --filename="$D/c" --rw=read --bs=16M --iodepth=1 --ioengine=io_uring \
		--invalidate=0 --output-format=json | jq '.jobs[0].read.lat_ns.mean | floor')
	[ "$fio_ns" -gt 100000 ] || skip "fio's 16 MiB buffered read took ${fio_ns} ns: not copied inline here"
	# within 20x of fio's mean either way (a loaded host moves both)
	[ $((ours_ns * 20)) -ge "$fio_ns" ] || fail "p50 ${ours_ns} ns is far below fio's lat ${fio_ns} ns"
	[ "$ours_ns" -le $((fio_ns * 20)) ] || fail "p50 ${ours_ns} ns is far above fio's lat ${fio_ns} ns"
}

@test "--numa puts back the memory policy the process started with (numactl's), not the default" {
	require_cmd strace
	head -c 1048576 /dev/urandom >"$D/f"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" # LSan cannot run under ptrace
	# as `numactl --interleave=0` would: set_mempolicy(MPOL_INTERLEAVE, {0}) then exec
	run --separate-stderr python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
mask = ctypes.c_ulong(1)
if libc.syscall(238, 3, ctypes.byref(mask), 65) != 0:   # SYS_set_mempolicy, MPOL_INTERLEAVE
    sys.exit("set_mempolicy: %s" % os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])' \
		strace -qq -e trace=set_mempolicy -o "$D/trace" "$T" -j --numa 0 "$D/f"
	assert_success
	# the slot memory's preference, then the inherited policy back
	assert_equal "$(grep -c 'set_mempolicy(MPOL_PREFERRED' "$D/trace")" 1
	tail -n 1 "$D/trace" | grep -q 'set_mempolicy(MPOL_INTERLEAVE, \[0x0*1' ||
		fail "the last policy set is not the inherited interleave: $(tail -n 1 "$D/trace")"
}
