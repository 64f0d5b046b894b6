#!/usr/bin/env bats
# Real sched_ext schedulers (the kernel's tools/sched_ext examples) under
# bpfwatch, progstats and worker-spawn, in the tests/vm guest (Debian sid's
# cloud kernel, CONFIG_SCHED_CLASS_EXT=y, QEMU TCG).  One boot runs
# tests/vm/sched-ext.sh; each test checks one part of what it left, every
# figure against the scheduler's own account (its printouts, the kernel's
# sysfs, the guest's bpftool).
load test_helper

setup_file() {
	guest_boot --file "$TELKIT_ROOT/tests/vm/progstats-struct-ops.sh" "$TELKIT_ROOT/tests/vm/sched-ext.sh"
}
kv() { sed -n "s|^$2 ||p" "$VM_OUT/$1/sysfs"; }   # PHASE FILE -> value
bracket() { python3 "$TELKIT_ROOT/tests/vm/bracket.py" "$@"; }

@test "guest: scx_simple attaches (sched_ext state enabled, ops simple)" {
	guest_ran
	assert_equal "$(sed -n 's/^state-before //p' "$VM_OUT/simple/state")" disabled
	assert_equal "$(kv simple state)" enabled
	assert_equal "$(kv simple root/ops)" simple
	assert_equal "$(kv simple switch_all)" 1
	# its own printout kept coming while attached, and it left cleanly
	[ "$(grep -c ' local=[0-9]* global=[0-9]*$' "$VM_OUT/simple/scx_simple.out")" -ge 2 ]
	assert_equal "$(cat "$VM_OUT/simple/scx_simple.rc")" 0
}

@test "guest: progstats lists scx_simple's struct_ops programs by full name, counters bracket bpftool's" {
	guest_ran
	assert_equal "$(cat "$VM_OUT/simple/progstats.rc")" 0
	[ ! -s "$VM_OUT/simple/progstats.err" ] || fail "$(cat "$VM_OUT/simple/progstats.err")"
	# names as bpftool knows them from BTF (simple_select_cpu is 17 bytes,
	# the kernel keeps 15): every struct_ops program, full name, both tools
	want=$(jq -r '.[] | select(.type == "struct_ops") | .name' "$VM_OUT/simple/bpftool.json" | sort)
	got=$(jq -r 'select(.type == "sample" and .prog_type == "struct_ops") | .name' \
		"$VM_OUT/simple/progstats.jsonl" | sort -u)
	assert_equal "$got" "$want"
	grep -qx simple_select_cpu <<<"$got" || fail "no full name simple_select_cpu in: $got"
	run bracket bpftool --stamps "$VM_OUT/simple/bpftool.stamps" \
		--bpftool "$VM_OUT/simple/bpftool.json" --samples "$VM_OUT/simple/progstats.jsonl"
	echo "$output" >&3
	assert_success
}

@test "guest: bpfwatch reads scx_central's .bss counters within its own printouts" {
	guest_ran
	assert_equal "$(kv swap root/ops)" central
	# the monotonic ones (nr_queued goes up and down: not a counter)
	for c in "total:total" "locals:local" "timers:timer"; do
		run bracket printout --printout "$VM_OUT/swap/scx_central.out" \
			--regex "^${c#*:} *: *([0-9]+)|   ${c#*:}: *([0-9]+)" \
			--samples "$VM_OUT/swap/bpfwatch.jsonl" --key "scx_cent_${c%%:*}"
		echo "${c%%:*}: $output" >&3
		assert_success
	done
	run bracket printout --printout "$VM_OUT/swap/scx_central.out" --regex " dispatch: *([0-9]+)" \
		--samples "$VM_OUT/swap/bpfwatch.jsonl" --key scx_cent_dispatches
	echo "dispatches: $output" >&3
	assert_success
}

