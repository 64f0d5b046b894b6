#!/usr/bin/env bats
# worker-spawn, issue 15 (report part): the reference's measurement
# semantics, report keys, placement and checks.  Figures are held against
# values the test sets (a sleep lasts at least its request, an iteration
# costs more than 0 ns) or against a peer (strace, sysfs, /proc); never
# against a timing that could flake on a loaded 2-CPU box.

load test_helper
load worker-spawn

setup() {
	ws_setup
}

# require_cpus N: skip unless this process may run on N CPUs.
require_cpus() {
	[ "$(nproc)" -ge "$1" ] || skip "needs $1 CPUs (nproc: $(nproc))"
}

# --- measurement --------------------------------------------------------------

@test "ws-report: bursty samples the full elapsed sleep (each >= the request), reference names accepted" {
	for spec in bursty:burst=1,sleep=20 bursty:burst_duration=1ms,sleep_duration=20ms; do
		run --separate-stderr "$WSBIN" -w "$spec" -d 1s -j --samples
		assert_success
		r=$(reports "$output")
		# nanosleep never returns before its request: 20 ms is a floor
		jq -e '.wake_sample_total >= 1 and (.wake_latencies_ns | length) == .wake_sample_total
			and all(.wake_latencies_ns[]; . >= 20000000)' <<<"$r" >/dev/null || fail "$spec: $r"
	done
}

@test "ws-report: sequence steps are durations; sleep is the full sleep, alu-hot fills iteration costs" {
	run --separate-stderr "$WSBIN" -w sequence:sleep=20,alu-hot=5 -d 1s -j --samples
	assert_success
	r=$(reports "$output")
	# every outer iteration slept once, >= its 20 ms request (the last one
	# may be cut short by the stop, and is then no sample)
	jq -e '.iterations >= 2 and .iteration_cost_sample_total >= 1
		and ([.wake_latencies_ns[] | select(. >= 20000000)] | length) >= .iterations - 1' \
		<<<"$r" >/dev/null || fail "$(jq -c '{iterations, wake_sample_total, iteration_cost_sample_total}' <<<"$r")"
	jq -se '.[] | select(.type == "summary" and .scope == "run")
		| .wake_samples > 0 and .iteration_cost_samples > 0' <<<"$output" >/dev/null ||
		fail "the run summary lacks a reservoir"
	# yield=20 is 20 ms of yields, not 20 yields: an outer iteration lasts >= 20 ms
	run --separate-stderr "$WSBIN" -w sequence:yield=20 -d 1s -j
	assert_success
	jq -e '.iterations >= 1 and .iterations <= 51 and .wake_sample_total > .iterations' \
		<<<"$(reports "$output")" >/dev/null || fail "$(reports "$output" | jq -c '{iterations, wake_sample_total}')"
}

@test "ws-report: ipc-variance is one iteration-cost sample per period x (hot + cold); reference names accepted" {
	run --separate-stderr "$WSBIN" -w ipc-variance:size=1M,hot_iters=300,cold_iters=100,period_iters=5 \
		-d 1s -j
	assert_success
	r=$(reports "$output")
	# work units are ticked per hot and cold block: 5 x (300 + 100) per outer
	# iteration, and a cut-short last one is no sample
	jq -e '.iteration_cost_sample_total >= 1 and .iteration_cost_sample_total == .iterations
		and .work_units >= .iterations * 2000 and .work_units < (.iterations + 1) * 2000' \
		<<<"$r" >/dev/null || fail "$r"
}

