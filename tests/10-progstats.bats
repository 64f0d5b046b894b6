#!/usr/bin/env bats
# progstats against real peers: the test program's own in-map run counter
# (bpf/test_progstats_count.bpf.c via tests/helpers/progstats_load), bpftool
# prog show -j, /proc/PID/fd and /proc/PID/fdinfo.  Expected values never come
# from progstats itself.

load test_helper
load progstats

setup() { ps_file_setup; }
teardown() { ps_file_teardown; }

# wait_until SECONDS CMD...: poll CMD every 50 ms.

# Processes other than $1 holding a BPF_ENABLE_STATS fd, or the sysctl on.
others_hold_stats() {
	local f
	[ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = 1 ] && return 0
	for f in /proc/[0-9]*/fd/*; do
		case $f in "/proc/$1/"*) continue ;; esac
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:bpf-stats" ] && return 0
	done
	return 1
}

bt() { bpftool prog show id "$1" -j | jq -r ".$2 // 0"; }

# start_ps ARGS...: progstats in the background into $D/ps.out; sets PPID_PS.
start_ps() {
	"$PS" "$@" >"$D/ps.out" 2>"$D/ps.err" &
	PPID_PS=$!
	PPIDS+=("$PPID_PS")
}

@test "cnt equals the program's own counter and bpftool's run_cnt" {
	start_loader -n 5000
	start_ps -j -v -i 200ms --id "$COUNT_ID"
	wait_until 10 holds_stats "$PPID_PS" || fail "progstats holds no bpf-stats fd"
	# periods count from the baseline pass: the burst must come after it
	wait_until 20 grep -q '^progstats: sample 1:' "$D/ps.err" || fail "no first pass: $(cat "$D/ps.err")"
	kill -USR1 "$LPID"
	wait_until 20 grep -q '^burst ' "$LOUT" || fail "no burst: $(cat "$LOUT")"
	counter=$(sed -n 's/^burst counter=//p' "$LOUT")
	[ "$counter" -ge 5000 ] || fail "counter $counter < 5000 syscalls"
	run_cnt=$(bt "$COUNT_ID" run_cnt)
	sleep 0.6
	kill -INT "$PPID_PS"
	wait "$PPID_PS"
	last=$(jq -c "select(.type==\"sample\" and .id==$COUNT_ID)" "$D/ps.out" | tail -1)
	[ -n "$last" ] || fail "no sample for $COUNT_ID: $(cat "$D/ps.out")"
	assert_equal "$(jq .cnt <<<"$last")" "$counter"
	assert_equal "$run_cnt" "$counter"
	assert_equal "$(jq .nsecs <<<"$last")" "$(bt "$COUNT_ID" run_time_ns)"
	# The period that held the burst: its deltas add up to the counter.
	sum=$(jq -s "map(select(.type==\"sample\" and .id==$COUNT_ID) | .period_cnt) | add" "$D/ps.out")
	assert_equal "$sum" "$counter"
	# --once reads the same frozen counters.
	run "$PS" --once -j --id "$COUNT_ID"
	assert_success
	assert_equal "$(jq .cnt <<<"$output")" "$counter"
	# stats off, unless the sysctl or another process (a BPF_ENABLE_STATS fd) holds them
	want=not_enabled
	if [ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = 1 ]; then
		want=sysctl
	elif others_hold_stats $$; then
		want=held_by_other
	fi
	assert_equal "$(jq -r .stats <<<"$output")" "$want"
}

# run_time_ns of the always-attached counting program over 0.4 s.
rt_moves() {
	local a b
	a=$(bt "$COUNT_ID" run_time_ns)
	sleep 0.4
	b=$(bt "$COUNT_ID" run_time_ns)
	[ "$b" -gt "$a" ]
}

# run_time_ns stands still; a short-lived holder elsewhere (a demo run) is
# waited out, a lasting one skips the test.
rt_still() {
	local try
	for try in 1 2 3 4; do
		rt_moves || return 0
		sleep 0.5
	done
	others_hold_stats $$ && skip "another process holds BPF run-time stats"
	fail "$1"
}

@test "stats are held exactly while progstats runs: -c end, SIGINT, SIGTERM, closed stdout" {
	start_loader -a
	others_hold_stats $$ && skip "another process holds BPF run-time stats"
	rt_still "run_time_ns moves before progstats runs"
	for how in count INT TERM epipe; do
		case $how in
		count) start_ps -i 300ms -c 4 ;;
		epipe) rm -f "$D/ep.pid" "$D/ep.rc"
		       { "$PS" -j -i 100ms -c 100000 2>>"$D/ps.err" & echo $! >"$D/ep.pid"
			 wait $!; echo $? >"$D/ep.rc"; } | { sleep 0.5; head -1 >/dev/null; } &
		       PPIDS+=("$!")
		       wait_until 5 test -s "$D/ep.pid"
		       PPID_PS=$(cat "$D/ep.pid") ;;
		*) start_ps -i 200ms ;;
		esac
		wait_until 10 holds_stats "$PPID_PS" || fail "$how: no bpf-stats fd"
		if [ "$how" != epipe ]; then
			rt_moves || fail "$how: run_time_ns does not move while progstats runs"
		fi
		case $how in INT|TERM) kill -"$how" "$PPID_PS" ;; esac
		wait "${PPIDS[-1]}"
		rc=$?
		[ "$how" != epipe ] || rc=$(cat "$D/ep.rc")
		assert_equal "$rc" 0
		! kill -0 "$PPID_PS" 2>/dev/null || fail "$how: progstats still running"
		rt_still "$how: run_time_ns still moves after progstats exited"
	done
	[ ! -s "$D/ps.err" ] || fail "stderr not empty: $(cat "$D/ps.err")"
}

@test "a program unloaded mid-run disappears, a new one appears (both walks)" {
	for walk in iter syscall; do
		appear_disappear "$walk"
	done
}

appear_disappear() {
	rm -f "$D/ps.out" "$D/ps.err"
	start_ps -j -v -i 200ms --walk "$1"
	wait_until 10 holds_stats "$PPID_PS" || fail "no bpf-stats fd"
	# the first scan is over (-v reports each pass): what loads now is new
	wait_until 10 grep -q '^progstats: sample 1:' "$D/ps.err" || fail "no first pass: $(cat "$D/ps.err")"
	start_loader -b 2
	first=$BULK_FIRST
	wait_until 10 grep -q "\"event\":\"appear\",\"id\":$first," "$D/ps.out" || fail "no appear event"
	wait_until 10 grep -q "\"type\":\"sample\".*\"id\":$first,.*\"new\":false" "$D/ps.out" ||
		fail "no second sample for $first"
	kill -TERM "$LPID"
	wait "$LPID"
	wait_until 10 grep -q "\"event\":\"disappear\",\"id\":$first," "$D/ps.out" || fail "no disappear event"
	sleep 0.5
	kill -INT "$PPID_PS"
	wait "$PPID_PS"
	assert_json_lines "$(cat "$D/ps.out")"
	# The first sample of the new program had zero deltas.
	jq -se "map(select(.type==\"sample\" and .id==$first and .new)) |
		length == 1 and all(.[]; .period_cnt==0 and .cpu_pct==0 and .events_per_sec==0)" \
		"$D/ps.out" >/dev/null || fail "new program's first sample has deltas"
	# After the disappear event no sample names it again.
	after=$(sed -n "/\"event\":\"disappear\",\"id\":$first,/,\$p" "$D/ps.out" |
		grep -c "\"type\":\"sample\".*\"id\":$first," || true)
	assert_equal "$after" 0
	! grep -v '^progstats: sample [0-9]*: ' "$D/ps.err" || fail "stderr: $(cat "$D/ps.err")"
}

@test "320 programs loaded at once are all listed, ids as bpftool lists them (both walks)" {
	start_loader -s -b 320
	# ours only: another loader on the host may hold pstest_ programs too
	ours() { jq -r --argjson a "$BULK_FIRST" --argjson b "$BULK_LAST" "$1"' | select(.id >= $a and .id <= $b) | .id'; }
	want=$(bpftool prog show -j | ours '.[] | select(.name|startswith("pstest_"))' | sort -n)
	assert_equal "$(wc -l <<<"$want")" 320
	for walk in iter syscall; do
		run "$PS" --once -j --name pstest_ --sort id --walk "$walk"
		assert_success
		assert_json_lines "$output"
		got=$(ours . <<<"$output")
		assert_equal "$got" "$want"
		run "$PS" --once --name pstest_ --walk "$walk"
		assert_success
		assert_equal "$(awk -v a="$BULK_FIRST" -v b="$BULK_LAST" '$1 >= a && $1 <= b && / pstest_/' <<<"$output" | wc -l)" 320
	done
}

# ids, types, names, tags and counters of our loader's programs, as bpftool
# prints them: "id type name tag run_cnt run_time_ns recursion_misses"
bt_rows() {
	bpftool prog show -j | jq -r --argjson a "$1" --argjson b "$2" --argjson c "$3" --argjson d "$4" \
		'.[] | select((.id >= $a and .id <= $b) or .id == $c or .id == $d) |
		"\(.id) \(.type) \(.name) \(.tag) \(.run_cnt // 0) \(.run_time_ns // 0) \(.recursion_misses // 0)"'
}
ps_rows() {
	jq -r '"\(.id) \(.prog_type) \(.name) \(.tag) \(.cnt) \(.nsecs) \(.misses)"'
}

@test "iterator and GET_NEXT_ID walks say what bpftool says: ids, types, names, tags, counters" {
	start_loader -n 3000 -b 40
	# counters that moved, then froze: a burst while stats are held
	start_ps -i 100ms
	wait_until 10 holds_stats "$PPID_PS" || fail "progstats holds no bpf-stats fd"
	kill -USR1 "$LPID"
	wait_until 20 grep -q '^burst ' "$LOUT" || fail "no burst: $(cat "$LOUT")"
	kill -INT "$PPID_PS"
	wait "$PPID_PS"
	others_hold_stats $$ && skip "another process holds BPF run-time stats"
	want=$(bt_rows "$BULK_FIRST" "$BULK_LAST" "$COUNT_ID" "$LONG_ID")
	assert_equal "$(wc -l <<<"$want")" 42
	grep -q "^$COUNT_ID raw_tracepoint tpstat_count [0-9a-f]* [1-9]" <<<"$want" ||
		fail "counting program did not run: $want"
	for walk in iter syscall; do
		ids=$(for i in $(seq "$BULK_FIRST" "$BULK_LAST") "$COUNT_ID" "$LONG_ID"; do
			printf -- '--id %s ' "$i"; done)
		# --id takes at most 64: 40 bulk + 2
		# shellcheck disable=SC2086
		run --separate-stderr "$PS" --once -j --sort id --walk "$walk" $ids
		assert_success
		assert_equal "$(ps_rows <<<"$output")" "$want"
	done
}

@test "a 15-byte truncated name is shown in full, as bpftool shows it" {
	start_loader
	run "$PS" --once -j --id "$LONG_ID" --walk syscall
	assert_success
	assert_equal "$(jq -r .name <<<"$output")" "progstats_test_long_program_name"
	run "$PS" --once -j --id "$LONG_ID" --walk iter
	assert_success
	assert_equal "$(jq -r .name <<<"$output")" "progstats_test_long_program_name"
	assert_equal "$(jq -r .name <<<"$output")" "$(bt "$LONG_ID" name)"
	assert_equal "$(jq -r .prog_type <<<"$output")" "$(bt "$LONG_ID" type)"
	assert_equal "$(jq -r .tag <<<"$output")" "$(bt "$LONG_ID" tag)"
	run "$PS" --once --name LONG_PROGRAM
	assert_success
	assert_output --partial " progstats_test_long_program_name "
}

# Program ids PID holds an fd of, from /proc/PID/fdinfo.
fdinfo_prog_ids() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f")" = "anon_inode:bpf-prog" ] || continue
		sed -n 's/^prog_id:[[:space:]]*//p' "/proc/$1/fdinfo/${f##*/}"
	done | sort -nu
}

