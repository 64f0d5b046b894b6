#!/usr/bin/env bats
# escalate-trace: detection rules at their thresholds, malformed input, rate
# limiter, the BPF tracer against known syscall counts and strace -c -f,
# OTLP export to a loopback receiver using OpenTelemetry's own definitions.

load test_helper
load otlp/helpers

ET=
TARGET=

setup() {
	ET=$(bin escalate-trace)
	TARGET=$(helper escalate_target)
	[ -x "$ET" ] || skip "escalate-trace is not built"
	# These tests hold the seed's rules at their thresholds: no sample floor,
	# no cooldown.  tests/52-escalate-detect.bats tests those defaults.
	printf '#!/bin/sh\nexec "%s" --min-samples 1 --cooldown 0 "$@"\n' "$ET" >"$BATS_TEST_TMPDIR/et"
	chmod +x "$BATS_TEST_TMPDIR/et"
	ET=$BATS_TEST_TMPDIR/et
}

teardown() {
	[ -n "${BGPIDS:-}" ] && kill $BGPIDS 2>/dev/null
	true
}

# Population CV % of the arguments, computed independently.
pycv() { python3 -c 'import sys,statistics as s; v=[float(x) for x in sys.argv[1:]]; print("%.6f" % (s.pstdev(v)/s.mean(v)*100))' "$@"; }

@test "CV exactly 15.0 does not escalate, just past it does (cv_exceeded)" {
	run --separate-stderr "$ET" -j < <(samples b 85 115)
	assert_success
	[ "$(nesc)" -eq 0 ]
	[ "$(pycv 85 115)" = "15.000000" ]
	run --separate-stderr "$ET" -j < <(samples b 84.9 115.1)
	assert_success
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .reason)" = cv_exceeded ]
	want=$(pycv 84.9 115.1)
	got=$(escalations | jq -r .cv)
	python3 -c "import sys; assert abs($got - $want) < 1e-6, ($got, $want)"
	[ "$(escalations | jq -r '.otlp["escalation.reason"]')" = cv_exceeded ]
}

@test "--cv sets the CV threshold; one sample never escalates on CV" {
	run --separate-stderr "$ET" -j --cv 20 < <(samples b 84.9 115.1)
	[ "$(nesc)" -eq 0 ]
	run --separate-stderr "$ET" -j --cv 0 < <(samples b 1000)
	[ "$(nesc)" -eq 0 ]
}

@test "efficiency exactly 25.0 does not escalate, 24.9 does (efficiency_low)" {
	run --separate-stderr "$ET" -j --budget-us 25 < <(samples b 100 100)
	assert_success
	[ "$(nesc)" -eq 0 ]
	run --separate-stderr "$ET" -j --budget-us 24.9 < <(samples b 100 100)
	[ "$(nesc)" -eq 2 ]
	e=$(escalations | head -1)
	[ "$(jq -r .reason <<<"$e")" = efficiency_low ]
	[ "$(jq -r '.otlp["brick.efficiency"]' <<<"$e")" = "24.9" ]
	[ "$(jq -r '.otlp["brick.over_budget"]' <<<"$e")" = "true" ]
	[ "$(jq -r '.otlp["brick.budget_us"]' <<<"$e")" = "25" ]
	[ "$(jq -r '.otlp["brick.actual_us"]' <<<"$e")" = "100" ]
}

@test "--budget-field reads the budget per record; --value-unit converts to µs" {
	printf '{"name":"k","value":100000,"b":25}\n{"name":"k","value":100000,"b":24.99}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr "$ET" -j --budget-field b --value-unit ns < "$BATS_TEST_TMPDIR/in"
	assert_success
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .actual_us)" = 100 ]
	run --separate-stderr "$ET" -j --budget-us 25000 --value-unit s < <(samples s 0.1)
	[ "$(escalations | jq -r .efficiency)" = 25 ] || [ "$(nesc)" -eq 0 ]
	run --separate-stderr "$ET" -j --budget-us 24999 --value-unit ms < <(samples s 100)
	[ "$(nesc)" -eq 1 ]
}

@test "CV and efficiency together give reason both" {
	run --separate-stderr "$ET" -j --budget-us 10 < <(samples b 84 116)
	[ "$(escalations | jq -r .reason | tail -1)" = both ]
}