@test "ws-report: io-convoy is one wake sample per iteration (strace counts the preads)" {
	require_cmd strace
	# (LeakSanitizer cannot run under ptrace: leak checks are off for the strace run)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=pread64 -o "$BATS_TEST_TMPDIR/st" "$WSBIN" -w io-convoy:size=1M \
		-d 1s -j >"$BATS_TEST_TMPDIR/out"
	r=$(reports "$(cat "$BATS_TEST_TMPDIR/out")")
	# the worker's reads are 4 KiB ones (ld.so's ELF-header preads are not)
	preads=$(grep -cE 'pread64\([0-9]+, .*, 4096, [0-9]+\) = 4096' "$BATS_TEST_TMPDIR/st")
	jq -e --argjson p "$preads" '.wake_sample_total == $p and .iterations == $p and $p > 0' \
		<<<"$r" >/dev/null || fail "strace: $preads preads; $r"
}

@test "ws-report: a reference name converts its unit (size_kib), bad values exit 2" {
	run --separate-stderr "$WSBIN" -w cache-pressure:size_kib=64,stride=64 -d 300ms -j
	assert_success
	# one pass touches size/stride lines: 64 KiB / 64 = 1024 units per iteration
	jq -e '.work_units == .iterations * 1024' <<<"$(reports "$output")" >/dev/null ||
		fail "$(reports "$output")"
	run --separate-stderr "$WSBIN" -w cache-pressure:size_kib=lots
	assert_usage_error "size_kib=lots"
	run --separate-stderr "$WSBIN" -w bursty:sleep_duration=1500us
	assert_usage_error "sleep_duration=1500us"
}

@test "ws-report: reference defaults: idle-churn 1 ms burst + 5 ms sleep, nice-sweep 512 spins" {
	run --separate-stderr "$WSBIN" -w idle-churn -w nice-sweep -d 1s -j
	assert_success
	# an idle-churn iteration lasts >= 1 + 5 ms: at most 1000/6 + 1 in a second
	jq -se '[.[] | select(.type == "report")] | (.[0].iterations >= 1 and .[0].iterations <= 167)
		and .[1].iterations >= 1 and .[1].work_units == .[1].iterations * 512' <<<"$output" >/dev/null ||
		fail "$(reports "$output" | jq -c '{work_type, iterations, work_units}')"
}

@test "ws-report: idle-churn precise_timing=1 sets a 1 ns timer slack (/proc timerslack_ns)" {
	start_ws -w idle-churn:precise_timing=1 -w idle-churn -d 60s -j
	# exactly one of the two workers (the precise one) has a 1 ns slack
	slack1() { for p in $(pgrep -P "$ws"); do cat "/proc/$p/timerslack_ns"; done | grep -cx 1; }
	wait_until 10 test "$(slack1)" -eq 1 || fail "slacks: $(cat /proc/$(pgrep -P "$ws" | head -1)/timerslack_ns)"
	[ "$(pgrep -P "$ws" | wc -l)" -eq 2 ] || fail "workers: $(pgrep -P "$ws")"
	stop_ws
}

# --- checks --------------------------------------------------------------------

@test "ws-report: --assert wake is the group's pooled p99: just under the sleep fails, far above passes" {
	# every sample is >= the 20 ms sleep, so a p99 bound of 20 ms - 1 ns must fail
	run --separate-stderr "$WSBIN" -w sequence:sleep=20 -n 2 -d 1s -j --assert wake:p99_ns=19999999
	assert_equal "$status" 3
	[[ "$stderr" == *"assert wake: group 0: pooled wake p99="*"> 19999999"* ]] || fail "$stderr"
	run --separate-stderr "$WSBIN" -w sequence:sleep=20 -n 2 -d 1s -j --assert wake:p99_ns=10000000000
	assert_success
}

@test "ws-report: --assert wake-worker is per worker: just under the sleep fails for each, far above passes" {
	run --separate-stderr "$WSBIN" -w sequence:sleep=20 -n 2 -d 1s -j \
		--assert wake-worker:p99_ns=19999999
	assert_equal "$status" 3
	[ "$(grep -c 'assert wake-worker: worker ' <<<"$stderr")" -eq 2 ] || fail "$stderr"
	run --separate-stderr "$WSBIN" -w sequence:sleep=20 -n 2 -d 1s -j \
		--assert wake-worker:p99_ns=10000000000
	assert_success
}

