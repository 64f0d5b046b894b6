#!/usr/bin/env bash
# escalate-trace demo: a steady stream, then an unstable one whose escalation
# traces a real process doing known syscalls; then --exec on dd.
set -u
TELKIT_BIN=${TELKIT_BIN:-$(dirname "$0")/../../build}
target=$TELKIT_BIN/tests/escalate_target
if [ "$(id -u)" -ne 0 ] || [ ! -x "$target" ]; then
	echo "escalate-trace demo: needs root and build/tests/escalate_target (make all); skipped"
	exit 0
fi
"$target" -t 2 -r 200000 -f 20000 -m 2000 -s 5000 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
echo "# samples of brick 'attention' (budget 10 µs); the 5th one is slow"
for v in 9 10 9 10 31; do
	printf '{"tool":"demo","type":"sample","ts_ns":0,"name":"attention","value":%s,"pid":%d}\n' "$v" "$pid"
done | escalate-trace --budget-us 10 --pid pid --trace-for 500ms --rate-limit 1/1m
echo
echo "# --exec: dd's run time as samples, escalation traces one more run"
escalate-trace --exec 'dd if=/dev/zero of=/dev/null bs=1 count=20000 status=none' \
	--runs 3 --budget-us 1 --rate-limit 1/1m --trace-for 2s --top 5 -j |
	jq -c 'select(.event=="escalation") | {brick_name, reason, partial, breakdown, otlp}' 2>/dev/null ||
	echo "(jq missing)"
