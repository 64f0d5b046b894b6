#!/usr/bin/env bats
# worker-spawn, issue 15 placement and memory churn: each type's behaviour
# seen by a peer (perf's page-fault and cgroup_attach_task counts, strace's
# syscall counts, /proc numa_maps and status, the cgroup v2 tree), never by
# our own figure alone.

load test_helper
load worker-spawn

setup() {
	ws_setup
	CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
}

sum_of() { jq -s "[.[] | select(.type == \"report\") | .$1] | add" <<<"$2"; }
nodes_online() { cat /sys/devices/system/node/online 2>/dev/null || echo 0; }
one_node() { [ "$(nodes_online)" = 0 ]; }

workers() { pgrep -P "$ws"; }

# stop_ws SIG: send SIG to $ws; it must exit 0 with nothing on stderr but
# its -v "running" line, and stdout all JSON objects.
stop_ws() {
	local rc
	kill -"$1" "$ws"
	wait "$ws" && rc=0 || rc=$?
	[ "$rc" -eq 0 ] || fail "SIG$1: exit $rc: $(head -5 "$BATS_TEST_TMPDIR/err")"
	! grep -v 'running [0-9]* worker' "$BATS_TEST_TMPDIR/err" | grep -q . ||
		fail "stderr: $(head -5 "$BATS_TEST_TMPDIR/err")"
	jq -se 'all(type == "object")' "$BATS_TEST_TMPDIR/out" >/dev/null ||
		fail "not JSON lines: $(head -3 "$BATS_TEST_TMPDIR/out")"
}

# perf_count EVENT FILE: the count perf stat -x, wrote to FILE for EVENT.
perf_count() { awk -F, -v e="$1" '$3 == e { print $1 }' "$2"; }


@test "page-fault-churn: our fault count is perf's page-faults count, less the run's own" {
	require_cmd perf
	# the run's own faults (start-up, reservoirs; many more under ASan): the
	# same run with workers that fault nothing of their own
	perf stat -x, -e page-faults -o "$BATS_TEST_TMPDIR/perf0" -- \
		"$WSBIN" -w spin-wait -n 2 -d 2s -j -q >/dev/null || fail "exit $?"
	own=$(perf_count page-faults "$BATS_TEST_TMPDIR/perf0")
	perf stat -x, -e page-faults -o "$BATS_TEST_TMPDIR/perf" -- \
		"$WSBIN" -w page-fault-churn -n 2 -d 2s -j -q >"$BATS_TEST_TMPDIR/out" ||
		fail "exit $?"
	ours=$(sum_of work_units "$(cat "$BATS_TEST_TMPDIR/out")")
	peer=$(perf_count page-faults "$BATS_TEST_TMPDIR/perf")
	echo "# ours=$ours perf=$peer, perf of a run without churn=$own"
	[ "$ours" -gt 10000 ] || fail "too few faults to compare: $ours"
	# perf also counts the run's own faults; counting touches instead of
	# first touches would put ours ~12% above perf's
	[ "$ours" -le "$peer" ] || fail "ours $ours > perf $peer"
	[ $((peer - ours)) -le $((ours / 100 + 2 * own)) ] || fail "ours $ours vs perf $peer (own $own)"
}

@test "page-fault-churn: every page of a small region faults in every cycle" {
	# 16 pages, 1000 random touches a cycle: each page is touched (P(miss) ~ 1e-28)
	run --separate-stderr "$WSBIN" -w page-fault-churn:region_kib=64,touches_per_cycle=1000,spin_iters=0 \
		-d 1s -j -q
	assert_success
	r=$(reports "$output")
	pages=$((64 * 1024 / $(getconf PAGESIZE)))
	jq -e --argjson p "$pages" '.iterations > 10 and .work_units == $p * .iterations' <<<"$r" \
		>/dev/null || fail "$r"
}