@test "ws-report: --assert min-iteration-rate: a 100 ms sleep per iteration cannot reach 10.01/s; 0 passes" {
	run --separate-stderr "$WSBIN" -w bursty:burst=0,sleep=100 -d 1s -j --assert min-iteration-rate=10.01
	assert_equal "$status" 3
	[[ "$stderr" == *"assert min-iteration-rate: worker "*"< 10.01"* ]] || fail "$stderr"
	run --separate-stderr "$WSBIN" -w bursty:burst=0,sleep=100 -d 1s -j --assert min-iteration-rate=0
	assert_success
	run --separate-stderr "$WSBIN" --assert min-iteration-rate=fast
	assert_usage_error "min-iteration-rate=fast"
}

@test "ws-report: --assert iteration-cost: a positive cost fails p99_ns=0, passes 1e12" {
	run --separate-stderr "$WSBIN" -w alu-hot -d 500ms -j --assert iteration-cost:p99_ns=0
	assert_equal "$status" 3
	[[ "$stderr" == *"assert iteration-cost: group 0: pooled iteration cost p99="*"> 0 over"* ]] ||
		fail "$stderr"
	run --separate-stderr "$WSBIN" -w alu-hot -d 500ms -j --assert iteration-cost:p99_ns=1e12
	assert_success
}

@test "ws-report: nothing measurable is inconclusive (exit 4), never a pass; a failure still wins" {
	# the 60 s sleep outlasts the run: no wake sample can exist
	run --separate-stderr "$WSBIN" -w bursty:burst=0,sleep=60000 -d 500ms -j --assert wake
	assert_equal "$status" 4
	[[ "$stderr" == *"assert wake: group 0: inconclusive: no wake samples"* ]] || fail "$stderr"
	# no group fills wake samples at all
	run --separate-stderr "$WSBIN" -w spin-wait -d 300ms -j --assert wake
	assert_equal "$status" 4
	[[ "$stderr" == *"assert wake: run: inconclusive"* ]] || fail "$stderr"
	# inconclusive and failed together: the failure's exit
	run --separate-stderr "$WSBIN" -w bursty:burst=0,sleep=60000 -d 500ms -j --assert wake \
		--assert max-migrations=0 --assert min-iteration-rate=1e12
	assert_equal "$status" 3
}

@test "ws-report: throughput-parity with all-zero CPU time (killed workers) is inconclusive" {
	start_ws -w spin-wait -n 2 -d 60s -j --assert throughput-parity
	wait_until 10 test "$(pgrep -P "$ws" | wc -l)" -eq 2 || fail "workers: $(pgrep -P "$ws")"
	for p in $(pgrep -P "$ws"); do kill -KILL "$p"; done
	kill -INT "$ws"
	wait "$ws" && rc=0 || rc=$?
	assert_equal "$rc" 4
	grep -q 'assert throughput-parity: group 0: inconclusive: all-zero CPU time' "$BATS_TEST_TMPDIR/err" ||
		fail "$(cat "$BATS_TEST_TMPDIR/err")"
	jq -se '[.[] | select(.type == "report") | .cpu_time_ns] == [0, 0]' "$BATS_TEST_TMPDIR/out" >/dev/null ||
		fail "$(cat "$BATS_TEST_TMPDIR/out")"
}

# --- report keys -----------------------------------------------------------------

@test "ws-report: migrations are {at_ns, from_cpu, to_cpu}, each a move between two used CPUs" {
	require_cpus 2
	run --separate-stderr "$WSBIN" -w affinity-churn -d 500ms -j --samples
	assert_success
	r=$(reports "$output")
	jq -e '(.migrations | length) >= 1 and (.migrations | length) == ([.migration_count, 4096] | min)
		and all(.migrations[]; (keys == ["at_ns", "from_cpu", "to_cpu"]) and .from_cpu != .to_cpu)
		and ([.migrations[] | .from_cpu, .to_cpu] - .cpus_used) == []
		and ([.migrations[].at_ns] | . == sort)' <<<"$r" >/dev/null ||
		fail "$(jq -c '{migration_count, cpus_used, m: .migrations[:5]}' <<<"$r")"
}