@test "guest: a bpfwatch watch survives scx_simple -> scx_central -> gone -> scx_central again" {
	guest_ran
	f=$VM_OUT/swap/bpfwatch.jsonl
	assert_equal "$(cat "$VM_OUT/swap/bpfwatch.rc")" 0
	[ ! -s "$VM_OUT/swap/bpfwatch.err" ] || fail "$(cat "$VM_OUT/swap/bpfwatch.err")"
	assert_json_lines "$(cat "$f")"
	# per label: waiting (only scx_simple loaded), bind, gone, waiting, rebind
	for l in total locals timers dispatches; do
		seq=$(jq -r --arg l "$l" 'select(.type == "event" and .label == $l) | .event' "$f" | tr '\n' ' ')
		assert_equal "$seq" "waiting bind gone waiting rebind "
	done
	# the rebind names the gone map, and both are the kernel's scx_cent.bss
	old=$(jq -r 'select(.event == "bind" and .label == "total") | .map_id' "$f")
	jq -se --argjson old "$old" 'map(select(.event == "rebind" and .label == "total")) |
		length == 1 and (.[0] | .old_map_id == $old and .map_id != $old and
		.map == "scx_cent.bss" and .obj == "scx_cent")' "$f" >/dev/null
	# the second scheduler's counters restart: the watch reads the new map
	run bracket printout --printout "$VM_OUT/swap/again/scx_central.out" --regex "^total *: *([0-9]+)" \
		--samples "$f" --key scx_cent_total --min 1
	echo "again: $output" >&3
	assert_success
}

@test "bracket.py (host): a figure outside the peer's readings, too few figures, or a still counter fail" {
	require_cmd python3
	# printouts at t=10,20,...,60 s of 100,200,...; samples every 5 s
	for i in 1 2 3 4 5 6; do echo "${i}0000000000 total: ${i}00"; done >"$BATS_TEST_TMPDIR/p"
	mk() { # VALUE-AT-30s
		for t in 10 15 20 25 30 35 40 45 50; do
			v=$((t * 10)); [ "$t" != 30 ] || v=$1
			echo "{\"type\":\"sample\",\"ts_ns\":${t}000000000,\"k\":$v}"
		done >"$BATS_TEST_TMPDIR/s"
	}
	chk() { python3 "$TELKIT_ROOT/tests/vm/bracket.py" printout --printout "$BATS_TEST_TMPDIR/p" \
		--regex 'total: ([0-9]+)' --samples "$BATS_TEST_TMPDIR/s" --key k "$@"; }
	mk 300
	run chk
	assert_success
	mk 999   # above the printout after it
	run chk
	assert_failure
	assert_output --partial "k=999"
	mk 150   # below the printout before it (200 at 20 s, read before sample 25 s)
	run chk
	assert_failure
	run chk --min 50
	assert_failure
	assert_output --partial "only"
	for i in 1 2 3 4 5 6; do echo "${i}0000000000 total: 7"; done >"$BATS_TEST_TMPDIR/p"
	for t in 10 15 20 25 30 35 40 45 50; do echo "{\"type\":\"sample\",\"ts_ns\":${t}000000000,\"k\":7}"; done >"$BATS_TEST_TMPDIR/s"
	run chk
	assert_failure
	assert_output --partial "never moved"
}

@test "guest: bpfwatch sums scx_simple's per-CPU stats[0]/stats[1] (no BTF) within its own printouts" {
	guest_ran
	f=$VM_OUT/simple/bpfwatch.jsonl
	assert_equal "$(cat "$VM_OUT/simple/bpfwatch.rc")" 0
	[ ! -s "$VM_OUT/simple/bpfwatch.err" ] || fail "$(cat "$VM_OUT/simple/bpfwatch.err")"
	# bound to the kernel's map 'stats' of object scx_simp, read by lookup
	# (no BTF, so no mmap of a typed value), keys 0 and 1
	jq -se '[.[] | select(.event == "bind") | [.map, .obj, .map_key, .mode]] ==
		[["stats", "scx_simp", 0, "lookup"], ["stats", "scx_simp", 1, "lookup"]]' "$f" >/dev/null ||
		fail "$(grep event "$f")"
	for c in local global; do
		run bracket printout --printout "$VM_OUT/simple/scx_simple.out" --regex "$c=([0-9]+)" \
			--samples "$f" --key "scx_simp_$c"
		echo "$c: $output" >&3
		assert_success
	done
}