@test "numa-working-set-sweep: the region is bound (numa_maps), one mbind per sweep (strace)" {
	require_cmd strace
	no_lsan
	n0=$(nodes_online | cut -d, -f1 | cut -d- -f1)
	# -ff: one file per thread, so a call the stop interrupts is never split
	# into "unfinished"/"resumed" lines the count below would miss
	strace -f -ff -qq -e trace=mbind -o "$BATS_TEST_TMPDIR/st" -- "$WSBIN" -v -j \
		-w "numa-working-set-sweep:region_kib=256,sweep_period_ms=20,target_nodes=$n0" -d 30s \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	st=$!
	wait_until 30 grep -q 'running 1 worker' "$BATS_TEST_TMPDIR/err" || fail "never ran"
	ws=$(pgrep -P $st)
	w=$(pgrep -P "$ws" | head -1)
	pages=$((256 * 1024 / $(getconf PAGESIZE)))
	# the run lasts until the region is seen bound, then SIGINT ends it
	wait_until 10 grep -q "bind:$n0 anon=$pages " "/proc/$w/numa_maps" ||
		fail "no bound region: $(grep -v file= /proc/$w/numa_maps)"
	kill -INT "$ws"
	wait "$st"
	r=$(reports "$(cat "$BATS_TEST_TMPDIR/out")")
	calls=$(cat "$BATS_TEST_TMPDIR"/st.* | grep -c 'mbind(.*MPOL_BIND.*MPOL_MF_MOVE) *= 0$')
	# the last sleep, cut short by the stop, is no sample
	jq -e --argjson c "$calls" '.iterations == $c and .work_units == .iterations * '"$pages"' and
		.wake_sample_total >= .iterations - 1 and .wake_sample_total <= .iterations' <<<"$r" \
		>/dev/null ||
		fail "strace: $calls mbind; $r"
	if one_node; then
		grep -q "1 NUMA node online: the sweep binds to that node only" \
			"$BATS_TEST_TMPDIR/err" || fail "no one-node warning: $(cat "$BATS_TEST_TMPDIR/err")"
	fi
}

@test "numa-migration-churn: one sched_setaffinity per period (strace), one-node warning" {
	require_cmd strace
	no_lsan
	run --separate-stderr strace -f -qq -e trace=sched_setaffinity -o "$BATS_TEST_TMPDIR/st" -- \
		"$WSBIN" -w numa-migration-churn:period_ms=20 -d 1s -j
	assert_success
	calls=$(grep -c 'sched_setaffinity(0, .*) *= 0$' "$BATS_TEST_TMPDIR/st")
	iters=$(sum_of iterations "$output")
	echo "# strace=$calls iterations=$iters"
	[ "$iters" -ge 10 ] && [ "$calls" -eq "$iters" ] || fail "strace $calls, iterations $iters"
	if one_node; then
		[[ "$stderr" == *"1 NUMA node online: every rotation re-pins to the same node"* ]] ||
			fail "no one-node warning: $stderr"
	fi
	# the group summary says how many nodes it had: sysfs's node directories
	nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
	[ "$nodes" -gt 0 ] || nodes=1
	jq -se --argjson n "$nodes" '[.[] | select(.type == "summary" and .scope == "group")][0] |
		.numa_nodes_online == $n' <<<"$output" >/dev/null || fail "$output"
	jq -se '[.[] | select(.type == "summary" and .scope == "run")][0] | has("numa_nodes_online") | not' \
		<<<"$output" >/dev/null || fail "the run summary has numa_nodes_online"

}

@test "cross-affinity-churn: a sibling's allowed CPUs flip between two masks one CPU apart" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	all=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
	# a long run, stopped once both masks were seen (a short one could end
	# first under load)
	start_ws -w cross-affinity-churn -n 2 -d 60s -j
	w=$(workers | head -1)
	mask() { sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$w/status"; }
	narrowed_to() { narrowed=$(mask) && [ -n "$narrowed" ] && [ "$narrowed" != "$all" ]; }
	wait_until 20 narrowed_to || fail "never narrowed from $all"
	wait_until 20 eval '[ "$(mask)" = "$all" ]' || fail "never widened back to $all"
	stop_ws INT
	# the narrowed mask is the full one less its lowest CPU
	lowest=$(cut -d, -f1 <<<"$all" | cut -d- -f1)
	python3 -c 'import sys
def cpus(s):
    out = set()
    for p in s.split(","):
        a, _, b = p.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out
a, n, lo = cpus(sys.argv[1]), cpus(sys.argv[2]), int(sys.argv[3])
sys.exit(0 if n == a - {lo} else 1)' "$all" "$narrowed" "$lowest" || fail "narrowed $narrowed of $all"
	r=$(reports "$(cat "$BATS_TEST_TMPDIR/out")")
	jq -e '.wake_sample_total == .iterations and .iterations > 0' <<<"$r" >/dev/null || fail "$r"
}