@test "memory cliff: exactly 30% below the preceding median does not escalate, 30.1% does" {
	in=$BATS_TEST_TMPDIR/in
	for r in 100 90 110 70; do printf '{"name":"m","value":5,"mbps":%s}\n' $r; done > "$in"
	run --separate-stderr "$ET" -j --cliff-field mbps < "$in"
	assert_success
	[ "$(nesc)" -eq 0 ]
	for r in 100 90 110 69.9; do printf '{"name":"m","value":5,"mbps":%s}\n' $r; done > "$in"
	run --separate-stderr "$ET" -j --cliff-field mbps < "$in"
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .reason)" = memory_cliff ]
	[ "$(escalations | jq -r .cliff_median)" = 100 ]
	run --separate-stderr "$ET" -j --cliff-field mbps --cliff 40 < "$in"
	[ "$(nesc)" -eq 0 ]
}

@test "GPU transfer: exactly 50% does not escalate, 50.1% does" {
	printf '{"name":"g","value":5,"xfer":50}\n{"name":"g","value":5,"xfer":50.1}\n' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr "$ET" -j --gpu-transfer-field xfer < "$BATS_TEST_TMPDIR/in"
	assert_success
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .reason)" = gpu_transfer_overhead ]
	[ "$(escalations | jq -r .gpu_transfer_percent)" = 50.1 ]
}

@test "windows are per brick and slide over --window samples" {
	# a and b interleaved: each brick alone is steady
	run --separate-stderr "$ET" -j < <(for i in 1 2 3; do samples a 100; samples b 200; done)
	[ "$(nesc)" -eq 0 ]
	# an outlier leaves a 3-sample window after 3 more samples
	run --separate-stderr "$ET" -j --window 3 < <(samples w 100 300 100 100 100 100)
	[ "$(escalations | jq -s 'map(.samples) | join(",")' -r)" = "2,3,3" ]
}

@test "rate limiter: N per window, then rate_limited events, not traces" {
	run --separate-stderr "$ET" -j --rate-limit 2/1h --budget-us 1 < <(samples r 100 100 100 100 100)
	assert_success
	[ "$(nesc)" -eq 2 ]
	rl=$(jq -c 'select(.event=="rate_limited")' <<<"$output")
	[ "$(grep -c . <<<"$rl")" -eq 3 ]
	[ "$(head -1 <<<"$rl" | jq -r '.limit, .reason, .window_count' | paste -sd,)" = "2,efficiency_low,2" ]
	[ "$(jq -r 'select(.type=="summary") | "\(.escalations) \(.rate_limited)"' <<<"$output")" = "5 3" ]
}

@test "rate limiter: a new window allows escalations again" {
	local in=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	mkfifo "$in"
	"$ET" -j --rate-limit 1/500ms --budget-us 1 <"$in" >"$out" 2>&1 &
	epid=$!
	exec {fd}>"$in"
	samples r 100 100 >&$fd
	# the second pair comes a window after the first was limited, however slow the start
	wait_until 30 grep -q rate_limited "$out" || fail "$(cat "$out")"
	sleep 0.7
	samples r 100 100 >&$fd
	exec {fd}>&-
	wait "$epid" || fail "exit $?: $(cat "$out")"
	[ "$(jq -r 'select(.type=="event") | .event' "$out" | paste -sd,)" = \
	  "escalation,rate_limited,escalation,rate_limited" ] || fail "$(cat "$out")"
}

@test "malformed lines and bad fields are counted, warned once per field, never fatal" {
	in=$BATS_TEST_TMPDIR/in
	{
		samples z 100
		echo 'not json'
		echo '[1,2,3]'
		echo '{"name":"z","value":"NaN"}'
		echo '{"name":"z","value":"inf"}'
		echo '{"name":"z","value":1e999}'
		echo '{"name":"z","value":-5}'
		echo '{"name":"z","value":123456789012345678901234567890}'	# json-c saturates: out of range
		echo '{"name":"z","value":{"nested":{"deep":[1,{"a":2}]}}}'
		echo '{"name":"z"}'
		echo '{"value":100}'
		echo '{"name":{"x":1},"value":100}'
		printf '{"name":"\xff\xfe","value":100}\n'
		printf '{"name":"z","value":1}\0junk\n'
		python3 -c 'print("{\"name\":\"z\",\"pad\":\"" + "x"*(1<<20) + "\",\"value\":100}")'
		python3 -c 'print("[" * 100000)'
		echo '{"name":"z","value":"100"}'
		samples z 100
	} > "$in"
	run --separate-stderr "$ET" -j < "$in"
	assert_success
	s=$(jq -c 'select(.type=="summary")' <<<"$output")
	[ "$(jq -r '.lines, .malformed_lines, .missing_value, .bad_value, .missing_name, .bad_name' <<<"$s" | paste -sd,)" = "18,4,1,6,1,1" ]
	# one warning per field (plus one for malformed lines)
	[ "$(grep -c "field 'value'" <<<"$stderr")" -eq 1 ]
	[ "$(grep -c "field 'name'" <<<"$stderr")" -eq 1 ]
	[ "$(grep -c "not one JSON object" <<<"$stderr")" -eq 1 ]
	# the invalid UTF-8 name became a valid brick; output stays parseable
	assert_json_lines "$output"
	[ "$(jq -r .bricks <<<"$s")" -eq 2 ]
}

