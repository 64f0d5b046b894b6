#!/usr/bin/env bash
# Pipelines between telkit commands: worker telemetry and BPF program cost
# streamed into escalate-trace as JSON lines.
set -u
TELKIT_BIN=${TELKIT_BIN:-$(dirname "$0")/../../build}
if [ "$(id -u)" -ne 0 ]; then
	echo "pipelines demo: needs root; skipped"
	exit 0
fi
echo "# worker-spawn -j | escalate-trace: wall time per worker against a 0.5 s budget (2 s runs: escalates)"
worker-spawn -j -w mixed -n 2 -w bursty -n 2 -d 2s |
	escalate-trace --type report --name tid --value wall_time_ns --value-unit ns \
		--budget-us 500000 --window 4 --min-samples 1 --rate-limit 2/1m --trace-for 200ms

echo
echo "# progstats -j | escalate-trace: per-call cost of a busy BPF program; CV over 1 % escalates to a syscall breakdown of its loader"
loader=$TELKIT_BIN/tests/progstats_load
if [ -x "$loader" ]; then
	"$loader" -a -b 3 -t 30 >/dev/null &
	pid=$!
	trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
	sleep 0.3
	progstats -j -i 250ms -c 6 --name tpstat |
		escalate-trace --type sample --value ns_per_call --value-unit ns --budget-us 1 --cv 1 \
			--window 3 --rate-limit 1/1m --pid "$pid" --trace-for 200ms
fi
