#!/usr/bin/env bats
# escalate-trace's OTLP export by the spec, against tests/otlp/receiver.js: a
# loopback receiver that decodes with the OpenTelemetry project's own
# protobuf definitions and accepts only what the Collector accepts.  Span
# status, the process entity, the syscall table as log records with
# event_name, partial_success, Retry-After (seconds and HTTP-date), backoff
# with jitter, gzip, the OTEL_EXPORTER_OTLP_* variables, bounded bodies.

load test_helper
load otlp/helpers

setup() {
	ET=$(bin escalate-trace)
	TARGET=$(helper escalate_target)
	[ -x "$ET" ] || skip "escalate-trace is not built"
	require_cmd node jq
	# Escalations on a few samples: no sample floor, no cooldown (tests/52 tests those).
	printf '#!/bin/sh\nexec "%s" --min-samples 1 --cooldown 0 "$@"\n' "$ET" >"$BATS_TEST_TMPDIR/et"
	chmod +x "$BATS_TEST_TMPDIR/et"
	ET=$BATS_TEST_TMPDIR/et
	BGPIDS=
	# the variables under test come only from the tests that set them
	unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
		OTEL_EXPORTER_OTLP_LOGS_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS \
		OTEL_EXPORTER_OTLP_TRACES_HEADERS OTEL_EXPORTER_OTLP_LOGS_HEADERS \
		OTEL_EXPORTER_OTLP_COMPRESSION OTEL_EXPORTER_OTLP_TRACES_COMPRESSION \
		OTEL_EXPORTER_OTLP_LOGS_COMPRESSION OTEL_EXPORTER_OTLP_TIMEOUT \
		OTEL_EXPORTER_OTLP_TRACES_TIMEOUT OTEL_EXPORTER_OTLP_LOGS_TIMEOUT \
		OTEL_EXPORTER_OTLP_PROTOCOL OTEL_EXPORTER_OTLP_TRACES_PROTOCOL \
		OTEL_EXPORTER_OTLP_LOGS_PROTOCOL
}

teardown() {
	[ -n "${BGPIDS:-}" ] && reap $BGPIDS
	true
}

summary() { jq -c 'select(.type=="summary")' <<<"$output"; }
span_of() { jq -c '.resourceSpans[0].scopeSpans[0].spans[0]' <<<"$1"; }
# attr JSON KEY: the value of attribute KEY in an object with .attributes
attr() { jq -r --arg k "$2" '.attributes[] | select(.key==$k) | .value | to_entries[0].value' <<<"$1"; }
no_rejects() { [ -z "$(rejected)" ] || fail "the receiver rejected: $(rejected)"; }
no_spec_violations() {
	local v
	v=$(jq -c 'select(._meta.spec != null and (._meta.spec | length) > 0) | ._meta.spec' "$BATS_TEST_TMPDIR/otlp")
	[ -z "$v" ] || fail "OTLP JSON rules broken: $v"
}

# escalate_target with -w (waits for SIGUSR1) in the background: TPID.
start_waiting_target() {
	rm -f "$BATS_TEST_TMPDIR/ready"
	"$TARGET" -w -p "$@" >"$BATS_TEST_TMPDIR/ready" & TPID=$!
	BGPIDS="$BGPIDS $TPID"
	wait_until 30 grep -q ready "$BATS_TEST_TMPDIR/ready" || fail "escalate_target did not start"
}