@test "--pids names the loader process; --pid selects what /proc says it holds" {
	start_loader -b 3
	run "$PS" --once -j --pids --id "$COUNT_ID"
	assert_success
	jq -e ".pids | any(.pid == $LPID and .comm == \"progstats_load\")" <<<"$output" >/dev/null ||
		fail "loader $LPID not among holders: $output"
	want=$(fdinfo_prog_ids "$LPID")
	[ -n "$want" ] || fail "no bpf-prog fds in /proc/$LPID"
	run "$PS" --once -j --pid "$LPID" --sort id
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" "$want"
	run "$PS" --once --pids --id "$LONG_ID"
	assert_success
	assert_output --partial "progstats_load($LPID)"
}

@test "--oneline follows the seed format; derived parts elided by their guards" {
	start_loader -n 2000
	start_ps -i 200ms -o text
	wait_until 10 holds_stats "$PPID_PS" || fail "no bpf-stats fd"
	kill -USR1 "$LPID"
	wait_until 20 grep -q '^burst ' "$LOUT"
	kill -INT "$PPID_PS"
	wait "$PPID_PS"
	c=$(sed -n 's/^burst counter=//p' "$LOUT")
	ns=$(bt "$COUNT_ID" run_time_ns)
	run "$PS" --once --oneline --id "$COUNT_ID" --id "$LONG_ID" --sort id
	assert_success
	npc=$(awk -v n="$ns" -v c="$c" 'BEGIN { printf "%.1f", n / c }')
	assert_line --index 0 "tpstat_count: cnt=$c nsecs=$ns misses=0 ns/call=$npc miss_rate=0.000000"
	assert_line --index 1 "progstats_test_long_program_name: cnt=0 nsecs=0 misses=0"
}

