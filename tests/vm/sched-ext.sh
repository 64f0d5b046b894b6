# tests/vm script (busybox sh, as root in the sched_ext guest): real example
# schedulers under bpfwatch, progstats and worker-spawn.  Everything the host
# checks lands under $OUT/<phase>/; tests/60-sched-ext.bats reads it.
# A scheduler's stdout is stamped line by line (tsline) so its own printouts
# can be held against our records on the host (tests/vm/bracket.py).
set -u

stamp() { echo "$*" | tsline; }
state() { cat /sys/kernel/sched_ext/state 2>/dev/null || echo none; }
wait_state() { # STATE: up to 30 s
	i=0
	while [ "$(state)" != "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(state)" = "$1" ]
}
# start_sched DIR NAME [ARGS]: the scheduler's stamped stdout in DIR/NAME.out,
# its stderr in DIR/NAME.err; $sched_pid is the scheduler itself.
start_sched() {
	dir=$1 name=$2
	shift 2
	rm -f /tmp/$name.fifo
	mkfifo /tmp/$name.fifo
	tsline </tmp/$name.fifo >"$dir/$name.out" &
	"$name" "$@" >/tmp/$name.fifo 2>"$dir/$name.err" &
	sched_pid=$!
}
# stop_sched DIR NAME: SIGINT, its exit status in DIR/NAME.rc
stop_sched() {
	kill -INT $sched_pid
	wait $sched_pid
	echo $? >"$1/$2.rc"
	wait_state disabled
}
# sysfs DIR: the scheduler's identity as the kernel shows it
sysfs() {
	for f in state switch_all nr_rejected root/ops; do
		echo "$f $(cat /sys/kernel/sched_ext/$f 2>/dev/null)"
	done >"$1/sysfs"
}
# load: a little CPU churn so the schedulers have work (stopped by its pid)
load() {
	(while :; do i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); done; sleep 0.01; done) &
	load_pid=$!
}

echo "kernel $(uname -r)"
load

# --- 1. scx_simple: attach, progstats against bpftool -------------------
d=$OUT/simple
mkdir -p $d
echo "state-before $(state)" >$d/state
start_sched $d scx_simple
wait_state enabled
sysfs $d
progstats -j -i 300ms -c 14 >$d/progstats.jsonl 2>$d/progstats.err &
ps_pid=$!
sleep 2
stamp t0 >$d/bpftool.stamps
bpftool -j prog show >$d/bpftool.json
stamp t1 >>$d/bpftool.stamps
wait $ps_pid
echo $? >$d/progstats.rc

# --- 2. swap: bpfwatch on scx_central's .bss across simple -> central ------
d=$OUT/swap
mkdir -p $d
bpfwatch -j -i 200ms --obj scx_central .bss:nr_total:counter:total .bss:nr_locals:counter:locals \
	.bss:nr_timers:counter:timers .bss:nr_dispatches:counter:dispatches \
	>$d/bpfwatch.jsonl 2>$d/bpfwatch.err &
bw_pid=$!
sleep 2
stop_sched $OUT/simple scx_simple
start_sched $d scx_central
wait_state enabled
sysfs $d
sleep 6
kill -INT $sched_pid
wait $sched_pid
echo $? >$d/scx_central.rc
wait_state disabled
sleep 2
mkdir -p $d/again
start_sched $d/again scx_central
wait_state enabled
sleep 3
kill -INT $bw_pid
wait $bw_pid
echo $? >$d/bpfwatch.rc
kill -INT $sched_pid
wait $sched_pid
wait_state disabled

kill $load_pid
echo done