@test "--strict: the first malformed line or bad field exits 2 with one line" {
	run --separate-stderr "$ET" -j --strict < <(samples z 100; echo '{"name":"z","value":"fast"}')
	assert_usage_error "line 2"
	[[ "$stderr" == *"--value"* ]]
	run --separate-stderr "$ET" --strict < <(echo '{oops')
	assert_usage_error "line 1"
	run --separate-stderr "$ET" -j --strict < <(samples z 100 100)
	assert_success
}

@test "--type keeps only records of that type; dotted fields reach nested objects" {
	printf '%s\n' '{"type":"summary","name":"t","m":{"us":1}}' \
		'{"type":"sample","name":"t","m":{"us":85}}' '{"type":"sample","name":"t","m":{"us":116}}' > "$BATS_TEST_TMPDIR/in"
	run --separate-stderr "$ET" -j --type sample --value m.us < "$BATS_TEST_TMPDIR/in"
	assert_success
	[ "$(nesc)" -eq 1 ]
	[ "$(jq -r 'select(.type=="summary") | .skipped_type' <<<"$output")" -eq 1 ]
}

@test "--tee passes every input line through unchanged" {
	in=$BATS_TEST_TMPDIR/in
	{ samples t 100 85 116; echo 'garbage line'; } > "$in"
	"$ET" -j --tee < "$in" 2>/dev/null | grep -v '"tool":"escalate-trace"' > "$BATS_TEST_TMPDIR/out"
	cmp "$in" "$BATS_TEST_TMPDIR/out"
}

