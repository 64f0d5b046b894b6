#!/usr/bin/env bats
# `make install` puts binaries, manual pages and completions where they belong.

load test_helper

@test "make install DESTDIR=... installs every command, man page and completion" {
	d=$(mktemp -d)
	run make -s -C "$TELKIT_ROOT" install DESTDIR="$d" PREFIX=/usr/local \
		SANITIZE="${TELKIT_SANITIZE:-}" OUT="$TELKIT_BIN"
	assert_success
	for t in $(ls -1 "$TELKIT_ROOT/cmd" 2>/dev/null); do
		[ -x "$d/usr/local/bin/$t" ] || fail "bin/$t not installed"
		[ -f "$d/usr/local/share/man/man8/$t.8" ] || fail "man8/$t.8 not installed"
		[ -f "$d/usr/local/share/bash-completion/completions/$t" ] || fail "completion $t not installed"
	done
	[ -f "$d/usr/local/share/man/man7/telkit.7" ] || fail "telkit.7 not installed"
	[ -f "$d/usr/local/share/man/man7/telkit-json.7" ] || fail "telkit-json.7 not installed"
	# nothing outside DESTDIR/PREFIX
	[ -z "$(find "$d" -mindepth 1 -maxdepth 1 ! -name usr)" ] || fail "files outside usr/: $(ls "$d")"
	rm -rf "$d"
}

@test "vmlinux.h fallback: the checked-in copy decompresses to a usable header" {
	run bash -c "gzip -dc '$TELKIT_ROOT/bpf/vmlinux/vmlinux.h.gz' | grep -c 'struct task_struct {'"
	assert_success
	assert_output 1
}

@test "every man page renders at 80 columns without a groff warning" {
	require_cmd man
	for m in "$TELKIT_ROOT"/man/*.[0-9]; do
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$m"
		assert_success
		[ -z "$stderr" ] || fail "$(basename "$m"): $stderr"
		[ -n "$output" ] || fail "$(basename "$m") rendered nothing"
	done
}
