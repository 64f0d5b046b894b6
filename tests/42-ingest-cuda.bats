#!/usr/bin/env bats
# nvme-gpu-ingest's CUDA path (cuda-host, cuda-device) end to end on the CUDA
# driver test double (tests/helpers/testdouble/cudadouble.c, loaded through
# TELKIT_TEST_CUDA_DOUBLE only): no GPU is involved and nothing here is a GPU
# result.  Checksums are checked against Python's zlib.crc32 of the file;
# bytes copied and what is still registered/allocated at exit against the
# double's own counts (its unload report), never the tool's.

load test_helper

setup() {
	require_tool nvme-gpu-ingest
	require_io_uring
	T=$(bin nvme-gpu-ingest)
	DOUBLE=$(helper libcuda-double.so)
	[ -f "$DOUBLE" ] || skip "the CUDA test double is not built yet"
	D=$(mktemp -d)
	export TELKIT_TEST_CUDA_DOUBLE=$DOUBLE TELKIT_CUDA_DOUBLE_REPORT=$D/double
	unset TELKIT_CUDA_DOUBLE_FAIL TELKIT_CUDA_DOUBLE_COPY_US
	head -c $((5 * 1048576 + 12345)) /dev/urandom >"$D/data"
}

teardown() {
	rm -rf "$D"
}

pycrc() {
	python3 -c 'import sys,zlib; print("%08x" % zlib.crc32(open(sys.argv[1],"rb").read()))' "$1"
}

field() { jq -r "select(.type==\"summary\") | .$1" <<<"$output"; }