@test "cross-affinity-churn: one CPU is not enough (exit 2)" {
	require_cmd taskset
	run --separate-stderr taskset -c 0 "$WSBIN" -w cross-affinity-churn -n 2 -d 1s
	assert_usage_error "2 CPUs"
}

@test "cgroup-churn: its groups come and go under --cgroup, each worker moves through both" {
	require_root
	cg="telkit-wsmem-churn-$$"
	start_ws -w cgroup-churn:groups=2,cycle_ms=10 -n 2 --cgroup "$cg" -d 30s -j
	for i in 0 1; do
		[ -d "$CGROOT/$cg/wt-cgroup-churn-$i" ] || fail "wt-cgroup-churn-$i missing"
	done
	[ ! -e "$CGROOT/$cg/wt-cgroup-churn-2" ] || fail "a third group with groups=2"
	for w in $(workers); do
		for i in 0 1; do
			wait_until 20 grep -qx "$w" "$CGROOT/$cg/wt-cgroup-churn-$i/cgroup.procs" ||
				fail "worker $w never in wt-cgroup-churn-$i"
		done
	done
	stop_ws TERM
	[ ! -e "$CGROOT/$cg" ] || fail "left behind: $(find "$CGROOT/$cg" -maxdepth 1 -type d)"
}

@test "cgroup-churn: its moves are the kernel's cgroup_attach_task count (perf)" {
	require_root
	require_cmd perf
	cg="telkit-wsmem-cct-$$"
	perf stat -x, -a -e cgroup:cgroup_attach_task --filter "dst_path ~ \"*$cg*\"" \
		-o "$BATS_TEST_TMPDIR/perf" -- "$WSBIN" -w cgroup-churn:cycle_ms=5 -n 2 --cgroup "$cg" \
		-d 1s -j -q >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		skip "perf cannot count cgroup:cgroup_attach_task: $(cat "$BATS_TEST_TMPDIR/err")"
	ours=$(sum_of work_units "$(cat "$BATS_TEST_TMPDIR/out")")
	peer=$(perf_count cgroup:cgroup_attach_task "$BATS_TEST_TMPDIR/perf")
	echo "# ours=$ours perf=$peer"
	# perf also sees the parent move each of the 2 workers into --cgroup
	[ "$ours" -gt 20 ] && [ "$peer" -eq $((ours + 2)) ] || fail "ours $ours, perf $peer"
	[ ! -e "$CGROOT/$cg" ] || fail "$CGROOT/$cg left behind"
}

@test "cgroup-attach-storm: attaches are the kernel's cgroup_attach_task count (perf), dest removed" {
	require_root
	require_cmd perf
	cg="telkit-wsmem-storm-$$"
	perf stat -x, -a -e cgroup:cgroup_attach_task --filter "dst_path ~ \"*$cg*\"" \
		-o "$BATS_TEST_TMPDIR/perf" -- "$WSBIN" -w cgroup-attach-storm:dest=sink --cgroup "$cg" \
		-d 1s -j -q >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		skip "perf cannot count cgroup:cgroup_attach_task: $(cat "$BATS_TEST_TMPDIR/err")"
	r=$(reports "$(cat "$BATS_TEST_TMPDIR/out")")
	ours=$(jq .work_units <<<"$r")
	peer=$(perf_count cgroup:cgroup_attach_task "$BATS_TEST_TMPDIR/perf")
	echo "# ours=$ours perf=$peer"
	# + the worker's own move into --cgroup; sigign: no wake samples
	[ "$ours" -gt 20 ] && [ "$peer" -eq $((ours + 1)) ] || fail "ours $ours, perf $peer"
	jq -e '.wake_sample_total == 0 and .iterations >= .work_units' <<<"$r" >/dev/null || fail "$r"
	[ ! -e "$CGROOT/$cg" ] || fail "$CGROOT/$cg left behind"
}

@test "cgroup-attach-storm: reap=waitpid samples each waitpid; SIGINT leaves nothing" {
	require_root
	cg="telkit-wsmem-wait-$$"
	start_ws -w cgroup-attach-storm:reap=waitpid --cgroup "$cg" -d 30s -j
	[ -d "$CGROOT/$cg/wt-attach-storm" ] || fail "no dest cgroup"
	stop_ws INT
	r=$(reports "$(cat "$BATS_TEST_TMPDIR/out")")
	jq -e '.iterations > 0 and .wake_sample_total == .iterations' <<<"$r" >/dev/null || fail "$r"
	[ ! -e "$CGROOT/$cg" ] || fail "left behind: $(find "$CGROOT/$cg" -maxdepth 1 -type d)"
}

