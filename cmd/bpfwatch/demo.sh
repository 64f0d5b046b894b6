#!/usr/bin/env bash
# bpfwatch demo: load the test object, list its globals, watch six fields
# (two at indexes 0 and 1 of a per-CPU array without BTF, like scx_simple's stats).
set -u
TELKIT_BIN=${TELKIT_BIN:-$(dirname "$0")/../../build}
loader=$TELKIT_BIN/tests/bpfwatch_loader
if [ "$(id -u)" -ne 0 ] || [ ! -x "$loader" ]; then
	echo "bpfwatch demo: needs root and build/tests/bpfwatch_loader (make all); skipped"
	exit 0
fi
"$loader" > /dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
sleep 0.3
bpfwatch --list test_bpf.bss | head -8
bpfwatch -i 500ms -c 4 \
	test_bpf.bss:sys_stat.avg_lat:scalar:avg_lat \
	test_bpf.bss:sys_stat.nr_sched:counter:nr_sched \
	cpu_ctx_stor:nr_switch:percpu-counter:switches \
	cpu_ctx_stor:util:percpu:util \
	'tw_stats[0]:value:percpu-counter:local' 'tw_stats[1]:value:percpu-counter:global'
