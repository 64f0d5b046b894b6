#!/usr/bin/env bats
# nvme-gpu-ingest: registered READ_FIXED ingest, telemetry, validate, verify,
# faults and signals.  Byte counts are checked against stat(1), checksums
# against Python's zlib.crc32 of the file, zero-copy against strace(1).

load test_helper

setup() {
	require_tool nvme-gpu-ingest
	require_io_uring
	T=$(bin nvme-gpu-ingest)
	D=$(mktemp -d)
}

teardown() {
	[ -n "${LOOPDEV:-}" ] && losetup -d "$LOOPDEV" 2>/dev/null
	rm -rf "$D"
}

# crc32 of bytes [off, off+len) of a file, by an independent implementation.
pycrc() {
	python3 -c 'import sys,zlib
f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2]))
n=int(sys.argv[3]); d=f.read(n) if n>=0 else f.read()
print("%08x" % zlib.crc32(d))' "$1" "${2:-0}" "${3:--1}"
}

field() { jq -r "select(.type==\"summary\") | .$1" <<<"$output"; }

check_file() { # FILE [extra options]
	local f=$1 size
	shift
	size=$(stat -c %s "$f")
	run --separate-stderr "$T" -j --verify --validate "$@" "$f"
	assert_success
	assert_json_lines "$output"
	assert_equal "$(field completed_bytes)" "$size"
	assert_equal "$(field submitted_bytes)" "$size"
	assert_equal "$(field cpu_bounce_bytes)" 0
	assert_equal "$(field failed_completions)" 0
	assert_equal "$(field inflight_reads)" 0
	assert_equal "$(field complete)" true
	assert_equal "$(field target)" host
	assert_equal "$(field submitted_reads)" "$(( (size + 1048575) / 1048576 ))"
	assert_equal "$(field registered_mapped_read_submissions)" "$(field submitted_reads)"
	assert_equal "$(field crc32)" "$(pycrc "$f")"
	[ -z "$stderr" ] || fail "unexpected stderr: $stderr"
}

make_sizes() {
	: >"$D/s0"
	head -c 1 /dev/urandom >"$D/s1"
	head -c 4095 /dev/urandom >"$D/s4095"
	head -c 4097 /dev/urandom >"$D/s4097"
	head -c $((64 * 1048576 + 13)) /dev/urandom >"$D/s64m13"
}

@test "odd file sizes, buffered: every byte lands once, crc32 equals zlib's, zero bounce, validate passes" {
	make_sizes
	for f in s0 s1 s4095 s4097 s64m13; do
		check_file "$D/$f"
	done
}

