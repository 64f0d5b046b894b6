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

@test "escalate-trace: --hook takes only the hooks it knows" {
	for h in "" bogus FENTRY "fentry " kprobe fentry.multi; do
		run --separate-stderr "$(bin escalate-trace)" --hook "$h" --manual --pid 1
		assert_usage_error "--hook"
		[[ "$stderr" == *"fentry"* ]] || fail "the fix names no hook: $stderr"
	done
}