@test "cgroup types: an existing group of the same name is refused and kept" {
	require_root
	cg="telkit-wsmem-exist-$$"
	mkdir -p "$CGROOT/$cg/wt-cgroup-churn-1"
	run --separate-stderr "$WSBIN" -w cgroup-churn --cgroup "$cg" -d 1s -j
	assert_equal "$status" 1
	[[ "$stderr" == *"wt-cgroup-churn-1"* && "$stderr" == *"fix: "* ]] || fail "$stderr"
	[ -d "$CGROOT/$cg/wt-cgroup-churn-1" ] || fail "someone else's cgroup removed"
	[ ! -e "$CGROOT/$cg/wt-cgroup-churn-0" ] || fail "ours left behind"
	rmdir "$CGROOT/$cg/wt-cgroup-churn-1" "$CGROOT/$cg"
}

@test "--mempolicy: every mode is the worker's policy in /proc/PID/numa_maps" {
	n0=$(nodes_online | cut -d, -f1 | cut -d- -f1)
	for m in "bind:$n0 bind:$n0" "preferred:$n0 prefer:$n0" "interleave:$n0 interleave:$n0" \
		 "preferred-many:$n0 prefer (many):$n0" "weighted-interleave:$n0 weighted interleave:$n0" \
		 "local local"; do
		arg=${m%% *} want=${m#* }
		start_ws --mempolicy "$arg" -w spin-wait -d 30s -j
		w=$(workers | head -1)
		wait_until 10 grep -qF " $want " "/proc/$w/numa_maps" ||
			fail "$arg: $(head -2 "/proc/$w/numa_maps")"
		stop_ws INT
	done
}

@test "--mempolicy: a node the kernel refuses is a runtime error naming it (exit 1)" {
	last=$(nodes_online | tr ',' '\n' | tail -1 | cut -d- -f2)
	run --separate-stderr "$WSBIN" --mempolicy "bind:$((last + 1))" -w spin-wait -d 1s -j
	assert_equal "$status" 1
	[[ "$stderr" == *"--mempolicy 'bind:$((last + 1))': the kernel refuses it"* ]] || fail "$stderr"
	[[ "$stderr" == *"fix: "* ]] || fail "$stderr"
}

@test "page-locality and cross-node-migration: skipped with the reason on one node, never a pass" {
	one_node || skip "$(nodes_online): more than one NUMA node"
	# only checks this machine cannot evaluate: inconclusive (4), each skip a check record
	run --separate-stderr "$WSBIN" -w page-fault-churn -d 1s -j \
		--assert page-locality=0.5 --assert cross-node-migration=0.5
	assert_equal "$status" 4
	for c in page-locality cross-node-migration; do
		[[ "$stderr" == *"warning: assert $c: skipped: 1 NUMA node online"* ]] || fail "$stderr"
		jq -se --arg c "$c" '[.[] | select(.type == "check" and .check == $c)] | length == 1 and
			(.[0] | .outcome == "skipped" and (.reason | startswith("1 NUMA node online")))' \
			<<<"$output" >/dev/null || fail "$output"
	done
	! jq -se 'any(.[]; .type == "error")' <<<"$output" >/dev/null || fail "an error record: $output"
	# with a check that can be evaluated and passes: exit 0, the skip still visible (-q too)
	run --separate-stderr "$WSBIN" -w page-fault-churn -d 1s -j -q \
		--assert page-locality=0.5 --assert min-iteration-rate=0.001
	assert_success
	jq -se '[.[] | select(.type == "check")] | length == 1 and .[0].check == "page-locality"' \
		<<<"$output" >/dev/null || fail "$output"
	# and with one that fails: the failure decides (3)
	run --separate-stderr "$WSBIN" -w page-fault-churn -d 1s -j -q \
		--assert cross-node-migration=0.5 --assert min-iteration-rate=1e12
	assert_equal "$status" 3
	# text: a check line
	run --separate-stderr "$WSBIN" -w page-fault-churn -d 500ms -q --assert page-locality=0.5
	assert_equal "$status" 4
	[[ "$output" == *"check check=page-locality outcome=skipped reason="* ]] || fail "$output"
}

@test "two NUMA nodes (guest): sweeps move pages, churn moves CPUs, checks run, --mempolicy binds" {
	out=$BATS_TEST_TMPDIR/vm
	st=0
	"$TELKIT_ROOT/tests/vm/run" --numa 2 --out "$out" --timeout 280 \
		"$TELKIT_ROOT/tests/vm/ws-numa.sh" >"$BATS_TEST_TMPDIR/vm.out" 2>"$BATS_TEST_TMPDIR/vm.err" ||
		st=$?
	[ "$st" -ne 77 ] || skip "$(tail -1 "$BATS_TEST_TMPDIR/vm.err")"
	[ "$st" -eq 0 ] && grep -qx done "$BATS_TEST_TMPDIR/vm.out" ||
		fail "guest exit $st: $(tail -20 "$BATS_TEST_TMPDIR/vm.err")"
	assert_equal "$(cat "$out/online")" 0-1
	for c in sweep mig near bind1 nopol; do
		assert_equal "$(cat "$out/$c.rc")" 0
	done
	! grep -q "NUMA node online" "$out"/*.err || fail "a one-node warning on two nodes"
	jq -se '[.[] | select(.type == "summary" and .scope == "group")][0] | .numa_nodes_online == 2' \
		"$out/sweep.json" >/dev/null || fail "$(cat "$out/sweep.json")"
	# each sweep after the first moves the whole region (256 pages) to the
	# other node: the kernel's pgmigrate_success counts at least that
	moved=$(( $(cat "$out/sweep.pgm1") - $(cat "$out/sweep.pgm0") ))
	iters=$(sum_of iterations "$(cat "$out/sweep.json")")
	echo "# pgmigrate_success +$moved over $iters sweeps"
	[ "$iters" -ge 3 ] && [ "$moved" -ge $(( (iters - 1) * 256 )) ] || fail "moved $moved, $iters sweeps"
	# numa-migration-churn: /proc saw the worker on both nodes' CPUs (0 and 1)
	[ "$(sort -u "$out/mig.cpus" | paste -sd,)" = 0,1 ] || fail "cpus: $(sort -u "$out/mig.cpus")"
	# page-locality: the region on node 1 with CPU 0 fails, on node 0 passes
	assert_equal "$(cat "$out/far.rc")" 3
	grep -q "assert page-locality: group 0: page locality" "$out/far.err" || fail "$(cat "$out/far.err")"
	# --mempolicy bind:1 puts the 64 MiB region (16384 pages) on node 1; without it node 0
	jq -se '[.[] | select(.type == "report")][0] | .numa_pages["1"] >= 16384' "$out/bind1.json" \
		>/dev/null ||
		fail "$(cat "$out/bind1.json")"
	jq -se '[.[] | select(.type == "report")][0] | .numa_pages["0"] >= 16384 and
		.numa_pages["1"] < 16384' "$out/nopol.json" >/dev/null || fail "$(cat "$out/nopol.json")"
	! grep -q skipped "$out/bind1.err" || fail "$(cat "$out/bind1.err")"
}

@test "--mempolicy: the parent's own policy is the one it had (its probe is undone)" {
	[ "$(uname -m)" = x86_64 ] || skip "set_mempolicy's syscall number here is x86_64's"
	require_cmd python3
	n0=$(nodes_online | cut -d, -f1 | cut -d- -f1)
	# exec worker-spawn with MPOL_INTERLEAVE on node n0 set (inherited across exec)
	: >"$BATS_TEST_TMPDIR/err"
	python3 -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
mask = (ctypes.c_ulong * 16)()
mask[int(sys.argv[1]) // 64] = 1 << (int(sys.argv[1]) % 64)
sys.exit(3) if libc.syscall(238, 3, mask, 1025) else os.execv(sys.argv[2], sys.argv[2:])' \
		"$n0" "$WSBIN" -v --mempolicy "bind:$n0" -w spin-wait -d 30s -j \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	ws=$!
	wait_until 30 grep -q 'running 1 worker' "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	grep -q " interleave:$n0 " "/proc/$ws/numa_maps" || fail "parent: $(head -2 /proc/$ws/numa_maps)"
	grep -q " bind:$n0 " "/proc/$(workers | head -1)/numa_maps" || fail "worker"
	stop_ws INT
}