@test "guest: bpfwatch reads scx_flatcg's stats[ACT]/stats[LOCAL] against the sum of its printed deltas" {
	guest_ran
	assert_equal "$(kv flatcg root/ops)" flatcg
	assert_equal "$(cat "$VM_OUT/flatcg/bpfwatch.rc")" 0
	[ ! -s "$VM_OUT/flatcg/bpfwatch.err" ] || fail "$(cat "$VM_OUT/flatcg/bpfwatch.err")"
	# scx_flatcg prints per-interval deltas: act is the line's first figure,
	# local its fourth (act deact global local)
	run bracket printout --printout "$VM_OUT/flatcg/scx_flatcg.out" --regex '^\s+act: *([0-9]+)' \
		--cumsum --samples "$VM_OUT/flatcg/bpfwatch.jsonl" --key scx_flat_act
	echo "act: $output" >&3
	assert_success
	run bracket printout --printout "$VM_OUT/flatcg/scx_flatcg.out" \
		--regex 'global: *[0-9]+ local: *([0-9]+)' --cumsum \
		--samples "$VM_OUT/flatcg/bpfwatch.jsonl" --key scx_flat_local
	echo "local: $output" >&3
	assert_success
	assert_equal "$(cat "$VM_OUT/flatcg/scx_flatcg.rc")" 0
}

@test "guest: progstats --group obj: one line per scheduler, its ops underneath, sums equal the programs'" {
	guest_ran
	f=$VM_OUT/simple/group.jsonl
	assert_equal "$(cat "$VM_OUT/simple/group.rc")" 0
	[ ! -s "$VM_OUT/simple/group.err" ] || fail "$(cat "$VM_OUT/simple/group.err")"
	# the scheduler's object is named by its struct_ops map, as the kernel shows it
	ops_map=$(jq -r '.[] | select(.type == "struct_ops") | .name' <<<"$(cat "$VM_OUT/simple/bpftool.maps.json")")
	assert_equal "$ops_map" simple_ops
	jq -se --arg o "$ops_map" '[.[] | select(.type == "group") | .obj] | unique | index($o) != null' "$f" \
		>/dev/null || fail "no group $ops_map in: $(jq -c 'select(.type == "group")' "$f" | head -3)"
	# every sample: the group's figures are the sums of its programs' records
	# in that sample, and its programs are exactly bpftool's struct_ops ones
	jq -se --arg o "$ops_map" '
		[group_by(.seq)[] | . as $s
		 | ($s | map(select(.type == "group" and .obj == $o))[0]) as $g
		 | ($s | map(select(.type == "sample" and .obj == $o))) as $p
		 | select($g != null)
		 | ($g.cnt == ($p | map(.cnt) | add)) and ($g.nsecs == ($p | map(.nsecs) | add))
		   and ($g.progs == ($p | length)) and ($g.ids == ($p | map(.id)))
		   and ($g.nsecs == 0 or (($p | map(.obj_share_pct) | add) - 100 | fabs) < 0.01)] | length > 1 and all' "$f" >/dev/null ||
		fail "group sums differ: $(jq -c 'select(.type == "group")' "$f" | tail -2)"
	want=$(jq -r '.[] | select(.type == "struct_ops") | .name' "$VM_OUT/simple/bpftool.json" | sort)
	got=$(jq -r --arg o "$ops_map" 'select(.type == "sample" and .obj == $o) | .name' "$f" | sort -u)
	assert_equal "$got" "$want"
	grep -q "$ops_map" "$VM_OUT/simple/group.txt" || fail "$(cat "$VM_OUT/simple/group.txt")"
	grep -q "^telkit_bpf_obj_" "$VM_OUT/simple/group.prom" || fail "$(head "$VM_OUT/simple/group.prom")"
	# and the exact check with stats released: progstats' --once (both walks)
	# equal to bpftool's counters, the object's sums equal to bpftool's
	run cat "$VM_OUT/simple/struct-ops.out"
	echo "$output" >&3
	assert_equal "$(cat "$VM_OUT/simple/struct-ops.rc")" 0
	assert_output --partial "simple_ops ok (8 programs"
}

