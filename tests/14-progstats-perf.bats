#!/usr/bin/env bats
# What progstats' fast paths (issue 18 §5) must keep: a pass of more than
# 256 KiB of JSON lines, written from the held line buffer in pieces, still
# lists every program bpftool lists, once, in whole lines; the previous-pass
# lookup (a forward cursor over ids) still matches each program with itself
# when programs before it go away (what it carries over: a threshold breach
# is named once per program).  The timings are in bench/progstats.

load test_helper
load progstats

setup() { ps_file_setup; }
teardown() { ps_file_teardown; }

# bt_ids FIRST LAST: the ids bpftool lists in [FIRST, LAST], ascending.
bt_ids() {
	bpftool prog show -j | jq -r --argjson a "$1" --argjson b "$2" \
		'.[] | select(.id >= $a and .id <= $b) | .id' | sort -n
}

# rec_ids TYPE FIRST LAST < JSON lines: ids of TYPE records in [FIRST, LAST].
rec_ids() {
	jq -r --arg t "$1" --argjson a "$2" --argjson b "$3" \
		'select(.type == $t and .id >= $a and .id <= $b) | .id'
}

# whole_lines FILE: every line one JSON object, the last one ended.
whole_lines() {
	[ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ] || fail "$1: last line unended"
	assert_equal "$(jq -c 'select(type == "object")' "$1" | wc -l)" "$(wc -l <"$1")"
}

@test "1000 programs: a pass over 256 KiB lists each program bpftool lists once, in whole lines (both walks, file and pipe)" {
	start_loader -s -b 1000
	want=$(bt_ids "$BULK_FIRST" "$BULK_LAST")
	assert_equal "$(wc -l <<<"$want")" 1000
	for walk in iter syscall; do
		"$PS" --once -j --walk "$walk" >"$D/file.json"
		"$PS" --once -j --walk "$walk" | cat >"$D/pipe.json"
		for f in "$D/file.json" "$D/pipe.json"; do
			[ "$(stat -c %s "$f")" -gt 262144 ] || fail "$f: one pass under 256 KiB"
			whole_lines "$f"
			assert_equal "$(rec_ids sample "$BULK_FIRST" "$BULK_LAST" <"$f" | sort -n)" "$want"
		done
	done
}

@test "a sampling run: a program after programs that went away keeps its identity (one threshold event, never new)" {
	start_loader -s -b 40
	gone_pid=$LPID gone_first=$BULK_FIRST gone_last=$BULK_LAST
	gone=$(bt_ids "$gone_first" "$gone_last")
	assert_equal "$(wc -l <<<"$gone")" 40
	# tpstat_count runs every millisecond: it breaks --max-ns-per-call 0 each period
	start_loader -a -b 300
	[ "$COUNT_ID" -gt "$gone_last" ] || fail "count program $COUNT_ID loaded before the others"
	want=$(bt_ids "$BULK_FIRST" "$BULK_LAST")
	assert_equal "$(wc -l <<<"$want")" 300
	"$PS" -j -v -i 200ms --max-ns-per-call 0 >"$D/ps.out" 2>"$D/ps.err" &
	PPIDS+=($!)
	wait_until 30 grep -q '^progstats: sample 2: ' "$D/ps.err" || fail "no second sample: $(cat "$D/ps.err")"
	reap "$gone_pid"
	disappeared() { [ "$(rec_ids event "$gone_first" "$gone_last" <"$D/ps.out" | wc -l)" -ge 40 ]; }
	wait_until 30 disappeared || fail "the 40 programs that went away were not reported gone"
	n=$(grep -c '^progstats: sample ' "$D/ps.err")
	wait_until 30 grep -q "^progstats: sample $((n + 2)): " "$D/ps.err" || fail "no samples after"
	reap "${PPIDS[@]}"
	PPIDS=()
	# the 40 went away, once each; none of the others came or went
	assert_equal "$(jq -r --argjson a "$gone_first" --argjson b "$gone_last" \
		'select(.type == "event" and .id >= $a and .id <= $b) | "\(.event) \(.id)"' "$D/ps.out")" \
		"$(sed 's/^/disappear /' <<<"$gone")"
	assert_equal "$(rec_ids event "$BULK_FIRST" "$BULK_LAST" <"$D/ps.out")" ""
	# the count program breached in every period after the first, named once
	assert_equal "$(jq -r --argjson c "$COUNT_ID" 'select(.type == "event" and .id == $c) | .event' \
		"$D/ps.out")" threshold
	assert_equal "$(grep -c "^progstats: threshold: program $COUNT_ID " "$D/ps.err")" 1
	# each of the 300 in every sample, never new
	assert_equal "$(jq -r --argjson a "$BULK_FIRST" --argjson b "$BULK_LAST" \
		'select(.type == "sample" and .id >= $a and .id <= $b and .new) | .id' "$D/ps.out")" ""
	per_id=$(rec_ids sample "$BULK_FIRST" "$BULK_LAST" <"$D/ps.out" | sort -n | uniq -c |
		awk '{ print $1 }' | sort -u)
	[ "$(wc -l <<<"$per_id")" -eq 1 ] && [ "$per_id" -ge 4 ] || fail "samples per program: $per_id"
	assert_equal "$(rec_ids sample "$BULK_FIRST" "$BULK_LAST" <"$D/ps.out" | sort -nu)" "$want"
}