@test "--threads 1 (serial) and the threaded parser give byte-identical output on a mixed corpus" {
	in=$BATS_TEST_TMPDIR/mixed
	python3 - > "$in" <<'PY2'
import random
r = random.Random(7)
w = print
for i in range(30000):
    k = r.random()
    b = "brick%d" % r.randrange(700)
    if k < 0.03: w("not json %d" % i)
    elif k < 0.05: w('{"name":"%s","value":' % b)
    elif k < 0.07: w('{"type":"summary","name":"%s","value":5}' % b)
    elif k < 0.09: w('{"type":"sample","name":"%s","value":"x%d"}' % (b, i))
    elif k < 0.10: w('{"type":"sample","value":3}')
    elif k < 0.11: w('{"type":"sample","name":"%s","value":1,"pad":"%s"}' % (b, "y" * 300))
    elif k < 0.12: w("[1,2,3]")
    else: w('{"type":"sample","ts_ns":%d,"name":"%s","value":%d}' % (1700000000000000000 + i, b, r.choice([100, 100, 101, 160, 40])))
PY2
	args=(-j --tee --type sample --rate-limit 3/1h --max-line 200 --budget-us 30)
	"$ET" "${args[@]}" --threads 1 <"$in" >"$BATS_TEST_TMPDIR/o1" 2>"$BATS_TEST_TMPDIR/e1"
	for t in 2 3 0; do
		"$ET" "${args[@]}" --threads $t <"$in" >"$BATS_TEST_TMPDIR/o$t" 2>"$BATS_TEST_TMPDIR/e$t"
		cmp <(sed 's/"ts_ns":[0-9]*//; s/"window_left_ms":[0-9]*//' "$BATS_TEST_TMPDIR/o1") \
		    <(sed 's/"ts_ns":[0-9]*//; s/"window_left_ms":[0-9]*//' "$BATS_TEST_TMPDIR/o$t")
		cmp "$BATS_TEST_TMPDIR/e1" "$BATS_TEST_TMPDIR/e$t"
	done
	# the corpus exercises what it should: counted independently of the tool
	sum=$(grep '"tool":"escalate-trace","type":"summary"' "$BATS_TEST_TMPDIR/o1")
	[ "$(jq .lines <<<"$sum")" -eq "$(wc -l <"$in")" ]
	[ "$(jq .malformed_lines <<<"$sum")" -eq "$(python3 -c '
import json,sys
n=0
for l in open(sys.argv[1]):
    l=l.rstrip("\n")
    try: ok = len(l) <= 200 and isinstance(json.loads(l), dict)
    except Exception: ok = False
    n += not ok
print(n)' "$in")" ]
	[ "$(jq .skipped_type <<<"$sum")" -eq "$(grep -c '"type":"summary","name"' "$in")" ]
	[ "$(jq .bricks <<<"$sum")" -gt 600 ]
	[ "$(jq .rate_limited <<<"$sum")" -gt 0 ]
	grep -q 'stdin line [0-9]*: .*further malformed lines are only counted' "$BATS_TEST_TMPDIR/e1"
	grep -q "stdin line [0-9]*: field 'value' (--value)" "$BATS_TEST_TMPDIR/e1"
}

@test "--threads: 0 is auto, out-of-range values are usage errors" {
	run --separate-stderr "$ET" --threads 65
	assert_usage_error --threads
	run --separate-stderr "$ET" --threads -1
	assert_usage_error --threads
	run --separate-stderr "$ET" -j --threads 0 < <(samples t 100 85 116)
	assert_success
}

@test "--fail-on-escalation exits 3 after an escalation, 0 without" {
	run --separate-stderr "$ET" -j --fail-on-escalation < <(samples f 100 100)
	assert_success
	run --separate-stderr "$ET" -j --fail-on-escalation < <(samples f 85 116)
	assert_failure 3
	run --separate-stderr "$ET" -j --fail-on-escalation --rate-limit 0/1s < <(samples f 85 116)
	assert_failure 3
}

@test "text mode prints one readable block per escalation" {
	run --separate-stderr "$ET" < <(samples 'brick one' 85 116)
	assert_success
	assert_output --partial 'escalation #1 brick="brick one" reason=cv_exceeded'
	assert_output --partial 'not traced: "no target process'
}

@test "bad options: one line naming the option, exit 2" {
	for bad in "--rate-limit 5" "--rate-limit x/1s" "--value-unit parsecs" "--pid 0" \
		   "--budget-us -1" "--window 1" "--cv abc" "--trace-for 0" "--otlp ftp://x" \
		   "--top 0" "--runs 0" "--max-line 1"; do
		run --separate-stderr "$ET" $bad
		assert_usage_error "${bad%% *}"
	done
	run --separate-stderr "$ET" --manual
	assert_usage_error "--manual"
	run --separate-stderr "$ET" --budget-us 1 --budget-field b
	assert_usage_error "--budget-us"
	run --separate-stderr "$ET" --exec true --pid 1
	assert_usage_error "--exec"
	run --separate-stderr "$ET" -o csv
	assert_usage_error "csv"
}

@test "stdout closed early: exits quietly" {
	run bash -c "'$ET' -j --budget-us 1 < <(for i in \$(seq 2000); do echo '{\"name\":\"h\",\"value\":100}'; done) | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output 0
}

# ---- the BPF tracer ---------------------------------------------------------

# TARGET with -w, started in the background; returns once it waits for SIGUSR1.
start_waiting_target() {
	rm -f "$BATS_TEST_TMPDIR/ready"
	"$TARGET" -w -p "$@" >"$BATS_TEST_TMPDIR/ready" & TPID=$!
	BGPIDS="${BGPIDS:-} $TPID"
	wait_until 30 grep -q ready "$BATS_TEST_TMPDIR/ready" || fail "escalate_target did not start"
}

# strace -c -f calls of syscall $2 for TARGET args $1, less those of an idle
# run (the dynamic loader's mmaps etc.): what the work itself does.
strace_work_calls() {
	strace -f -c -o "$BATS_TEST_TMPDIR/strace.work" "$TARGET" $1
	strace -f -c -o "$BATS_TEST_TMPDIR/strace.idle" "$TARGET" -r 0
	local w i
	w=$(awk -v n="$2" '$NF==n {print $4}' "$BATS_TEST_TMPDIR/strace.work")
	i=$(awk -v n="$2" '$NF==n {print $4}' "$BATS_TEST_TMPDIR/strace.idle")
	echo $(( ${w:-0} - ${i:-0} ))
}

# Start TARGET waiting for SIGUSR1, trace it with escalate-trace (extra args in
# $@), release it once the tracer says it is attached.  Output in $output.
trace_target() {
	local targs=$1
	shift
	start_waiting_target $targs
	local tpid=$TPID
	rm -f "$BATS_TEST_TMPDIR/err"
	"$ET" -j -v --manual --pid "$tpid" "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local epid=$!
	wait_until 30 grep -qs "tracing pid" "$BATS_TEST_TMPDIR/err" || fail "never traced: $(cat "$BATS_TEST_TMPDIR/err")"
	kill -USR1 "$tpid"
	wait "$epid" || fail "escalate-trace failed: $(cat "$BATS_TEST_TMPDIR/err")"
	wait "$tpid" 2>/dev/null || true
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

count_of() { jq -r --arg n "$1" 'select(.event=="escalation") | [.syscalls[] | select(.name==$n) | .count] | add // 0' <<<"$output"; }
within1pct() { python3 -c "import sys; a,b=$1,$2; sys.exit(0 if abs(a-b) <= 0.01*max(a,b) else 1)" || fail "$1 vs $2 differ by more than 1%"; }

@test "tracer: known syscall counts match exactly and match strace -c -f within 1%" {
	require_bpf
	require_cmd strace
	args="-r 20000 -f 3000 -m 500 -e 7"
	trace_target "$args" --trace-for 20s --top 50
	[ "$(count_of read)" -eq 20007 ]
	[ "$(count_of futex)" -eq 3000 ]
	[ "$(count_of mmap)" -eq 500 ]
	[ "$(count_of munmap)" -eq 500 ]
	ev=$(escalations)
	[ "$(jq -r '.syscalls[] | select(.name=="read") | .errors' <<<"$ev")" -eq 7 ]
	[ "$(jq -r .reason <<<"$ev")" = manual ]
	[ "$(jq -r .partial <<<"$ev")" = true ]
	for sc in read futex mmap munmap; do
		within1pct "$(count_of $sc)" "$(strace_work_calls "$args" $sc)"
	done
	[ "$(awk '$NF=="read" {print $5}' "$BATS_TEST_TMPDIR/strace.work")" -eq 7 ]
	# breakdown: categories are sums of their syscalls' times (µs, floored)
	read_us=$(jq -r '[.syscalls[] | select(.name=="read") | .time_us] | add | floor' <<<"$ev")
	[ "$(jq -r .breakdown.read_us <<<"$ev")" -eq "$read_us" ]
	[ "$(jq -r .dominant_syscall <<<"$ev")" != none ]
}

@test "tracer: a multi-threaded target is traced across all its threads" {
	require_bpf
	require_cmd strace
	args="-t 4 -r 5000 -f 500 -s 300"
	trace_target "$args" --trace-for 20s --top 50
	[ "$(count_of read)" -eq 20000 ]
	ev=$(escalations)
	[ "$(jq -r .threads <<<"$ev")" -ge 5 ]
	within1pct "$(count_of read)" "$(strace_work_calls "$args" read)"
	# thread-time: at least the window, at most threads x window; compute = total - syscalls
	jq -e '.breakdown.total_us >= .window_us - 1 and .breakdown.total_us <= .threads * .window_us + 1
	       and .breakdown.compute_us == .breakdown.total_us - .breakdown.syscall_us' <<<"$ev"
}

@test "tracer: a target exiting mid-trace yields what was captured, marked partial" {
	require_bpf
	trace_target "-r 1000" --trace-for 30s
	ev=$(escalations)
	[ "$(jq -r .partial <<<"$ev")" = true ]
	[ "$(jq -r .traced <<<"$ev")" = true ]
	[ "$(count_of read)" -eq 1000 ]
	[ "$(jq -r .window_us <<<"$ev")" -lt 5000000 ]
	# a target alive for the whole window is not partial
	trace_target "-r 10 -s 1500" --trace-for 300ms
	[ "$(escalations | jq -r .partial)" = false ]
}

@test "tracer: stdin escalation traces the pid named in the record; OTLP attribute formats" {
	require_bpf
	start_waiting_target -r 100000000
	tpid=$TPID
	kill -USR1 $tpid
	run --separate-stderr "$ET" -j --pid pid --trace-for 300ms < <(printf '{"name":"p","value":%s,"pid":%s}\n' 85 $tpid 116 $tpid)
	kill $tpid
	assert_success
	ev=$(escalations)
	[ "$(jq -r .pid <<<"$ev")" -eq "$tpid" ]
	[ "$(jq -r .traced <<<"$ev")" = true ]
	[ "$(jq -r .dominant_syscall <<<"$ev")" = read ]
	[ "$(count_of read)" -gt 1000 ]
	jq -e '.otlp | (keys - ["brick.name","brick.budget_us","brick.actual_us","brick.efficiency",
		"brick.over_budget","escalation.reason","syscall.overhead_percent","syscall.dominant",
		"syscall.mmap_us","syscall.futex_us","syscall.ioctl_us","syscall.read_us",
		"syscall.write_us","syscall.other_us","syscall.compute_us","syscall.total_us"]) == []
		and (.["brick.efficiency"] | test("^[0-9]+\\.[0-9]$"))
		and (.["syscall.overhead_percent"] | test("^[0-9]+\\.[0-9]$"))
		and (.["brick.over_budget"] | test("^(true|false)$"))
		and (.["brick.budget_us"] | test("^[0-9]+$")) and (.["brick.actual_us"] | test("^[0-9]+$"))' <<<"$ev"
}

