#!/usr/bin/env bats
# progstats on real recursion misses: tests/helpers/progstats_recur spins in a
# raw_tp program at sys_enter while timer ticks re-enter the same program on
# the same CPU, which the kernel skips and counts (recursion_misses).  The
# reference is bpftool's recursion_misses / run_cnt of the same program.

load test_helper
load progstats

setup() {
	progstats_setup
	RECUR=$(helper progstats_recur)
	[ -x "$RECUR" ] || skip "test helper progstats_recur is not built"
	RPID=
	SPID=
}

teardown() {
	reap $SPID $RPID
	host_unlock
}

# start_recur N SPIN_US: run the helper; sets RPID and RID once it is done.
start_recur() {
	"$RECUR" "$@" >"$D/recur" 2>&1 &
	RPID=$!
	wait_until 60 grep -q '^done ' "$D/recur" || fail "progstats_recur: $(cat "$D/recur")"
	RID=$(sed -n 's/^done id=\([0-9]*\).*/\1/p' "$D/recur")
}

bt() { bpftool prog show id "$RID" -j | jq -r ".$1 // 0"; }

@test "real recursion misses, stats off (--once): misses equal bpftool's, miss_rate 1" {
	start_recur 100 2000
	misses=$(bt recursion_misses)
	[ "$misses" -gt 0 ] || fail "no recursion miss happened: $(bpftool prog show id "$RID")"
	run --separate-stderr "$PS" --once -j --id "$RID"
	assert_success
	jq -se --argjson m "$misses" --argjson c "$(bt run_cnt)" '
		[.[] | select(.type == "sample")] | length == 1 and
		(.[0] | .name == "psrecur_spin" and .misses == $m and .cnt == $c and
		 (.miss_rate - ($m / ($c + $m)) | fabs) < 1e-9)' <<<"$output" >/dev/null || fail "$output"
	run --separate-stderr "$PS" --once --oneline --id "$RID"
	assert_success
	assert_output --regexp "^psrecur_spin: cnt=[0-9]+ nsecs=[0-9]+ misses=$misses "
}

@test "real recursion misses while sampling: period misses add up, final values equal bpftool's" {
	"$PS" -j -i 100ms --name psrecur >"$D/ps.out" 2>"$D/ps.err" &
	SPID=$!
	wait_until 10 caught "$SPID" || fail "progstats did not start"
	start_recur 200 2000
	# detached by now: two more intervals see the final, quiescent counters
	sleep 0.35
	kill -INT "$SPID"
	wait "$SPID"
	SPID=
	[ ! -s "$D/ps.err" ] || fail "stderr: $(cat "$D/ps.err")"
	m=$(bt recursion_misses) c=$(bt run_cnt)
	[ "$m" -gt 0 ] && [ "$c" -gt 0 ] || fail "bpftool: misses=$m run_cnt=$c"
	jq -se --arg id "$RID" --argjson m "$m" --argjson c "$c" '
		[.[] | select(.type == "sample" and (.id | tostring) == $id)] as $s |
		($s | length) >= 2 and
		($s[-1] | .misses == $m and .cnt == $c and (.miss_rate - ($m / ($c + $m)) | fabs) < 1e-9) and
		([$s[] | .period_misses] | add) == $m - $s[0].misses + $s[0].period_misses and
		([$s[] | .period_misses] | max) > 0' "$D/ps.out" >/dev/null ||
		fail "$(grep psrecur "$D/ps.out" | tail -3)"
}