# The double's unload report of the last run (one line per process).
double_report() { tail -1 "$D/double"; }
double_field() { double_report | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# Nothing the run registered, allocated or created is left at unload.
assert_nothing_left() {
	local r
	r=$(double_report)
	[ -n "$r" ] || fail "the double wrote no unload report"
	[[ "$r" == *"registrations=0 allocations=0 streams=0 events=0 contexts=0 unmapped_while_registered=0 "* ]] ||
		fail "left behind: $r"
	[[ "$r" != *LEAK* ]] || fail "$r"
}

@test "cuda-device: --verify reads the bytes back from device memory, byte-exact; --validate passes" {
	size=$(stat -c %s "$D/data")
	run --separate-stderr "$T" -j --verify --validate --target cuda-device "$D/data"
	assert_success
	assert_json_lines "$output"
	[ -z "$stderr" ] || fail "$stderr"
	assert_equal "$(field driver)" "test double"
	assert_equal "$(field completed_bytes)" "$size"
	assert_equal "$(field h2d_bytes)" "$size"
	assert_equal "$(field crc32)" "$(pycrc "$D/data")"
	assert_equal "$(field verified)" true
	v=$(jq -c 'select(.event=="verify")' <<<"$output")
	assert_equal "$(jq -r .crc32_source <<<"$v")" "$(pycrc "$D/data")"
	assert_equal "$(jq -r .read_back <<<"$v")" "cuMemcpyDtoH from the device buffer"
	assert_equal "$(jq -r .driver <<<"$v")" "test double"
	# the double's own counts: every byte copied to the device and read back
	assert_equal "$(double_field h2d_bytes)" "$size"
	assert_equal "$(double_field dtoh_bytes)" "$size"
	assert_nothing_left
}

@test "cuda-host: --verify reads back through the device-mapped address, byte-exact" {
	size=$(stat -c %s "$D/data")
	run --separate-stderr "$T" -j --verify --validate --target cuda-host "$D/data"
	assert_success
	[ -z "$stderr" ] || fail "$stderr"
	assert_equal "$(field crc32)" "$(pycrc "$D/data")"
	assert_equal "$(field verified)" true
	assert_equal "$(field h2d_bytes)" 0
	[ "$(field h2d_busy_s)" = null ] || fail "cuda-host has no copies: $output"
	assert_equal "$(jq -r 'select(.event=="verify") | .read_back' <<<"$output")" \
		"cuMemcpyDtoH through the device-mapped address"
	# the double served the read-back from its mapping of the slots, no copy
	assert_equal "$(double_field dtoh_bytes)" "$size"
	assert_equal "$(double_field h2d_bytes)" 0
	assert_nothing_left
}

@test "a byte corrupted in GPU memory fails --verify, exit 3 (cuda-device and cuda-host)" {
	for t in cuda-device:corrupt:3 cuda-host:corrupt-map:2; do
		export TELKIT_CUDA_DOUBLE_FAIL=${t#*:}
		run --separate-stderr "$T" -j --verify --validate --target "${t%%:*}" "$D/data"
		assert_equal "$status" 3
		assert_equal "$(field verified)" false
		v=$(jq -c 'select(.event=="verify")' <<<"$output")
		assert_equal "$(jq -r .crc32_source <<<"$v")" "$(pycrc "$D/data")"
		[ "$(jq -r .crc32_landed <<<"$v")" != "$(pycrc "$D/data")" ] || fail "$v"
		[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "$stderr"
		[[ "$stderr" == *"landed crc32"*"!= source crc32"* ]] || fail "$stderr"
		assert_nothing_left
	done
}

@test "every record of a run on the double says driver: test double (JSON, text, prom)" {
	run --separate-stderr "$T" -j -i 1ms --verify --target cuda-device "$D/data"
	assert_success
	jq -se 'length >= 2 and all(.driver == "test double")' <<<"$output" >/dev/null || fail "$output"
	run --separate-stderr "$T" --verify --target cuda-device "$D/data"
	assert_success
	[ "$(grep -c . <<<"$output")" -eq "$(grep -c 'driver="test double"' <<<"$output")" ] || fail "$output"
	run --separate-stderr "$T" -o prom --target cuda-host "$D/data"
	assert_success
	[ "$(grep -c '^telkit_nvme_gpu_ingest_' <<<"$output")" -gt 0 ] || fail "$output"
	! grep '^telkit_nvme_gpu_ingest_' <<<"$output" | grep -v 'driver="test double"' || fail "unlabelled"
	# and only that variable loads it: an absolute path to a library that
	# is not the double is refused, as is a relative path
	for lib in /usr/lib/x86_64-linux-gnu/libz.so.1 libcuda-double.so; do
		[ "$lib" != "${lib#/}" ] && [ ! -e "$lib" ] && continue
		TELKIT_TEST_CUDA_DOUBLE=$lib run --separate-stderr "$T" --target cuda-host "$D/data"
		assert_equal "$status" 1
		[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "$stderr"
		[[ "$stderr" == *TELKIT_TEST_CUDA_DOUBLE*"fix: "* ]] || fail "$stderr"
	done
}

@test "H2D rate: busy time from events covers the copies the double was told to take, inside the run's clock" {
	# each copy takes at least 2 ms in the double (a figure this test sets)
	export TELKIT_CUDA_DOUBLE_COPY_US=2000
	run --separate-stderr "$T" -j --validate --target cuda-device "$D/data"
	assert_success
	copies=$(double_field h2d_copies)
	assert_equal "$copies" 6
	jq -e --argjson n "$copies" 'select(.type=="summary") |
		.h2d_busy_s >= $n * 0.002 and .h2d_busy_s <= .elapsed_s and
		.h2d_mb_s > 0 and .mb_s > 0' <<<"$output" >/dev/null || fail "$output"
}

@test "--validate: h2d_accounting holds on the double, and --check catches a summary where it does not" {
	run --separate-stderr "$T" -j --validate --target cuda-device "$D/data"
	assert_success
	s=$(jq -c 'select(.type=="summary")' <<<"$output")
	echo "$s" | "$T" --check -
	run --separate-stderr "$T" --check - <<<"$(jq -c '.h2d_bytes -= 4096' <<<"$s")"
	assert_equal "$status" 3
	[[ "$stderr" == *"rule h2d_accounting failed: h2d_bytes"*"!= completed_bytes"* ]] || fail "$stderr"
	run --separate-stderr "$T" --check - <<<"$(jq -c 'del(.h2d_bytes)' <<<"$s")"
	assert_usage_error h2d_bytes
	# cuda-host and host make no copies: the rule is not theirs
	echo "$s" | jq -c '.target = "cuda-host" | .h2d_bytes = 0' | "$T" --check -
}

@test "injected driver failures: one line naming the call, exit 1, nothing left registered" {
	while IFS='|' read -r fault target want; do
		export TELKIT_CUDA_DOUBLE_FAIL=$fault
		run --separate-stderr "$T" -j --target "$target" "$D/data"
		assert_equal "$status" 1
		[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "$fault: $stderr"
		[[ "$stderr" == *"$want"*"fix: "* ]] || fail "$fault: $stderr"
		assert_nothing_left
	done <<-'EOF'
	init|cuda-host|cuInit failed: CUDA_ERROR_NO_DEVICE
	register|cuda-host|cuMemHostRegister(PORTABLE|DEVICEMAP) failed: CUDA_ERROR_NOT_SUPPORTED
	register|cuda-device|cuMemHostRegister(PORTABLE|DEVICEMAP) failed: CUDA_ERROR_NOT_SUPPORTED
	noregister|cuda-host|CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED is 0
	nomap|cuda-device|cannot map host memory
	copy:2|cuda-device|failed: CUDA_ERROR_ILLEGAL_ADDRESS
	lost:3|cuda-device|failed: CUDA_ERROR_CONTEXT_IS_DESTROYED
	EOF
}

@test "a copy that fails mid-run: summary printed, copies drained inside the clock, h2d_bytes matches the double" {
	export TELKIT_CUDA_DOUBLE_FAIL=copy:3 TELKIT_CUDA_DOUBLE_COPY_US=2000
	run --separate-stderr "$T" -j --target cuda-device "$D/data"
	assert_equal "$status" 1
	# the event after the copy reports it: polled (cuEventQuery) or waited for
	[[ "$stderr" =~ "H2D copy of slot "[0-9]+": cuEvent"(Query|Synchronize)" failed: CUDA_ERROR_ILLEGAL_ADDRESS" ]] || fail "$stderr"
	assert_equal "$(field complete)" false
	assert_equal "$(field h2d_bytes)" "$(double_field h2d_bytes)"
	jq -e 'select(.type=="summary") | .h2d_busy_s <= .elapsed_s' <<<"$output" >/dev/null || fail "$output"
	assert_nothing_left
}

@test "SIGINT during copies: exit 0, every landed chunk copied before the summary, nothing left" {
	export TELKIT_CUDA_DOUBLE_COPY_US=1000
	env --default-signal=INT "$T" -j -i 20ms --loop 100000 --target cuda-device "$D/data" \
		>"$D/out" 2>"$D/err" &
	pid=$!
	wait_until 30 caught $pid || fail "never caught SIGINT"
	wait_until 30 grep -q '"type":"sample".*"completed_bytes":[1-9]' "$D/out" || fail "no progress: $(cat "$D/err")"
	stop_clean INT $pid "$D/out" "$D/err"
	s=$(jq -c 'select(.type=="summary")' "$D/out")
	assert_equal "$(jq -r .stopped_by <<<"$s")" SIGINT
	assert_equal "$(jq -r .driver <<<"$s")" "test double"
	assert_equal "$(jq '.h2d_bytes == .completed_bytes and .h2d_busy_s <= .elapsed_s' <<<"$s")" true
	assert_equal "$(jq .h2d_bytes <<<"$s")" "$(double_field h2d_bytes)"
	echo "$s" | "$T" --check -
	assert_nothing_left
}

@test "probe: host registration and mapping attributes per device, from the driver" {
	run --separate-stderr "$T" -j --probe
	assert_success
	d=$(jq -c 'select(.item=="cuda_device")' <<<"$output")
	assert_equal "$(jq -r .driver <<<"$d")" "test double"
	assert_equal "$(jq '[.supported, .host_register_supported, .can_map_host_memory] | all' <<<"$d")" true
	assert_equal "$(jq -r 'select(.item=="cuda") | .driver' <<<"$output")" "test double"
	TELKIT_CUDA_DOUBLE_FAIL=noregister run --separate-stderr "$T" -j --probe
	assert_success
	d=$(jq -c 'select(.item=="cuda_device")' <<<"$output")
	assert_equal "$(jq '[.supported, .host_register_supported, .can_map_host_memory]' -c <<<"$d")" '[false,false,true]'
	assert_nothing_left
}

@test "H2D busy time: the union of overlapping, unordered spans equals Python's, memory bounded" {
	for seed in 1 2 3; do
		python3 - "$seed" >"$D/spans" <<-'PY'
		import random, sys
		r = random.Random(int(sys.argv[1]))
		t = 0.0
		for _ in range(20000):
		    t += r.choice([0.0, 0.1, 2.0])      # back to back, overlapping, gaps
		    a = t + r.uniform(-1.0, 1.0)
		    print("%.3f %.3f" % (a, a + r.uniform(0.0, 3.0)))
		PY
		want=$(python3 -c '
import sys
v = sorted(tuple(map(float, l.split())) for l in open(sys.argv[1]))
tot, ca, cb = 0.0, None, None
for a, b in v:
    if cb is None or a > cb:
        if cb is not None: tot += cb - ca
        ca, cb = a, b
    else: cb = max(cb, b)
print("%.6f" % (tot + cb - ca))' "$D/spans")
		# shuffled: spans arrive out of order, as copies finish
		got=$(shuf --random-source=<(yes "$seed") "$D/spans" | "$(helper ingest_spans)")
		python3 -c 'import sys; assert abs(float(sys.argv[1]) - float(sys.argv[2])) < 1e-3, sys.argv' "$want" "${got% *}"
		# 20000 spans held in an array far smaller: merged as it fills
		[ "${got#* }" -lt 20000 ] || fail "$got"
	done
}
