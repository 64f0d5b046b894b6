#!/usr/bin/env bats
# escalate-trace against a misbehaving OTLP collector: throttling (429),
# server errors (500), and one that accepts connections but never answers.
# The input must never stall and every export outcome must be counted.

load test_helper
load otlp/helpers

setup() {
	ET=$(bin escalate-trace)
	[ -x "$ET" ] || skip "escalate-trace is not built"
	# two samples escalate, as in the seed: no sample floor, no cooldown
	printf '#!/bin/sh\nexec "%s" --min-samples 1 --cooldown 0 "$@"\n' "$ET" >"$BATS_TEST_TMPDIR/et"
	chmod +x "$BATS_TEST_TMPDIR/et"
	ET=$BATS_TEST_TMPDIR/et
	require_cmd node jq
	BGPIDS=
}

teardown() {
	[ -n "${BGPIDS:-}" ] && kill $BGPIDS 2>/dev/null
	true
}

summary() { jq -c 'select(.type=="summary")' <<<"$output"; }

@test "--otlp: 429 is retried after Retry-After, then delivered" {
	start_receiver 1 429
	run --separate-stderr "$ET" -j --otlp "$URL" < <(samples t 84 116)
	assert_success
	[ "$(nesc)" -eq 1 ]
	[ "$(grep -c '"refused"' "$BATS_TEST_TMPDIR/otlp")" -eq 1 ]
	[ "$(grep -c resourceSpans "$BATS_TEST_TMPDIR/otlp")" -eq 1 ]
	jq -e '.otlp_sent == 1 and .otlp_retried == 1 and .otlp_failed == 0' <<<"$(summary)"
}

@test "--otlp: 500 is not retried; the failure is counted and reported once" {
	start_receiver 5 500
	run --separate-stderr "$ET" -j --otlp "$URL" --otlp-retries 3 < <(samples f 84 116)
	assert_success
	[ "$(nesc)" -eq 1 ]
	[ "$(grep -c '"refused"' "$BATS_TEST_TMPDIR/otlp")" -eq 1 ]
	! grep -q resourceSpans "$BATS_TEST_TMPDIR/otlp"
	jq -e '.otlp_sent == 0 and .otlp_retried == 0 and .otlp_failed == 1' <<<"$(summary)"
	[[ "$stderr" == *500* ]] || fail "the HTTP status is not named: $stderr"
}

@test "--otlp: a collector that never answers does not stall the input" {
	require_cmd python3
	start_blackhole
	url=$BLACKHOLE_URL
	start=$SECONDS
	# 6 escalations; each export attempt times out after 500 ms, queue holds 2
	run --separate-stderr timeout 60 "$ET" -j --otlp "$url" --otlp-timeout 500ms \
		--otlp-retries 0 --otlp-queue 2 --otlp-flush 1s --budget-us 1 \
		< <(samples b 100 100 100 100 100 100)
	assert_success
	[ "$(nesc)" -eq 6 ]
	jq -e '.otlp_sent == 0 and .otlp_failed + .otlp_dropped == 6 and .otlp_dropped >= 1' <<<"$(summary)"
	# serial exports would need >= 6 x 500 ms before the last escalation; with a
	# bounded queue the whole run ends within the flush wait plus one attempt
	[ $((SECONDS - start)) -lt 20 ] || fail "took $((SECONDS - start)) s"
}
