#!/bin/sh
# shellcheck disable=SC2086 # $NAMES is split into names on purpose
# progstats against a live struct_ops object: by default scx_simple, attached
# in the sched_ext guest (tests/vm/run); tests/10-progstats.bats runs it on
# the host against progstats_load -o's TCP congestion control.
#   OBJ    the object's struct_ops map (default simple_ops)
#   NAMES  its programs' C names
#   BUSY   one of them that runs all the time
#   WALKS  the --walk values to hold against bpftool (default "iter syscall";
#          the guest passes "auto syscall": progstats' iterator is built for
#          the build host's kernel layout and, on another kernel, auto falls
#          back to the system-call walk)
# Needs progstats, bpftool and jq on PATH, root, and no other holder of BPF
# run-time stats.  Checks: full names as bpftool gives them, counters equal to
# bpftool's one sample apart in both walks, the object's group record named by
# its struct_ops map and summing bpftool's counters, every live sample's
# group record the sum of its programs, text and prom forms.
set -eu
OBJ=${OBJ:-simple_ops}
NAMES=${NAMES:-"simple_select_cpu simple_enqueue simple_dispatch simple_running simple_stopping simple_enable simple_init simple_exit"}
BUSY=${BUSY:-simple_enqueue}
WALKS=${WALKS:-"iter syscall"}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
BTF=$(bpftool map show -j | jq -r --arg o "$OBJ" '.[] | select(.type == "struct_ops" and .name == $o) | .btf_id')
[ -n "$BTF" ] || fail "no struct_ops map $OBJ"
N=$(printf '%s\n' $NAMES | wc -l)
# 1. live and grouped: run-time stats held only while progstats runs
progstats -j -i 500ms -c 4 --group obj > "$T"/live.json
# 2. no holder now: the counters stand still, progstats and bpftool one sample apart agree
[ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = 0 ] || fail "someone else holds run-time stats"
for walk in $WALKS; do progstats --once -j --group obj --walk $walk > "$T"/once.$walk.json; done
bpftool prog show -j > "$T"/bt.json
want=$(jq -r --argjson b "$BTF" '.[] | select(.btf_id == $b) |
	"\(.id) \(.type) \(.name) \(.tag) \(.run_cnt // 0) \(.run_time_ns // 0) \(.recursion_misses // 0)"' "$T"/bt.json | sort -n)
[ "$(echo "$want" | cut -d' ' -f3 | sort)" = "$(printf '%s\n' $NAMES | sort)" ] || fail "bpftool names: $want"
echo "$want" | awk -v b="$BUSY" '$2 == "struct_ops" && $3 == b && $5 > 0' | grep -q . || fail "$BUSY did not run: $want"
for walk in $WALKS; do
	got=$(jq -r --argjson b "$BTF" 'select(.type == "sample" and .obj_btf_id == $b) |
		"\(.id) \(.prog_type) \(.name) \(.tag) \(.cnt) \(.nsecs) \(.misses)"' "$T"/once.$walk.json | sort -n)
	[ "$got" = "$want" ] || fail "$walk walk: $got, bpftool: $want"
	# the object's record: named by its struct_ops map, the sums of bpftool's counters
	jq -se --argjson b "$BTF" --arg o "$OBJ" --argjson n "$N" \
		--argjson c "$(echo "$want" | awk '{ s += $5 } END { print s }')" \
		--argjson ns "$(echo "$want" | awk '{ s += $6 } END { print s }')" \
		'map(select(.type == "group" and .obj_btf_id == $b)) | length == 1 and (.[0] |
		 .obj == $o and .obj_from == "struct_ops" and .progs == $n and .cnt == $c and .nsecs == $ns)' \
		"$T"/once.$walk.json > /dev/null || fail "$walk walk: group record of $OBJ"
done
# 3. in every live sample each group record is the sum of the samples under it
jq -se 'def close(a; b): ((a - b) | fabs) <= 1e-9 * ([a, b, 1] | max);
	def check: .[0] as $g | .[1] as $m | $g.progs == ($m | length) and $g.ids == ($m | map(.id)) and
		$g.cnt == ($m | map(.cnt) | add) and $g.nsecs == ($m | map(.nsecs) | add) and
		$g.period_cnt == ($m | map(.period_cnt) | add) and $g.period_nsecs == ($m | map(.period_nsecs) | add) and
		close($g.cpu_pct; $m | map(.cpu_pct) | add) and close($g.events_per_sec; $m | map(.events_per_sec) | add) and
		($g.period_nsecs == 0 or close(100; $m | map(.obj_period_share_pct) | add));
	reduce (.[] | select(.type == "group" or .type == "sample")) as $r ([];
		if $r.type == "group" then . + [[$r, []]] else .[-1][1] += [$r] end) |
	length > 0 and all(.[]; check)' "$T"/live.json > /dev/null || fail "a live group is not the sum of its programs"
jq -se --argjson b "$BTF" 'map(select(.type == "group" and .obj_btf_id == $b and .seq == 4)) | length == 1 and .[0].period_cnt > 0' \
	"$T"/live.json > /dev/null || fail "$OBJ did not run in the last live sample"
# 4. the text and prom forms carry the same object
progstats --once --group obj --type struct_ops | grep -E "^ *obj struct_ops +$OBJ " > /dev/null || fail "text"
progstats --once -o prom --group obj --type struct_ops |
	grep -F "telkit_bpf_obj_runs_total{obj=\"$OBJ\",btf_id=\"$BTF\"} $(echo "$want" | awk '{ s += $5 } END { print s }')" > /dev/null || fail "prom"
echo "progstats: $OBJ ok ($N programs, btf_id $BTF)"