# trace_target "TARGET ARGS" ET-ARGS...: --manual trace of a waiting
# escalate_target released once attached; sets output and TPID_DONE.
trace_target() {
	start_waiting_target $1
	local tpid=$TPID epid
	shift
	# its identity as ps(1) computes it, before it runs and exits
	CREATED=$(awk -v btime="$(awk '/^btime/ {print $2}' /proc/stat)" -v hz="$(getconf CLK_TCK)" '
		{ sub(/.*\) /, ""); split($0, f, " "); t = btime + f[20] / hz;
		  printf "%s.%03dZ\n", strftime("%Y-%m-%dT%H:%M:%S", int(t), 1), (t - int(t)) * 1000 + 0.5 }' \
		"/proc/$tpid/stat")
	EXE=$(readlink "/proc/$tpid/exe")
	ARGS=$(tr '\0' '\n' <"/proc/$tpid/cmdline" | jq -R . | jq -sc .)
	# a second call in one test must not read the first run's "tracing pid"
	rm -f "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
	"$ET" -j -v --manual --pid "$tpid" --trace-for 20s "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	epid=$!
	wait_until 30 grep -qs "tracing pid" "$BATS_TEST_TMPDIR/err" || fail "never traced: $(cat "$BATS_TEST_TMPDIR/err")"
	kill -USR1 "$tpid"
	wait "$epid" || fail "escalate-trace failed: $(cat "$BATS_TEST_TMPDIR/err")"
	wait "$tpid" 2>/dev/null || true
	TPID_DONE=$tpid
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

# ---- what is sent -----------------------------------------------------------

@test "a traced escalation: span with status unset, the process entity, one log record per syscall row" {
	require_bpf
	start_receiver
	trace_target "-r 2000 -f 300 -m 50 -e 7" --otlp "$URL" --top 512
	no_rejects
	no_spec_violations
	[ "$(received traces | grep -c .)" -eq 1 ]
	req=$(received traces)
	span=$(span_of "$req")
	# success leaves the status unset (no code, or the zero code)
	jq -e '(.status.code // 0) == 0' <<<"$span" || fail "status set: $span"
	[ "$(attr "$span" escalation.traced)" = true ]
	# the process entity: pid + creation time as ps computes it, exe, argv
	res=$(jq -c '.resourceSpans[0].resource' <<<"$req")
	[ "$(attr "$res" process.pid)" = "$TPID_DONE" ]
	[ "$(attr "$res" process.creation.time)" = "$CREATED" ] || fail "creation $(attr "$res" process.creation.time) vs $CREATED"
	[ "$(attr "$res" process.executable.path)" = "$EXE" ]
	[ "$(attr "$res" process.executable.name)" = "$(basename "$EXE")" ]
	[ "$(jq -c '[.attributes[] | select(.key=="process.command_args") | .value.arrayValue.values[].stringValue]' <<<"$res")" = "$ARGS" ]
	[ "$(attr "$res" service.name)" = telkit ]
	# the table as log records: event_name, the span's ids, the counts the target was told to do
	recs=$(received logs | jq -c '.resourceLogs[0].scopeLogs[0].logRecords[]')
	[ -n "$recs" ] || fail "no log records"
	jq -e --arg t "$(jq -r .traceId <<<"$span")" --arg s "$(jq -r .spanId <<<"$span")" \
		'.eventName == "telkit.escalate_trace.syscall" and .traceId == $t and .spanId == $s' <<<"$recs" >/dev/null
	count() { jq -r --arg n "$1" --arg k "$2" 'select(any(.attributes[]; .key=="syscall.name" and .value.stringValue==$n))
		| .attributes[] | select(.key==$k) | .value.intValue' <<<"$recs"; }
	[ "$(count read syscall.count)" -eq 2007 ]
	[ "$(count read syscall.errors)" -eq 7 ]
	[ "$(count futex syscall.count)" -eq 300 ]
	[ "$(count mmap syscall.count)" -eq 50 ]
	[ "$(count munmap syscall.count)" -eq 50 ]
	# every row of the event's table, no more
	[ "$(grep -c . <<<"$recs")" -eq "$(jq -r 'select(.event=="escalation") | .syscalls | length' <<<"$output")" ]
	# no span events in the default form
	jq -e '(.events // []) == []' <<<"$span"
	jq -e '.otlp_sent == 2 and .otlp_failed == 0' <<<"$(summary)"
}

@test "--otlp-syscalls span-events keeps the old form; none sends the span alone" {
	require_bpf
	start_receiver
	trace_target "-r 500 -f 30" --otlp "$URL" --otlp-syscalls span-events
	no_rejects
	[ -z "$(received logs)" ]
	span=$(span_of "$(received traces)")
	jq -e '[.events[] | select(.name=="syscall")] | length >= 2 and length <= 10' <<<"$span"
	[ "$(jq -r '.events[] | select(any(.attributes[]; .value.stringValue=="futex")) | .attributes[] | select(.key=="syscall.count") | .value.intValue' <<<"$span")" -eq 30 ]
	: >"$BATS_TEST_TMPDIR/otlp"
	trace_target "-r 500" --otlp "$URL" --otlp-syscalls none
	[ -z "$(received logs)" ]
	[ "$(received traces | grep -c .)" -eq 1 ]
	jq -e '(.events // []) == []' <<<"$(span_of "$(received traces)")"
}

@test "an untraced escalation: status Error with its message and error.type" {
	start_receiver
	run --separate-stderr "$ET" -j --otlp "$URL" < <(samples u 84 116)
	assert_success
	no_rejects
	no_spec_violations
	span=$(span_of "$(received traces)")
	jq -e '.status.code == 2 and (.status.message | test("no target process"))' <<<"$span"
	[ "$(attr "$span" error.type)" = no_target ]
	# no process known: the resource names the service only
	[ "$(received traces | jq -c '[.resourceSpans[0].resource.attributes[].key]')" = '["service.name"]' ]
}

# ---- what the collector answers ---------------------------------------------

@test "partial_success: counted, warned about with the rejected count, never retried" {
	start_receiver --plan '[{"status":200,"rejected":3,"message":"test: 3 spans refused"}]'
	run --separate-stderr "$ET" -j --otlp "$URL" < <(samples p 84 116 50)
	assert_success
	no_rejects
	# two escalations, two requests: the partial success was not sent again
	[ "$(received traces | grep -c .)" -eq 2 ]
	jq -e '.otlp_sent == 2 and .otlp_retried == 0 and .otlp_rejected_spans == 3' <<<"$(summary)"
	[ "$(grep -c 'rejected 3 span' <<<"$stderr")" -eq 1 ] || fail "no warning naming 3: $stderr"
	[[ "$stderr" == *"test: 3 spans refused"* ]]
}

@test "Retry-After in seconds and as an HTTP-date: the retry waits at least that long" {
	start_receiver --plan '[{"status":503,"retryAfter":"1"},{"status":200},{"status":429,"retryAfter":"date+2"}]'
	run --separate-stderr "$ET" -j --otlp "$URL" < <(samples r 84 116 50)
	assert_success
	no_rejects
	# requests: 1 refused, 2 its retry; 3 (the second escalation) refused, 4 its retry
	mapfile -t ts < <(jq -r '._meta.t_ms' "$BATS_TEST_TMPDIR/otlp")
	[ "${#ts[@]}" -eq 4 ] || fail "requests: $(cat "$BATS_TEST_TMPDIR/otlp")"
	# seconds: 1 s
	python3 -c "import sys; sys.exit(0 if ${ts[1]} - ${ts[0]} >= 1000 else 1)" || fail "waited $(python3 -c "print(${ts[1]} - ${ts[0]})") ms"
	# HTTP-date 2 s ahead (1 s resolution): at least 1 s, and not the 100 ms backoff
	python3 -c "import sys; sys.exit(0 if ${ts[3]} - ${ts[2]} >= 1000 else 1)" || fail "waited $(python3 -c "print(${ts[3]} - ${ts[2]})") ms"
	jq -e '.otlp_sent == 2 and .otlp_retried == 2 and .otlp_failed == 0' <<<"$(summary)"
}

@test "429/503 without Retry-After: exponential backoff with jitter, then success" {
	start_receiver --plan '[{"status":429},{"status":503},{"status":503},{"status":200},
		{"status":503},{"status":200},{"status":503},{"status":200},{"status":503},{"status":200},
		{"status":503},{"status":200}]'
	run --separate-stderr "$ET" -j -v --otlp "$URL" --budget-us 1 < <(samples b 100 100 100 100 100)
	assert_success
	no_rejects
	jq -e '.otlp_sent == 5 and .otlp_retried == 7 and .otlp_failed == 0' <<<"$(summary)"
	mapfile -t ts < <(jq -r '._meta.t_ms' "$BATS_TEST_TMPDIR/otlp")
	mapfile -t waits < <(sed -n 's/.*retry [0-9]* in \([0-9]*\) ms.*/\1/p' <<<"$stderr")
	[ "${#waits[@]}" -eq 7 ] || fail "retry lines: $stderr"
	# the first request's three retries: 100, 200, 400 ms, each x [0.5, 1.5)
	python3 - "${waits[@]:0:3}" <<'EOF' || fail "backoff ${waits[*]:0:3}"
import sys
w = [int(x) for x in sys.argv[1:]]
for i, x in enumerate(w):
    base = 100 << i
    assert base // 2 <= x < base * 3 // 2, (i, x)
EOF
	# the receiver saw each retry no sooner than announced
	python3 - "${ts[@]:0:4}" "${waits[@]:0:3}" <<'EOF' || fail "gaps vs waits"
import sys
t = [float(x) for x in sys.argv[1:5]]; w = [int(x) for x in sys.argv[5:8]]
for i in range(3):
    assert t[i + 1] - t[i] >= w[i], (i, t[i + 1] - t[i], w[i])
EOF
	# jitter: the five first retries (base 100 ms) were not all the same wait
	firsts=$(printf '%s\n' "${waits[@]}" | sed -n '1p;4,7p' | sort -u | grep -c .)
	[ "$firsts" -gt 1 ] || fail "no jitter: ${waits[*]}"
}

# ---- transport --------------------------------------------------------------

@test "gzip: --otlp-compression gzip and OTEL_EXPORTER_OTLP_COMPRESSION round trip" {
	start_receiver
	run --separate-stderr "$ET" -j --otlp "$URL" --otlp-compression gzip < <(samples g 84 116)
	assert_success
	OTEL_EXPORTER_OTLP_COMPRESSION=gzip run --separate-stderr "$ET" -j --otlp "$URL" < <(samples h 84 116)
	assert_success
	no_rejects
	[ "$(received traces | jq -r '._meta.encoding' | sort -u)" = gzip ]
	[ "$(received traces | grep -c .)" -eq 2 ]
	received traces | jq -e '._meta.body_bytes > ._meta.wire_bytes' >/dev/null
	[ "$(attr "$(span_of "$(received traces | tail -1)")" brick.name)" = h ]
	# an unknown value is ignored with a warning
	: >"$BATS_TEST_TMPDIR/otlp"
	OTEL_EXPORTER_OTLP_COMPRESSION=zstd run --separate-stderr "$ET" -j --otlp "$URL" < <(samples i 84 116)
	assert_success
	[[ "$stderr" == *"OTEL_EXPORTER_OTLP_COMPRESSION 'zstd'"* ]]
	[ "$(received traces | jq -r '._meta.encoding')" = identity ]
}

@test "endpoints: generic + signal path, signal endpoint as is, --otlp over both" {
	start_receiver --traces-path /base/v1/traces --logs-path /base/v1/logs
	# no --otlp: the generic variable turns export on, v1/traces appended
	OTEL_EXPORTER_OTLP_ENDPOINT=$BASE/base run --separate-stderr "$ET" -j < <(samples e 84 116)
	assert_success
	[ "$(received traces | jq -r ._meta.path)" = /base/v1/traces ]
	reap $BGPIDS
	BGPIDS=
	rm -f "$BATS_TEST_TMPDIR/otlp"
	start_receiver --traces-path /custom --logs-path /base/v1/logs
	# the signal's own endpoint is used as is and wins over the generic one
	OTEL_EXPORTER_OTLP_ENDPOINT=$BASE/base/ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=$BASE/custom \
		run --separate-stderr "$ET" -j < <(samples f 84 116)
	assert_success
	[ "$(received traces | jq -r ._meta.path)" = /custom ]
	# --otlp wins over both
	OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9/x OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:9/y \
		run --separate-stderr "$ET" -j --otlp "$BASE/custom" --otlp-syscalls none < <(samples g 84 116)
	assert_success
	[ "$(received traces | grep -c .)" -eq 2 ]
	no_rejects
	jq -e '.otlp_sent == 1' <<<"$(summary)"
	# nothing names an endpoint: no export at all
	run --separate-stderr "$ET" -j < <(samples h 84 116)
	assert_success
	jq -e 'has("otlp_sent") | not' <<<"$(summary)"
}

@test "logs endpoint: beside --otlp's /v1/traces, or named; otherwise a usage error" {
	require_bpf
	start_receiver --logs-path /elsewhere/logs
	trace_target "-r 100" --otlp "$URL" --otlp-logs "$BASE/elsewhere/logs"
	no_rejects
	[ "$(received logs | jq -r ._meta.path | sort -u)" = /elsewhere/logs ]
	: >"$BATS_TEST_TMPDIR/otlp"
	OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=$BASE/elsewhere/logs trace_target "-r 100" --otlp "$URL"
	[ "$(received logs | jq -r ._meta.path | sort -u)" = /elsewhere/logs ]
	run --separate-stderr "$ET" -j --otlp "$BASE/somewhere" < /dev/null
	assert_usage_error "--otlp-logs"
}

@test "headers: signal variable over the generic one, --otlp-header over both, values percent-decoded" {
	start_receiver
	OTEL_EXPORTER_OTLP_HEADERS='x-tenant=a%20b%2Cc, x-key = generic' \
		run --separate-stderr "$ET" -j --otlp "$URL" < <(samples h 84 116)
	assert_success
	[ "$(received traces | jq -r '._meta.headers["x-tenant"]')" = "a b,c" ]
	[ "$(received traces | jq -r '._meta.headers["x-key"]')" = generic ]
	: >"$BATS_TEST_TMPDIR/otlp"
	OTEL_EXPORTER_OTLP_HEADERS='x-tenant=t,x-key=generic' OTEL_EXPORTER_OTLP_TRACES_HEADERS='x-key=traces' \
		run --separate-stderr "$ET" -j --otlp "$URL" < <(samples h 84 116)
	assert_success
	[ "$(received traces | jq -c '._meta.headers')" = '{"x-key":"traces"}' ]
	: >"$BATS_TEST_TMPDIR/otlp"
	OTEL_EXPORTER_OTLP_TRACES_HEADERS='x-key=traces,x-bad=%0d%0aInjected: 1' \
		run --separate-stderr "$ET" -j --otlp "$URL" --otlp-header x-key=option < <(samples h 84 116)
	assert_success
	[ "$(received traces | jq -c '._meta.headers')" = '{"x-key":"option"}' ]
	[[ "$stderr" == *"OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-bad="* ]] || fail "no warning: $stderr"
}

@test "timeout: OTEL_EXPORTER_OTLP_TIMEOUT (ms) bounds each attempt against a collector that never answers" {
	require_cmd python3
	start_blackhole
	url=$BLACKHOLE_URL
	# two requests, no retries, 3 s to drain: 300 ms attempts both fail in time;
	# the 2 s default would leave the second one undelivered (dropped)
	OTEL_EXPORTER_OTLP_TIMEOUT=300 run --separate-stderr "$ET" -j --otlp "$url" --otlp-retries 0 \
		--otlp-flush 3s < <(samples t 84 116 50)
	assert_success
	jq -e '.otlp_failed == 2 and .otlp_dropped == 0' <<<"$(summary)"
	[[ "$stderr" == *"Timeout"* ]] || fail "$stderr"
	OTEL_EXPORTER_OTLP_TIMEOUT=soon OTEL_EXPORTER_OTLP_PROTOCOL=grpc run --separate-stderr "$ET" -j \
		--otlp "$url" --otlp-timeout 100ms --otlp-retries 0 < <(samples t 84 116)
	assert_success
	[[ "$stderr" == *"OTEL_EXPORTER_OTLP_PROTOCOL 'grpc'"* ]] || fail "$stderr"
	# --otlp-timeout wins: the variable is not even read
	[[ "$stderr" != *"OTEL_EXPORTER_OTLP_TIMEOUT"* ]] || fail "$stderr"
}

# ---- bounded bodies ----------------------------------------------------------

@test "--otlp-max-body: the syscall table is split across requests, each within the cap" {
	require_bpf
	start_receiver --max-body 4096
	trace_target "-r 300 -f 30 -m 10 -e 3 -t 2" --otlp "$URL" --otlp-max-body 4KiB --top 512
	no_rejects
	no_spec_violations
	nlogs=$(received logs | grep -c .)
	[ "$nlogs" -ge 2 ] || fail "not split: $nlogs request(s)"
	# the receiver measured every body: none over 4096 bytes (it answers 413 to those)
	received logs | jq -e '._meta.body_bytes <= 4096' >/dev/null
	# together they hold every row once
	got=$(received logs | jq -r '.resourceLogs[0].scopeLogs[0].logRecords[] | .attributes[] | select(.key=="syscall.name") | .value.stringValue' | sort)
	want=$(jq -r 'select(.event=="escalation") | .syscalls[].name' <<<"$output" | sort)
	[ "$got" = "$want" ] || fail "rows differ: $got vs $want"
	[ "$(sort -u <<<"$got" | grep -c .)" -eq "$(grep -c . <<<"$got")" ]
	# a span that cannot fit is not sent: counted and warned about
	: >"$BATS_TEST_TMPDIR/otlp"
	name=$(printf '\\u0001%.0s' $(seq 250))
	run --separate-stderr "$ET" -j --otlp "$URL" --otlp-max-body 4KiB \
		< <(printf '{"name":"%s","value":84}\n{"name":"%s","value":116}\n' "$name" "$name")
	assert_success
	jq -e '.otlp_too_large == 1 and .otlp_sent == 0' <<<"$(summary)"
	[[ "$stderr" == *"over --otlp-max-body 4096 bytes"* ]] || fail "$stderr"
	[ ! -s "$BATS_TEST_TMPDIR/otlp" ]
}

@test "--exec: the resource is the traced child (sh -c CMD), read before it is reaped" {
	require_bpf
	start_receiver
	t0=$(date -u +%s)
	run --separate-stderr "$ET" -j --exec 'true' --runs 2 --budget-us 0.001 --otlp "$URL" \
		--otlp-syscalls none --rate-limit 1/1h
	assert_success
	t1=$(date -u +%s)
	no_rejects
	no_spec_violations
	ev=$(escalations | head -1)
	[ "$(jq -r .traced <<<"$ev")" = true ]
	res=$(received traces | head -1 | jq -c '.resourceSpans[0].resource')
	[ "$(attr "$res" process.pid)" = "$(jq -r .pid <<<"$ev")" ]
	[ "$(attr "$res" process.executable.name)" = sh ] || [ "$(attr "$res" process.executable.name)" = dash ] ||
		fail "exe: $res"
	# created during this run (ISO 8601, whole seconds compared)
	c=$(date -u -d "$(attr "$res" process.creation.time)" +%s)
	[ "$c" -ge $((t0 - 1)) ] && [ "$c" -le $((t1 + 1)) ] || fail "creation $c not in [$t0, $t1]"
}