@test "odd file sizes, O_DIRECT: final partial block read rounded up, only file bytes counted" {
	make_sizes
	probe_fd=$(python3 -c 'import os,sys
try: os.close(os.open(sys.argv[1], os.O_RDONLY|os.O_DIRECT)); print("ok")
except OSError as e: print(e)' "$D/s1")
	[ "$probe_fd" = ok ] || skip "file system of $D has no O_DIRECT: $probe_fd"
	for f in s0 s1 s4095 s4097 s64m13; do
		check_file "$D/$f" --direct
		assert_equal "$(field direct)" true
	done
}

@test "offset, length, small chunks, several sources and loops are accounted exactly" {
	head -c 300000 /dev/urandom >"$D/a"
	head -c 70001 /dev/urandom >"$D/b"
	run --separate-stderr "$T" -j --verify --validate --chunk 4k --qd 4 --offset 8192 --length 100000 "$D/a"
	assert_success
	assert_equal "$(field completed_bytes)" 100000
	assert_equal "$(field submitted_reads)" 25
	assert_equal "$(field crc32)" "$(pycrc "$D/a" 8192 100000)"
	run --separate-stderr "$T" -j --verify --validate --chunk 64k --loop 3 "$D/a" "$D/b"
	assert_success
	assert_equal "$(field completed_bytes)" $(( 3 * (300000 + 70001) ))
	assert_equal "$(field submitted_reads)" $(( 3 * (5 + 2) ))
	assert_equal "$(jq -r 'select(.event=="verify" and .match) | .crc32_source' <<<"$output" | tr '\n' ' ')" \
		"$(pycrc "$D/a") $(pycrc "$D/b") "
}

@test "zero CPU bounce: strace sees buffers registered and no read syscall on the data file" {
	require_cmd strace
	# LeakSanitizer cannot run under ptrace (SANITIZE=1 builds)
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	head -c $((8 * 1048576 + 5)) /dev/urandom >"$D/data"
	run strace -f -y -qq -o "$D/trace" -e trace=io_uring_setup,io_uring_register,read,pread64,readv,preadv,preadv2,mmap \
		"$T" --validate "$D/data"
	assert_success
	grep -q 'io_uring_register(.*IORING_REGISTER_BUFFERS' "$D/trace" ||
		fail "no IORING_REGISTER_BUFFERS: $(grep io_uring "$D/trace")"
	if grep -E "(read|pread64|readv|preadv2?)\([0-9]+<$D/data>" "$D/trace"; then
		fail "the data file was read with a syscall into a user buffer"
	fi
	# the same check sees reads when they do happen (the test can fail)
	run strace -f -y -qq -o "$D/trace2" -e trace=read,pread64 "$T" --verify "$D/data"
	grep -qE "pread64\([0-9]+<$D/data>" "$D/trace2" || fail "--verify re-read not visible to strace"
}

@test "kernel's view (BPF on io_uring tracepoints): only READ_FIXED submitted, its bytes equal completed_bytes" {
	require_bpf
	require_btf
	head -c $((16 * 1048576 + 4097)) /dev/urandom >"$D/data"
	for mode in "" --direct; do
		run --separate-stderr "$(helper ingest_ops)" "$T" -j --validate $mode "$D/data"
		[ "$status" -ne 77 ] || skip "$stderr"
		assert_success
		k=$(tail -1 <<<"$stderr")
		assert_equal "$(jq .status <<<"$k")" 0
		assert_equal "$(jq -c '.ops | keys' <<<"$k")" '["READ_FIXED"]'
		assert_equal "$(jq .ops.READ_FIXED <<<"$k")" "$(field submitted_reads)"
		assert_equal "$(jq .read_fixed_bytes <<<"$k")" "$(field completed_bytes)"
		assert_equal "$(jq .read_fixed_bytes <<<"$k")" $((16 * 1048576 + 4097))
	done
	# the same probe sees plain reads when a peer does them (the check can fail)
	require_cmd fio
	run --separate-stderr "$(helper ingest_ops)" fio --thread --name=p --filename="$D/data" \
		--ioengine=io_uring --rw=read --bs=1M --iodepth=4 --output=/dev/null
	k=$(tail -1 <<<"$stderr")
	[ "$(jq '.ops.READ // 0' <<<"$k")" -gt 0 ] || fail "READ not seen for fio: $k"
	assert_equal "$(jq '.ops.READ_FIXED // 0' <<<"$k")" 0
}

@test "validate rules: each violation names its rule and a fix, exit 3 (--check on saved summaries)" {
	ok='{"tool":"x","type":"summary","ts_ns":1,"path":"registered","submitted_bytes":10,"completed_bytes":10,"submitted_reads":2,"completed_reads":2,"registered_mapped_read_submissions":2,"gpudirect_nvme_submissions":0,"cpu_bounce_bytes":0,"failed_completions":0}'
	echo "$ok" >"$D/ok.json"
	run --separate-stderr "$T" --check "$D/ok.json"
	assert_success
	for c in 'cpu_bounce_bytes=5 cpu_bounce_bytes' \
		 'failed_completions=1 failed_completions' \
		 'submitted_reads=3 inflight_reads' \
		 'completed_bytes=9 byte_accounting' \
		 'registered_mapped_read_submissions=1 wrong_path' \
		 'gpudirect_nvme_submissions=1 mixed_path'; do
		set -- $c
		jq -c ".${1%%=*} = ${1#*=}" <<<"$ok" >"$D/bad.json"
		run --separate-stderr "$T" --check "$D/bad.json"
		assert_equal "$status" 3
		[[ "$stderr" == *"rule $2 failed"* ]] || fail "$1: expected rule $2, got: $stderr"
		[[ "$stderr" == *"fix: "* ]] || fail "$1: no fix: $stderr"
	done
	# completed but failed reads: read accounting breaks too
	jq -c '.completed_reads = 1 | .failed_completions = 1' <<<"$ok" >"$D/bad.json"
	run --separate-stderr "$T" --check "$D/bad.json"
	assert_equal "$status" 3
	[[ "$stderr" == *"rule read_accounting failed"* ]] || fail "$stderr"
	# a passthrough summary is checked against the passthrough counter
	jq -c '.path = "passthrough"' <<<"$ok" >"$D/bad.json"
	run --separate-stderr "$T" --check "$D/bad.json"
	assert_equal "$status" 3
	[[ "$stderr" == *"rule wrong_path failed"* && "$stderr" == *"rule mixed_path failed"* ]] || fail "$stderr"
	echo '{"type":"summary","path":"registered"}' >"$D/bad.json"
	run --separate-stderr "$T" --check "$D/bad.json"
	assert_usage_error "submitted_bytes"
}

@test "a real run's JSON summary passes --check; samples carry the counters" {
	head -c $((32 * 1048576)) /dev/urandom >"$D/data"
	"$T" -j -i 1ms --chunk 64k --qd 2 --loop 4 "$D/data" >"$D/run.json"
	assert_json_lines "$(cat "$D/run.json")"
	[ "$(jq -r 'select(.type=="sample") | .tool' "$D/run.json" | sort -u)" = nvme-gpu-ingest ] ||
		fail "no sample records: $(head -3 "$D/run.json")"
	jq -s -e '[.[] | select(.type=="sample")] | length > 0 and
		all(.ts_ns > 0 and .interval_ns > 0 and .cpu_bounce_bytes == 0 and .path == "registered")' "$D/run.json" >/dev/null
	run "$T" --check "$D/run.json"
	assert_success
}

@test "the man page names every counter a sample record carries" {
	head -c $((8 * 1048576)) /dev/urandom >"$D/data"
	run --separate-stderr "$T" -j -i 1ms --chunk 4k --qd 1 --loop 8 "$D/data"
	assert_success
	keys=$(jq -r 'select(.type=="sample") | keys_unsorted[]' <<<"$output" | sort -u |
		grep -vxE 'tool|type|ts_ns|path|target' || true)
	[ -n "$keys" ] || fail "no sample record: $output"
	for k in $keys; do
		grep -qw -- "$k" "$TELKIT_ROOT/man/nvme-gpu-ingest.8" || fail "man/nvme-gpu-ingest.8 does not name $k"
	done
}

@test "unreadable and missing paths: one clear line, exit 1" {
	run --separate-stderr "$T" "$D/missing"
	assert_equal "$status" 1
	[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "$stderr"
	[[ "$stderr" == *"No such file"*"fix: "* ]] || fail "$stderr"
	echo x >"$D/secret"
	chmod 000 "$D/secret"
	chmod 755 "$D"
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
		run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$T" "$D/secret"
	else
		run --separate-stderr "$T" "$D/secret"
	fi
	assert_equal "$status" 1
	[[ "$stderr" == *"Permission denied"*"fix: "* ]] || fail "$stderr"
	# (a directory is now a source: every regular file in it, tests/41)
	run --separate-stderr "$T" -j /dev/null
	assert_equal "$status" 1
	assert_equal "$(jq -r 'select(.type=="error") | .fix != null' <<<"$output")" true
}

@test "file truncated while being read: failed completion counted, clear message, exit 1, validate lists the rules" {
	head -c $((4 * 1048576)) /dev/urandom >"$D/data"
	"$T" -j --validate --loop 1000000 "$D/data" >"$D/out" 2>"$D/err" &
	pid=$!
	wait_until 30 holds_file "$pid" "$D/data" || fail "never opened: $(cat "$D/err")"
	sleep 0.1
	truncate -s 100 "$D/data"
	wait $pid && rc=0 || rc=$?
	assert_equal "$rc" 1
	grep -q 'truncated while reading' "$D/err" || fail "$(cat "$D/err")"
	grep -q 'rule failed_completions failed' "$D/err" || fail "$(cat "$D/err")"
	s=$(jq -c 'select(.type=="summary")' "$D/out")
	[ "$(jq .failed_completions <<<"$s")" -ge 1 ] || fail "$s"
	assert_equal "$(jq .inflight_reads <<<"$s")" 0
	assert_equal "$(jq .complete <<<"$s")" false
}

@test "read error (loop device over a truncated backing file): EIO counted, exit 1" {
	require_root
	require_cmd losetup
	head -c $((8 * 1048576)) /dev/urandom >"$D/backing"
	LOOPDEV=$(losetup -f --show "$D/backing" 2>/dev/null) || skip "no loop devices here"
	truncate -s 1M "$D/backing"
	for mode in "" --direct; do
		run --separate-stderr "$T" -j --validate $mode "$LOOPDEV"
		assert_equal "$status" 1
		[[ "$stderr" == *"Input/output error"* ]] || fail "$stderr"
		assert_equal "$(field completed_bytes)" 1048576
		[ "$(field failed_completions)" -ge 1 ] || fail "$output"
		assert_equal "$(field inflight_reads)" 0
		assert_equal "$(field cpu_bounce_bytes)" 0
	done
}

@test "SIGINT mid-run drains the ring and prints the partial summary, exit 0" {
	head -c $((4 * 1048576)) /dev/urandom >"$D/data"
	"$T" -j --loop 1000000 "$D/data" >"$D/out" 2>"$D/err" &
	pid=$!
	wait_until 5 caught $pid || fail "never caught SIGINT"
	sleep 0.4
	kill -INT $pid
	wait $pid && rc=0 || rc=$?
	assert_equal "$rc" 0
	s=$(jq -c 'select(.type=="summary")' "$D/out")
	[ -n "$s" ] || fail "no summary: $(cat "$D/out" "$D/err")"
	assert_equal "$(jq -r .stopped_by <<<"$s")" SIGINT
	assert_equal "$(jq .complete <<<"$s")" false
	assert_equal "$(jq .inflight_reads <<<"$s")" 0
	assert_equal "$(jq '.submitted_bytes == .completed_bytes and .submitted_reads == .completed_reads' <<<"$s")" true
	[ "$(jq .completed_bytes <<<"$s")" -gt 0 ] || fail "$s"
	# the partial snapshot is still a valid zero-copy run
	echo "$s" | "$T" --check -
}

@test "stdout closed early exits quietly" {
	head -c $((4 * 1048576)) /dev/urandom >"$D/data"
	run bash -c "'$T' -j -i 1ms --loop 2000 '$D/data' | head -1"
	assert_success
	assert_json_lines "$output"
}

@test "cuda targets without libcuda: one line naming it and the fix, exit 1" {
	if "$(helper probe)" gpu >/dev/null 2>&1; then
		skip "libcuda and a GPU are present: covered by the GPU issue"
	fi
	echo data >"$D/f"
	for t in cuda-host cuda-device; do
		run --separate-stderr "$T" --target $t "$D/f"
		assert_equal "$status" 1
		[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "$stderr"
		[[ "$stderr" == *"libcuda.so.1"*"fix: install the NVIDIA driver"*"--target host"* ]] || fail "$stderr"
	done
}

@test "passthrough refuses what is not an NVMe namespace" {
	echo data >"$D/f"
	run --separate-stderr "$T" --path passthrough "$D/f"
	assert_equal "$status" 1
	[[ "$stderr" == *"not an NVMe namespace"* ]] || fail "$stderr"
	run --separate-stderr "$T" --path passthrough /dev/nvme0n1p1
	assert_equal "$status" 1
}

@test "probe: io_uring opcodes and NVMe devices are facts" {
	run --separate-stderr "$T" -j --probe
	assert_success
	assert_json_lines "$output"
	assert_equal "$(jq -r 'select(.item=="io_uring_op" and .name=="READ_FIXED") | .supported' <<<"$output")" true
	ngs=$(ls /dev/ng*n* 2>/dev/null | wc -l)
	if [ "$ngs" -eq 0 ]; then
		assert_equal "$(jq -r 'select(.item=="nvme_generic") | .supported' <<<"$output")" false
	else
		assert_equal "$(jq -r 'select(.item=="nvme_generic") | .name' <<<"$output" | wc -l)" "$ngs"
	fi
	jq -s -e '[.[] | select(.item=="cuda")] | length == 1 and all(has("supported"))' <<<"$output" >/dev/null
}

@test "usage errors are one line naming the option" {
	run --separate-stderr "$T" --path sideways /dev/null
	assert_usage_error "sideways"
	run --separate-stderr "$T" --target tpu /dev/null
	assert_usage_error "tpu"
	run --separate-stderr "$T" --chunk 1000 /dev/null
	assert_usage_error "--chunk"
	run --separate-stderr "$T" --qd 8 --slots 4 /dev/null
	assert_usage_error "--slots"
	run --separate-stderr "$T" --direct --offset 100 /dev/null
	assert_usage_error "--offset"
	run --separate-stderr "$T"
	assert_usage_error "FILE"
}

@test "real NVMe under QEMU TCG: registered and passthrough paths land the disk's bytes" {
	require_cmd python3
	head -c $((32 * 1048576)) /dev/urandom >"$D/disk.img"
	run --separate-stderr "$TELKIT_ROOT/tests/vm/run" --disk "$D/disk.img" "$TELKIT_ROOT/tests/vm/nvme-ingest.sh"
	[ "$status" -ne 77 ] || skip "$stderr"
	log=$output
	[ -z "$stderr" ] || echo "$stderr" >&3
	grep -q '^INGEST-DONE' <<<"$log" || fail "guest did not finish: $(tail -20 <<<"$log")"
	echo "$log" | grep '^INGEST-' >&3 || true
	js() { sed -n "s/^INGEST-JSON $1 //p" <<<"$log" | jq -c "select(.type==\"summary\")"; }
	rc() { sed -n "s/^INGEST-RC $1 //p" <<<"$log"; }
	# Identify Namespace agrees with the disk QEMU was given
	ng=$(sed -n 's/^INGEST-JSON probe //p' <<<"$log" | jq -c 'select(.item=="nvme_generic")')
	assert_equal "$(jq -r .name <<<"$ng")" /dev/ng0n1
	assert_equal "$(jq .capacity_bytes <<<"$ng")" $((32 * 1048576))
	assert_equal "$(jq .lba_size <<<"$ng")" 512
	for c in "reg-buffered 0 -1 registered" "reg-direct 0 -1 registered" \
		 "pt-ng 0 -1 passthrough" "pt-nvme 8192 1000001 passthrough" \
		 "reg-direct-tail 4096 4097 registered"; do
		set -- $c
		s=$(js "$1")
		[ -n "$s" ] || fail "$1: no summary"
		assert_equal "$(rc "$1")" 0
		len=$3
		[ "$len" -ge 0 ] || len=$((32 * 1048576 - $2))
		assert_equal "$(jq .completed_bytes <<<"$s")" "$len"
		assert_equal "$(jq -r .crc32 <<<"$s")" "$(pycrc "$D/disk.img" "$2" "$3")"
		assert_equal "$(jq -r .path <<<"$s")" "$4"
		assert_equal "$(jq '.cpu_bounce_bytes + .failed_completions + .inflight_reads' <<<"$s")" 0
		if [ "$4" = passthrough ]; then
			assert_equal "$(jq '.gpudirect_nvme_submissions == .submitted_reads and .registered_mapped_read_submissions == 0' <<<"$s")" true
		else
			assert_equal "$(jq '.registered_mapped_read_submissions == .submitted_reads and .gpudirect_nvme_submissions == 0' <<<"$s")" true
		fi
	done
}

# Identify Namespace bytes laid out from the NVMe spec by Python:
# idns NSZE NLBAF FLBAS "idx:ms:ds ..." -> 4096-byte file
idns() {
	python3 - "$@" <<'PY'
import struct, sys
nsze, nlbaf, flbas, fmts = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3], 0), sys.argv[4]
b = bytearray(4096)
struct.pack_into("<Q", b, 0, nsze)
b[25], b[26] = nlbaf, flbas
for f in fmts.split():
	i, ms, ds = (int(x) for x in f.split(":"))
	struct.pack_into("<HBB", b, 128 + 4 * i, ms, ds, 0)
sys.stdout.buffer.write(bytes(b))
PY
}

@test "NVMe Identify Namespace decoding: LBA format index, sizes, and hostile input" {
	H=$(helper ingest_nvme_id)
	[ -x "$H" ] || skip "helper ingest_nvme_id not built"
	run bash -c "$(declare -f idns); idns 65536 1 0 '0:0:9 1:0:12' | '$H'"
	assert_output "rc=0 nsze=65536 lba_size=512 lbaf=0 ms=0 extended=0"
	run bash -c "$(declare -f idns); idns 1000 1 1 '0:0:9 1:8:12' | '$H'"
	assert_output "rc=0 nsze=1000 lba_size=4096 lbaf=1 ms=8 extended=0"
	# more than 16 formats: FLBAS bits 6:5 are bits 5:4 of the index (0x22 -> 18)
	run bash -c "$(declare -f idns); idns 7 19 0x32 '2:0:9 18:16:12' | '$H'"
	assert_output "rc=0 nsze=7 lba_size=4096 lbaf=18 ms=16 extended=1"
	# with 16 or fewer formats bits 6:5 are ignored
	run bash -c "$(declare -f idns); idns 7 3 0x62 '2:0:9' | '$H'"
	assert_output "rc=0 nsze=7 lba_size=512 lbaf=2 ms=0 extended=0"
	for bad in "8 1 2 '0:0:9'" "8 1 0 '0:0:0'" "8 1 0 '0:0:40'" "8 70 0 '0:0:9'" \
		   "0 1 0 '0:0:9'" "18446744073709551615 1 0 '0:0:12'"; do
		run bash -c "$(declare -f idns); idns $bad | '$H'"
		[[ "$output" == rc=-* ]] || fail "accepted bad identify data ($bad): $output"
	done
	run bash -c "head -c 100 /dev/zero | '$H'"
	assert_output --partial "rc=-22"
	for _ in $(seq 200); do
		head -c 4096 /dev/urandom | "$H" >/dev/null || fail "crashed on random input"
	done
	run "$H" name /dev/nvme0n1;   assert_output "rc=0 /dev/ng0n1"
	run "$H" name nvme12n3;       assert_output "rc=0 /dev/ng12n3"
	run "$H" name /dev/ng1n1;     assert_output "rc=0 /dev/ng1n1"
	for bad in /dev/nvme0n1p1 /dev/nvme0 /dev/sda "nvme0n-1" "nvme0n 1" "ng0n1x" "" "nvme0n99999999"; do
		run "$H" name "$bad"
		assert_output "rc=-22"
	done
}

@test "progress on a TTY (bytes, MB/s, ETA), silent when piped; --sqpoll and prom output" {
	require_cmd script
	head -c $((64 * 1048576)) /dev/urandom >"$D/data"
	run script -qec "'$T' --chunk 64k --qd 1 --loop 8 '$D/data' >/dev/null" /dev/null
	assert_success
	assert_output --regexp "MiB +[0-9.]+ MB/s +ETA [0-9]+s"
	run --separate-stderr "$T" --chunk 64k --qd 1 --loop 8 "$D/data"
	assert_success
	[ -z "$stderr" ] || fail "progress while piped: $stderr"
	run --separate-stderr "$T" -j --sqpoll --validate "$D/data"
	assert_success
	[[ "$(field ring_flags)" == *SQPOLL* ]] || fail "$(field ring_flags)"
	assert_equal "$(field completed_bytes)" $((64 * 1048576))
	run --separate-stderr "$T" -o prom "$D/data"
	assert_success
	assert_output --partial 'telkit_nvme_gpu_ingest_cpu_bounce_bytes_total{'
}
