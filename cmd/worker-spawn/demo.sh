#!/usr/bin/env bash
# worker-spawn demo: a spin pair next to a pipe ping-pong pair and a timer
# worker, 2 s, aligned table + summaries; then the same run as JSON summaries.
set -eu
worker-spawn -w spin-wait -n 2 -w pipe-io -n 2 -w timer-latency -d 2s -q
worker-spawn -w futex-ping-pong -n 2 --phases 500ms,500ms -j -q |
	jq -c 'select(.type == "summary") | {scope, work_type, workers, wake_p50_ns, wake_p99_ns}'
