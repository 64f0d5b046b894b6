#!/usr/bin/env bats
# worker-spawn, issue 15: schbench's -R (requests_per_sec), -A (auto_rps),
# --split (split_percent) and -L (skip_locking), each held against a value the
# test set (the rate, the footprint), a peer that sets the load (stress-ng) or
# one that counts from outside (perf's uprobe on libc, /proc/PID/status).

load test_helper
load worker-spawn

setup() {
	ws_setup
}

teardown() {
	[ -z "${stress:-}" ] || { kill "$stress" 2>/dev/null; wait "$stress" 2>/dev/null; }
	[ -z "${ws:-}" ] || { kill "$ws" 2>/dev/null; wait "$ws" 2>/dev/null; }
	[ -z "${probe_ev:-}" ] || perf probe -q -d "$probe_ev" 2>/dev/null || true
}

whole() { jq -c 'select(.type == "report" and .work_type == "schbench") | .schbench_whole' <<<"$1"; }

# within LO X HI: LO <= X <= HI (floats).
within() { awk -v l="$1" -v x="$2" -v h="$3" 'BEGIN { exit !(l <= x && x <= h) }'; }

# The work is small (16 KiB: 26 x 26 matrices, one product) so the rate, not
# the CPU, bounds a run even at nice 19 on a busy 2-CPU box.
SB=cache_footprint_kib=16,operations=1,sleep_usec=0

@test "ws-schbench: requests_per_sec=R serves at most R a second and at least half; the closed loop does not stop there" {
	R=100
	for t in "1 2" "2 1"; do
		set -- $t
		run --separate-stderr "$WSBIN" -w "schbench:message_threads=$1,worker_threads=$2,$SB,requests_per_sec=$R" -d 2s -j
		assert_success
		w=$(whole "$output")
		loops=$(jq .schbench_loop_count <<<"$w")
		s=$(jq '.wall_ns / 1e9' <<<"$w")
		echo "m=$1 t=$2: $loops loops in ${s}s at R=$R" >&3
		# the injectors issue R a started second (R/m each), never more
		within "$(awk -v r=$R -v s="$s" 'BEGIN { print 0.5 * r * s }')" "$loops" \
			"$(awk -v r=$R -v s="$s" 'BEGIN { print r * (int(s) + 1) }')" ||
			fail "m=$1: $loops loops in ${s}s at R=$R: $w"
		jq -e ".final_rps_goal == $R" <<<"$w" >/dev/null || fail "$w"
		# schbench's per-second rps samples: none above R (10% for the
		# seconds of the sampler and of the injectors not lining up)
		jq -e ".rps_samples >= 1 and .rps_p50 >= $R / 2 and .rps_p99 <= $R * 1.1" \
			<<<"$w" >/dev/null || fail "rps samples: $w"
	done
	# the same work closed-loop (and R below message_threads: 1 / 2 is 0 a
	# message thread, the default mode as in schbench) runs far past R
	for extra in "" ",message_threads=2,requests_per_sec=1"; do
		run --separate-stderr "$WSBIN" -w "schbench:worker_threads=2,$SB$extra" -d 2s -j
		assert_success
		w=$(whole "$output")
		loops=$(jq .schbench_loop_count <<<"$w")
		s=$(jq '.wall_ns / 1e9' <<<"$w")
		echo "closed loop$extra: $loops loops in ${s}s" >&3
		awk -v l="$loops" -v r=$R -v s="$s" 'BEGIN { exit !(l > 3 * r * s) }' ||
			fail "closed loop$extra only $loops loops in ${s}s: $w"
	done
}

# busy_pct FILE_BEFORE FILE_AFTER: host busy % between two /proc/stat copies.
busy_pct() {
	awk 'FNR == 1 && $1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i;
		if (NR == FNR) { t0 = t; i0 = $5 } else { t1 = t; i1 = $5 } }
		END { print 100 - 100 * (i1 - i0) / (t1 - t0) }' "$1" "$2"
}

@test "ws-schbench: auto_rps steps the rate down on a host busier than its target (stress-ng holds it busy); requests_per_sec at the seed does not" {
	require_cmd stress-ng
	stress-ng --cpu 0 --timeout 30s -q &
	stress=$!
	wait_until 10 pgrep -P "$stress" >/dev/null || fail "stress-ng started no workers"
	T=$BATS_TEST_TMPDIR
	head -1 /proc/stat >"$T/s0"
	# auto_rps=10 starts at 10 a second; a fixed 10 a second is the control
	"$WSBIN" -w "schbench:worker_threads=1,$SB,auto_rps=10" -d 8s -j >"$T/auto" &
	a=$!
	"$WSBIN" -w "schbench:worker_threads=1,$SB,requests_per_sec=10" -d 8s -j >"$T/fixed" ||
		fail "fixed run failed"
	wait "$a" || fail "auto run failed"
	head -1 /proc/stat >"$T/s1"
	busy=$(busy_pct "$T/s0" "$T/s1")
	auto=$(whole "$(cat "$T/auto")")
	fixed=$(whole "$(cat "$T/fixed")")
	la=$(jq .schbench_loop_count <<<"$auto")
	lf=$(jq .schbench_loop_count <<<"$fixed")
	echo "host busy ${busy}%: auto_rps=10 $la loops, requests_per_sec=10 $lf loops" >&3
	awk -v b="$busy" 'BEGIN { exit !(b > 20) }' || skip "stress-ng did not hold the host busy (${busy}%)"
	# busy > target: each second multiplies the rate by 0.3 (10, 3 or 2, 0);
	# an injector may read the old rate once more: 10 + 10 + 3 + 3, and a
	# little slack; the fixed rate keeps on (80 in 8 s)
	[ "$la" -le 30 ] || fail "auto_rps did not step down: $auto"
	[ "$lf" -ge 50 ] || fail "the fixed rate of 10 served only $lf in 8 s: $fixed"
	# never near the target: no rps samples (schbench takes them once it is)
	jq -e '.final_rps_goal == 0 and .rps_target_hit == false and .rps_samples == 0' \
		<<<"$auto" >/dev/null || fail "$auto"
}

