#!/usr/bin/env bats
# Fault injection on the command line: every option that takes a number,
# size or duration, given an empty, negative, overflowing or non-numeric
# value, is refused with one line naming the option and a fix, exit 2, before
# anything runs.  (-i/-c/-d basics and the unknown-option cases live in
# 01-cli.bats; each command's own semantic rules in its NN-<tool>.bats.)

load test_helper

NUM_BAD=("" "-1" "99999999999999999999999" "abc" "12abc")
DUR_BAD=("" "-1s" "99999999999999999999s" "abc" "5parsecs")
FLT_BAD=("" "-1" "1e999" "abc" "nan")

# check TOOL OPT "BAD..." [ARGS...]: each value of the list for OPT, plus ARGS;
# the message must name $NAMED when set (a short option's spelling), else OPT.
check() {
	local tool=$1 opt=$2 vals=$3 v
	shift 3
	require_tool "$tool"
	local -n list=$vals
	for v in "${list[@]}"; do
		echo "# $tool $opt='$v'"   # shown when the assertion fails
		run --separate-stderr "$(bin "$tool")" "$opt=$v" "$@"
		assert_usage_error "${NAMED:-$opt}"
	done
}

@test "shared -i/-d: empty interval, negative and overflowing durations" {
	for t in $(ls -1 "$TELKIT_ROOT/cmd"); do
		h=$("$(bin "$t")" --help)
		for opt in --interval --duration; do
			grep -q -- "$opt=" <<<"$h" || continue
			check "$t" "$opt" DUR_BAD
		done
	done
}

@test "progstats: numeric options" {
	for o in --id --pid --top; do check progstats "$o" NUM_BAD; done
	for o in --max-miss-rate --max-ns-per-call --min-events-per-sec; do
		check progstats "$o" FLT_BAD
	done
}

@test "bpfwatch: numeric options" {
	check bpfwatch --map-id NUM_BAD test_bpf.bss:x:scalar:x
	check bpfwatch --rescan DUR_BAD test_bpf.bss:x:scalar:x
}

@test "worker-spawn: numeric options" {
	NAMED=-n check worker-spawn --workers NUM_BAD -w spin-wait
	check worker-spawn --seed NUM_BAD -w spin-wait
	NICE_BAD=("" "-21" "99999999999999999999999" "abc" "20")
	check worker-spawn --nice NICE_BAD -w spin-wait
	check worker-spawn --phases DUR_BAD -w spin-wait
	PAR_BAD=("spin-wait:burst=" "spin-wait:burst=-1" "spin-wait:burst=99999999999999999999999"
		 "spin-wait:burst=abc" "timer-latency:interval_us=-5")
	for w in "${PAR_BAD[@]}"; do
		echo "# -w $w"
		run --separate-stderr "$(bin worker-spawn)" -w "$w"
		assert_usage_error "${w%%=*}"
	done
}

@test "nvme-gpu-ingest: numeric and size options" {
	f=$BATS_TEST_TMPDIR/src
	head -c 8192 /dev/zero >"$f"
	for o in --chunk --length --offset --loop --qd --slots --device; do
		check nvme-gpu-ingest "$o" NUM_BAD "$f"
	done
}

@test "escalate-trace: numeric, percentage and duration options" {
	for o in --budget-us --max-bricks --max-line --window --otlp-queue --otlp-retries \
		 --runs --top; do
		check escalate-trace "$o" NUM_BAD
	done
	for o in --cliff --cv --efficiency --gpu-transfer; do
		check escalate-trace "$o" FLT_BAD
	done
	for o in --otlp-flush --otlp-timeout --trace-for; do
		check escalate-trace "$o" DUR_BAD
	done
	RL_BAD=("" "-1/60s" "99999999999999999999999/60s" "abc" "10/" "10/-1s" "/60s")
	check escalate-trace --rate-limit RL_BAD
}