@test "Prometheus exposition: families grouped, labels id/name/type, values from bpftool" {
	start_loader
	run "$PS" --once -o prom --id "$COUNT_ID" --id "$LONG_ID"
	assert_success
	assert_line "telkit_bpf_prog_runs_total{id=\"$LONG_ID\",name=\"progstats_test_long_program_name\",type=\"tracing\"} 0"
	assert_line "telkit_bpf_prog_runs_total{id=\"$COUNT_ID\",name=\"tpstat_count\",type=\"raw_tracepoint\"} $(bt "$COUNT_ID" run_cnt)"
	assert_line "# TYPE telkit_bpf_prog_runs_total counter"
	# every sample line is name{labels} number; each TYPE once
	bad=$(grep -v '^#' <<<"$output" | grep -vcE '^[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$' || true)
	assert_equal "$bad" 0
	assert_equal "$(grep -c '^# TYPE' <<<"$output")" "$(grep '^# TYPE' <<<"$output" | sort -u | wc -l)"
	# interval mode adds the rate families
	run "$PS" -o prom -i 100ms -c 1 --id "$COUNT_ID"
	assert_success
	assert_output --partial "telkit_bpf_prog_cpu_ratio{id=\"$COUNT_ID\""
	assert_output --partial "telkit_bpf_prog_runs_per_second{"
}

