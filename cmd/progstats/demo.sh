#!/usr/bin/env bash
# progstats demo: load a program that runs on every syscall, watch it for 2 s,
# then the cumulative forms (--once, --oneline, Prometheus).
set -u
TELKIT_BIN=${TELKIT_BIN:-$(dirname "$0")/../../build}
loader=$TELKIT_BIN/tests/progstats_load
if [ "$(id -u)" -ne 0 ] || [ ! -x "$loader" ]; then
	echo "progstats demo: needs root and build/tests/progstats_load (make all); skipped"
	exit 0
fi
"$loader" -a -b 3 -t 30 >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
sleep 0.3
progstats -i 500ms -c 4 --top 6 --pids
echo
progstats --once --oneline --top 4
echo
progstats -j -i 500ms -c 1 --name tpstat
echo
progstats --once -o prom --name tpstat | grep -v '^#' | head -6
