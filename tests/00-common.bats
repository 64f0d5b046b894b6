#!/usr/bin/env bats
# Unit tests of common/ through tests/unit/test_common.c.  Expected values are
# worked out by hand (or with awk/jq) from the definitions, never printed by
# the code under test.

load test_helper

setup() { T=$(helper test_common); }

hex() { printf '%b' "$1" | od -An -tx1 | tr -d ' \n'; }

# check_table KIND: each line "INPUT => EXPECTED"
check_table() {
	local kind=$1 line in want got
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		in=${line%% => *}
		want=${line##* => }
		[ "$in" = "<empty>" ] && in=""
		got=$("$T" parse $kind "$in" 2>&1) || true
		[ "$got" = "$want" ] || fail "parse $kind '$in': want '$want', got '$got'"
	done
}

@test "durations: accepted forms convert to nanoseconds" {
	check_table duration <<'EOF2'
250ms => 250000000
2s => 2000000000
1.5 => 1500000000
0.5ms => 500000
100us => 100000
10ns => 10
2m => 120000000000
1h => 3600000000000
.25 => 250000000
EOF2
}

@test "durations: malformed, zero and overflowing values are rejected" {
	check_table duration <<'EOF2'
<empty> => error: EINVAL
abc => error: EINVAL
 1s => error: EINVAL
1s  => error: EINVAL
-1s => error: EINVAL
1x => error: EINVAL
1e3 => error: EINVAL
1..2 => error: EINVAL
nan => error: EINVAL
inf => error: EINVAL
0 => error: ERANGE
0ms => error: ERANGE
99999999999999h => error: ERANGE
EOF2
	run "$T" parse duration0 0
	assert_output 0
}

@test "sizes: binary and decimal units, exact 64-bit edge" {
	check_table size <<'EOF2'
4096 => 4096
4k => 4096
4K => 4096
4KiB => 4096
4KB => 4000
1MiB => 1048576
1M => 1048576
10MB => 10000000
1.5k => 1536
1G => 1073741824
2TiB => 2199023255552
0 => 0
0x10 => 16
18446744073709551615 => 18446744073709551615
EOF2
}

@test "sizes: garbage, fractions of a byte and overflow are rejected" {
	check_table size <<'EOF2'
<empty> => error: EINVAL
k => error: EINVAL
-4k => error: EINVAL
4 k => error: EINVAL
4kb => error: EINVAL
1.3k => error: EINVAL
0.5 => error: EINVAL
18446744073709551616 => error: ERANGE
16EiB => error: ERANGE
EOF2
}

@test "integers: ranges, hex, signs and trailing junk" {
	run "$T" parse u64 1 10 0x0a;  assert_output 10
	run "$T" parse u64 1 10 10;    assert_output 10
	run "$T" parse u64 1 10 11;    assert_output "error: ERANGE"
	run "$T" parse u64 1 10 0;     assert_output "error: ERANGE"
	run "$T" parse u64 1 10 -1;    assert_output "error: EINVAL"
	run "$T" parse u64 1 10 +1;    assert_output "error: EINVAL"
	run "$T" parse u64 1 10 5x;    assert_output "error: EINVAL"
	run "$T" parse u64 0 18446744073709551615 18446744073709551616; assert_output "error: ERANGE"
	run "$T" parse i64 -5 5 -5;    assert_output -5
	run "$T" parse i64 -5 5 -6;    assert_output "error: ERANGE"
	run "$T" parse i64 -5 5 "";    assert_output "error: EINVAL"
	run "$T" parse double 0 100 99.5;   assert_output 99.5
	run "$T" parse double 0 100 1e2;    assert_output 100
	run "$T" parse double -1 1 -1.5e-1; assert_output -0.15
	run "$T" parse double 0 100 100.01; assert_output "error: ERANGE"
	run "$T" parse double 0 100 nan;    assert_output "error: EINVAL"
	run "$T" parse double 0 100 inf;    assert_output "error: EINVAL"
	run "$T" parse double 0 100 0x10;   assert_output "error: EINVAL"
	run "$T" parse double 0 1e308 1e999; assert_output "error: EINVAL"
}

@test "cpu lists: ranges, strides, canonical form" {
	check_table cpulist <<'EOF2'
0 => 0 count=1
0-3,6 => 0-3,6 count=5
0-7:2 => 0,2,4,6 count=4
6,0-3 => 0-3,6 count=5
1,1,1 => 1 count=1
1023 => 1023 count=1
EOF2
}

@test "cpu lists: reversed, out of range and malformed lists are rejected" {
	check_table cpulist <<'EOF2'
<empty> => error: EINVAL
3-1 => error: EINVAL
1024 => error: ERANGE
0-1024 => error: ERANGE
0, => error: EINVAL
,0 => error: EINVAL
a => error: EINVAL
0-3:0 => error: EINVAL
-1 => error: EINVAL
0--2 => error: EINVAL
EOF2
}

@test "key=value lists: values may be empty, keys may stand alone" {
	run "$T" parse kv "a=1,b=,c,d.e-f_g=x y"
	assert_success
	assert_output "$(printf 'a=1\nb=\nc\nd.e-f_g=x y')"
	run "$T" parse kv "a=1,"; assert_output "error: EINVAL"
	run "$T" parse kv "=1";   assert_output "error: EINVAL"
	run "$T" parse kv "a b=1"; assert_output "error: EINVAL"
	run "$T" parse kv "a=1,,b"; assert_output "error: EINVAL"
	run "$T" parse kv "a,b,c,d,e,f,g,h,i"; assert_output "error: E2BIG"
	run "$T" parse kv "k=$(printf 'x%.0s' {1..300})"; assert_output "error: ENAMETOOLONG"
}

@test "statistics: known vectors (mean, population stddev, CV, nearest-rank)" {
	run "$T" stats <<<"$(seq 1 10)"
	assert_output "n=10 mean=5.500000 stddev=2.872281 cv=52.223297 min=1.000000 max=10.000000 p50=5.000000 p90=9.000000 p99=10.000000 p999=10.000000"
	run "$T" stats <<<"2 4 4 4 5 5 7 9"
	assert_output "n=8 mean=5.000000 stddev=2.000000 cv=40.000000 min=2.000000 max=9.000000 p50=4.000000 p90=9.000000 p99=9.000000 p999=9.000000"
	# 1..1000: nearest rank p99 = 990th value, p99.9 = 999th
	run "$T" stats <<<"$(seq 1000 -1 1)"
	assert_output --partial "p50=500.000000 p90=900.000000 p99=990.000000 p999=999.000000"
}

@test "statistics: CV at an exact threshold is exact (85,115 -> 15, not 15.000000000000002)" {
	run "$T" cv <<<"85 115"
	assert_output 15
	run "$T" cv <<<"75 125"
	assert_output 25
}

@test "statistics: degenerate inputs give zeros, never NaN or Inf" {
	run "$T" stats </dev/null
	assert_output "n=0 mean=0.000000 stddev=0.000000 cv=0.000000 min=0.000000 max=0.000000 p50=0.000000 p90=0.000000 p99=0.000000 p999=0.000000"
	run "$T" stats <<<"7"
	assert_output --partial "cv=0.000000"
	run "$T" stats <<<"-1 1"      # mean 0: CV undefined -> 0
	assert_output --partial "cv=0.000000"
	run "$T" ratio 1 0;   assert_output 0
	run "$T" ratio 0 0;   assert_output 0
	run "$T" ratio 1 inf; assert_output 0
	run "$T" ratio 1e308 1e-308; assert_output 0
	run "$T" ratio 3 4;   assert_output 0.75
	run "$T" satadd 18446744073709551615 1; assert_output 18446744073709551615
	run "$T" satadd 18446744073709551614 1; assert_output 18446744073709551615
	run "$T" satadd 2 3; assert_output 5
}

@test "reservoir: kept samples are uniform (chi-square, 99 dof)" {
	# 100 values into a 10-slot reservoir, 20000 times: each value should be
	# kept 2000 times.  For 99 dof, P(chi2 > 148.2) = 0.001 and
	# P(chi2 < 62.4) = 0.001: outside that band the sampler is biased.
	run "$T" reservoir 10 100 20000
	assert_success
	chi2=$(sed -n 's/.*chi2=\([0-9.]*\).*/\1/p' <<<"$output")
	awk -v c="$chi2" 'BEGIN { exit !(c > 62.4 && c < 148.2) }' ||
		fail "chi2=$chi2 outside [62.4, 148.2]: $output"
}

@test "reservoir: capped at 100000 by default, true total and sum kept" {
	run "$T" reservoir-cap 0 250000
	assert_success
	sum=$(awk 'BEGIN { printf "%.0f", 250000 * 249999 / 2 }')
	assert_output --regexp "^len=100000 total=250000 sum=$sum max=2[0-9]{5}$"
}

@test "JSON records: envelope, hostile strings escaped, output stays valid UTF-8 JSON" {
	s=$(hex 'q"b\\\\s/\x01\x1f\x7f tab\t nl\n ok-\xc3\xa9 emoji-\xf0\x9f\x98\x80 bad-\xff overlong-\xc0\xaf surrogate-\xed\xa0\x80 cut-\xe2\x82')
	run "$T" emit json "$s"
	assert_success
	assert_equal "$(echo "$output" | wc -l)" 1
	# jq parses it; the envelope is complete
	jq -e '.tool == "test_common" and .type == "sample" and (.ts_ns | type) == "number" and .n == 42 and .nan == 0' <<<"$output"
	# invalid sequences became U+FFFD, everything else round-trips
	want=$(printf 'q"b\\\\s/\x01\x1f\x7f tab\t nl\n ok-\xc3\xa9 emoji-\xf0\x9f\x98\x80 bad-\xef\xbf\xbd overlong-\xef\xbf\xbd\xef\xbf\xbd surrogate-\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd cut-\xef\xbf\xbd\xef\xbf\xbd')
	assert_equal "$(jq -r .s <<<"$output")" "$want"
	# control bytes are \u escapes on the wire, not raw bytes
	[[ "$output" == *'\u0001'* && "$output" == *'\u001f'* ]]
	! grep -qP '[\x00-\x1f]' <<<"$output"
	# ts_ns is CLOCK_REALTIME (within a minute of date +%s)
	now=$(date +%s)
	jq -e --argjson now "$now" '(.ts_ns / 1e9 - $now) | fabs < 60' <<<"$output"
}

@test "JSON numbers: integers byte-for-byte json-c's; doubles in their shortest exact form" {
	run "$T" json-num u 0 1 9 10 4294967296 9223372036854775807 9223372036854775808 18446744073709551615
	assert_success
	assert_equal "${#lines[@]}" 8
	for l in "${lines[@]}"; do [ "${l% *}" = "${l#* }" ] || fail "u64: $l"; done
	assert_line --index 7 '18446744073709551615 18446744073709551615'
	run "$T" json-num i 0 -1 -10 9223372036854775807 -9223372036854775808
	for l in "${lines[@]}"; do [ "${l% *}" = "${l#* }" ] || fail "i64: $l"; done
	assert_line --index 4 '-9223372036854775808 -9223372036854775808'
	# integral doubles below 1e15 as json-c writes them
	run "$T" json-num d 0 -0 1 3 -2 999999999999999
	assert_equal "${#lines[@]}" 6
	for l in "${lines[@]}"; do [ "${l% *}" = "${l#* }" ] || fail "double: $l"; done
	assert_line --index 0 '0.0 0.0'
	assert_line --index 1 '-0.0 -0.0'
	assert_line --index 3 '3.0 3.0'
	# others: the same double as json-c's 17 digits (jq reads both), never longer
	run "$T" json-num d 0.5 -2.5 0.1 1e-300 1.7976931348623157e308 4.9e-324 123456.789 \
		61890.158 0.30000000000000004 0.3333333333333333 -7.25e-7 1e15 18446744073709551616
	assert_equal "${#lines[@]}" 13
	for l in "${lines[@]}"; do
		mine=${l% *} ref=${l#* }
		[ "$(jq -n "$mine == $ref and ($mine | type) == \"number\"")" = true ] || fail "not the same double: $l"
		[ "${#mine}" -le "${#ref}" ] || fail "longer than json-c's: $l"
	done
	assert_line --index 2 '0.1 0.10000000000000001'
	assert_line --index 7 '61890.158 61890.158000000003'
	assert_line --index 8 '0.30000000000000004 0.30000000000000004'
	# NaN and Inf are never written (0 instead): json-c's own form would break JSON
	run "$T" json-num d nan inf -inf
	assert_output "$(printf '0.0 NaN\n0.0 Infinity\n0.0 -Infinity')"
}

@test "tk_read_to_eof: a pipe read whole through a buffer grown by doubling" {
	head -c 1000000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	# from 64 bytes, with 100 free per read: grows 14 times (64 -> 1 MiB)
	run --separate-stderr "$T" slurp 64 100 <"$BATS_TEST_TMPDIR/in"
	assert_success
	assert_equal "$stderr" "bytes=1000000 cap=1048576"
	"$T" slurp 64 100 <"$BATS_TEST_TMPDIR/in" 2>/dev/null | cmp - "$BATS_TEST_TMPDIR/in"
	# an empty input, and a FIRST below ROOM: still one read's worth of room
	run --separate-stderr "$T" slurp 16 4096 </dev/null
	assert_success
	assert_equal "$stderr" "bytes=0 cap=4096"
}

@test "JSON records refilled in place: same line as a fresh record, keys keep their order" {
	run "$T" reuse "$(hex 'short \xff')"
	assert_success
	assert_equal "${#lines[@]}" 3
	first=$(jq -c 'del(.ts_ns)' <<<"${lines[0]}")
	again=$(jq -c 'del(.ts_ns)' <<<"${lines[1]}")
	fresh=$(jq -c 'del(.ts_ns)' <<<"${lines[2]}")
	assert_equal "$again" "$fresh"
	[ "$first" != "$again" ] || fail "the refill changed nothing: $first"
	assert_equal "$(jq -c '[.s, .u, .i, .d, .b, .u2d]' <<<"$first")" '["a much longer first string, � invalid",4294967297,-4294967297,0.5,false,4294967297]'
	assert_equal "$(jq -c 'keys_unsorted' <<<"${lines[1]}")" '["tool","type","ts_ns","s","u","i","d","b","u2d"]'
	assert_equal "$(jq -r .s <<<"${lines[1]}")" "short �"
	# the refilled line is a new moment
	[ "$(jq .ts_ns <<<"${lines[1]}")" -ge "$(jq .ts_ns <<<"${lines[0]}")" ]
}

@test "text records: key=value with quoting and \\xNN escapes" {
	run "$T" emit text "$(hex 'a"b c\x01=')"
	assert_success
	assert_output 'sample s="a\"b c\x01=" n=42 nan=0'
	run "$T" emit text "$(hex 'plain')"
	assert_output 'sample s=plain n=42 nan=0'
}

@test "Prometheus: label values and names escaped, HELP/TYPE once" {
	run "$T" prom-label "$(hex 'a"b\\c\nd\xff')"
	assert_success
	assert_line --index 0 '# HELP telkit_test_metric help \\ text\nline'
	assert_line --index 1 '# TYPE telkit_test_metric gauge'
	assert_line --index 2 'telkit_test_metric{v="a\"b\\c\nd�",bad_name="x"} 1.5'
	assert_line --index 3 'telkit_test_metric{v="a\"b\\c\nd�"} 2'
	assert_equal "${#lines[@]}" 4
}

@test "Prometheus records: numeric fields become metrics, strings labels, build info first" {
	run "$T" emit prom "$(hex 'x"y')"
	assert_success
	assert_line --index 0 '# HELP telkit_build_info The telkit tool that wrote the exposition and its version; value 1'
	assert_line --index 1 '# TYPE telkit_build_info gauge'
	assert_line --index 2 "telkit_build_info{tool=\"test_common\",version=\"$(make -s -C "$BATS_TEST_DIRNAME/.." print-version)\"} 1"
	assert_line --index 3 '# HELP telkit_test_common_n test_common: field n of its records; see test_common(8)'
	assert_line --index 4 '# TYPE telkit_test_common_n gauge'
	assert_line --index 5 'telkit_test_common_n{s="x\"y"} 42'
	assert_line --index 8 'telkit_test_common_nan{s="x\"y"} 0'
	assert_equal "${#lines[@]}" 9
}

@test "Prometheus records: a summary is a distinct series; events stay out" {
	run "$T" emit prom "$(hex 'x')" summary
	assert_success
	assert_line --index 5 'telkit_test_common_n{s="x",record="summary"} 42'
	run "$T" emit prom "$(hex 'x')" event
	assert_success
	assert_output ""
}

@test "Prometheus names: base units, _total counters, sanitised (telkit-json(7))" {
	check() {
		run "$T" prom-family "$@"
		assert_success
	}
	check worker-spawn run_delay_mean_ns;  assert_output "telkit_worker_spawn_run_delay_mean_seconds gauge 1e-09"
	check worker-spawn worst_gap_ms;       assert_output "telkit_worker_spawn_worst_gap_seconds gauge 0.001"
	check nvme-gpu-ingest lat_p99_us;      assert_output "telkit_nvme_gpu_ingest_lat_p99_seconds gauge 1e-06"
	check nvme-gpu-ingest elapsed_s;       assert_output "telkit_nvme_gpu_ingest_elapsed_seconds gauge 1"
	check nvme-gpu-ingest mb_s;            assert_output "telkit_nvme_gpu_ingest_bytes_per_second gauge 1e+06"
	check nvme-gpu-ingest completed_bytes; assert_output "telkit_nvme_gpu_ingest_completed_bytes_total counter 1"
	check worker-spawn offcpu_pct_avg;     assert_output "telkit_worker_spawn_offcpu_ratio_avg gauge 0.01"
	check worker-spawn iterations_per_cpu_sec; assert_output "telkit_worker_spawn_iterations_per_cpu_second gauge 1"
	check bpfwatch 'a-b.c' bool;           assert_output "telkit_bpfwatch_a_b_c gauge 1"
	check bpfwatch 9lives_ns;              assert_output "telkit_bpfwatch_9lives_seconds gauge 1e-09"
}

@test "prom: a value in the base unit is its decimal with the point moved (Python's Decimal), not binary noise" {
	# random decimals as a tool prints them (a few digits, then a point),
	# edge cases, and each unit scale: us, ns, ms to seconds, pct to ratio, mb_s to bytes/s
	for spec in "escalate-trace wall_us -6" "worker-spawn run_delay_mean_ns -9" \
		"worker-spawn worst_gap_ms -3" "worker-spawn offcpu_pct_avg -2" "nvme-gpu-ingest mb_s 6"; do
		set -- $spec
		python3 -c 'import random
random.seed(7)
for v in ["503413.249", "-100", "0", "-0.0", "1e-300", "123456789.123456", "0.1", "2.5e-5"]:
    print(v)
for _ in range(3000):
    d = random.randint(0, 15)
    print(repr(random.randint(-10**12, 10**12) / 10**d))' >"$BATS_TEST_TMPDIR/in"
		run --separate-stderr "$T" prom-scale "$1" "$2" <"$BATS_TEST_TMPDIR/in"
		assert_success
		python3 -c 'import sys
from decimal import Decimal
e = int(sys.argv[1])
want = [float(Decimal(l.strip()).scaleb(e)) for l in open(sys.argv[2])]
got = [float(l) for l in sys.stdin]
bad = [(w, g) for w, g in zip(want, got) if repr(w) != repr(g)]
assert len(got) == len(want), (len(got), len(want))
sys.exit("%d of %d differ, e.g. %r" % (len(bad), len(want), bad[:3]) if bad else 0)' "$3" "$BATS_TEST_TMPDIR/in" <<<"$output"
	done
}

@test "tables: aligned columns, numbers right, hostile cells escaped and cut" {
	run "$T" table "$(hex 'a\tverylongname_over_limit')"
	assert_success
	assert_line --index 0 'NAME          COUNT NOTE'
	assert_line --index 1 'a\x09verylo~      7 first row'
	assert_line --index 2 'b            123456 -'
}

@test "errors: one stderr line with a fix; JSON mode adds an error record" {
	run --separate-stderr "$T" error json
	assert_failure 1
	assert_equal "$stderr" "test_common: bad thing 'x\\x0ay' happened; fix: do the other thing"
	jq -e '.type == "error" and .error == "bad thing '"'"'x\ny'"'"' happened" and .fix == "do the other thing"' <<<"$output"
	run --separate-stderr "$T" error text
	assert_equal "$output" ""
}

@test "interval loop: count limit, absolute deadlines without drift" {
	run "$T" loop 100000000 5 0
	assert_success
	assert_line --index 5 --regexp '^ticks=5 '
	# tick k lands at k*100ms (+ wake-up slack), never accumulating error
	for k in 1 2 3 4 5; do
		at=$(sed -n "s/^tick=$k .*at_ns=\([0-9]*\)$/\1/p" <<<"$output")
		awk -v a="$at" -v k="$k" 'BEGIN { exit !(a >= k*1e8 && a < k*1e8 + 3e7) }' ||
			fail "tick $k at $at ns"
	done
}

@test "interval loop: duration limit shortens the last period" {
	run "$T" loop 100000000 0 250000000
	assert_success
	assert_line --regexp '^ticks=3 '
	at=$(sed -n 's/^tick=3 .*at_ns=\([0-9]*\)$/\1/p' <<<"$output")
	awk -v a="$at" 'BEGIN { exit !(a >= 2.5e8 && a < 2.8e8) }' || fail "last tick at $at"
}

@test "interval loop: SIGINT and SIGTERM stop it through the normal exit path" {
	for sig in INT TERM; do
		out=$(mktemp)
		"$T" loop 50000000 0 0 >"$out" &
		pid=$!
		wait_until 5 caught $pid || fail "never caught SIG$sig"
		sleep 0.3
		kill -s $sig $pid
		wait $pid
		num=$(kill -l $sig)
		grep -qE "stopped=1 sig=$num$" "$out" || fail "SIG$sig: $(cat "$out")"
		rm -f "$out"
	done
}

@test "records are flushed one by one: a reader in a pipe sees each line at once" {
	# 3 records 3 s apart; the first must arrive long before the second is written
	first=$( { timeout 15 "$T" stream 3 3000 2>/dev/null; } | { timeout 2.5 head -1; } )
	jq -e '.seq == 0' <<<"$first"
}

@test "EPIPE: a reader closing the pipe stops the writer quietly" {
	err=$(mktemp)
	run bash -c "'$T' stream 1000 10 2>'$err' | head -2"
	assert_success
	assert_equal "${#lines[@]}" 2
	run cat "$err"
	assert_output "stream: stopped=1 broken=1"
	rm -f "$err"
}

# Join "id type ..." lines of ours and bpftool's on id; print mismatches.
same_types() {
	join <(sort -k1,1 <<<"$1") <(sort -k1,1 <<<"$2") | awk '$2 != $3 { print "id " $1 ": ours " $2 ", bpftool " $3; bad=1 } END { exit bad }'
}

@test "BPF iteration sees the same programs and maps as bpftool" {
	require_bpf
	require_cmd bpftool
	out=$(mktemp)
	"$T" bpf-hold >"$out" &
	pid=$!
	for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
	read -r p m < <(sed 's/prog=\([0-9]*\) map=\([0-9]*\)/\1 \2/' "$out")
	ours=$("$T" bpf-progs)
	theirs=$(bpftool prog show -j | jq -r '.[] | "\(.id) \(.type) \(.name)"')
	maps_ours=$("$T" bpf-maps)
	maps_theirs=$(bpftool map show -j | jq -r '.[] | "\(.id) \(.type) \(.name)"')
	kill $pid; wait $pid
	rm -f "$out"
	grep -qx "$p socket_filter tk_test_hold" <<<"$ours" || fail "own program $p not listed: $ours"
	grep -qx "$p socket_filter tk_test_hold" <<<"$theirs" || fail "bpftool disagrees on $p"
	grep -qx "$m array tk_test_map" <<<"$maps_ours" || fail "own map $m not listed"
	grep -qx "$m array tk_test_map" <<<"$maps_theirs" || fail "bpftool disagrees on map $m"
	same_types "$(cut -d' ' -f1,2 <<<"$ours")" "$(cut -d' ' -f1,2 <<<"$theirs")"
	same_types "$(cut -d' ' -f1,2 <<<"$maps_ours")" "$(cut -d' ' -f1,2 <<<"$maps_theirs")"
}

@test "process start time: hostile comm parsed from its last ')'; agrees with /proc/uptime and ps" {
	ln -s "$(command -v sleep)" "$BATS_TEST_TMPDIR/a) 1 2 (b"
	before=$(cut -d' ' -f1 /proc/uptime)
	"$BATS_TEST_TMPDIR/a) 1 2 (b" 30 &
	pid=$!
	wait_until 5 grep -q 'a) 1 2 (b' "/proc/$pid/comm"
	after=$(cut -d' ' -f1 /proc/uptime)
	run "$T" starttime "$(hex "$(cat /proc/$pid/stat)")"
	assert_success
	ticks=$output
	run "$T" proc-start "$pid"
	assert_success
	ns=$output
	lstart=$(date -d "$(ps -o lstart= -p "$pid")" +%s)
	btime=$(awk '$1 == "btime" { print $2 }' /proc/stat)
	kill "$pid"
	wait "$pid" || true
	hz=$(getconf CLK_TCK)
	[ "$ns" -eq $((ticks * (1000000000 / hz))) ] || fail "ns=$ns ticks=$ticks"
	# started between the two uptime readings (10 ms resolution on both sides)
	awk -v s="$ns" -v b="$before" -v a="$after" 'BEGIN { s /= 1e9; exit !(s >= b - 0.01 && s <= a + 0.01) }' ||
		fail "start $ns ns not within uptime [$before, $after]"
	# procps: wall-clock start = btime + start, to the second
	awk -v s="$ns" -v b="$btime" -v l="$lstart" 'BEGIN { d = b + s / 1e9 - l; exit !(d > -1.5 && d < 1.5) }' ||
		fail "ps lstart $lstart vs btime $btime + $ns ns"
	for bad in "" "1 (x" "1 (x) S 1 2" "1 (x) S $(seq -s ' ' 4 21) 99999999999999999999999" \
		"1 (x) S $(seq -s ' ' 4 21) -5"; do
		run "$T" starttime "$(hex "$bad")"
		assert_output "error: EINVAL"
	done
	run "$T" proc-start 2147483646
	assert_output "error: No such process"
}
