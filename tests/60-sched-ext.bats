#!/usr/bin/env bats
# Real sched_ext schedulers (the kernel's tools/sched_ext examples) under
# bpfwatch, progstats and worker-spawn, in the tests/vm guest (Debian sid's
# cloud kernel, CONFIG_SCHED_CLASS_EXT=y, QEMU TCG).  One boot runs
# tests/vm/sched-ext.sh; each test checks one part of what it left, every
# figure against the scheduler's own account (its printouts, the kernel's
# sysfs, the guest's bpftool).
load test_helper

setup_file() {
	export VM_OUT=$BATS_FILE_TMPDIR/out
	"$TELKIT_ROOT/tests/vm/run" --out "$VM_OUT" "$TELKIT_ROOT/tests/vm/sched-ext.sh" \
		>"$BATS_FILE_TMPDIR/stdout" 2>"$BATS_FILE_TMPDIR/stderr"
	echo $? >"$BATS_FILE_TMPDIR/status"
}

# Skip with the runner's reason when the guest cannot be had (exit 77);
# fail when it ran but the script did not finish.
guest_ran() {
	local st
	st=$(cat "$BATS_FILE_TMPDIR/status")
	[ "$st" -ne 77 ] || skip "$(tail -1 "$BATS_FILE_TMPDIR/stderr")"
	[ "$st" -eq 0 ] || fail "guest exit $st: $(tail -20 "$BATS_FILE_TMPDIR/stderr")"
	grep -q '^done$' "$BATS_FILE_TMPDIR/stdout" || fail "guest script did not finish"
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
