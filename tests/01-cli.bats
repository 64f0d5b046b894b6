#!/usr/bin/env bats
# Conventions every command must keep (checked for each command under cmd/):
# --help/--usage/-V, -j JSON errors, one-line usage errors with a fix, exit 2.

load test_helper

tools() { ls -1 "$TELKIT_ROOT/cmd" 2>/dev/null; }

setup() {
	[ -n "$(tools)" ] || skip "no commands under cmd/ yet"
}

@test "every command: --help, --usage and -V/--version exit 0" {
	for t in $(tools); do
		run "$(bin "$t")" --help
		assert_success
		assert_output --partial "Usage: $t"
		run "$(bin "$t")" --usage
		assert_success
		run "$(bin "$t")" -V
		assert_success
		assert_output --regexp "^$t \\(telkit\\) [0-9]+\\.[0-9]+\\.[0-9]+"
		run "$(bin "$t")" --version
		assert_success
	done
}

@test "every command: an unknown option is one line naming it, exit 2" {
	for t in $(tools); do
		run --separate-stderr "$(bin "$t")" --no-such-option
		assert_usage_error "--no-such-option"
		run --separate-stderr "$(bin "$t")" -Z
		assert_usage_error "-Z"
	done
}

@test "every command: bad -o format is one line naming the value, exit 2" {
	for t in $(tools); do
		"$(bin "$t")" --help | grep -q -- '--output' || continue
		run --separate-stderr "$(bin "$t")" -o yaml
		assert_usage_error "yaml"
		run --separate-stderr "$(bin "$t")" -j -o prom
		assert_usage_error "-j"
	done
}

@test "every command: bad -i/-c/-d values are one line naming the option, exit 2" {
	for t in $(tools); do
		h=$("$(bin "$t")" --help)
		for bad in "--interval=abc" "--interval=0" "--interval=-1s" \
			   "--count=0" "--count=-3" "--count=1x" "--count=99999999999999999999" \
			   "--duration=5parsecs" "--duration="; do
			opt=${bad%%=*}
			grep -q -- "$opt" <<<"$h" || continue
			run --separate-stderr "$(bin "$t")" "$bad"
			assert_usage_error "$opt"
		done
	done
}

@test "every command: a missing option value is one line, exit 2" {
	for t in $(tools); do
		"$(bin "$t")" --help | grep -q -- '--interval' || continue
		run --separate-stderr "$(bin "$t")" -i
		assert_usage_error "-i"
	done
}

@test "every command has a man page and a bash completion" {
	for t in $(tools); do
		[ -f "$TELKIT_ROOT/man/$t.8" ] || fail "man/$t.8 missing"
		man -l "$TELKIT_ROOT/man/$t.8" >/dev/null 2>&1 || fail "man/$t.8 does not render"
		[ -f "$TELKIT_ROOT/completions/$t" ] || fail "completions/$t missing"
		bash -n "$TELKIT_ROOT/completions/$t" || fail "completions/$t: syntax error"
	done
}