@test "--sort and --top order as bpftool's ids and names say" {
	start_loader -b 5
	want=$(bpftool prog show -j | jq -r '[.[] | select(.name|startswith("pstest_"))] | sort_by(.id) | .[:3][] | .id')
	run "$PS" --once -j --name pstest_ --sort id --top 3
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" "$want"
	want=$(bpftool prog show -j | jq -r '[.[] | select(.name|startswith("pstest_"))] | sort_by(.name) | .[].name')
	run "$PS" --once -j --name pstest_ --sort name
	assert_equal "$(jq -r .name <<<"$output")" "$want"
	# --type: the same set bpftool reports for that type
	# (others may load programs meanwhile: match bpftool before or after)
	rawtp() { bpftool prog show -j | jq -r '.[] | select(.type=="raw_tracepoint") | .id' | sort -n; }
	want1=$(rawtp)
	run "$PS" --once -j --type raw_tracepoint --sort id
	want2=$(rawtp)
	got=$(jq -r .id <<<"$output")
	[ "$got" = "$want1" ] || [ "$got" = "$want2" ] || fail "got $got, bpftool $want1 / $want2"
	grep -qx "$COUNT_ID" <<<"$got" || fail "tpstat_count $COUNT_ID not listed"
}

@test "text table: header and aligned rows under 100 columns, busiest first" {
	start_loader -a -b 2
	run "$PS" -i 300ms -c 2 --pids --pid "$LPID"
	assert_success
	assert_line --partial "ID TYPE"
	max=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' <<<"$output")
	[ "$max" -lt 100 ] || fail "line of $max columns"
	# in each sample the always-running counting program is on the first row
	first=$(awk '/^ *ID TYPE/ { getline; print $1 }' <<<"$output" | sort -u)
	assert_equal "$first" "$COUNT_ID"
}