@test "escalate-trace: OTLP options (issue 21 §4)" {
	SIZE_BAD=("" "-1" "abc" "4095" "65M" "99999999999999999999999")
	check escalate-trace --otlp-max-body SIZE_BAD
	COMP_BAD=("" "zstd" "GZIP")
	check escalate-trace --otlp-compression COMP_BAD
	FORM_BAD=("" "events" "log")
	check escalate-trace --otlp-syscalls FORM_BAD
	URL_BAD=("" "ftp://x" "127.0.0.1:4318/v1/logs")
	check escalate-trace --otlp-logs URL_BAD
	HDR_BAD=("" "novalue" "=v" "bad key=v" "Content-Type=text/plain" $'x-k=a\r\nInjected: 1')
	check escalate-trace --otlp-header HDR_BAD
	# a traces URL without /v1/traces and no logs endpoint: where would the log records go?
	run --separate-stderr "$(bin escalate-trace)" --otlp http://127.0.0.1:9/custom </dev/null
	assert_usage_error "--otlp-logs"
}

@test "escalate-trace: -i shorter than 10ms" {
	for v in 0 5ms 9999us; do
		echo "# -i $v"
		run --separate-stderr "$(bin escalate-trace)" --manual --pid 1 -i "$v"
		assert_usage_error "--interval"
	done
}

@test "escalate-trace: detection and baseline options (issue 21 §2)" {
	for o in --min-samples --for; do
		check escalate-trace "$o" NUM_BAD
	done
	for o in --outlier --change-alpha --baseline-alpha --noise; do
		check escalate-trace "$o" FLT_BAD
	done
	check escalate-trace --cooldown DUR_BAD
	ZERO=("0")
	for o in --min-samples --for --change-alpha --baseline-alpha; do
		check escalate-trace "$o" ZERO
	done
	PATH_BAD=("")
	for o in --baseline --save-baseline; do
		check escalate-trace "$o" PATH_BAD
	done
	DETECT_BAD=("" "bogus" "outlier,")
	check escalate-trace --detect DETECT_BAD
}

@test "--textfile: a missing directory or a directory name is one line naming it, exit 2 (every command with -o prom)" {
	for t in progstats bpfwatch worker-spawn nvme-gpu-ingest; do
		require_tool "$t"
		run --separate-stderr "$(bin "$t")" --textfile /nonexistent-dir/x.prom
		assert_usage_error "/nonexistent-dir/x.prom"
		run --separate-stderr "$(bin "$t")" --textfile "$BATS_TEST_TMPDIR/"
		assert_usage_error "$BATS_TEST_TMPDIR/"
		run --separate-stderr "$(bin "$t")" --textfile ""
		assert_usage_error "--textfile"
	done
}

@test "progstats: -o csv, --save, --baseline, --fail-on, --stats-duty" {
	DUTY_BAD=("" "1s" "1s/" "/10s" "10s/1s" "1s/1s" "-1s/10s" "abc/10s" "1s/99999999999999999999s")
	check progstats --stats-duty DUTY_BAD
	RULE_BAD=("" "ns_per_call" "ns_per_call>20%" "ns_per_call>+" "ns_per_call>+%" "ns_per_call=+20%"
		  "ns_per_call>+abc" "NS>+1" "ns_per_call>+1e999" "ns_per_call>+20%%")
	b=$BATS_TEST_TMPDIR/base.json
	: >"$b"
	check progstats --fail-on RULE_BAD --baseline "$b"
	PATH_BAD=("")
	check progstats --save PATH_BAD
	check progstats --baseline PATH_BAD
	# a rule without a baseline; an unknown field; a baseline that is not there or not records
	run --separate-stderr "$(bin progstats)" --fail-on 'ns_per_call>+20%'
	assert_usage_error --fail-on
	run --separate-stderr "$(bin progstats)" --baseline "$b" --fail-on 'no_such_field>+20%'
	assert_usage_error no_such_field
	run --separate-stderr "$(bin progstats)" --baseline "$b.absent"
	assert_usage_error --baseline
	printf '{"type":"sample","name":"x"}\n' >"$b"
	run --separate-stderr "$(bin progstats)" --baseline "$b"
	assert_usage_error "line 1"
	printf 'not json\n' >"$b"
	run --separate-stderr "$(bin progstats)" --baseline "$b"
	assert_usage_error "line 1"
	# csv only where it is written; duty without -i and --once
	run --separate-stderr "$(bin bpfwatch)" -o csv test_bpf.bss:x:scalar:x
	assert_usage_error csv
	run --separate-stderr "$(bin progstats)" -o csv -j
	assert_usage_error "-o csv"
	run --separate-stderr "$(bin progstats)" --stats-duty 1s/10s -i 2s
	assert_usage_error --stats-duty
	run --separate-stderr "$(bin progstats)" --stats-duty 1s/10s --once
	assert_usage_error --stats-duty
	run --separate-stderr "$(bin progstats)" -o csv --oneline
	assert_usage_error --oneline
}

