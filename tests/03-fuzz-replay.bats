#!/usr/bin/env bats
# Every committed fuzz corpus input replays cleanly (regressions fail CI).
# The harnesses themselves run under libFuzzer with `make fuzz`.

load test_helper

@test "fuzz corpora replay without a crash or a broken invariant" {
	n=0
	for h in "$TELKIT_ROOT"/fuzz/*.c; do
		name=$(basename "$h" .c)
		[ "$name" = replay ] && continue
		corpus="$TELKIT_ROOT/fuzz/corpus/$name"
		[ -d "$corpus" ] && [ -n "$(ls -A "$corpus")" ] || fail "fuzz/corpus/$name is empty"
		run "$TELKIT_BIN/fuzz/$name-replay" "$corpus"/*
		assert_success
		assert_output --regexp "^replayed [0-9]+ inputs$"
		n=$((n + 1))
	done
	[ "$n" -ge 2 ] || fail "expected at least the common/ harnesses, found $n"
}
