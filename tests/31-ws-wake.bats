#!/usr/bin/env bats
# worker-spawn, issue 15 (wake): the wake-topology work types and the
# blocked-interval wake samples, held against peers: strace (one trace file
# per process, -ff, so no call is ever split), /proc, perf bench sched pipe.
# Counts are compared exactly; times only by causality or within a wide
# factor of a peer measured in the same test (the host has 2 loaded CPUs).

load test_helper
load worker-spawn

setup() {
	ws_setup
}

reports() { jq -c 'select(.type == "report")' "$1"; }

# traced SYSCALLS ARGS...: worker-spawn -j -q ARGS under strace -ff (one file
# per process: $T/t.PID); its stdout in $T/out.
traced() {
	require_cmd strace
	T=$BATS_TEST_TMPDIR
	local calls=$1
	shift
	# (LeakSanitizer cannot run under ptrace: leak checks are off for these runs)
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -ff -qq -o "$T/t" -e trace="$calls" "$WSBIN" -j -q "$@" >"$T/out" 2>"$T/err" ||
		fail "worker-spawn under strace: exit $?: $(head -5 "$T/err")"
	[ "$(reports "$T/out" | wc -l)" -gt 0 ] || fail "no reports: $(head -5 "$T/err")"
}

# calls PID REGEX: how many lines of PID's trace match REGEX (grep -E).
calls() { grep -cE "$2" "$T/t.$1" || true; }

# field TID KEY: KEY of the report of worker TID.
field() { jq -r --argjson t "$1" "select(.type == \"report\" and .tid == \$t) | .$2" "$T/out"; }

tids() { jq -r 'select(.type == "report") | .tid' "$T/out"; }

# distinct_waits PID: how many different values PID's FUTEX_WAITs waited on.
distinct_waits() { grep -oE 'FUTEX_WAIT, [0-9]+' "$T/t.$1" | sort -u | wc -l; }

# policies_of N PID: $pol = "CHILD chrt -p output" per child of PID (the
# kernel's children list); true once there are N of them.
policies_of() {
	local k
	pol=""
	for k in $(cat "/proc/$2/task/$2/children" 2>/dev/null); do
		pol+="$k $(chrt -p "$k" 2>/dev/null | tr '\n' ' ')"$'\n'
	done
	[ "$(grep -c 'policy:' <<<"$pol")" -eq "$1" ]
}

@test "wake types: bad parameters are one line naming them, exit 2" {
	run --separate-stderr "$WSBIN" -w wake-chain:depth=1
	assert_usage_error "depth=1"
	run --separate-stderr "$WSBIN" -w wake-chain:wake=signal
	assert_usage_error "wake=signal"
	run --separate-stderr "$WSBIN" -w wake-chain:work_per_hop=fast
	assert_usage_error "work_per_hop=fast"
	run --separate-stderr "$WSBIN" -w wake-chain:depth=3 -n 4
	assert_usage_error "groups of 3"
	run --separate-stderr "$WSBIN" -w thundering-herd:waiters=0
	assert_usage_error "waiters=0"
	run --separate-stderr "$WSBIN" -w epoll-storm:events_per_burst=x
	assert_usage_error "events_per_burst=x"
	run --separate-stderr "$WSBIN" -w asymmetric-waker:waker_class=fifo:100
	assert_usage_error "fifo:100"
	run --separate-stderr "$WSBIN" -w asymmetric-waker:wakee_class=deadline
	assert_usage_error "wakee_class=deadline"
	run --separate-stderr "$WSBIN" -w asymmetric-waker:waker_class=batch:3
	assert_usage_error "batch:3"
	run --separate-stderr "$WSBIN" -w producer-consumer-imbalance -n 2
	assert_usage_error "groups of 3"
	run --separate-stderr "$WSBIN" -w producer-consumer-imbalance:queue_depth_target=0
	assert_usage_error "queue_depth_target=0"
	run --separate-stderr "$WSBIN" -w thundering-herd:depth=2
	assert_usage_error "depth"
}