@test "ws-report: exit_info is an object; a thread whose body fails is panicked with the message" {
	missing="$BATS_TEST_TMPDIR/no-such-dir"
	run --separate-stderr "$WSBIN" --mode thread -w "io-sync-write:file=$missing" -w spin-wait -d 300ms -j
	assert_success
	jq -se '[.[] | select(.type == "report")] | (.[0].exit_info.kind == "panicked"
		and (.[0].exit_info.message | test("No such file or directory"))
		and (.[0].exit_info | keys) == ["kind", "message"] and .[0].completed == false
		and .[1].exit_info == null and .[1].completed == true)' <<<"$output" >/dev/null ||
		fail "$(reports "$output" | jq -c '{exit_info, completed}')"
	run --separate-stderr "$WSBIN" -w 'exec:exit 3' -d 300ms -j
	assert_success
	jq -e '.exit_info == {"kind": "exited", "code": 3}' <<<"$(reports "$output")" >/dev/null ||
		fail "$(reports "$output")"
}

# --- placement -------------------------------------------------------------------

# cpus LIST: a CPU list ("0-2,5") as sorted, comma-separated CPUs ("0,1,2,5").
cpus() {
	local part out=()
	IFS=, read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		if [[ $part == *-* ]]; then out+=($(seq "${part%-*}" "${part#*-}")); else out+=("$part"); fi
	done
	printf '%s\n' "${out[@]}" | sort -n | paste -sd, -
}

# affinity_of PID: the CPUs taskset sees PID allowed on, as cpus() writes them.
affinity_of() {
	cpus "$(taskset -cp "$1" | sed 's/.*: //')"
}

# stop_ws: SIGINT the background worker-spawn and wait for it.
stop_ws() {
	kill -INT "$ws"
	wait "$ws" || fail "worker-spawn: exit $?: $(cat "$BATS_TEST_TMPDIR/err")"
}

@test "ws-report: --affinity llc pins to the CPUs of one last-level cache (sysfs cache topology)" {
	require_cmd taskset
	# the peer: cpu0's highest-level data or unified cache, read here
	llc="" best=-1
	for d in /sys/devices/system/cpu/cpu0/cache/index*; do
		[ "$(cat "$d/type")" != Instruction ] || continue
		[ "$(cat "$d/level")" -gt "$best" ] || continue
		best=$(cat "$d/level") llc=$(cat "$d/shared_cpu_list")
	done
	[ -n "$llc" ] || skip "no cache topology in sysfs"
	start_ws -w spin-wait --affinity llc -d 60s -j
	w=$(pgrep -P "$ws" | head -1)
	assert_equal "$(affinity_of "$w")" "$(cpus "$llc")"
	stop_ws
	jq -se '[.[] | select(.type == "report")][0].affinity_error == null' "$BATS_TEST_TMPDIR/out" >/dev/null ||
		fail "$(cat "$BATS_TEST_TMPDIR/out")"
}

@test "ws-report: --affinity cross-cgroup spans every online CPU, past an inherited narrower set" {
	require_cmd taskset
	require_cpus 2
	: >"$BATS_TEST_TMPDIR/out"
	: >"$BATS_TEST_TMPDIR/err"
	taskset -c 0 "$WSBIN" -v -w spin-wait --affinity cross-cgroup -d 60s -j \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	ws=$!
	wait_until 30 grep -q 'running 1 worker' "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	w=$(pgrep -P "$ws" | head -1)
	assert_equal "$(affinity_of "$ws")" 0
	assert_equal "$(affinity_of "$w")" "$(cpus "$(cat /sys/devices/system/cpu/online)")"
	stop_ws
}