@test "thresholds: a breach exits 3 and names the program on stderr" {
	start_loader -a
	sleep 0.2
	run --separate-stderr "$PS" -i 200ms -c 2 --id "$COUNT_ID" --max-ns-per-call 1
	assert_equal "$status" 3
	[[ "$stderr" == *"program $COUNT_ID tpstat_count: ns_per_call"* ]] || fail "stderr: $stderr"
	assert_equal "$(grep -c threshold <<<"$stderr")" 1
	run --separate-stderr "$PS" -j -i 200ms -c 2 --id "$COUNT_ID" --min-events-per-sec 1e12
	assert_equal "$status" 3
	jq -se 'any(.[]; .type=="event" and .event=="threshold")' <<<"$output" >/dev/null ||
		fail "no threshold event"
	run --separate-stderr "$PS" -i 200ms -c 2 --id "$COUNT_ID" --max-ns-per-call 1e12 \
		--max-miss-rate 0.5 --min-events-per-sec 1
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
}

@test "every bad option value is one line naming it, exit 2" {
	while IFS='|' read -r arg want; do
		# shellcheck disable=SC2086
		run --separate-stderr "$PS" $arg
		assert_usage_error "$want"
	done <<'EOF2'
--id 0|--id
--id abc|--id
--id 4294967296|--id
--id -1|--id
--name=|--name
--type nosuchtype|nosuchtype
--type 5|--type
--pid 0|--pid
--pid 99999999|--pid
--pid x|--pid
--sort bogus|bogus
--top 0|--top
--top 1.5|--top
--max-ns-per-call -1|--max-ns-per-call
--max-ns-per-call nan|--max-ns-per-call
--max-miss-rate 1.5|--max-miss-rate
--max-miss-rate x|--max-miss-rate
--min-events-per-sec -3|--min-events-per-sec
--min-events-per-sec inf|--min-events-per-sec
--once -i 1|--once
--once -c 2|--once
--once --min-events-per-sec 1|--min-events-per-sec
--oneline -j|--oneline
--oneline -o prom|--oneline
--walk bogus|--walk
--walk=|--walk
--group prog|prog
--group=|--group
extra|extra
EOF2
	ids=$(for i in $(seq 1 65); do printf -- '--id %d ' "$i"; done)
	# shellcheck disable=SC2086
	run --separate-stderr "$PS" $ids
	assert_usage_error "--id"
}

@test "without CAP_SYS_ADMIN: one line, exit 1, nothing on stdout" {
	require_cmd setpriv
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$PS" --once
	assert_equal "$status" 1
	[ -z "$output" ] || fail "stdout: $output"
	assert_equal "$(grep -c . <<<"$stderr")" 1
	[[ "$stderr" == *"fix: run as root"* ]] || fail "stderr: $stderr"
}

# derive ARGS -> "line1\nline2" from the derived-metric code, crafted counters.
@test "derived metrics keep the seed's guards: zeros, saturation, counter reset, zero period" {
	D2=$(helper progstats_derive)
	[ -x "$D2" ] || skip "test helper progstats_derive is not built"
	M=18446744073709551615
	while IFS='|' read -r args want1 want2; do
		# shellcheck disable=SC2086
		run "$D2" $args
		assert_success
		assert_line --index 0 "$want1"
		[ -z "$want2" ] || assert_line --index 1 "$want2"
	done <<EOF2
0 0 0|ns_per_call=0 miss_rate=0 period_ns_per_call=0 events_per_sec=0 cpu_pct=0 period_miss_rate=0 d_cnt=0 new=1|x: cnt=0 nsecs=0 misses=0
0 0 5|ns_per_call=0 miss_rate=1 period_ns_per_call=0 events_per_sec=0 cpu_pct=0 period_miss_rate=0 d_cnt=0 new=1|x: cnt=0 nsecs=0 misses=5 miss_rate=1.000000
$M $M $M|ns_per_call=1 miss_rate=1 period_ns_per_call=0 events_per_sec=0 cpu_pct=0 period_miss_rate=0 d_cnt=0 new=1|x: cnt=$M nsecs=$M misses=$M ns/call=1.0 miss_rate=1.000000
$M 0 10|ns_per_call=0 miss_rate=5.42101e-19 period_ns_per_call=0 events_per_sec=0 cpu_pct=0 period_miss_rate=0 d_cnt=0 new=1|
5 100 0 10 200 0 1000000000|ns_per_call=20 miss_rate=0 period_ns_per_call=0 events_per_sec=0 cpu_pct=0 period_miss_rate=0 d_cnt=0 new=0|
10 100 0 5 50 0 0|ns_per_call=10 miss_rate=0 period_ns_per_call=10 events_per_sec=0 cpu_pct=0 period_miss_rate=0 d_cnt=5 new=0|
1000 50000 0 0 0 0 500000000|ns_per_call=50 miss_rate=0 period_ns_per_call=50 events_per_sec=2000 cpu_pct=0.01 period_miss_rate=0 d_cnt=1000 new=0|x: cnt=1000 nsecs=50000 misses=0 ns/call=50.0 miss_rate=0.000000
90 900 10 0 0 0 1000000000|ns_per_call=10 miss_rate=0.1 period_ns_per_call=10 events_per_sec=90 cpu_pct=9e-05 period_miss_rate=0.1 d_cnt=90 new=0|
EOF2
}