@test "wake types: defaults are the reference's group sizes, in fork and thread mode" {
	for mode in fork thread; do
		run --separate-stderr "$WSBIN" --mode "$mode" -w wake-chain -w thundering-herd \
			-w epoll-storm -w asymmetric-waker -w producer-consumer-imbalance -d 1s -j -q
		assert_success
		# reference defaults: depth 4, waiters 7 (+1 waker), 1+2, 2, 2+1
		got=$(jq -s -c '[.[] | select(.type == "report")] | group_by(.group_idx) |
			map(length)' <<<"$output")
		assert_equal "$got" "[4,8,3,2,3]"
		jq -se '[.[] | select(.type == "report")] | all(.completed and .work_units > 0)' \
			<<<"$output" >/dev/null || fail "$mode: $output"
		# each fills the wake reservoir only (W in the man page's table)
		jq -se '[.[] | select(.type == "report")] | group_by(.group_idx) |
			all((map(.wake_sample_total) | add) > 0 and
			    all(.iteration_cost_sample_total == 0 and .timer_sample_total == 0))' \
			<<<"$output" >/dev/null || fail "$mode: reservoirs: $output"
	done
}

@test "wake-chain (pipe): each stage's hops are its 1-byte pipe reads (strace); its round trip is perf bench sched pipe's" {
	traced read,write -w wake-chain:depth=3 -d 1s
	for t in $(tids); do
		n=$(calls "$t" '^read\([0-9]+, "\\0", 1\) += 1$')
		[ "$n" -gt 10 ] || fail "stage $t: $n pipe reads"
		assert_equal "$(field "$t" iterations)" "$n"
		assert_equal "$(field "$t" wake_sample_total)" "$n"
	done
	# a ring of 2 with no work per hop is perf bench sched pipe's ping-pong:
	# one hop of each stage is one round trip.  Both run at once (the same
	# load) and give a mean round trip: perf's usecs/op, our wall / hops.
	require_cmd perf
	"$WSBIN" -w wake-chain:depth=2,work_per_hop=0 -d 2s -j -q >"$T/ws" &
	p=$!
	run perf bench sched pipe -l 20000
	wait "$p" || fail "worker-spawn failed"
	assert_success
	perf_ns=$(awk '/usecs\/op/ { printf "%d", $1 * 1000 }' <<<"$output")
	[ "${perf_ns:-0}" -gt 0 ] || fail "perf bench: $output"
	for rt in $(jq 'select(.type == "report") | .wall_time_ns / .iterations | floor' "$T/ws"); do
		# the same order as the peer: within 10x either way (no timing goal here)
		[ "$rt" -gt $((perf_ns / 10)) ] && [ "$rt" -lt $((perf_ns * 10)) ] ||
			fail "round trip $rt ns vs perf bench sched pipe $perf_ns ns/op"
	done
}

@test "wake-chain (futex): one FUTEX_WAKE of every stage per hop (strace)" {
	traced futex -w wake-chain:depth=3,wake=futex -d 1s
	for t in $(tids); do
		n=$(calls "$t" 'FUTEX_WAKE, 2147483647\)')
		[ "$n" -gt 10 ] || fail "stage $t: $n wakes"
		assert_equal "$(field "$t" iterations)" "$n"
		assert_equal "$(field "$t" wake_sample_total)" "$n"
	done
}

# two_cpus: skip unless stages can sit on CPUs of their own (--affinity single);
# on one CPU a woken partner may run its whole hop before the waker reaches
# its next wait (a WF_SYNC wake prefers the waker's CPU), and that time is
# not a blocked interval.
two_cpus() {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs (--affinity single, one each)"
}

@test "wake-chain: a wake sample is the blocked interval, at least the other stage's hop" {
	two_cpus
	# depth 2, 3 ms per hop: while one stage waits the other spins its 3 ms,
	# which starts after our write (its wake) and so after our wait began,
	# less what preemption took between our write and our wait (0.9 allows it)
	run --separate-stderr "$WSBIN" -w wake-chain:depth=2,work_per_hop=3ms --affinity single \
		-d 1s -j -q
	assert_success
	for p50 in $(jq 'select(.type == "report") | .wake_p50_ns' <<<"$output"); do
		[ "$p50" -ge 2700000 ] || fail "wake p50 $p50 ns < 0.9 x the partner's 3 ms hop"
	done
}

@test "thundering-herd: batches FUTEX_WAKE(INT_MAX) calls (strace); each waiter saw what it waited for" {
	traced futex -w thundering-herd:waiters=3,batches=20,inter_batch_ms=1 -d 4s
	set -- $(tids)
	waker=$1
	shift
	assert_equal "$(calls "$waker" 'FUTEX_WAKE, 2147483647\)')" 20
	assert_equal "$(field "$waker" iterations)" 20
	# the kernel woke some waiter (the calls' return values)
	woken=$(grep -hE 'FUTEX_WAKE, 2147483647\) += [0-9]+$' "$T/t.$waker" |
		awk '{ s += $NF } END { print s + 0 }')
	[ "$woken" -gt 0 ] || fail "the kernel woke no waiter"
	for t in "$@"; do
		i=$(field "$t" iterations)
		assert_equal "$(field "$t" wake_sample_total)" "$i"
		# a waiter waits on the last batch it saw: each value it waited on
		# but the last is a batch it counted (a wake that comes after the
		# waiter already saw its batch makes it wait on the same value again)
		v=$(distinct_waits "$t")
		[ "$i" -ge $((v - 1)) ] && [ "$i" -le 20 ] ||
			fail "waiter $t: $i batches seen, $v values waited on, 20 sent"
	done
}

@test "epoll-storm: producers' eventfd writes and consumers' reads are the kernel's (strace)" {
	traced write,read,epoll_wait -w epoll-storm:producers=1,consumers=2,events_per_burst=8 -d 1s
	set -- $(tids)
	w=$(calls "$1" '^write\([0-9]+, "\\1\\0\\0\\0\\0\\0\\0\\0", 8\) += 8$')
	[ "$w" -gt 8 ] || fail "producer wrote $w events"
	assert_equal "$(field "$1" work_units)" "$w"
	assert_equal $((w % 8)) 0
	assert_equal "$(field "$1" iterations)" $((w / 8))
	shift
	for t in "$@"; do
		# the 8 bytes as strace quotes them: a count of 34 is "\"\0..." (a quote inside)
		r=$(calls "$t" '^read\([0-9]+, "([^"\\]|\\.)*", 8\) += 8$')
		e=$(calls "$t" '^epoll_wait\([0-9]+, .*\) += 1$')
		[ "$r" -gt 0 ] || fail "consumer $t read nothing"
		assert_equal "$(field "$t" iterations)" "$r"
		assert_equal "$(field "$t" wake_sample_total)" "$r"
		[ "$e" -ge "$r" ] || fail "consumer $t: $r reads but $e epoll_wait wakes"
	done
}

@test "epoll-storm's counting method counts stress-ng's eventfd stressor exactly" {
	# the strace patterns above, on a peer whose count the test sets:
	# stress-ng --eventfd (a writer/reader pair) with --eventfd-ops 300
	require_cmd stress-ng
	require_cmd strace
	T=$BATS_TEST_TMPDIR
	run strace -ff -qq -o "$T/s" -e trace=read,write stress-ng --eventfd 1 --eventfd-ops 300 -q
	assert_success
	pairs=""
	for f in "$T"/s.*; do
		w=$(grep -cE '^write\([0-9]+, "([^"\\]|\\.)*", 8\) += 8$' "$f" || true)
		r=$(grep -cE '^read\([0-9]+, "([^"\\]|\\.)*", 8\) += 8$' "$f" || true)
		[ "$w$r" = 00 ] || pairs+="$w/$r "
	done
	assert_equal "$pairs" "300/300 300/300 "
}

@test "asymmetric-waker: the kernel runs each role in its class; wakes and turns agree with strace" {
	require_cmd chrt
	: >"$BATS_TEST_TMPDIR/out"
	: >"$BATS_TEST_TMPDIR/err"
	"$WSBIN" -v -w asymmetric-waker:waker_class=batch,wakee_class=fifo:7,burst_iters=20000 \
		-d 30s -j >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	ws=$!
	wait_until 30 grep -q 'running [0-9]* worker' "$BATS_TEST_TMPDIR/err" ||
		fail "workers never ran: $(cat "$BATS_TEST_TMPDIR/err")"
	# the kernel's list of the children and each one's policy (chrt); the
	# run lasts until they are read (a short one could end first under load)
	wait_until 10 policies_of 2 "$ws" || fail "no 2 workers under $ws: [$pol]"
	stop_clean INT "$ws" "$BATS_TEST_TMPDIR/out" /dev/null
	T=$BATS_TEST_TMPDIR
	set -- $(tids)
	grep -E "^$1 .*SCHED_BATCH" <<<"$pol" >/dev/null || fail "waker $1 not batch: $pol"
	grep -E "^$2 .*SCHED_FIFO.*priority: 7" <<<"$pol" >/dev/null || fail "wakee $2 not fifo 7: $pol"
	jq -se '[.[] | select(.type == "report")] | all(.sched_policy_error == null)' "$T/out" \
		>/dev/null || fail "$(cat "$T/out")"
	traced futex -w asymmetric-waker:wakee_class=fifo:1,burst_iters=20000 -d 1s
	set -- $(tids)
	# the waker wakes once a turn and once at the end (strace)
	wakes=$(calls "$1" 'FUTEX_WAKE, 1\)')
	assert_equal "$wakes" $(($(field "$1" iterations) + 1))
	# each turn of the wakee needs a new value (a bump); each value it
	# waited on but the last ended in a turn
	i=$(field "$2" iterations)
	v=$(distinct_waits "$2")
	[ "$v" -gt 1 ] || fail "the wakee never waited"
	[ "$i" -ge $((v - 1)) ] && [ "$i" -le "$wakes" ] ||
		fail "wakee: $i turns, $v values waited on, $wakes wakes sent"
}

@test "producer-consumer-imbalance: a slow consumer fills the ring and producers wait; a fast one waits empty" {
	# no pacing, 8 slots, slow consumer: producers find it full (FUTEX_WAIT, strace)
	traced futex -w producer-consumer-imbalance:produce_rate_hz=0,consume_iters=200000,queue_depth_target=8 -d 1s
	set -- $(tids)
	produced=$(($(field "$1" iterations) + $(field "$2" iterations)))
	consumed=$(field "$3" iterations)
	[ "$consumed" -gt 0 ] || fail "nothing consumed"
	# a ring of 8: never more than 8 items ahead, never behind
	[ "$produced" -ge "$consumed" ] && [ "$produced" -le $((consumed + 8)) ] ||
		fail "produced $produced, consumed $consumed"
	for p in "$1" "$2"; do
		[ "$(calls "$p" 'FUTEX_WAIT,')" -gt 0 ] || fail "producer $p never waited"
		[ "$(field "$p" wake_sample_total)" -gt 0 ] || fail "producer $p has no full-ring wait"
	done
	# paced producers (50 Hz), free consumer: only the consumer waits (empty)
	traced futex,clock_nanosleep,nanosleep -w producer-consumer-imbalance:produce_rate_hz=50,consume_iters=0 -d 1s
	set -- $(tids)
	for p in "$1" "$2"; do
		assert_equal "$(calls "$p" 'FUTEX_WAIT,')" 0
		assert_equal "$(field "$p" wake_sample_total)" 0
		[ "$(calls "$p" 'nanosleep\(')" -gt 0 ] || fail "producer $p never paced"
	done
	[ "$(calls "$3" 'FUTEX_WAIT,')" -gt 0 ] || fail "the consumer never waited on an empty ring"
	[ "$(field "$3" wake_sample_total)" -gt 0 ] || fail "the consumer has no empty-ring wait"
}

@test "pipe-io, futex-ping-pong, mutex-contention, futex-fan-out: a wake sample holds the partner's burst (blocked interval)" {
	# while a worker is blocked its partner spins its burst, so a blocked
	# interval is at least the partner's CPU time per turn (the kernel's
	# thread CPU clock); the old waker-to-wakee figure was microseconds
	two_cpus
	for spec in pipe-io:burst=400000 futex-ping-pong:burst=400000 \
		mutex-contention:contenders=2,burst=400000,spin=20000; do
		run --separate-stderr "$WSBIN" -w "$spec" --affinity single -d 1500ms -j -q
		assert_success
		r=$(jq -s -c '[.[] | select(.type == "report")]' <<<"$output")
		jq -e 'all(.iterations >= 4) and
			(.[0].wake_p50_ns >= 0.5 * .[1].cpu_time_ns / .[1].iterations) and
			(.[1].wake_p50_ns >= 0.5 * .[0].cpu_time_ns / .[0].iterations)' <<<"$r" >/dev/null ||
			fail "$spec: $(jq -c 'map({iterations, cpu_time_ns, wake_p50_ns})' <<<"$r")"
	done
	# futex-fan-out: a receiver waits while the messenger spins its burst
	run --separate-stderr "$WSBIN" -w futex-fan-out:fanout=1,burst=400000 --affinity single \
		-d 1500ms -j -q
	assert_success
	r=$(jq -s -c '[.[] | select(.type == "report")]' <<<"$output")
	jq -e '.[0].is_messenger and all(.iterations >= 4) and
		(.[1].wake_p50_ns >= 0.5 * .[0].cpu_time_ns / .[0].iterations)' <<<"$r" >/dev/null ||
		fail "futex-fan-out: $(jq -c 'map({iterations, cpu_time_ns, wake_p50_ns})' <<<"$r")"
}