@test "ws-schbench: the per-CPU lock is taken per request unless skip_locking=1 (perf counts libc's pthread_mutex_trylock by uprobe)" {
	require_root
	require_cmd perf
	libc=$(ldd "$WSBIN" | awk '/libc\.so/ { print $3 }')
	[ -n "$libc" ] || skip "no libc in ldd $WSBIN"
	probe_ev=probe_libc:tkws_sb$$
	perf probe -q -x "$libc" -a "tkws_sb$$=pthread_mutex_trylock" 2>/dev/null ||
		{ probe_ev=; skip "perf cannot place a uprobe on $libc"; }
	T=$BATS_TEST_TMPDIR
	for skip_l in 0 1; do
		perf stat -x, -e "$probe_ev" -o "$T/p$skip_l" -- \
			"$WSBIN" -w "schbench:worker_threads=2,$SB,skip_locking=$skip_l" -d 1s -j >"$T/o$skip_l" ||
			fail "run failed: $(cat "$T/p$skip_l")"
		tries[$skip_l]=$(awk -F, -v e="$probe_ev" '$3 == e { print $1 }' "$T/p$skip_l")
		loops[$skip_l]=$(whole "$(cat "$T/o$skip_l")" | jq .schbench_loop_count)
		echo "skip_locking=$skip_l: ${tries[$skip_l]} trylock calls, ${loops[$skip_l]} loops" >&3
	done
	[[ "${tries[0]}" =~ ^[0-9]+$ && "${tries[1]}" =~ ^[0-9]+$ ]] || fail "perf counted nothing: $(cat "$T/p0" "$T/p1")"
	# each request takes its CPU's lock: at least one trylock each (more when it spins)
	[ "${loops[0]}" -gt 0 ] && [ "${tries[0]}" -ge "${loops[0]}" ] ||
		fail "${tries[0]} trylocks for ${loops[0]} requests"
	[ "${loops[1]}" -gt 0 ] && [ "${tries[1]}" -eq 0 ] ||
		fail "skip_locking=1 still called trylock ${tries[1]} times (${loops[1]} requests)"
}

# rss_kib PID: the anonymous resident memory of PID in KiB.
rss_kib() { awk '$1 == "RssAnon:" { print $2 }' "/proc/$1/status"; }
threads() { awk '$1 == "Threads:" { print $2 }' "/proc/$1/status" 2>/dev/null; }

@test "ws-schbench: split_percent=P keeps P% of the footprint per worker thread and the rest once (RssAnon of the worker)" {
	W=8
	K=4096
	T=$BATS_TEST_TMPDIR
	for p in 100 50 0; do
		"$WSBIN" -v -w "schbench:worker_threads=$W,cache_footprint_kib=$K,operations=1,sleep_usec=2000000,skip_locking=1,split_percent=$p" \
			-d 30s -j >"$T/out" 2>"$T/err" &
		ws=$!
		wait_until 30 pgrep -P "$ws" >/dev/null || fail "no worker: $(cat "$T/err")"
		pid=$(pgrep -P "$ws" | head -1)
		# every matrix is filled before the threads start: the worker's
		# thread, its message thread and its W worker threads
		wait_until 30 bash -c "[ \"\$(awk '\$1 == \"Threads:\" { print \$2 }' /proc/$pid/status)\" -ge $((W + 2)) ]" ||
			fail "threads: $(threads "$pid")"
		rss[$p]=$(rss_kib "$pid")
		kill -INT "$ws"
		wait "$ws" || fail "split_percent=$p: exit $?: $(cat "$T/err")"
		ws=
		echo "split_percent=$p: RssAnon ${rss[$p]} KiB" >&3
	done
	# private: W x P% of K; shared: (100 - P)% of K once (each a little less:
	# whole matrices); the rest of the worker is the same in the three runs
	d100=$((rss[100] - rss[0]))
	d50=$((rss[50] - rss[0]))
	within "$(((W - 1) * K * 85 / 100))" "$d100" "$(((W - 1) * K * 110 / 100))" ||
		fail "100 vs 0: $d100 KiB, want ~$(((W - 1) * K)) KiB"
	within "$(((W - 1) * K / 2 * 85 / 100))" "$d50" "$(((W - 1) * K / 2 * 110 / 100))" ||
		fail "50 vs 0: $d50 KiB, want ~$(((W - 1) * K / 2)) KiB"
}
