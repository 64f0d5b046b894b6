#!/usr/bin/env bats
# escalate-trace on the fentry/fexit hook, in the tests/vm guest (Debian
# sid's 7.2 kernel under QEMU TCG), where fentry/fexit load (this host
# refuses them: tests/51-escalate-hook.bats covers the fallbacks).  One boot
# runs tests/vm/escalate.sh; each test checks one part of what it left
# against the numbers of syscalls the target was told to make.
load test_helper

setup_file() {
	guest_boot --timeout 900 "$TELKIT_ROOT/tests/vm/escalate.sh"
}
ev() { jq -c 'select(.event == "escalation")' "$VM_OUT/escalate/$1.json"; }
count() { ev "$1" | jq -r --arg n "$2" '[.syscalls[] | select(.name == $n) | .count] | add // 0'; }
errors() { ev "$1" | jq -r --arg n "$2" '[.syscalls[] | select(.name == $n) | .errors] | add // 0'; }

@test "guest: auto picks an fentry hook, and its counts are exactly what the target made" {
	guest_ran
	assert_equal "$(cat "$VM_OUT/escalate/known-auto.rc")" 0
	read -r R F M E <"$VM_OUT/escalate/known.args"
	[[ "$(ev known-auto | jq -r .hook)" == fentry* ]] || fail "hook $(ev known-auto | jq -r .hook)"
	assert_equal "$(ev known-auto | jq -r .traced)" true
	assert_equal "$(count known-auto read)" $((R + E))
	assert_equal "$(errors known-auto read)" "$E"
	assert_equal "$(count known-auto futex)" "$F"
	assert_equal "$(count known-auto mmap)" "$M"
	assert_equal "$(count known-auto munmap)" "$M"
	# exit_group has no fexit (never returns): counted at entry all the same
	assert_equal "$(count known-auto exit_group)" 1
}

@test "guest: auto, fentry and tp_btf agree on every syscall of the same known run" {
	guest_ran
	b=$(ev known-tp_btf | jq -c '[.syscalls[] | {name, count, errors}] | sort_by(.name)')
	for h in auto fentry tp_btf; do
		assert_equal "$(cat "$VM_OUT/escalate/known-$h.rc")" 0
		[ $h = auto ] || assert_equal "$(ev known-$h | jq -r .hook)" $h
		a=$(ev known-$h | jq -c '[.syscalls[] | {name, count, errors}] | sort_by(.name)')
		assert_equal "$a" "$b"
	done
}

@test "guest: --exec follows the shell's children on fentry" {
	guest_ran
	assert_equal "$(cat "$VM_OUT/escalate/follow.rc")" 0
	[[ "$(ev follow | jq -r .hook)" == fentry* ]] || fail "hook $(ev follow | jq -r .hook)"
	[ "$(ev follow | jq -r .processes)" -ge 2 ]
	# each target reads /dev/zero N times, the loader reads a few files
	[ "$(count follow read)" -ge 800 ]
	[ "$(count follow read)" -lt 900 ]
}

@test "guest: nothing left attached or loaded after the runs" {
	guest_ran
	assert_equal "$(jq length "$VM_OUT/escalate/links.json")" 0
	assert_equal "$(jq '[.[] | select(.name | startswith("esc_"))] | length' \
		"$VM_OUT/escalate/progs.json")" 0
}