@test "progstats: --where, --sort, --fields, --name-re, --comm and --wide with --oneline" {
	WHERE_BAD=("" "ns_per_call" "ns_per_call>" "ns_per_call>abc" "nope>1" "name>1" ">5"
		   "ns_per_call=>5" "ns_per_call>1e999")
	check progstats --where WHERE_BAD
	SORT_BAD=("" "nope" "cpu_pct:up" "cpu_pct,,nope" "a,b,c,d,e,f,g,h,i")
	check progstats --sort SORT_BAD
	FIELDS_BAD=("" "nope" "links,nope")
	check progstats --fields FIELDS_BAD
	RE_BAD=("(" "[a-" "a{2,1}")
	check progstats --name-re RE_BAD
	COMM_BAD=("" "a-comm-of-16-chr")
	check progstats --comm COMM_BAD
	run --separate-stderr "$(bin progstats)" --oneline --wide
	assert_usage_error "--oneline"
}

@test "escalate-trace: --hook takes only the hooks it knows" {
	for h in "" bogus FENTRY "fentry " kprobe fentry.multi; do
		run --separate-stderr "$(bin escalate-trace)" --hook "$h" --manual --pid 1
		assert_usage_error "--hook"
		[[ "$stderr" == *"fentry"* ]] || fail "the fix names no hook: $stderr"
	done
}

# issue 15: mem
@test "worker-spawn: --mempolicy and the mem types' parameters" {
	MEMPOL_BAD=("" "bogus" "bind:" "bind:x" "bind:0-" "local:0" "preferred:0-1" "BIND:0")
	check worker-spawn --mempolicy MEMPOL_BAD -d 1s
	W_BAD=("page-fault-churn:region_kib=0" "page-fault-churn:touches_per_cycle=0"
	       "page-fault-churn:spin_iters=x" "numa-working-set-sweep:target_nodes="
	       "numa-working-set-sweep:target_nodes=0-x" "numa-working-set-sweep:target_nodes=1023"
	       "cgroup-churn:groups=0" "cgroup-churn:groups=65" "cgroup-attach-storm:dest=a/b"
	       "cgroup-attach-storm:dest=cgroup.procs" "cgroup-attach-storm:reap=both"
	       "numa-migration-churn:period_ms=-1" "cross-affinity-churn:groups=2")
	for w in "${W_BAD[@]}"; do
		echo "# -w $w"
		run --separate-stderr "$(bin worker-spawn)" -w "$w" --cgroup x -n 2 -d 1s
		assert_usage_error "$w"
	done
	run --separate-stderr "$(bin worker-spawn)" -w cgroup-churn -d 1s
	assert_usage_error "--cgroup"
	run --separate-stderr "$(bin worker-spawn)" --mode thread -w cgroup-attach-storm --cgroup x -d 1s
	assert_usage_error "thread mode"
	run --separate-stderr "$(bin worker-spawn)" -w cross-affinity-churn -n 1 -d 1s
	assert_usage_error "-n 1"
	for a in page-locality page-locality= page-locality=1.5 cross-node-migration=x \
		 cross-node-migration=-0.1; do
		run --separate-stderr "$(bin worker-spawn)" --assert "$a" -d 1s
		assert_usage_error "$a"
	done
}