# The struct_ops object of progstats_load -o (bpf/test_progstats_ops.bpf.c):
# a TCP congestion control whose four programs' names pass 15 bytes, as a
# sched_ext scheduler's ops do ("simple_select_cpu").
OPS_NAMES="progstats_ca_init_connection progstats_ca_slow_start_threshold progstats_ca_congestion_avoid progstats_ca_undo_cwnd"

# bpftool's programs of BTF object $1: "id type name tag run_cnt run_time_ns recursion_misses"
bt_obj_rows() {
	bpftool prog show -j | jq -r --argjson b "$1" '.[] | select(.btf_id == $b) |
		"\(.id) \(.type) \(.name) \(.tag) \(.run_cnt // 0) \(.run_time_ns // 0) \(.recursion_misses // 0)"'
}

# check_groups FILE: in every seq, each group record's figures are the sums of
# the sample records under it, its ids theirs, their shares add up to 100.
check_groups() {
	jq -se '
		def close(a; b): ((a - b) | fabs) <= 1e-9 * ([a, b, 1] | max);
		[foreach .[] as $r ({g: null, m: []};
			if $r.type == "group" then {g: $r, m: [], done: .g, dm: .m}
			elif $r.type == "sample" then .m += [$r] | .done = null
			else .done = null end;
			if .done then [.done, .dm] else empty end)] +
		[last(foreach .[] as $r ({g: null, m: []};
			if $r.type == "group" then {g: $r, m: []}
			elif $r.type == "sample" then .m += [$r] else . end; [.g, .m]))]
		| map(select(.[0] != null)) | length > 0 and all(.[]; .[0] as $g | .[1] as $m |
			$g.progs == ($m | length) and $g.ids == ($m | map(.id)) and
			all($m[]; .obj == $g.obj and .obj_btf_id == $g.obj_btf_id and .seq == $g.seq) and
			$g.cnt == ($m | map(.cnt) | add) and $g.nsecs == ($m | map(.nsecs) | add) and
			$g.misses == ($m | map(.misses) | add) and
			$g.period_cnt == ($m | map(.period_cnt) | add) and
			$g.period_nsecs == ($m | map(.period_nsecs) | add) and
			$g.period_misses == ($m | map(.period_misses) | add) and
			close($g.events_per_sec; $m | map(.events_per_sec) | add) and
			close($g.cpu_pct; $m | map(.cpu_pct) | add) and
			($g.nsecs == 0 or close(100; $m | map(.obj_share_pct) | add)) and
			($g.period_nsecs == 0 or close(100; $m | map(.obj_period_share_pct) | add)))' \
		"$1" >/dev/null
}