@test "ws-report: --affinity smt-pair pins pairs to SMT siblings, or exits 2 saying the host has none" {
	smt=""
	for f in /sys/devices/system/cpu/cpu*/topology/thread_siblings_list; do
		l=$(cpus "$(cat "$f")")
		[[ $l == *,* ]] && { smt=$l; break; }
	done
	if [ -z "$smt" ]; then
		run --separate-stderr "$WSBIN" -w spin-wait -n 2 --affinity smt-pair -d 1s
		assert_usage_error "smt-pair"
		[[ "$stderr" == *"no SMT siblings"* ]] || fail "$stderr"
		return 0
	fi
	require_cmd taskset
	start_ws -w spin-wait -n 2 --affinity smt-pair -d 60s -j
	for w in $(pgrep -P "$ws"); do
		a=$(affinity_of "$w")
		[ "$(tr , '\n' <<<"$a" | wc -l)" -eq 2 ] || fail "worker $w: $a"
		sib=$(cpus "$(cat "/sys/devices/system/cpu/cpu${a%%,*}/topology/thread_siblings_list")")
		[[ ",$sib," == *",${a#*,},"* ]] || fail "worker $w: $a are not siblings ($sib)"
	done
	stop_ws
}

# --- phase slices -------------------------------------------------------------------

@test "ws-report: phase slices carry their CPUs, own samples and percentiles, schedstat, NUMA, gap" {
	cpu=0
	[ "$(nproc)" -lt 2 ] || cpu=1
	run --separate-stderr "$WSBIN" -w sequence:sleep=20,alu-hot=5 --affinity "$cpu" \
		--phases 600ms,600ms -j --samples
	assert_success
	r=$(reports "$output")
	jq -e --argjson cpu "$cpu" '(.phase_slices | length) == 2
		and all(.phase_slices[]; .cpus_used == [$cpu]
			and (.wake_latencies_ns | length) == .wake_total and .wake_total >= 1
			and all(.wake_latencies_ns[]; . >= 20000000) and .wake_p50_ns >= 20000000
			and (.iteration_costs_ns | length) == ([.iter_total, 8192] | min)
			and .iter_p99_ns > 0 and .iter_p99_ns <= .iter_max_ns
			and .schedstat_cpu_time_ns > 0 and .schedstat_cpu_time_ns <= .wall_ns + 10000000
			and (.numa_pages | length) >= 1 and .vmstat_numa_pages_migrated >= 0)
		and ([.phase_slices[].wake_total] | add) == .wake_sample_total
		and ([.phase_slices[].max_gap_ms] | max) == .max_gap_ms' <<<"$r" >/dev/null ||
		fail "$(jq -c '.phase_slices[] | del(.wake_latencies_ns, .iteration_costs_ns, .timer_latencies_ns)' <<<"$r")"
	# without --samples: the percentiles, not the vectors
	run --separate-stderr "$WSBIN" -w timer-latency --phases 300ms,300ms -j
	assert_success
	jq -e 'all(.phase_slices[]; has("timer_p99_ns") and (has("timer_latencies_ns") | not)
		and .timer_total >= 1)' <<<"$(reports "$output")" >/dev/null || fail "$(reports "$output")"
}

# --- --mode pcomm ----------------------------------------------------------------------

@test "ws-report: --mode pcomm: one forked leader whose threads are the workers (/proc task list)" {
	start_ws --mode pcomm -w spin-wait -n 3 -w pipe-io -n 2 -d 60s -j
	kids=$(pgrep -P "$ws")
	[ "$(wc -w <<<"$kids")" -eq 1 ] || fail "children: $kids"
	wait_until 10 test "$(ls "/proc/$kids/task" | wc -l)" -eq 6 || fail "tasks: $(ls "/proc/$kids/task")"
	tasks=$(ls "/proc/$kids/task" | tr '\n' ' ')
	stop_ws
	[ "$(jq -s '[.[] | select(.type == "report" and .completed)] | length' "$BATS_TEST_TMPDIR/out")" -eq 5 ] ||
		fail "$(cat "$BATS_TEST_TMPDIR/out")"
	for t in $(jq -r 'select(.type == "report") | .tid' "$BATS_TEST_TMPDIR/out"); do
		[ "$t" != "$kids" ] || fail "a worker is the leader itself"
		[[ " $tasks " == *" $t "* ]] || fail "tid $t is not a thread of leader $kids: $tasks"
	done
	run kill -0 "$kids"
	assert_failure
}