@test "worker-spawn: issue 15 report checks, affinities and modes refuse bad values" {
	RATE_BAD=("" "-1" "1e999" "abc" "nan")
	for v in "${RATE_BAD[@]}"; do
		run --separate-stderr "$(bin worker-spawn)" --assert "min-iteration-rate=$v"
		assert_usage_error "min-iteration-rate"
	done
	for a in "iteration-cost:p99_ns=-1" "iteration-cost:cv=3" "wake-worker:p99_ns=abc"; do
		run --separate-stderr "$(bin worker-spawn)" --assert "$a"
		assert_usage_error "$a"
	done
	for a in "llc:1" "LLC" "smt" "cross"; do
		run --separate-stderr "$(bin worker-spawn)" --affinity "$a"
		assert_usage_error "$a"
	done
	for w in "idle-churn:precise_timing=2" "ipc-variance:hot_iters=0" "bursty:burst_duration=" \
		"cache-yield:size_kib=0"; do
		run --separate-stderr "$(bin worker-spawn)" -w "$w"
		assert_usage_error "$w"
	done
}

@test "nvme-gpu-ingest: many-source options (issue 16)" {
	f=$BATS_TEST_TMPDIR/src
	head -c 8192 /dev/zero >"$f"
	for o in --bs --iodepth --size --threads --runtime --numa; do
		check nvme-gpu-ingest "$o" NUM_BAD "$f"
	done
	CPUS_BAD=("" "abc" "3-1" "1,,2" "99999")
	check nvme-gpu-ingest --cpus CPUS_BAD "$f"
	RW_BAD=("" "write" "READ" "randrw")
	check nvme-gpu-ingest --rw RW_BAD "$f"
	run --separate-stderr "$(bin nvme-gpu-ingest)" --hipri "$f"
	assert_usage_error "--hipri"
}

@test "worker-spawn: net and benchmark parameters out of range (issue 15: net, bench)" {
	for w in net-traffic:frame_bytes=10 net-traffic:frame_bytes=2000 irq-wake:frame_bytes=x \
		 schbench:message_threads=0 schbench:message_threads=65 schbench:worker_threads=257 \
		 schbench:cache_footprint_kib=0 schbench:cache_footprint_kib=1M schbench:sleep_usec=x \
		 taobench:target_hit_pct=0 taobench:target_hit_pct=100 taobench:cache_capacity_mib=5000 \
		 taobench:cache_capacity_mib=4096,target_hit_pct=1 taobench:arrival_rate=-1 \
		 taobench:client_threads=257 schbench:slow_threads=2 taobench:worker_threads=2 \
		 taobench:keys=5; do
		run --separate-stderr "$(bin worker-spawn)" -w "$w"
		assert_usage_error "$w"
	done
}

@test "worker-spawn: schbench -R/-A/--split/-L parameters out of range (issue 15: schbench)" {
	for w in schbench:requests_per_sec=-1 schbench:requests_per_sec=1000001 \
		 schbench:requests_per_sec=x schbench:auto_rps=101 schbench:auto_rps= \
		 schbench:split_percent=101 schbench:split_percent=-1 schbench:skip_locking=2 \
		 schbench:skip_locking=yes taobench:split_percent=50 taobench:skip_locking=1; do
		run --separate-stderr "$(bin worker-spawn)" -w "$w"
		assert_usage_error "$w"
	done
}

@test "worker-spawn: taobench's slow_path_p99_us and warm_start out of range (issue 15: tao)" {
	for w in taobench:slow_path_p99_us=-1 taobench:slow_path_p99_us=x \
		 taobench:slow_path_p99_us=10000001 taobench:warm_start=2 taobench:warm_start=yes; do
		run --separate-stderr "$(bin worker-spawn)" -w "$w"
		assert_usage_error "$w"
	done
}