@test "guest: worker-spawn --policy ext under scx_simple: every worker SCHED_EXT, scheduler's counters grew" {
	guest_ran
	f=$VM_OUT/ext/ws.jsonl
	[ -s "$VM_OUT/ext/ws.err" ] && echo "$(cat "$VM_OUT/ext/ws.err")" >&3
	assert_json_lines "$(cat "$f")"
	# the kernel's view of every worker: policy 7 and on the ext class
	assert_equal "$(jq -s '[.[] | select(.type == "report")] | length' "$f")" 4
	jq -se '[.[] | select(.type == "report")] | all(.sched_policy == "ext" and
		.sched_ext_enabled == true and .sched_policy_error == null and .work_units > 0)' "$f" \
		>/dev/null || fail "$(jq -c 'select(.type == "report") | [.tid, .sched_policy, .sched_ext_enabled, .sched_policy_error]' "$f")"
	# the scheduler it ran on, as sysfs told the script
	x=$(jq -c 'select(.type == "summary" and .scope == "run") | .scx' "$f")
	jq -e '.state == "enabled" and .ops == "simple" and .attached == true and .changed == false' \
		<<<"$x" >/dev/null || fail "$x"
	# scx_simple's own local+global grew across the run (stamped printouts)
	read -r t0 _ <"$VM_OUT/ext/stamps"
	t1=$(sed -n 2p "$VM_OUT/ext/stamps" | cut -d' ' -f1)
	sum() { awk -v t="$1" -v after="$2" '{ split($2, a, "="); split($3, b, "="); v = a[2] + b[2];
		if (!after && $1 <= t) last = v; if (after && $1 >= t && !got) { last = v; got = 1 } }
		END { print last + 0 }' "$VM_OUT/simple/scx_simple.out"; }
	before=$(sum "$t0" 0) after=$(sum "$t1" 1)
	echo "scx_simple local+global: $before before, $after after" >&3
	[ "$after" -gt "$before" ] || fail "scx_simple's counters did not grow: $before -> $after"
	# scx-events-clean: each delta worker-spawn reports lies within what the
	# script read from root/events before and after the run, and the exit
	# status says whether any grew
	peer=$(join <(sort "$VM_OUT/ext/events.before") <(sort "$VM_OUT/ext/events.after") |
		awk '{ printf "%s %d\n", $1, $3 - $2 }')
	[ -n "$peer" ] || fail "no SCX_EV_* counters in root/events"
	grew=0
	while read -r name d; do
		mine=$(jq -r --arg n "$name" '.events[$n]' <<<"$x")
		[ "$mine" != null ] || fail "$name missing from the report"
		[ "$mine" -ge 0 ] && [ "$mine" -le "$d" ] || fail "$name: reported $mine, sysfs moved $d"
		[ "$mine" -eq 0 ] || grew=1
	done <<<"$peer"
	assert_equal "$(cat "$VM_OUT/ext/ws.rc")" $((grew ? 3 : 0))
}

