#!/usr/bin/env bats
# worker-spawn, issue 15: the network types (net-traffic, irq-wake) and the
# benchmark ports (schbench, taobench), each held against a peer (strace,
# perf's tracepoint counts, /proc of the worker's own namespace, iproute2,
# cyclictest) or a value the test set (hit target, think time, rate).

load test_helper
load worker-spawn

setup() {
	ws_setup
}

# lo_tx PID: transmitted packets of lo in PID's network namespace.
lo_tx() {
	awk -F'[: ]+' '$2 == "lo" { print $12 }' "/proc/$1/net/dev"
}

# net_holders INODE: processes (any thread) whose network namespace is INODE.
net_holders() {
	local f n=0
	for f in /proc/[0-9]*/task/[0-9]*/ns/net; do
		[ "$(readlink "$f" 2>/dev/null)" != "net:[$1]" ] || n=$((n + 1))
	done
	echo "$n"
}

# other_ns PID NS: the first network namespace of one of PID's threads that is not NS.
other_ns() {
	local t n
	for t in /proc/"$1"/task/*/ns/net; do
		n=$(readlink "$t" 2>/dev/null) || continue
		[ "$n" = "$2" ] || { echo "$n"; return 0; }
	done
}

# --- net-traffic, irq-wake ---------------------------------------------------

@test "ws-bench: net-traffic sends in a namespace of its own (lo only, its counters move); SIGINT leaves none behind" {
	require_root
	require_cmd ip
	netns0=$(ip netns list)
	links0=$(ip -o link | cut -d: -f2 | sort)
	start_ws -w net-traffic:interval_us=1000 -d 60s -j
	w=$(pgrep -P "$ws")
	[ -n "$w" ] || fail "no worker process"
	mine=$(readlink /proc/self/ns/net)
	theirs=$(readlink "/proc/$w/ns/net")
	[ "$theirs" != "$mine" ] || fail "the worker sends in the test's namespace $mine"
	# the namespace holds loopback and nothing else: never a real interface
	run nsenter -t "$w" -n ip -o link
	assert_success
	[ "$(wc -l <<<"$output")" -eq 1 ] && [[ "$output" == *": lo: "*"UP"* ]] ||
		fail "links in the worker's namespace: $output"
	wait_until 20 eval '[ "$(lo_tx "$w")" -ge 50 ]' || fail "lo sent $(lo_tx "$w") packets"
	seen=$(lo_tx "$w")
	kill -INT "$ws"
	wait "$ws"
	assert_equal "$?" 0
	units=$(jq -r 'select(.type == "report") | .work_units' "$BATS_TEST_TMPDIR/out")
	[ "$units" -ge "$seen" ] || fail "work_units $units < the $seen frames lo had counted"
	ino=${theirs#net:[}
	ino=${ino%]}
	wait_until 10 eval '[ "$(net_holders "$ino")" -eq 0 ]' ||
		fail "namespace $theirs still held by $(net_holders "$ino") threads"
	assert_equal "$(ip netns list)" "$netns0"
	assert_equal "$(ip -o link | cut -d: -f2 | sort)" "$links0"
}

@test "ws-bench: net-traffic work units are the successful sendto() calls strace counts, and the frames perf sees received" {
	require_root
	require_cmd strace
	no_lsan
	run --separate-stderr strace -f -qq -e trace=sendto -e status=successful \
		-o "$BATS_TEST_TMPDIR/st" "$WSBIN" -w net-traffic:interval_us=500,frame_bytes=211 -d 1s -j
	assert_success
	units=$(report "$output" net-traffic | jq -r .work_units)
	sent=$(grep -c 'sendto(' "$BATS_TEST_TMPDIR/st")
	echo "work_units=$units strace sendto=$sent" >&3
	[ "$units" -gt 0 ] || fail "no frames"
	assert_equal "$units" "$sent"
}

@test "ws-bench: irq-wake: one wake per frame received, frames = recvfrom() (strace) = netif_receive_skb (perf)" {
	require_root
	require_cmd strace
	no_lsan
	require_cmd perf
	# 333-byte frames are 319 bytes past the Ethernet header in the receive path
	run --separate-stderr perf stat -x, -e net:netif_receive_skb --filter 'len == 319' -a \
		-o "$BATS_TEST_TMPDIR/perf" -- strace -f -qq -e trace=recvfrom,sendto \
		-e status=successful -o "$BATS_TEST_TMPDIR/st" \
		"$WSBIN" -w irq-wake:interval_us=2000,frame_bytes=333 -d 2s -j
	[ "$status" -eq 0 ] || skip "perf stat could not count net:netif_receive_skb: $stderr"
	r=$(report "$output" irq-wake)
	units=$(jq -r .work_units <<<"$r")
	got=$(grep -c 'recvfrom(' "$BATS_TEST_TMPDIR/st")
	sent=$(grep -c 'sendto(' "$BATS_TEST_TMPDIR/st")
	rx=$(awk -F, '/netif_receive_skb/ { print $1 }' "$BATS_TEST_TMPDIR/perf")
	echo "work_units=$units recvfrom=$got sendto=$sent netif_receive_skb(len 319)=$rx" >&3
	[ "$units" -gt 0 ] || fail "no frames received"
	# a recvfrom that returned as the stop came is not counted as a frame:
	# strace may see one more than the worker counted, never fewer
	[ "$got" -ge "$units" ] && [ "$got" -le $((units + 1)) ] ||
		fail "recvfrom $got, frames counted $units (want equal, or one more)"
	assert_equal "$(jq -r .wake_sample_total <<<"$r")" "$units"
	# every frame sent went through the receive path; the last may still be in flight
	[ "$sent" -ge "$units" ] && [ "$sent" -le $((units + 1)) ] || fail "sent $sent, received $units"
	[ "$rx" -ge "$units" ] || fail "the kernel received $rx such frames, the worker $units"
}

@test "ws-bench: irq-wake in thread mode: SIGTERM stops it, its namespace goes with it" {
	require_root
	start_ws --mode thread -w irq-wake:interval_us=1000 -d 60s -j
	mine=$(readlink /proc/self/ns/net)
	theirs=$(other_ns "$ws" "$mine")
	[ -n "$theirs" ] || fail "no thread of worker-spawn in a namespace of its own"
	kill -TERM "$ws"
	wait "$ws"
	assert_equal "$?" 0
	jq -se 'map(select(.type == "report")) | length == 1 and
		all(.work_units > 0 and .wake_sample_total == .work_units)' \
		"$BATS_TEST_TMPDIR/out" >/dev/null || fail "$(cat "$BATS_TEST_TMPDIR/out")"
	ino=${theirs#net:[}
	ino=${ino%]}
	wait_until 10 eval '[ "$(net_holders "$ino")" -eq 0 ]' || fail "namespace $theirs still held"
}

@test "ws-bench: without CAP_SYS_ADMIN net-traffic says so, runs nothing, and its times are its own" {
	require_root
	require_cmd setpriv
	# nobody cannot write under a root-only sanitizer log_path: reports go to stderr
	export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS= TSAN_OPTIONS=
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$WSBIN" -w net-traffic -d 300ms -j
	[ "$status" -ne 126 ] && [ "$status" -ne 127 ] || skip "nobody cannot run $WSBIN"
	assert_success
	[[ "$stderr" == *"net-traffic"*"Operation not permitted"* ]] || fail "stderr: $stderr"
	[[ "$stderr" != *Sanitizer* ]] || fail "stderr: $stderr"
	# the clock starts even when the namespace could not be made (not at 0)
	report "$output" net-traffic | jq -e '.work_units == 0 and .completed == false and
		.wall_time_ns < 60e9' >/dev/null || fail "$(report "$output" net-traffic)"
}

# --- schbench --------------------------------------------------------------

@test "ws-bench: schbench loops are the FUTEX_WAKE_PRIVATE calls strace counts (fork and thread mode)" {
	require_cmd strace
	no_lsan
	for mode in fork thread; do
		run --separate-stderr strace -f -qq -e trace=futex -o "$BATS_TEST_TMPDIR/st.$mode" \
			"$WSBIN" --mode "$mode" \
			-w schbench:message_threads=2,worker_threads=2,cache_footprint_kib=16,sleep_usec=200 \
			-d 1s -j
		assert_success
		r=$(report "$output" schbench)
		loops=$(jq -r .schbench_whole.schbench_loop_count <<<"$r")
		# a wake posts each request, a wake answers it, and each of the 4
		# worker threads announces itself once before its first request; the
		# wakes land on the 6 futex words of the 2 + 4 threads (the busiest
		# words: a sanitizer's runtime wakes a few words of its own)
		wakes=$(grep -o 'futex(0x[0-9a-f]*, FUTEX_WAKE_PRIVATE' "$BATS_TEST_TMPDIR/st.$mode" |
			sort | uniq -c | sort -rn | head -6 | awk '{ s += $1 } END { print s + 0 }')
		echo "$mode: loops=$loops futex wakes=$wakes" >&3
		[ "$loops" -gt 0 ] || fail "$mode: no loops"
		# a request the stop cut short (posted or answered, not counted as
		# a loop) adds at most 2 wakes per message thread
		[ "$wakes" -ge $((2 * loops + 4)) ] && [ "$wakes" -le $((2 * loops + 4 + 2 * 2)) ] ||
			fail "$mode: $wakes futex wakes for $loops loops (want 2 x loops + 4, + up to 4)"
		assert_equal "$(jq -r .work_units <<<"$r")" "$loops"
		jq -e '.schbench_whole | .wakeup_samples == .schbench_loop_count and
			.request_samples == .schbench_loop_count' <<<"$r" >/dev/null ||
			fail "$mode: $(jq -c .schbench_whole <<<"$r")"
	done
}

@test "ws-bench: schbench p99 wakeup is at least cyclictest's p50 timer floor at the same load; no request beats its think time" {
	require_root
	require_cmd cyclictest
	# cyclictest as SCHED_FIFO (no timer slack): the floor of a wakeup's path
	cyclictest -p 1 -i 1000 -D 3 -q -m -h 20000 >"$BATS_TEST_TMPDIR/cy" 2>/dev/null &
	cy=$!
	run --separate-stderr "$WSBIN" -w schbench:worker_threads=2,cache_footprint_kib=64,sleep_usec=300 \
		-d 3s -j
	wait "$cy" || skip "cyclictest failed"
	assert_success
	sb=$(report "$output" schbench | jq -c .schbench_whole)
	cy_p50=$(awk '/^[0-9]+[ \t]+[0-9]+/ { c[$1+0] = $2; n += $2 }
		END { if (!n) exit 1; for (i = 0; i <= 20000; i++) { s += c[i];
			if (s >= 0.5 * n) { print i; exit } } }' "$BATS_TEST_TMPDIR/cy") ||
		skip "no cyclictest histogram"
	p99=$(jq -r .wakeup_p99_latency_us <<<"$sb")
	echo "schbench wakeup p99=${p99}us  cyclictest p50=${cy_p50}us" >&3
	awk -v a="$p99" -v b="$cy_p50" 'BEGIN { exit !(a >= b) }' ||
		fail "schbench p99 wakeup ${p99}us below cyclictest's p50 ${cy_p50}us"
	# every request sleeps the 300 us think time the test set (min is exact)
	jq -e '.request_min_latency_us >= 300 and .request_samples == .schbench_loop_count' \
		<<<"$sb" >/dev/null || fail "$sb"
}

@test "ws-bench: schbench and taobench per phase: one record per phase set, adding up to the whole run" {
	run --separate-stderr "$WSBIN" -w schbench:cache_footprint_kib=16 \
		-w taobench:cache_capacity_mib=1,slow_path_sleep_us=50 --phases 300ms,300ms,300ms -j
	assert_success
	r=$(report "$output" schbench)
	jq -e '[.phase_slices[] | select(.schbench)] | length == 3' <<<"$r" >/dev/null ||
		fail "$(jq -c .phase_slices <<<"$r")"
	jq -e '([.phase_slices[].schbench.schbench_loop_count] | add) == .schbench_whole.schbench_loop_count
		and ([.phase_slices[].schbench.wakeup_samples] | add) == .schbench_whole.wakeup_samples' \
		<<<"$r" >/dev/null || fail "$(jq -c '[.phase_slices[].schbench.schbench_loop_count], .schbench_whole' <<<"$r")"
	t=$(report "$output" taobench)
	jq -e '[.phase_slices[] | select(.taobench)] | length == 3' <<<"$t" >/dev/null ||
		fail "$(jq -c .phase_slices <<<"$t")"
	jq -e '([.phase_slices[].taobench.requests] | add) == .taobench_whole.requests and
		([.phase_slices[].taobench.hits] | add) == .taobench_whole.hits' <<<"$t" >/dev/null ||
		fail "$(jq -c .taobench_whole <<<"$t")"
}

# --- taobench --------------------------------------------------------------

@test "ws-bench: taobench hit ratio is the target the test set; misses = the dispatchers' nanosleeps (strace)" {
	require_cmd strace
	no_lsan
	run --separate-stderr strace -f -qq -e trace=clock_nanosleep,nanosleep -o "$BATS_TEST_TMPDIR/st" \
		"$WSBIN" -w taobench:cache_capacity_mib=1,target_hit_pct=25,slow_path_sleep_us=123,client_threads=2 \
		-d 2s -j
	assert_success
	tb=$(report "$output" taobench | jq -c .taobench_whole)
	read -r n hits misses ratio <<<"$(jq -r '"\(.requests) \(.hits) \(.misses) \(.hit_ratio)"' <<<"$tb")"
	slow=$(grep -c 'tv_nsec=123000}' "$BATS_TEST_TMPDIR/st")
	echo "requests=$n hits=$hits misses=$misses ratio=$ratio slow-path sleeps=$slow" >&3
	# at the stop a dispatcher may be between its miss and its sleep: the
	# two counts may differ by one per dispatcher (1 here; 2 allowed)
	[ "$slow" -ge $((misses - 2)) ] && [ "$slow" -le $((misses + 2)) ] ||
		fail "slow-path sleeps $slow, misses $misses (want equal within 2)"
	assert_equal $((hits + misses)) "$n"
	[ "$n" -ge 1000 ] || fail "too few requests ($n) to judge a ratio"
	# the cache starts full: 0.25 from the first request; 5 sigma of a binomial
	awk -v r="$ratio" -v n="$n" 'BEGIN { p = 0.25; tol = 5 * sqrt(p * (1 - p) / n);
		d = r - p; if (d < 0) d = -d; exit !(d <= tol) }' ||
		fail "hit ratio $ratio is not 0.25 within 5 sigma for $n requests"
}

@test "ws-bench: taobench open loop: never ahead of the rate set, a miss's serve time is at least its fetch" {
	run --separate-stderr "$WSBIN" -w taobench:cache_capacity_mib=1,target_hit_pct=10,arrival_rate=2000,slow_path_sleep_us=400,client_threads=2,slow_threads=2 \
		-d 2s -j
	assert_success
	tb=$(report "$output" taobench | jq -c .taobench_whole)
	echo "$tb" >&3
	jq -e '.open_loop == true and .requests > 0 and .serve_samples == .requests' <<<"$tb" \
		>/dev/null || fail "$tb"
	# arrivals sit on the rate's grid: at most rate x wall (+ one per client)
	jq -e '.requests <= 2000 * .wall_ns / 1e9 + 2' <<<"$tb" >/dev/null ||
		fail "ahead of the rate: $tb"
	# ~90% are misses, each sleeping 400 us past its arrival (histogram edge: -1/32)
	jq -e '.misses > 0.5 * .requests and .serve_p50_us >= 400 * 31 / 32' <<<"$tb" >/dev/null ||
		fail "serve latency below the slow path: $tb"
}

@test "ws-bench: text and prom carry the benchmark figures of the group summary" {
	run --separate-stderr "$WSBIN" -w schbench:cache_footprint_kib=16 -w taobench:cache_capacity_mib=1 -d 500ms
	assert_success
	[[ "$output" == *"schbench.wakeup_p99_latency_us="* ]] || fail "$output"
	[[ "$output" == *"taobench.hit_ratio="* ]] || fail "$output"
	run --separate-stderr "$WSBIN" -w taobench:cache_capacity_mib=1 -d 500ms -o prom
	assert_success
	grep -q '^telkit_worker_spawn_taobench_hit_ratio{.*work_type="taobench".*} ' <<<"$output" ||
		fail "$output"
}