@test "input keeps being read during a trace: lines arriving then are all counted after it" {
	require_bpf
	sleep 1000 & spid=$!
	BGPIDS="${BGPIDS:-} $spid"
	# 1.8 MB after the escalating pair: far more than a pipe holds.  The writer
	# ends the trace (kills the target) only after writing it all, so a
	# reader stalled by the trace would keep the 60 s window open (not partial).
	{
		printf '{"name":"p","value":%s}\n' 85 116
		python3 -c 'import sys; sys.stdout.write("".join("{\"name\":\"q%d\",\"value\":100,\"pad\":\"%s\"}\n" % (i % 9, "z" * 60) for i in range(20000)))'
		# the reader may have buffered it all before the tracer attached
		for _ in $(seq 1200); do grep -qs 'tracing pid' "$BATS_TEST_TMPDIR/err" && break; sleep 0.05; done
		kill $spid
	} | "$ET" -j -v --pid $spid --trace-for 60s >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	ev=$(jq -c 'select(.event=="escalation")' "$BATS_TEST_TMPDIR/out")
	[ "$(jq -r .traced <<<"$ev")" = true ] || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	[ "$(jq -r .partial <<<"$ev")" = true ]
	[ "$(jq -r .window_us <<<"$ev")" -lt 50000000 ]
	[ "$(jq -r 'select(.type=="summary") | .lines' "$BATS_TEST_TMPDIR/out")" -eq 20002 ]
	[ "$(jq -r 'select(.type=="summary") | .records' "$BATS_TEST_TMPDIR/out")" -eq 20002 ]
}