@test "ws-report: --mode pcomm: --cgroup moves the leader (all its threads); a killed leader gives sentinels" {
	require_root
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -n "$root" ] || skip "no cgroup v2 mount"
	cg="ws-pcomm-$$-$RANDOM"
	start_ws --mode pcomm --cgroup "$cg" -w spin-wait -n 2 -d 60s -j
	leader=$(pgrep -P "$ws")
	grep -qx "$leader" "$root/$cg/cgroup.procs" || fail "procs: $(cat "$root/$cg/cgroup.procs")"
	[ "$(wc -l <"$root/$cg/cgroup.threads")" -eq 3 ] || fail "threads: $(cat "$root/$cg/cgroup.threads")"
	kill -KILL "$leader"
	stop_ws
	jq -se '[.[] | select(.type == "report")] | length == 2 and all(.exit_info == {"kind": "signaled", "signal": 9}
		and .completed == false)' "$BATS_TEST_TMPDIR/out" >/dev/null || fail "$(cat "$BATS_TEST_TMPDIR/out")"
	[ ! -d "$root/$cg" ] || fail "cgroup $cg left behind"
}

@test "ws-report: --mode pcomm refuses fork-exit, exec and differing cgroups (exit 2)" {
	run --separate-stderr "$WSBIN" --mode pcomm -w fork-exit
	assert_usage_error "pcomm"
	run --separate-stderr "$WSBIN" --mode pcomm -w spin-wait --cgroup a -w spin-wait --cgroup b
	assert_usage_error "pcomm"
	run --separate-stderr "$WSBIN" --mode threads
	assert_usage_error "threads"
}

# --- the reference's fan-out-compute and cache-pipe parameters --------------------------

@test "ws-report: fan-out-compute operations=N is N size^3 products per wake; 0 is one unit per wake" {
	run --separate-stderr "$WSBIN" -w fan-out-compute:fan_out=1,size=16,operations=3 -d 300ms -j
	assert_success
	# the receiver: 3 products of 16^3 multiply-adds per wake; the messenger 1 unit per round
	jq -se 'map(select(.type == "report")) | length == 2
		and all(.[]; .iterations > 0 and .work_units == .iterations *
			(if .is_messenger then 1 else 3 * 4096 end))' <<<"$output" >/dev/null ||
		fail "$(reports "$output")"
	run --separate-stderr "$WSBIN" -w fan-out-compute:fanout=1,size=16,operations=0 -d 300ms -j
	assert_success
	jq -se 'all(.[] | select(.type == "report"); .iterations > 0 and .work_units == .iterations)' \
		<<<"$output" >/dev/null || fail "$(reports "$output")"
	run --separate-stderr "$WSBIN" -w fan-out-compute:operations=many
	assert_usage_error "operations"
}

@test "ws-report: fan-out-compute cache_footprint_kib sizes the matrices as schbench does" {
	# sqrt(256 KiB / 3 / 8 bytes) = 104: 104^3 multiply-adds per product
	run --separate-stderr "$WSBIN" -w fan-out-compute:fanout=1,cache_footprint_kib=256,operations=2 -d 300ms -j
	assert_success
	jq -se 'all(.[] | select(.type == "report" and (.is_messenger | not)); .iterations > 0
		and .work_units == .iterations * 2 * 104 * 104 * 104)' <<<"$output" >/dev/null ||
		fail "$(reports "$output")"
	run --separate-stderr "$WSBIN" -w fan-out-compute:cache_footprint_kib=6169
	assert_usage_error "cache_footprint_kib=6169"
}

