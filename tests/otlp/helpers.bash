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

# start_receiver [FAIL_FIRST [STATUS]] [--plan JSON] [--max-body N]
# [--traces-path P] [--logs-path P]: run the receiver (tests/otlp/receiver.js)
# in the background (pid added to BGPIDS); set RPORT, BASE (http://127.0.0.1:
# RPORT) and URL (its /v1/traces); skips when npm/node modules are unavailable.
start_receiver() {
	local nm=$TELKIT_ROOT/build/otlp-node
	run "$TELKIT_ROOT/tests/otlp/setup.sh" "$nm"
	[ "$status" -eq 77 ] && skip "$output"
	[ "$status" -eq 0 ] || fail "otlp setup: $output"
	rm -f "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/otlp"
	NODE_PATH=$nm/node_modules node "$TELKIT_ROOT/tests/otlp/receiver.js" \
		"$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/otlp" "$@" & BGPIDS="$BGPIDS $!"
	wait_until 30 test -s "$BATS_TEST_TMPDIR/port" || fail "OTLP receiver did not start"
	RPORT=$(cat "$BATS_TEST_TMPDIR/port")
	BASE=http://127.0.0.1:$RPORT
	URL=$BASE/v1/traces
}

# What the receiver recorded ($BATS_TEST_TMPDIR/otlp): accepted requests of
# signal $1 (traces|logs), one per line.
received() { jq -c --arg s "$1" 'select(.error == null and .refused == null and ._meta.signal == $s)' \
	"$BATS_TEST_TMPDIR/otlp"; }
# Requests the receiver rejected (Collector rules), one per line.
rejected() { jq -c 'select(.error != null)' "$BATS_TEST_TMPDIR/otlp"; }

# A collector that accepts connections on loopback, reads and never answers;
# sets $BLACKHOLE_URL (its /v1/traces) and adds its pid to $BGPIDS.
start_blackhole() {
	python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$BATS_TEST_TMPDIR/blackhole" & BGPIDS="${BGPIDS:-} $!"
	wait_until 5 test -s "$BATS_TEST_TMPDIR/blackhole"
	BLACKHOLE_URL=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/blackhole")/v1/traces
}