@test "struct_ops programs: full names in both walks and counters as bpftool and their own counts say" {
	start_loader -o -n 3000
	start_ps -j -v -i 200ms --group obj
	wait_until 10 holds_stats "$PPID_PS" || fail "progstats holds no bpf-stats fd"
	wait_until 20 grep -q '^progstats: sample 1:' "$D/ps.err" || fail "no first pass: $(cat "$D/ps.err")"
	kill -USR1 "$LPID"
	wait_until 30 grep -q '^ops calls=' "$LOUT" || fail "no ops burst: $(cat "$LOUT")"
	# one more pass after the traffic, then the counters stand still
	n=$(grep -c '^progstats: sample' "$D/ps.err")
	wait_until 10 eval '[ "$(grep -c "^progstats: sample" "$D/ps.err")" -gt "$((n + 1))" ]'
	kill -INT "$PPID_PS"
	wait "$PPID_PS"
	others_hold_stats $$ && skip "another process holds BPF run-time stats"
	want=$(bt_obj_rows "$OPS_BTF")
	# bpftool names them in full too; the kernel's own names are the 15-byte cut
	assert_equal "$(cut -d' ' -f3 <<<"$want" | sort | tr '\n' ' ')" \
		"$(tr ' ' '\n' <<<"$OPS_NAMES" | sort | tr '\n' ' ')"
	assert_equal "$(cut -d' ' -f2 <<<"$want" | sort -u)" struct_ops
	for walk in iter syscall; do
		run --separate-stderr "$PS" --once -j --type struct_ops --sort id --walk "$walk"
		assert_success
		assert_equal "$(jq -c "select(.name | startswith(\"progstats_ca_\"))" <<<"$output" | ps_rows)" "$want"
	done
	# each program's cnt is its own count of its runs (init, ssthresh, cong_avoid, undo)
	IFS=, read -r c_init c_ssth c_avoid c_undo < <(sed -n 's/^ops calls=//p' "$LOUT")
	[ "$c_avoid" -gt 100 ] || fail "cong_avoid ran $c_avoid times: no traffic through pstest_ca"
	last=$(jq -c 'select(.type == "sample" and .obj_btf_id == '"$OPS_BTF"')' "$D/ps.out" | tail -4)
	for pair in "progstats_ca_init_connection $c_init" "progstats_ca_slow_start_threshold $c_ssth" \
		    "progstats_ca_congestion_avoid $c_avoid" "progstats_ca_undo_cwnd $c_undo"; do
		set -- $pair
		assert_equal "$(jq -r "select(.name == \"$1\") | .cnt" <<<"$last")" "$2"
		assert_equal "$(awk -v n="$1" '$3 == n { print $5 }' <<<"$want")" "$2"
	done
	# the live grouped records: sums of their members in every sample, and
	# the object's last figures equal bpftool's sums once the counters stood still
	check_groups "$D/ps.out" || fail "a group record is not the sum of its programs"
	g=$(jq -c 'select(.type == "group" and .obj_btf_id == '"$OPS_BTF"')' "$D/ps.out" | tail -1)
	assert_equal "$(jq -r .obj <<<"$g")" pstest_ops
	assert_equal "$(jq -r .obj <<<"$g")" \
		"$(bpftool map show -j | jq -r ".[] | select(.btf_id == $OPS_BTF and .type == \"struct_ops\") | .name")"
	assert_equal "$(jq -r .obj_from <<<"$g")" struct_ops
	assert_equal "$(jq .cnt <<<"$g")" "$(awk '{ s += $5 } END { print s }' <<<"$want")"
	assert_equal "$(jq .nsecs <<<"$g")" "$(awk '{ s += $6 } END { print s }' <<<"$want")"
	assert_equal "$(jq -c .ids <<<"$g")" "$(jq -sc 'map(.id)' <<<"$last")"
}

@test "--group obj in text, --oneline, JSON and prom: names from the maps bpftool lists, sums of the programs" {
	start_loader -o -b 3
	count_btf=$(bt "$COUNT_ID" btf_id)
	[ "$count_btf" -gt 0 ] || fail "tpstat_count has no BTF id"
	assert_equal "$(bt "$LONG_ID" btf_id)" "$count_btf"
	assert_equal "$(bt "$BULK_FIRST" btf_id)" 0
	# libbpf names the .bss of object test_progstats_count_bpf "test_pro.bss"
	bss=$(bpftool map show -j | jq -r ".[] | select(.btf_id == $count_btf) | .name | select(endswith(\".bss\"))")
	assert_equal "$bss" test_pro.bss
	run --separate-stderr "$PS" --once -j --group obj --sort id
	assert_success
	assert_json_lines "$output"
	printf '%s\n' "$output" >"$D/g.json"
	check_groups "$D/g.json" || fail "a group record is not the sum of its programs"
	grp() { jq -c "select(.type == \"group\" and .obj_btf_id == $1)" "$D/g.json"; }
	assert_equal "$(grp "$count_btf" | jq -r '"\(.obj) \(.obj_from) \(.prog_type) \(.ids)"')" \
		"test_pro data_map mixed [$COUNT_ID,$LONG_ID]"
	assert_equal "$(grp "$OPS_BTF" | jq -r '"\(.obj) \(.obj_from) \(.prog_type) \(.progs)"')" \
		"pstest_ops struct_ops struct_ops 4"
	# programs without BTF: one group "-" (BTF id 0) holding the bulk filters
	assert_equal "$(grp 0 | jq -r '"\(.obj) \(.obj_from)"')" "- none"
	for id in $(seq "$BULK_FIRST" "$BULK_LAST"); do
		grp 0 | jq -e ".ids | index($id)" >/dev/null || fail "bulk program $id not in group -"
	done
	# every object appears once, and each program under exactly one object
	assert_equal "$(jq -r 'select(.type == "group") | .obj_btf_id' "$D/g.json" | sort | uniq -d)" ""
	assert_equal "$(jq -r 'select(.type == "sample") | .id' "$D/g.json" | sort | uniq -d)" ""
	# our loader's programs are all there, as bpftool lists them (others on
	# the host may come and go between two runs)
	ours=$( (echo "$COUNT_ID"; echo "$LONG_ID"; seq "$BULK_FIRST" "$BULK_LAST"
		bt_obj_rows "$OPS_BTF" | cut -d' ' -f1) | sort -n)
	assert_equal "$(jq -r 'select(.type == "sample") | .id' "$D/g.json" | sort -n | grep -xF "$ours")" "$ours"
	# --top counts objects
	run --separate-stderr "$PS" --once -j --group obj --top 1
	assert_equal "$(jq -r .type <<<"$output" | grep -c group)" 1
	# text: the object row, then its programs indented, with SHARE%
	ids="--id $COUNT_ID --id $LONG_ID"
	run --separate-stderr "$PS" --once --group obj --sort id $ids
	assert_success
	assert_line --index 0 --partial " objects=1 "
	assert_line --index 1 --regexp '^ +ID TYPE +NAME .* MISS% SHARE%$'
	assert_line --index 2 --regexp '^ *obj mixed +test_pro +[0-9]'
	assert_line --index 3 --regexp "^ *$COUNT_ID raw_tracepoint +  tpstat_count +"
	assert_line --index 4 --regexp "^ *$LONG_ID tracing +  progstats_test_long_program_n~ +0 +0 +0 +0 +0 +0\$"
	# --oneline: "obj NAME: sums", then "  program: counters share_pct=S"
	run --separate-stderr "$PS" --once --oneline --group obj --sort id $ids
	assert_success
	c=$(bt "$COUNT_ID" run_cnt) ns=$(bt "$COUNT_ID" run_time_ns)
	assert_line --index 0 --regexp "^obj test_pro: cnt=$c nsecs=$ns misses=0"
	assert_line --index 2 "  progstats_test_long_program_name: cnt=0 nsecs=0 misses=0 share_pct=0.00"
	# prom: the object families, with the sums of bpftool's counters
	run --separate-stderr "$PS" --once -o prom --group obj --type struct_ops
	assert_success
	sum=$(bt_obj_rows "$OPS_BTF" | awk '{ s += $5 } END { print s }')
	assert_line "telkit_bpf_obj_runs_total{obj=\"pstest_ops\",btf_id=\"$OPS_BTF\"} $sum"
	assert_line "# TYPE telkit_bpf_obj_run_time_seconds_total counter"
	for name in $OPS_NAMES; do
		assert_output --regexp "telkit_bpf_prog_obj_share_ratio\\{id=\"[0-9]+\",name=\"$name\",type=\"struct_ops\",obj=\"pstest_ops\",btf_id=\"$OPS_BTF\"\\} "
	done
	assert_equal "$(grep -c '^# TYPE' <<<"$output")" "$(grep '^# TYPE' <<<"$output" | sort -u | wc -l)"
	run "$PS" -o prom -i 100ms -c 1 --group obj --type struct_ops
	assert_success
	assert_output --partial "telkit_bpf_obj_cpu_ratio{obj=\"pstest_ops\""
	assert_output --partial "telkit_bpf_prog_obj_period_share_ratio{"
}

@test "the guest's struct_ops check (tests/vm/progstats-struct-ops.sh) passes on the host's struct_ops object" {
	start_loader -o -n 20000
	others_hold_stats $$ && skip "another process holds BPF run-time stats"
	# traffic through pstest_ca all along the script's live samples
	{ for i in $(seq 12); do kill -USR1 "$LPID" 2>/dev/null; sleep 0.4; done; } &
	PPIDS+=("$!")
	PATH=$(dirname "$PS"):$PATH OBJ=pstest_ops BUSY=progstats_ca_congestion_avoid NAMES="$OPS_NAMES" \
		run sh "$BATS_TEST_DIRNAME/vm/progstats-struct-ops.sh"
	assert_success
	assert_output "progstats: pstest_ops ok (4 programs, btf_id $OPS_BTF)"
}
