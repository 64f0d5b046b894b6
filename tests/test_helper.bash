bats_require_minimum_version 1.5.0
# Shared by every tests/*.bats: locate binaries, load bats-assert, and skip
# helpers that print why.  A skip is never a pass.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TELKIT_BIN=${TELKIT_BIN:-$BATS_TEST_DIRNAME/../build}
TELKIT_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PROBE=$TELKIT_BIN/tests/probe

# Path of a built command or test helper.
bin() { echo "$TELKIT_BIN/$1"; }
helper() { echo "$TELKIT_BIN/tests/$1"; }

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (run the suite as root)"
}
require_btf() {
	[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux missing)"
}
require_bpf() {
	require_root
	"$PROBE" bpf >/dev/null 2>&1 || skip "cannot load BPF programs here: $("$PROBE" bpf 2>&1 | tail -1)"
}
require_io_uring() {
	"$PROBE" io_uring >/dev/null 2>&1 || skip "io_uring unavailable: $("$PROBE" io_uring 2>&1 | tail -1)"
}
require_nvme() {
	"$PROBE" nvme >/dev/null 2>&1 || skip "no NVMe generic device (/dev/ngXnY) on this host"
}
require_gpu() {
	"$PROBE" gpu >/dev/null 2>&1 || skip "no CUDA GPU: $("$PROBE" gpu 2>&1 | tail -1)"
}
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs '$c' (make deps installs it)"
	done
}
require_tool() {
	[ -x "$(bin "$1")" ] || skip "command $1 is not built yet"
}

# The JSON text in $1 parses as one object per line.
assert_json_lines() {
	local line
	while IFS= read -r line; do
		[ -z "$line" ] && continue
		jq -e 'type == "object"' <<<"$line" >/dev/null ||
			fail "not a JSON object line: $line"
	done <<<"$1"
}

# The last `run --separate-stderr` failed with exit 2 and one stderr line
# that mentions $1 and a fix.
assert_usage_error() {
	assert_equal "$status" 2
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -eq 1 ] ||
		fail "expected one stderr line, got: $stderr"
	[[ "$stderr" == *"$1"* ]] || fail "stderr does not name '$1': $stderr"
	[[ "$stderr" == *"fix: "* ]] || fail "stderr has no fix hint: $stderr"
}

# wait_until SECONDS CMD...: poll CMD every 50 ms; fails if it never succeeds.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# caught PID: PID has its SIGINT and SIGTERM handlers installed (SigCgt bits)
# in the program it runs: a background job's forked shell, before its exec,
# still carries the shell's own handlers (an ASan run under load once sent a
# signal into that window: exit 143), so a PID still running this shell's
# binary never counts.
caught() {
	local m
	[ "$(readlink "/proc/$1/exe" 2>/dev/null)" != "$(readlink "/proc/$$/exe")" ] || return 1
	m=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$m" ] && (( (16#$m & 0x4002) == 0x4002 ))
}

# execed PID NAME: PID now runs NAME (/proc comm).  A background job starts
# with SIGINT ignored; only once `env --default-signal=INT NAME` has exec'd
# NAME does a SIGINT kill it or reach its handler instead of vanishing.
execed() {
	local c
	read -r c 2>/dev/null <"/proc/$1/comm" && [ "$c" = "${2:0:15}" ]
}

# holds_file PID PATH: one of PID's fds is open on PATH.
holds_file() {
	local f
	for f in "/proc/$1/fd/"*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

# stop_clean SIG PID OUT ERR: send SIG to PID, a background command of this
# shell; it must exit 0, leave ERR empty and OUT all JSON objects.
stop_clean() {
	local rc
	kill -"$1" "$2"
	wait "$2" && rc=0 || rc=$?
	[ "$rc" -eq 0 ] || fail "SIG$1: exit $rc: $(head -5 "$4")"
	[ ! -s "$4" ] || fail "stderr: $(head -5 "$4")"
	jq -se 'all(type == "object")' "$3" >/dev/null || fail "not JSON lines: $(head -3 "$3")"
}

# host_lock NAME: one test file holding NAME on this host at a time (BPF
# run-time stats and map names are machine-wide).  host_unlock in teardown.
host_lock() {
	exec {TK_LOCKFD}>"/tmp/telkit-$1.lock"
	flock -w 300 "$TK_LOCKFD" || skip "another test run holds the host lock $1"
}
host_unlock() {
	[ -z "${TK_LOCKFD:-}" ] || exec {TK_LOCKFD}>&-
}

# reap PID...: SIGTERM each, then wait for each (background helpers of a test).
reap() {
	local p
	for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# setup_file of a guest test file: one boot of tests/vm/run with ARGS (its
# options and the script), what the script writes under $VM_OUT, its stdout,
# stderr and exit status kept in $BATS_FILE_TMPDIR for guest_ran.
guest_boot() {
	export VM_OUT=$BATS_FILE_TMPDIR/out
	local st=0
	"$TELKIT_ROOT/tests/vm/run" --out "$VM_OUT" "$@" \
		>"$BATS_FILE_TMPDIR/stdout" 2>"$BATS_FILE_TMPDIR/stderr" || st=$?
	echo "$st" >"$BATS_FILE_TMPDIR/status"
}

# In a test after guest_boot: skip with the runner's reason when the guest
# cannot be had (exit 77); fail when it ran but the script did not finish
# (its last line is "done").
guest_ran() {
	local st
	st=$(cat "$BATS_FILE_TMPDIR/status")
	[ "$st" -ne 77 ] || skip "$(tail -1 "$BATS_FILE_TMPDIR/stderr")"
	[ "$st" -eq 0 ] || fail "guest exit $st: $(tail -20 "$BATS_FILE_TMPDIR/stderr")"
	grep -q '^done$' "$BATS_FILE_TMPDIR/stdout" || fail "guest script did not finish"
}
