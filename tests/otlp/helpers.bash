# Shared by the escalate-trace test files: synthetic input lines, escalation
# extraction, and the loopback OTLP receiver (tests/otlp/receiver.js).

# JSON lines {"name":BRICK,"value":V} for each V.
samples() {
	local brick=$1 v
	shift
	for v in "$@"; do printf '{"tool":"x","type":"sample","ts_ns":1,"name":"%s","value":%s}\n' "$brick" "$v"; done
}

# Escalation events (one compact JSON per line) in $output.
escalations() { jq -c 'select(.type=="event" and .event=="escalation")' <<<"$output"; }
nesc() { escalations | grep -c . || true; }

# start_receiver [FAIL_FIRST [STATUS]]: run the receiver in the background
# (pid added to BGPIDS), set URL; skips when npm/node modules are unavailable.
start_receiver() {
	local nm=$TELKIT_ROOT/build/otlp-node
	run "$TELKIT_ROOT/tests/otlp/setup.sh" "$nm"
	[ "$status" -eq 77 ] && skip "$output"
	[ "$status" -eq 0 ] || fail "otlp setup: $output"
	rm -f "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/otlp"
	NODE_PATH=$nm/node_modules node "$TELKIT_ROOT/tests/otlp/receiver.js" \
		"$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/otlp" "$@" & BGPIDS="$BGPIDS $!"
	wait_until 30 test -s "$BATS_TEST_TMPDIR/port" || fail "OTLP receiver did not start"
	URL=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")/v1/traces
}