@test "guest: scx_qmap -p runs only the SCHED_EXT workers; scx_qmap -d refuses the switch (sched_policy_error, worker runs)" {
	guest_ran
	assert_equal "$(kv qmap root/ops)" qmap
	assert_equal "$(kv qmap switch_all)" 0
	f=$VM_OUT/qmap/ws.jsonl
	assert_equal "$(cat "$VM_OUT/qmap/ws.rc")" 0
	# partial switch: the --policy ext group is on the ext class, the other not
	r=$(jq -sc '[.[] | select(.type == "report") | [.sched_policy, .sched_ext_enabled]] | sort' "$f")
	assert_equal "$r" '[["ext",true],["ext",true],["normal",false]]'
	# and scx_qmap's own enqueue count moved only while they ran
	read -r t0 _ <"$VM_OUT/qmap/stamps"
	t1=$(sed -n 2p "$VM_OUT/qmap/stamps" | cut -d' ' -f1)
	enq() { awk -v t="$1" -v after="$2" '/stats  : enq=/ { split($4, a, "="); v = a[2];
		if (!after && $1 <= t) last = v; if (after && $1 >= t && !got) { last = v; got = 1 } }
		END { print last + 0 }' "$VM_OUT/qmap/scx_qmap.out"; }
	echo "scx_qmap enq: $(enq "$t0" 0) before, $(enq "$t1" 1) after" >&3
	[ "$(enq "$t1" 1)" -gt "$(enq "$t0" 0)" ] || fail "scx_qmap's enq did not grow"
	# -d PID: scx_qmap marks one worker disallowed as it attaches; the
	# delayed switch is refused by the kernel (EACCES) for that one only, it
	# runs on (on the fair class: -p), the other switches
	d=$VM_OUT/qmap/deny
	assert_equal "$(kv qmap/deny root/ops)" qmap
	victim=$(kv qmap/deny victim)
	[ -n "$victim" ] || fail "no worker pid for scx_qmap -d"
	# scx_qmap must have attached before the delayed switch (14 s after the
	# start), or the kernel's load-time path reverts the policy instead
	# (nr_rejected) and there is no refusal to see
	t_ws=$(sed -n 's/ ws-start$//p' "$d/stamps") t_on=$(sed -n 's/ qmap-enabled$//p' "$d/stamps")
	echo "scx_qmap enabled $(( (t_on - t_ws) / 1000000 )) ms after worker-spawn started" >&3
	[ "$((t_on - t_ws))" -lt 13000000000 ] ||
		fail "scx_qmap attached $(( (t_on - t_ws) / 1000000 )) ms after the start: too late for the 14 s switch"
	assert_equal "$(cat "$d/ws.rc")" 0
	r=$(jq -sc '[.[] | select(.type == "report")]' "$d/ws.jsonl")
	jq -e --argjson v "$victim" 'length == 2 and
		(map(select(.tid == $v))[0] | (.sched_policy_error | test("SCHED_EXT.*Permission denied")) and
		 .sched_policy == "normal" and .sched_ext_enabled == false and .work_units > 0 and .completed) and
		(map(select(.tid != $v))[0] | .sched_policy_error == null and .sched_policy == "ext" and
		 .sched_ext_enabled == true and .work_units > 0)' <<<"$r" >/dev/null || fail "victim $victim: $r"
	# the run began before scx_qmap: the summary says the scheduler changed
	jq -se 'map(select(.type == "summary" and .scope == "run"))[0].scx |
		.changed == true and .ops_end == "qmap"' "$d/ws.jsonl" >/dev/null ||
		fail "$(jq -c 'select(.scope == "run") | .scx' "$d/ws.jsonl")"
}

@test "guest: worker-spawn --policy ext with no scheduler attached: SCHED_EXT on the fair class, and the report says so" {
	guest_ran
	f=$VM_OUT/noscx/ws.jsonl
	assert_equal "$(kv noscx state)" disabled
	assert_equal "$(cat "$VM_OUT/noscx/ws.rc")" 0
	# the kernel took the policy (sched_ext is built in) but no task is on ext
	jq -se '[.[] | select(.type == "report")] | length == 2 and all(.sched_policy == "ext" and
		.sched_ext_enabled == false and .sched_policy_error == null and .work_units > 0)' "$f" \
		>/dev/null || fail "$(jq -c 'select(.type == "report")' "$f")"
	x=$(jq -c 'select(.type == "summary" and .scope == "run") | .scx' "$f")
	jq -e '.state == "disabled" and .attached == false and (has("ops") | not) and
		(has("events") | not)' <<<"$x" >/dev/null || fail "$x"
}