@test "ws-report: fan-out-compute sleep_usec=N is one N us nanosleep per receiver wake (strace)" {
	require_cmd strace
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=clock_nanosleep,nanosleep -o "$BATS_TEST_TMPDIR/st" \
		"$WSBIN" -w fan-out-compute:fanout=1,size=8,sleep_usec=321 -d 1s -j >"$BATS_TEST_TMPDIR/out"
	r=$(reports "$(cat "$BATS_TEST_TMPDIR/out")")
	rx=$(jq -r 'select(.is_messenger | not) | .tid' <<<"$r")
	msg=$(jq -r 'select(.is_messenger) | .tid' <<<"$r")
	# the request the test set, 321 us (less the ns between taking the deadline and the
	# call): only the receiver makes it, once per wake (plus at most one cut short by the stop)
	sleeps() {
		awk -v t="$1" '$1 == t && /nanosleep\(/ && match($0, /tv_sec=0, tv_nsec=[0-9]+/) {
			v = substr($0, RSTART + 18, RLENGTH - 18) + 0; if (v > 300000 && v <= 321000) n++ }
			END { print n + 0 }' "$2"
	}
	n=$(sleeps "$rx" "$BATS_TEST_TMPDIR/st")
	m=$(sleeps "$msg" "$BATS_TEST_TMPDIR/st")
	jq -e --argjson n "$n" --argjson m "$m" 'select(.is_messenger | not) | .iterations > 0
		and ($n == .iterations or $n == .iterations + 1) and $m == 0' <<<"$r" >/dev/null ||
		fail "strace: receiver $n, messenger $m sleeps of 321 us; $r"
	# with sleep_usec=0, no such sleep at all
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=clock_nanosleep,nanosleep -o "$BATS_TEST_TMPDIR/st0" \
		"$WSBIN" -w fan-out-compute:fanout=1,size=8,sleep_usec=0 -d 300ms -j >/dev/null
	[ "$(awk '{ print $1 }' "$BATS_TEST_TMPDIR/st0" | sort -u | while read -r t; do
		sleeps "$t" "$BATS_TEST_TMPDIR/st0"; done | awk '{ s += $1 } END { print s + 0 }')" -eq 0 ] ||
		fail "$(cat "$BATS_TEST_TMPDIR/st0")"
	run --separate-stderr "$WSBIN" -w fan-out-compute:sleep_usec=-1
	assert_usage_error "sleep_usec"
}

@test "ws-report: cache-pipe burst_iters=N is N RMW steps per exchange (one pass without it)" {
	run --separate-stderr "$WSBIN" -w cache-pipe:size_kib=32,burst_iters=100 -d 300ms -j
	assert_success
	jq -se 'map(select(.type == "report")) | length == 2
		and all(.[]; .iterations > 0 and .work_units == .iterations * 100)' <<<"$output" >/dev/null ||
		fail "$(reports "$output")"
	# more steps than the buffer has lines wrap around it (1000 steps over 512 lines; ASan: inside it)
	run --separate-stderr "$WSBIN" -w cache-pipe:size_kib=32,burst_iters=1000 -d 300ms -j
	assert_success
	jq -se 'all(.[] | select(.type == "report"); .iterations > 0 and .work_units == .iterations * 1000)' \
		<<<"$output" >/dev/null || fail "$(reports "$output")"
	# default: one pass of 32 KiB / 64 = 512 lines
	run --separate-stderr "$WSBIN" -w cache-pipe:size_kib=32 -d 300ms -j
	assert_success
	jq -se 'all(.[] | select(.type == "report"); .iterations > 0 and .work_units == .iterations * 512)' \
		<<<"$output" >/dev/null || fail "$(reports "$output")"
	run --separate-stderr "$WSBIN" -w cache-pipe:burst_iters=x
	assert_usage_error "burst"
}