@test "tracer: a pid that does not exist is reported untraced, not fatal" {
	run --separate-stderr "$ET" -j --pid 2147483646 < <(samples x 85 116)
	assert_success
	[ "$(escalations | jq -r .traced)" = false ]
	[[ "$(escalations | jq -r .trace_error)" == *"pid 2147483646"* ]]
}

# reuse_pid PID [FD]: end the sleep PID, then start another sleep that gets the
# same pid (via ns_last_pid; retried while other processes fork), without fd FD
# when given.  Sets NEWPID.
reuse_pid() {
	local old=$1 shut=${2:-}
	kill "$old"
	wait "$old" 2>/dev/null || true
	sleep 0.05
	for _ in $(seq 50); do
		echo $((old - 1)) >/proc/sys/kernel/ns_last_pid
		if [ -n "$shut" ]; then
			sleep 60 {shut}>&- & NEWPID=$!
		else
			sleep 60 & NEWPID=$!
		fi
		BGPIDS="${BGPIDS:-} $NEWPID"
		[ "$NEWPID" = "$old" ] && return 0
		kill "$NEWPID"
		wait "$NEWPID" 2>/dev/null || true
	done
	skip "pid $old could not be had again: other processes kept forking"
}

@test "a pid reused after the record naming it was written: untraced, named, counted" {
	require_root
	require_bpf
	[ -w /proc/sys/kernel/ns_last_pid ] || skip "no writable /proc/sys/kernel/ns_last_pid to force a pid reuse"
	sleep 60 & old=$!
	ts=$(date +%s%N)
	reuse_pid "$old"
	lines() { printf '{"tool":"t","type":"sample","ts_ns":%s,"name":"p","value":%s,"pid":%s}\n' "$1" 85 "$old" "$1" 116 "$old"; }
	run --separate-stderr "$ET" -j --pid pid --trace-for 100ms < <(lines "$ts")
	assert_success
	ev=$(escalations)
	[ "$(jq -r .pid <<<"$ev")" = "$old" ] && [ "$(jq -r .traced <<<"$ev")" = false ] || fail "$ev"
	[[ "$(jq -r .trace_error <<<"$ev")" == *"pid $old was reused"* ]] || fail "$ev"
	jq -se '.[-1] | .type == "summary" and .pid_reused == 1 and .untraced == 1' <<<"$output" >/dev/null ||
		fail "$output"
	# control: the same lines stamped after the newcomer started are about it
	run --separate-stderr "$ET" -j --pid pid --trace-for 100ms < <(lines "$(date +%s%N)")
	assert_success
	[ "$(escalations | jq -r .traced)" = true ] || fail "$output $stderr"
	# --pid PID names the process that held it when escalate-trace started
	sleep 60 & old=$!
	BGPIDS="${BGPIDS:-} $old"
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$ET" -j --pid "$old" --trace-for 100ms <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	epid=$!
	exec {fd}>"$BATS_TEST_TMPDIR/in"
	# its start (taken right after the handlers go in) must precede the newcomer's
	wait_until 30 eval 'execed $epid escalate-trace && caught $epid' ||
		fail "escalate-trace did not start: $(cat "$BATS_TEST_TMPDIR/out")"
	reuse_pid "$old" "$fd"   # the newcomer must not hold the fifo open
	samples p 85 116 >&$fd
	exec {fd}>&-
	wait "$epid" || fail "exit $?: $(cat "$BATS_TEST_TMPDIR/out")"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	[[ "$(escalations | jq -r .trace_error)" == *"pid $old was reused"* ]] || fail "$output"
}

