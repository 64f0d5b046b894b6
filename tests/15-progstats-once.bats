#!/usr/bin/env bats
# What progstats' cheaper passes (issue 18 §5, issue 20) must keep, against
# bpftool prog show / map show:
# - from the second pass of a sampling run on, the iterator's records are
#   slim (identity and counters: no name, BTF id or func_info count; those
#   come from the previous pass, or GET_INFO for a program new since then):
#   ids, types, names (a truncated one in full), tags and counters still say
#   what bpftool says, in every sample;
# - the map ids of --wide live in a side table kept across passes: map count
#   and memlock still say what bpftool says in every sample.
# The timings are in bench/progstats.

load test_helper
load progstats

setup() { ps_file_setup; }
teardown() { ps_file_teardown; }

# start_ps ARGS...: progstats in the background into $D/ps.out; sets PPID_PS.
start_ps() {
	"$PS" "$@" >"$D/ps.out" 2>"$D/ps.err" &
	PPID_PS=$!
	PPIDS+=("$PPID_PS")
}

# The last pass -v reported, and waiting for a later one.
last_pass() { sed -n 's/^progstats: sample \([0-9]*\):.*/\1/p' "$D/ps.err" | tail -1; }
pass_after() { [ "$(last_pass)" -gt "$1" ]; }

# bt_row ID: "id type name tag run_cnt run_time_ns recursion_misses" as bpftool has it.
bt_row() {
	bpftool prog show id "$1" -j | jq -r \
		'"\(.id) \(.type) \(.name) \(.tag) \(.run_cnt // 0) \(.run_time_ns // 0) \(.recursion_misses // 0)"'
}
# ps_rows SEQ < JSON lines: the same of pass SEQ's sample records, ascending by id.
ps_rows() {
	jq -sr --argjson s "$1" '[.[] | select(.type == "sample" and .seq == $s)] | sort_by(.id)[] |
		"\(.id) \(.prog_type) \(.name) \(.tag) \(.cnt) \(.nsecs) \(.misses)"'
}

@test "slim passes of a sampling run: ids, types, names, tags and frozen counters as bpftool says, every sample" {
	start_loader -n 3000 -b 8
	ids=("$COUNT_ID" "$LONG_ID")
	for i in $(seq "$BULK_FIRST" "$BULK_LAST"); do ids+=("$i"); done
	args=()
	for i in "${ids[@]}"; do args+=(--id "$i"); done
	start_ps -j -v -i 100ms "${args[@]}"
	wait_until 10 holds_stats "$PPID_PS" || fail "progstats holds no bpf-stats fd"
	wait_until 20 pass_after 0 || fail "no second pass: $(cat "$D/ps.err")"
	# counters that move while stats are held, then freeze
	kill -USR1 "$LPID"
	wait_until 20 grep -q '^burst ' "$LOUT" || fail "no burst: $(cat "$LOUT")"
	frozen=$(last_pass)
	wait_until 20 pass_after $((frozen + 3)) || fail "no further passes: $(cat "$D/ps.err")"
	kill -INT "$PPID_PS"
	wait "$PPID_PS"
	want=$(for i in $(printf '%s\n' "${ids[@]}" | sort -n); do bt_row "$i"; done)
	grep -q "^$COUNT_ID raw_tracepoint tpstat_count [0-9a-f]* [1-9]" <<<"$want" ||
		fail "counting program did not run: $want"
	grep -q "^$LONG_ID [a-z_]* progstats_test_long_program_name " <<<"$want" ||
		fail "bpftool: no full name for $LONG_ID: $want"
	# every pass after the burst was read (the pass in flight at the burst may not hold it all)
	for s in $(seq $((frozen + 1)) "$(jq -s 'map(select(.type == "sample") | .seq) | max' "$D/ps.out")"); do
		assert_equal "$(ps_rows "$s" <"$D/ps.out")" "$want"
	done
	# and names, types and tags of the earlier slim passes too
	for s in $(seq 1 "$frozen"); do
		assert_equal "$(ps_rows "$s" <"$D/ps.out" | cut -d' ' -f1-4)" "$(cut -d' ' -f1-4 <<<"$want")"
	done
}

@test "programs loaded during a sampling run (GET_INFO for a slim record): names, types, tags as bpftool has them" {
	start_ps -j -v -i 100ms
	wait_until 10 holds_stats "$PPID_PS" || fail "progstats holds no bpf-stats fd"
	# past the first (full) pass: what loads now is first seen in a slim pass
	wait_until 20 pass_after 0 || fail "no second pass: $(cat "$D/ps.err")"
	seen=$(last_pass)
	start_loader -n 10 -b 3
	wait_until 20 grep -q "\"type\":\"sample\".*\"id\":$LONG_ID,.*\"new\":false" "$D/ps.out" ||
		fail "no second sample of $LONG_ID"
	kill -INT "$PPID_PS"
	wait "$PPID_PS"
	for id in "$COUNT_ID" "$LONG_ID" $(seq "$BULK_FIRST" "$BULK_LAST"); do
		want=$(bt_row "$id" | cut -d' ' -f1-4)
		got=$(jq -r --argjson i "$id" 'select(.type == "sample" and .id == $i) |
			"\(.id) \(.prog_type) \(.name) \(.tag)"' "$D/ps.out" | sort -u)
		assert_equal "$got" "$want"
		first=$(jq -s --argjson i "$id" 'map(select(.type == "sample" and .id == $i))[0]' "$D/ps.out")
		[ "$(jq .seq <<<"$first")" -gt "$seen" ] || fail "$id seen before it was loaded: $first"
		assert_equal "$(jq .new <<<"$first")" true
	done
}

@test "--wide over a sampling run: map count and memlock from the side table as bpftool has them, every sample" {
	start_loader -n 10
	run --separate-stderr "$PS" -j -i 100ms -c 3 --wide --id "$COUNT_ID" --id "$LONG_ID"
	assert_success
	bp=$(bpftool prog show -j)
	bm=$(bpftool map show -j)
	total=0
	for id in "$COUNT_ID" "$LONG_ID"; do
		p=$(jq -c ".[] | select(.id==$id)" <<<"$bp")
		maps=$(jq '.map_ids // [] | length' <<<"$p")
		[ "$maps" -gt 0 ] || [ "$id" != "$COUNT_ID" ] || fail "$id has no maps: $p"
		mm=$(jq "[.map_ids // [] | .[] as \$i | (\$m[] | select(.id==\$i) | .bytes_memlock)] | add // 0" --argjson m "$bm" <<<"$p")
		recs=$(jq -c "select(.type == \"sample\" and .id == $id)" <<<"$output")
		assert_equal "$(wc -l <<<"$recs")" 3
		assert_equal "$(jq .map_count <<<"$recs" | sort -u)" "$maps"
		assert_equal "$(jq .map_memlock <<<"$recs" | sort -u)" "$mm"
	done
	want=$(jq "[.[] | select(.id == $COUNT_ID or .id == $LONG_ID) | .map_ids // [] | .[]] | unique | length" <<<"$bp")
	assert_equal "$(jq 'select(.type == "sample") | .maps_total' <<<"$output" | sort -u)" "$want"
}
