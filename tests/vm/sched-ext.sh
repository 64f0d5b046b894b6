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

# --- 0. no scheduler attached: SCHED_EXT tasks run on the fair class -------
d=$OUT/noscx
mkdir -p $d
echo "state $(state)" >$d/sysfs
worker-spawn -j -w spin-wait -n 2 --policy ext -d 1s >$d/ws.jsonl 2>$d/ws.err
echo $? >$d/ws.rc

# --- 1. scx_simple: attach, progstats against bpftool -------------------
d=$OUT/simple
mkdir -p $d
echo "state-before $(state)" >$d/state
start_sched $d scx_simple
wait_state enabled
sysfs $d
bpfwatch -j -i 200ms --obj scx_simple 'stats[0]:value:percpu-counter:local' \
	'stats[1]:value:percpu-counter:global' >$d/bpfwatch.jsonl 2>$d/bpfwatch.err &
bw_pid=$!
progstats -j -i 300ms -c 14 >$d/progstats.jsonl 2>$d/progstats.err &
ps_pid=$!
sleep 2
stamp t0 >$d/bpftool.stamps
bpftool -j prog show >$d/bpftool.json
stamp t1 >>$d/bpftool.stamps
bpftool -j map show >$d/bpftool.maps.json
wait $ps_pid
echo $? >$d/progstats.rc
progstats -j -i 300ms -c 4 --group obj >$d/group.jsonl 2>$d/group.err
echo $? >$d/group.rc
progstats -i 300ms -c 2 --group obj >$d/group.txt 2>&1
progstats -o prom --once --group obj >$d/group.prom 2>&1
# progstats' own struct_ops check (also run on the host against a TCP CC)
WALKS="auto syscall" sh /data/progstats-struct-ops.sh >$d/struct-ops.out 2>&1
echo $? >$d/struct-ops.rc
kill -INT $bw_pid
wait $bw_pid
echo $? >$d/bpfwatch.rc

# --- 3. worker-spawn --policy ext on scx_simple ------------------------------
d=$OUT/ext
mkdir -p $d
cat /sys/kernel/sched_ext/root/events >$d/events.before
stamp start >$d/stamps
worker-spawn -j -w spin-wait -n 2 --policy ext -w pipe-io -n 2 --policy ext -d 3s \
	--assert scx-events-clean >$d/ws.jsonl 2>$d/ws.err
echo $? >$d/ws.rc
stamp end >>$d/stamps
cat /sys/kernel/sched_ext/root/events >$d/events.after
sleep 1.5

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

# --- 4. scx_qmap: partial switch (-p) and a refused switch (-d PID) ---------
d=$OUT/qmap
mkdir -p $d
start_sched $d scx_qmap -p
wait_state enabled
sysfs $d
sleep 2
stamp start >$d/stamps
worker-spawn -j -w spin-wait -n 2 --policy ext -w spin-wait -n 1 -d 3s >$d/ws.jsonl 2>$d/ws.err
echo $? >$d/ws.rc
stamp end >>$d/stamps
sleep 1.5
stop_sched $d scx_qmap
mkdir -p $d/deny
# -d PID marks one existing process disallowed when scx_qmap attaches (7.2
# refuses marking a task at fork), so the switch comes later: --policy-delay.
# The delay leaves scx_qmap (verifier, under TCG) ample time to attach first;
# the stamps let the host tell if it did not.
stamp ws-start >$d/deny/stamps
worker-spawn -v -j -w spin-wait -n 2 -d 17s --policy ext --policy-delay 14s \
	>$d/deny/ws.jsonl 2>$d/deny/ws.err &
ws_pid=$!
i=0
while ! grep -q 'running 2 workers' $d/deny/ws.err && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
victim=$(cat /proc/$ws_pid/task/$ws_pid/children | tr ' ' '\n' | grep . | head -1)
start_sched $d/deny scx_qmap -p -d $victim
wait_state enabled
stamp qmap-enabled >>$d/deny/stamps
sysfs $d/deny
echo "victim $victim" >>$d/deny/sysfs
wait $ws_pid
echo $? >$d/deny/ws.rc
stop_sched $d/deny scx_qmap

# --- 5. scx_flatcg: per-index stats against its printed deltas -------------
d=$OUT/flatcg
mkdir -p $d
start_sched $d scx_flatcg -i 1
wait_state enabled
sysfs $d
bpfwatch -j -i 200ms -d 7s --obj scx_flatcg 'stats[0]:value:percpu-counter:act' \
	'stats[2]:value:percpu-counter:local' >$d/bpfwatch.jsonl 2>$d/bpfwatch.err
echo $? >$d/bpfwatch.rc
stop_sched $d scx_flatcg

kill $load_pid
echo done
