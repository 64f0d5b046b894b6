#!/usr/bin/env bats
# escalate-trace's syscall hook (--hook): the cheapest hook the kernel
# accepts is chosen and named in the escalation's `hook`; each fallback
# attaches what it says (bpftool's link list) and counts what the target
# was told to do and what strace -c -f counts.  This host refuses fentry
# (tests/61-escalate-guest.bats runs the fentry path in the 7.2 guest).

load test_helper
load otlp/helpers

ET=
TARGET=

setup() {
	ET=$(bin escalate-trace)
	TARGET=$(helper escalate_target)
	[ -x "$ET" ] || skip "escalate-trace is not built"
}

teardown() {
	# SIGCONT: a stopped target would not die of SIGTERM
	[ -n "${BGPIDS:-}" ] && kill $BGPIDS 2>/dev/null && kill -CONT $BGPIDS 2>/dev/null
	true
}

# The program ids process $1 holds: all ($2 = prog) or attached by its links
# ($2 = link), from its fds' fdinfo (other escalate-traces may run beside).
held_progs() {
	local f
	for f in /proc/$1/fdinfo/*; do
		awk -v want="$2" '/^link_type:/ { l = 1 } /^prog_id:/ { p = $2 }
			END { if (p && (want == "prog" || l)) print p }' "$f" 2>/dev/null
	done | sort -un
}

# Start TARGET (args $1) waiting for SIGUSR1, trace it with escalate-trace
# (extra args in $@); once attached, keep bpftool's link and program lists
# ($BATS_TEST_TMPDIR/{links,progs}.json), then release it.  Output in $output.
trace_target() {
	local targs=$1 tpid epid
	shift
	rm -f "$BATS_TEST_TMPDIR/ready" "$BATS_TEST_TMPDIR/err"
	"$TARGET" -w -p $targs >"$BATS_TEST_TMPDIR/ready" & tpid=$!
	BGPIDS="${BGPIDS:-} $tpid"
	wait_until 30 grep -q ready "$BATS_TEST_TMPDIR/ready" || fail "escalate_target did not start"
	"$ET" -j -v --manual --pid "$tpid" "$@" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	epid=$!
	wait_until 30 grep -qs "tracing pid" "$BATS_TEST_TMPDIR/err" || fail "never traced: $(cat "$BATS_TEST_TMPDIR/err")"
	held_progs $epid link >"$BATS_TEST_TMPDIR/linked.ids"
	bpftool -j prog show >"$BATS_TEST_TMPDIR/progs.json"
	kill -USR1 "$tpid"
	wait "$epid" || fail "escalate-trace failed: $(cat "$BATS_TEST_TMPDIR/err")"
	wait "$tpid" 2>/dev/null || true
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

# Names (bpftool's) of the programs escalate-trace's links attached (sorted).
linked_progs() {
	jq -r --argjson ids "[$(paste -sd, "$BATS_TEST_TMPDIR/linked.ids")]" \
		'.[] | select(.id as $i | $ids | index($i)) | .name' "$BATS_TEST_TMPDIR/progs.json" | sort
}

count_of() { escalations | jq -r --arg n "$1" '[.syscalls[] | select(.name==$n) | .count] | add // 0'; }
errors_of() { escalations | jq -r --arg n "$1" '[.syscalls[] | select(.name==$n) | .errors] | add // 0'; }

# strace -c -f calls (column 4) or errors (5) of syscall $2 for TARGET args
# $1, less those of an idle run (the dynamic loader's): the work itself.
strace_work() {
	local col=${3:-4} w i
	strace -f -c -o "$BATS_TEST_TMPDIR/strace.work" "$TARGET" $1
	strace -f -c -o "$BATS_TEST_TMPDIR/strace.idle" "$TARGET" -r 0
	w=$(awk -v n="$2" -v c="$col" '$NF==n {print (NF == 6 ? $c : (c == 5 ? 0 : $c))}' "$BATS_TEST_TMPDIR/strace.work")
	i=$(awk -v n="$2" -v c="$col" '$NF==n {print (NF == 6 ? $c : (c == 5 ? 0 : $c))}' "$BATS_TEST_TMPDIR/strace.idle")
	echo $(( ${w:-0} - ${i:-0} ))
}

# Does this kernel load fentry programs?  Asked of the test helper that
# loads the bench's empty fentry programs, not of escalate-trace.
fentry_loads() { timeout 20 "$(helper escalate_empty)" fentry </dev/null >/dev/null 2>&1; }

@test "--hook auto: the cheapest hook the kernel takes, named in the record and attached" {
	require_bpf
	require_cmd bpftool
	trace_target "-r 100" --trace-for 20s
	want=tp_btf
	fentry_loads && want=fentry
	got=$(escalations | jq -r .hook)
	# fentry: per function, or one multi-link where the kernel has them
	[[ "$got" == "$want"* ]] || fail "hook $got, want $want"
	assert_equal "$(count_of read)" 100
	case $want in
	fentry) linked_progs | grep -qx esc_fentry ;;
	tp_btf)
		assert_equal "$(linked_progs | grep -v '^esc_fork$\|^esc_task_exit$' | paste -sd,)" \
			esc_sys_enter,esc_sys_exit
		# and the tracer said why fentry was passed over
		grep -q "syscall hook: fentry: load:" "$BATS_TEST_TMPDIR/err" ;;
	esac
}

@test "--hook tp_btf and raw_tp: each attaches its own programs and counts exactly" {
	require_bpf
	require_cmd bpftool
	for h in tp_btf raw_tp; do
		trace_target "-r 3000 -f 400 -m 60 -e 5" --trace-for 20s --hook $h --top 50
		assert_equal "$(escalations | jq -r .hook)" $h
		case $h in
		tp_btf) want=esc_fork,esc_sys_enter,esc_sys_exit,esc_task_exit ;;
		raw_tp) want=esc_fork,esc_raw_enter,esc_raw_exit,esc_task_exit ;;
		esac
		assert_equal "$(linked_progs | paste -sd,)" "$want"
		assert_equal "$(count_of read)" 3005
		assert_equal "$(errors_of read)" 5
		assert_equal "$(count_of futex)" 400
		assert_equal "$(count_of mmap)" 60
		assert_equal "$(count_of munmap)" 60
	done
}

@test "--hook raw_tp counts match strace -c -f (calls and errors)" {
	require_bpf
	require_cmd strace
	args="-r 4000 -f 500 -m 80 -e 9"
	trace_target "$args" --trace-for 20s --hook raw_tp --top 50
	for sc in read futex mmap munmap; do
		assert_equal "$(count_of $sc)" "$(strace_work "$args" $sc)"
	done
	assert_equal "$(errors_of read)" "$(strace_work "$args" read 5)"
}

@test "--hook fentry where the kernel refuses it: untraced, says why, exit 1" {
	require_bpf
	fentry_loads && skip "this kernel loads fentry programs"
	start=$(date +%s)
	"$TARGET" -w -p -s 100 >"$BATS_TEST_TMPDIR/ready" & tpid=$!
	BGPIDS="$tpid"
	wait_until 30 grep -q ready "$BATS_TEST_TMPDIR/ready"
	run --separate-stderr "$ET" -j --manual --pid $tpid --hook fentry --trace-for 1s
	assert_failure 1
	assert_equal "$(escalations | jq -r .traced)" false
	escalations | jq -r .trace_error | grep -q "hook fentry"
	[ "$(escalations | jq 'has("hook")')" = false ]
	grep -q "hook fentry" <<<"$stderr"
}

@test "--follow-children: the per-syscall programs look up no followed-process hash; followed children counted, others not" {
	require_bpf
	require_cmd bpftool
	# an unrelated busy process, running the whole time
	"$TARGET" -r 100000000 >/dev/null & busy=$!
	# the target: a shell that stops itself, then forks two known children
	sh -c 'kill -STOP $$; "$1" -r 700; "$1" -r 300; true' sh "$TARGET" & spid=$!
	BGPIDS="$busy $spid"
	wait_until 30 eval '[ "$(awk "{print \$3}" /proc/$spid/stat)" = T ]' || fail "the shell did not stop"
	rm -f "$BATS_TEST_TMPDIR/err"
	"$ET" -j -v --manual --pid $spid --follow-children --trace-for 30s --top 50 \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" & epid=$!
	BGPIDS="$BGPIDS $epid"
	wait_until 30 grep -qs "tracing pid" "$BATS_TEST_TMPDIR/err" || fail "never traced: $(cat "$BATS_TEST_TMPDIR/err")"
	bpftool -j prog show >"$BATS_TEST_TMPDIR/progs.json"
	bpftool -j map show >"$BATS_TEST_TMPDIR/maps.json"
	# the maps each program references (bpftool): the followed processes'
	# hash (tgids) only from the fork hook, never per syscall
	ours=$(held_progs $epid prog | paste -sd,)
	maps_of() {
		jq -r --arg re "$1" --argjson ids "[$ours]" --slurpfile m "$BATS_TEST_TMPDIR/maps.json" \
			'.[] | select(.id as $i | $ids | index($i)) | select(.name | test($re)) |
			.map_ids[] as $id | $m[0][] | select(.id == $id) | .name' "$BATS_TEST_TMPDIR/progs.json" | sort -u
	}
	per_syscall=$(maps_of '^esc_(sys|raw|fentry|fexit)')
	echo "per-syscall programs' maps: $(echo $per_syscall)" >&3
	grep -qx start <<<"$per_syscall" || fail "no task storage map in: $per_syscall"
	if grep -qx tgids <<<"$per_syscall"; then fail "a per-syscall program looks up tgids"; fi
	grep -qx tgids <<<"$(maps_of '^esc_fork$')" || fail "the fork hook has no tgids"
	kill -CONT $spid
	wait $epid || fail "escalate-trace failed: $(cat "$BATS_TEST_TMPDIR/err")"
	output=$(cat "$BATS_TEST_TMPDIR/out")
	[ "$(escalations | jq -r .processes)" -eq 3 ]
	# 1000 reads of /dev/zero by the two children, plus the loader's few;
	# the busy process reads millions: none of them counted
	[ "$(count_of read)" -ge 1000 ]
	[ "$(count_of read)" -lt 1100 ]
}