@test "--exec: runs are samples; an escalation re-runs the command under the tracer" {
	require_bpf
	run --separate-stderr "$ET" -j --exec "$TARGET -r 3000" --runs 3 --budget-us 1 --rate-limit 1/1h --trace-for 10s
	assert_success
	[ "$(jq -r 'select(.type=="sample") | .run' <<<"$output" | paste -sd,)" = "1,2,3" ]
	[ "$(nesc)" -eq 1 ]
	[ "$(count_of read)" -ge 3000 ]
	[ "$(count_of execve)" -ge 1 ]
	# sh -c forks the command: followed like strace -f
	[ "$(escalations | jq -r .processes)" -ge 1 ]
	[ "$(escalations | jq -r .partial)" = true ]
	[ "$(jq -r 'select(.event=="rate_limited") | .event' <<<"$output" | grep -c .)" -eq 2 ]
}

@test "SIGTERM during a trace: exits 0 and leaves no BPF link or program behind" {
	require_bpf
	require_cmd bpftool
	start_waiting_target -s 10000
	tpid=$TPID
	rm -f "$BATS_TEST_TMPDIR/err"
	"$ET" -j -v --manual --pid $tpid --trace-for 60s >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" & epid=$!
	wait_until 30 grep -qs "tracing pid" "$BATS_TEST_TMPDIR/err" || fail "never traced: $(cat "$BATS_TEST_TMPDIR/err")"
	bpftool prog show | grep -q esc_sys_enter || fail "program not loaded while tracing"
	# what this escalate-trace holds (other runs on the machine may hold their own)
	progs=$(grep -h '^prog_id:' /proc/$epid/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u)
	links=$(grep -h '^link_id:' /proc/$epid/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u)
	[ -n "$progs" ] && [ -n "$links" ] || fail "no program or link held while tracing"
	kill -TERM $epid
	wait $epid
	# programs are freed after an RCU grace period, not at close (ids are not reused soon)
	all_gone() {
		local i
		for i in $progs; do bpftool prog show id "$i" >/dev/null 2>&1 && return 1; done
		for i in $links; do bpftool link show id "$i" >/dev/null 2>&1 && return 1; done
		return 0
	}
	wait_until 5 all_gone || fail "program or link left behind"
	kill $tpid
}

# ---- OTLP export ------------------------------------------------------------


