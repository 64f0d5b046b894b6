#!/usr/bin/env bats
# The record writer (common/recw.c, issue 20): records refilled in a
# tk_recw are written exactly as tk_emit() writes the json-c record filled
# by the same tk_rec_* calls (json-c is the oracle), in JSON, text and
# Prometheus: random records with integers at every width edge, doubles in
# every form (NaN and Inf included), hostile keys and strings (controls,
# quotes, invalid UTF-8, U+2028, over 64 KiB, the envelope's names),
# duplicate keys, arrays and nested objects, and shapes that change from
# one refill to the next.  Speed is measured in bench/, not here.

load test_helper

setup() {
	T=$(helper test_recw)
}

@test "recw: random refilled records are tk_emit's bytes in JSON, text and Prometheus" {
	for s in 1 2 3 "$RANDOM"; do
		run "$T" diff "$s" 1500
		assert_success
		assert_output --regexp "^ok 1500 records [0-9]+ bytes$"
	done
}

@test "recw: a record that differs from json-c's is reported" {
	# the oracle bites: a record writer that drops a field fails the comparison
	run env TELKIT_RECW_TEST_BREAK=1 "$T" diff 1 50
	assert_failure
	assert_output --partial "differ:"
}
