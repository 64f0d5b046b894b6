#!/usr/bin/env bats
# What progstats' cheaper user-space pass (issue 20) must keep, with jq as
# the peer that reads the records back:
# - the sort: only programs whose sort key is not 0 are sorted now, the
#   others keep the id order the pass has; the order printed is still jq's
#   sort of the same records by the key (largest first), then id, with
#   running and idle programs mixed: a one-shot (nsecs), every sample of a
#   sampling run (cpu_pct), --sort events_per_sec and --sort id;
# - the doubles of a running program (16 and 17 digits, now written
#   without printf): each reads back as the same division of the record's
#   own counters that progstats makes (ns_per_call = nsecs / cnt, ...).
# The timings are in bench/progstats (ab.py) and bench/README.md.

load test_helper
load progstats

setup() { ps_file_setup; }
teardown() { ps_file_teardown; }

# in_order KEY < JSON lines: every sample's records ordered by KEY largest
# first, then id ascending (KEY "id": ascending), pass by pass.
in_order() {
	jq -se --arg k "$1" '[.[] | select(.type == "sample")] | group_by(.seq) | all(
		. as $g | ($g | map(.id)) ==
		($g | if $k == "id" then sort_by(.id) else sort_by([-(.[$k]), .id]) end | map(.id)))'
}

@test "the order printed is jq's sort by the key, then id, with running and idle programs" {
	start_loader -a -b 20
	# counters move while stats are on: this run holds them, the one-shot after reads them
	out=$("$PS" -j -i 100ms -c 4)
	# the running program has a non-zero key, the idle ones 0: both kinds in a pass
	jq -se "[.[] | select(.type == \"sample\" and .seq == 4 and .id == $COUNT_ID and .cpu_pct > 0)] | length == 1" \
		<<<"$out" >/dev/null || fail "no running program with cpu_pct > 0 in pass 4"
	in_order cpu_pct <<<"$out" >/dev/null || fail "sampling run: not by cpu_pct, id"
	out=$("$PS" --once -j)
	jq -se "[.[] | select(.id == $COUNT_ID and .nsecs > 0)] | length == 1" <<<"$out" >/dev/null ||
		fail "--once: the running program has no nsecs"
	in_order nsecs <<<"$out" >/dev/null || fail "--once: not by nsecs, id"
	out=$("$PS" -j -i 100ms -c 3 --sort events_per_sec)
	in_order events_per_sec <<<"$out" >/dev/null || fail "--sort events_per_sec: not by it, id"
	out=$("$PS" -j -i 100ms -c 2 --sort id)
	in_order id <<<"$out" >/dev/null || fail "--sort id: not ascending"
}

@test "a running program's doubles read back as the divisions of its own counters" {
	start_loader -a
	out=$("$PS" -j -i 100ms -c 6 --id "$COUNT_ID")
	# progstats divides as doubles: jq's division of the same integers is the same double
	jq -se '[.[] | select(.type == "sample" and .seq > 1)] | length == 5 and all(
		.cnt > 0 and .period_cnt > 0 and
		.ns_per_call == (.nsecs / .cnt) and
		.period_ns_per_call == (.period_nsecs / .period_cnt) and
		.events_per_sec == (.period_cnt * 1e9 / .period_ns) and
		.cpu_pct == (.period_nsecs * 100 / .period_ns))' <<<"$out" >/dev/null ||
		fail "a double differs from its division: $(jq -c 'select(.type == "sample") |
			[.cnt, .nsecs, .ns_per_call, .period_cnt, .period_nsecs, .period_ns,
			 .period_ns_per_call, .events_per_sec, .cpu_pct]' <<<"$out")"
	# and at least one of them needed more than 15 digits (the new path)
	grep -Eq '"(ns_per_call|period_ns_per_call|events_per_sec|cpu_pct)":[0-9]*\.[0-9]{12,}' <<<"$out" ||
		fail "no 16- or 17-digit double among: $(head -3 <<<"$out")"
}