@test "--otlp: the receiver decodes each span with OpenTelemetry's protobuf definitions" {
	require_cmd node
	start_receiver
	run --separate-stderr "$ET" -j --otlp "$URL" --budget-us 30 < <(samples 'otlp \"brick\"' 84 116 50)
	assert_success
	[ "$(nesc)" -eq 2 ]
	grep -v '"error"' "$BATS_TEST_TMPDIR/otlp" > "$BATS_TEST_TMPDIR/ok" || true
	! grep '"error"' "$BATS_TEST_TMPDIR/otlp"
	[ "$(grep -c . "$BATS_TEST_TMPDIR/ok")" -eq 2 ]
	span=$(head -1 "$BATS_TEST_TMPDIR/ok" | jq -c '.resourceSpans[0].scopeSpans[0].spans[0]')
	[ "$(head -1 "$BATS_TEST_TMPDIR/ok" | jq -r '.resourceSpans[0].resource.attributes[] | select(.key=="service.name") | .value.stringValue')" = telkit ]
	jq -e '(.traceId | test("^[0-9a-f]{32}$")) and (.spanId | test("^[0-9a-f]{16}$")) and .kind == 1' <<<"$span"
	attr() { jq -r --arg k "$1" '.attributes[] | select(.key==$k) | .value | to_entries[0].value' <<<"$span"; }
	first=$(escalations | head -1)
	for k in brick.name brick.budget_us brick.actual_us brick.efficiency brick.over_budget \
		 escalation.reason syscall.overhead_percent syscall.dominant syscall.total_us; do
		[ "$(attr $k)" = "$(jq -r --arg k $k '.otlp[$k] | tostring' <<<"$first")" ] || fail "$k: $(attr $k)"
	done
	[ "$(attr brick.name)" = 'otlp "brick"' ]
	[ "$(jq -r '.resourceSpans[0].scopeSpans[0].spans[0].traceId' "$BATS_TEST_TMPDIR/ok" | sort -u | grep -c .)" -eq 2 ]
	[ "$(jq -r 'select(.type=="summary") | .otlp_sent' <<<"$output")" -eq 2 ]
}

@test "--otlp: 503 with Retry-After is retried; an unreachable collector is counted, never stalls input" {
	require_cmd node
	start_receiver 2 503
	run --separate-stderr "$ET" -j --otlp "$URL" < <(samples r 84 116)
	assert_success
	[ "$(grep -c '"refused"' "$BATS_TEST_TMPDIR/otlp")" -eq 2 ]
	[ "$(grep -c resourceSpans "$BATS_TEST_TMPDIR/otlp")" -eq 1 ]
	[ "$(jq -r 'select(.type=="summary") | "\(.otlp_sent) \(.otlp_retried)"' <<<"$output")" = "1 2" ]
	# closed port: every escalation is still reported at once; failures counted
	run --separate-stderr "$ET" -j --otlp http://127.0.0.1:9/v1/traces --otlp-retries 1 \
		--otlp-queue 2 --otlp-flush 1s --budget-us 1 < <(samples u 100 100 100 100 100 100)
	assert_success
	[ "$(nesc)" -eq 6 ]
	jq -e 'select(.type=="summary") | .otlp_failed + .otlp_dropped + .otlp_sent == 6 and .otlp_sent == 0' <<<"$output"
}

# ---- pipelines with other telkit commands ---------------------------------

@test "pipeline: worker-spawn -j | escalate-trace" {
	require_tool worker-spawn
	run --separate-stderr bash -c "'$(bin worker-spawn)' -j -w spin-wait -n 2 -d 1s | '$ET' -j --type report --name tid --value wall_time_ns --value-unit ns --budget-us 1 --rate-limit 1/1h"
	assert_success
	assert_json_lines "$output"
	[ "$(jq -r 'select(.type=="summary" and .tool=="escalate-trace") | .records' <<<"$output")" -ge 2 ]
	[ "$(nesc)" -ge 1 ]
}

@test "pipeline: progstats -j -i 1 | escalate-trace --value ns_per_call --value-unit ns" {
	require_tool progstats
	require_bpf
	run --separate-stderr bash -c "'$(bin progstats)' -j -i 200ms -c 3 | '$ET' -j --type sample --value ns_per_call --value-unit ns --budget-us 0.000001 --rate-limit 1/1h"
	assert_success
	assert_json_lines "$output"
	jq -e 'select(.type=="summary" and .tool=="escalate-trace") | .records >= 0' <<<"$output"
}
