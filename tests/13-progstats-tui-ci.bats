#!/usr/bin/env bats
# progstats for people and for CI: the live screen in a real terminal (tmux:
# keys sent, the pane captured, what a person sees held against bpftool and
# the programs this test loaded), -o csv, --save, --baseline/--fail-on and
# --stats-duty.  Expected values come from bpftool, /proc, the test loader's
# own counter, or values the test wrote; never from progstats itself.

load test_helper
load progstats

setup() {
	ps_file_setup
	require_cmd tmux python3
	TMX="tk13-$$-$BATS_TEST_NUMBER"
}

teardown() {
	tmux -L "$TMX" kill-server 2>/dev/null || true
	ps_file_teardown
}

# load_progs ARGS...: the test loader in the background; sets LPID COUNT_ID LOUT.
load_progs() {
	LOUT=$D/loader.$RANDOM
	"$LOADER" "$@" >"$LOUT" 2>&1 &
	LPID=$!
	LPIDS+=("$LPID")
	wait_until 20 grep -q '^ready ' "$LOUT" || fail "loader not ready: $(cat "$LOUT")"
	COUNT_ID=$(sed -n 's/^ready .* count_id=\([0-9]*\).*/\1/p' "$LOUT")
}

bt() { bpftool prog show id "$1" -j | jq -r ".$2 // 0"; }
# The programs the loader holds (prog_id in /proc/LPID/fdinfo), named by
# bpftool: "id name" lines.
loader_progs() {
	local id
	for id in $(sed -n 's/^prog_id:[[:space:]]*//p' /proc/"$LPID"/fdinfo/* 2>/dev/null | sort -un); do
		echo "$id $(bt "$id" name)"
	done
}

# burst: one counted burst of the loader's program while a progstats holds
# stats; sets COUNTER (the program's own in-map count).
burst() {
	"$PS" -j -v -i 100ms --id "$COUNT_ID" >/dev/null 2>"$D/burst.err" &
	local ps=$!
	PPIDS+=("$ps")
	wait_until 20 grep -q '^progstats: sample 1:' "$D/burst.err" || fail "no holder: $(cat "$D/burst.err")"
	kill -USR1 "$LPID"
	wait_until 20 grep -q '^burst ' "$LOUT" || fail "no burst: $(cat "$LOUT")"
	COUNTER=$(sed -n 's/^burst counter=//p' "$LOUT" | tail -1)
	kill -TERM "$ps"
	wait "$ps" || fail "holder exit $?"
}

# --- the live screen ----------------------------------------------------------

tmx() { tmux -L "$TMX" "$@"; }
pane() { tmx capture-pane -p -t tk; }
pane_has() { pane | grep -qE -- "$1"; }
wait_pane() { wait_until "${2:-30}" pane_has "$1" || fail "pane never showed /$1/: $(pane)"; }

# screen W H ARGS...: progstats ARGS in a W x H tmux pane; after it exits the
# shell prints exit=RC and saves `stty -a` (is the terminal restored?).
screen() {
	local w=$1 h=$2 q
	shift 2
	printf -v q '%q ' "$PS" "$@"
	tmx new-session -d -s tk -x "$w" -y "$h" \
		"$q; echo exit=\$?; stty -a >$D/stty; sleep 600"
	tmx set-option -g window-size manual
	wait_pane '^progstats .* sample [1-9]'
	SHPID=$(tmx display-message -p -t tk '#{pane_pid}')
	TPID=$(pgrep -P "$SHPID" -x progstats)
	[ -n "$TPID" ] || fail "no progstats under the pane's shell"
}

# The screen is gone and the terminal is as the shell had it.
assert_restored() {
	wait_pane '^exit=' 20
	pane_has "^exit=${1:-0}\$" || fail "exit: $(pane | grep '^exit=')"
	wait_until 10 test -s "$D/stty" || fail "no stty"
	grep -qw icanon "$D/stty" && grep -qw echo "$D/stty" || fail "tty left raw: $(cat "$D/stty")"
	! grep -qw -- -icanon "$D/stty" || fail "tty left in cbreak"
	! kill -0 "$TPID" 2>/dev/null || fail "progstats still runs"
}

# The NAME column (the last) of the table rows, top to bottom.
shown_names() { pane | awk 'p && NF >= 8 && $1 ~ /^[0-9]+$/ { print $NF } /^ *ID /{ p = 1 }'; }
names_are() { [ "$(shown_names)" = "$1" ]; }
# Every program the loader holds has its row (bpftool's id and name), no other.
loader_rows() {
	local id name
	while read -r id name; do
		pane | grep -qE "^ *$id .* ${name:0:20}" || return 1
	done < <(loader_progs)
	[ "$(shown_names | wc -l)" -eq "$(loader_progs | wc -l)" ]
}
rows_at_least() { [ "$(shown_names | wc -l)" -ge "$1" ]; }

@test "screen: the programs this test loaded, with bpftool's ids; q restores the terminal" {
	load_progs -b 4
	screen 160 40 -i 200ms --pid "$LPID"
	wait_pane 'pstest_3'
	wait_until 20 loader_rows || fail "rows vs bpftool $(loader_progs): $(pane)"
	holds_stats "$TPID" || fail "the screen holds no bpf-stats fd"
	tmx send-keys -t tk q
	assert_restored 0
}

@test "screen: sort keys change the column and direction a person sees" {
	load_progs -b 6
	screen 160 40 -i 200ms --pid "$LPID"
	wait_pane 'pstest_5'
	wait_pane '^sort CPU% desc'
	wait_pane ' +ID +TYPE +CPU%v '

	tmx send-keys -t tk '<' '<' '<'
	wait_pane '^sort NAME desc'
	wait_pane ' +ID +TYPE .* NAMEv'
	want=$(loader_progs | awk '{ print $2 }' | LC_ALL=C sort -r)
	wait_until 10 names_are "$want" || fail "not by name descending: $(shown_names) want $want"
	tmx send-keys -t tk r
	wait_pane '^sort NAME asc'
	want=$(loader_progs | awk '{ print $2 }' | LC_ALL=C sort)
	wait_until 10 names_are "$want" || fail "not by name ascending: $(shown_names)"
	tmx send-keys -t tk q
	assert_restored 0
}

@test "screen: filter, detail pane against bpftool, pause; Ctrl-C restores the terminal" {
	load_progs -b 3
	burst
	screen 160 40 -i 200ms --pid "$LPID"
	wait_pane 'tpstat_count'
	tmx send-keys -t tk / t p s t a t Enter
	wait_pane "filter 'tpstat'"
	wait_until 10 names_are tpstat_count || fail "filter: $(pane)"
	tmx send-keys -t tk Enter
	wait_pane '^program [0-9]+ '
	type=$(bpftool prog show id "$COUNT_ID" -j | jq -r .type)
	tag=$(bt "$COUNT_ID" tag)
	wait_pane "^program $COUNT_ID  name tpstat_count  type $type  tag $tag\$"
	# not attached: its counters stand still at the burst's
	run_cnt=$(bt "$COUNT_ID" run_cnt)
	assert_equal "$run_cnt" "$COUNTER"
	wait_pane "^run_cnt $run_cnt  run_time_ns $(bt "$COUNT_ID" run_time_ns) "
	wait_pane "^holders: .*\\($LPID\\)"
	maps=$(bpftool prog show id "$COUNT_ID" -j | jq -r '"\(.map_ids | length): \(.map_ids | map(tostring) | join(" "))  xlated \(.bytes_xlated)  jited \(.bytes_jited) "')
	wait_pane "^maps $maps"
	wait_pane '^ns/call +\[[_.=+*#@-]+ *\] last [0-9]+ max [0-9]+'
	wait_pane '^events/s \[[_.=+*#@-]+ *\] last [0-9]+ max [0-9]+'
	tmx send-keys -t tk p
	wait_pane 'PAUSED'
	tmx send-keys -t tk C-c
	assert_restored 0
}

@test "screen: SIGTERM restores the terminal and drops the stats fd" {
	load_progs -b 2
	screen 120 30 -i 200ms --pid "$LPID"
	kill -TERM "$TPID"
	assert_restored 0
}

@test "screen: a resize (SIGWINCH) redraws at the new size" {
	load_progs -b 40
	screen 100 20 -i 300ms --pid "$LPID" --sort id
	wait_pane 'pstest_'
	[ "$(shown_names | wc -l)" -le 16 ] || fail "more rows than 20 lines hold: $(pane)"
	tmx resize-window -t tk -x 150 -y 45
	# rows now reach line 45: the table was drawn again for 45 lines
	wait_until 20 rows_at_least 40 || fail "not redrawn: $(pane)"
	tmx send-keys -t tk q
	assert_restored 0
}

@test "screen: --no-tui, -o text and a pipe keep the line output on a terminal" {
	load_progs -b 2
	printf -v q '%q ' "$PS" -i 200ms -c 2 --pid "$LPID"
	tmx new-session -d -s tk -x 160 -y 60 \
		"$q --no-tui; echo exit=\$?; $q -o text; echo otext=\$?; $q | cat >$D/piped; echo piped=\$?; sleep 600"
	wait_pane '^piped=0' 40
	pane_has '^otext=0' || fail "-o text: $(pane)"
	# one sample=2 line from --no-tui and one from -o text (a screen would
	# have left none behind on the restored terminal)
	[ "$(pane | grep -cE '^progstats [0-9:]+ sample=2 programs=')" -eq 2 ] || fail "-o text drew a screen: $(pane)"
	pane_has '^ +ID TYPE +NAME +AVG_NS' || fail "--no-tui table: $(pane)"
	grep -q '^progstats [0-9:]* sample=1 programs=' "$D/piped" || fail "piped: $(cat "$D/piped")"
	! grep -q $'\e' "$D/piped" || fail "escape sequences in piped output"
}

# --- CI and cron ----------------------------------------------------------------

# csv_field FILE ID FIELD: FIELD of the last row of program ID.
csv_field() {
	python3 -c 'import csv,sys
rows=[r for r in csv.DictReader(open(sys.argv[1])) if r["id"]==sys.argv[2]]
print(rows[-1][sys.argv[3]] if rows else "")' "$@"
}

@test "-o csv: the JSON field names, one row per program per sample, bpftool's counters" {
	load_progs -b 1
	burst
	run "$PS" -o csv --once --id "$COUNT_ID"
	assert_success
	printf '%s\n' "$output" >"$D/once.csv"
	hdr=$(head -1 "$D/once.csv")
	keys=$("$PS" -j --once --id "$COUNT_ID" | jq -r 'keys_unsorted - ["tool","type"] | join(",")')
	assert_equal "$hdr" "$keys"
	assert_equal "$(csv_field "$D/once.csv" "$COUNT_ID" cnt)" "$COUNTER"
	assert_equal "$(csv_field "$D/once.csv" "$COUNT_ID" nsecs)" "$(bt "$COUNT_ID" run_time_ns)"
	assert_equal "$(csv_field "$D/once.csv" "$COUNT_ID" tag)" "$(bt "$COUNT_ID" tag)"
	# a live run: one header, then a row per program per sample
	bulk=$(sed -n 's/^ready .* bulk_first=\([0-9]*\).*/\1/p' "$LOUT")
	run "$PS" -o csv -i 100ms -c 3 --id "$COUNT_ID" --id "$bulk"
	assert_success
	printf '%s\n' "$output" >"$D/live.csv"
	[ "$(grep -c '^ts_ns,' "$D/live.csv")" -eq 1 ] || fail "headers: $output"
	got=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])): print(r["seq"], r["id"])' "$D/live.csv" | sort)
	want=$(for seq in 1 2 3; do echo "$seq $COUNT_ID"; echo "$seq $bulk"; done | sort)
	assert_equal "$got" "$want"
}

@test "--save: atomic, never follows a planted symlink, records match bpftool" {
	load_progs -b 1
	echo precious >"$D/victim"
	mkdir "$D/snap"
	ln -s "$D/victim" "$D/snap/base.json"
	run "$PS" --once --id "$COUNT_ID" --save "$D/snap/base.json"
	assert_success
	assert_equal "$(cat "$D/victim")" precious
	[ -f "$D/snap/base.json" ] && [ ! -L "$D/snap/base.json" ] || fail "FILE still a symlink"
	assert_equal "$(ls -A "$D/snap")" base.json
	assert_equal "$(jq -r .tag "$D/snap/base.json")" "$(bt "$COUNT_ID" tag)"
	assert_equal "$(jq -r .name "$D/snap/base.json")" "$(bt "$COUNT_ID" name)"
	# a directory that is not there: exit 1, nothing left behind
	run --separate-stderr "$PS" --once --id "$COUNT_ID" --save "$D/nodir/base.json"
	assert_equal "$status" 1
	[[ "$stderr" == *"--save '$D/nodir/base.json'"*"fix: "* ]] || fail "$stderr"
	assert_equal "$(ls -A "$D/snap")" base.json
}

# base_rec ID NAME TAG CNT: a sample record as --save writes it, values the test's.
base_rec() {
	jq -cn --argjson id "$1" --arg n "$2" --arg t "$3" --argjson c "$4" \
		'{tool:"progstats",type:"sample",ts_ns:1,seq:0,id:$id,prog_type:"x",name:$n,tag:$t,cnt:$c,ns_per_call:100}'
}

@test "--baseline --fail-on: matched by name and tag, not id; exit 3 names each regression" {
	load_progs -b 1
	burst
	name=$(bt "$COUNT_ID" name)
	tag=$(bt "$COUNT_ID" tag)
	long=$(sed -n 's/^ready .* long_id=\([0-9]*\).*/\1/p' "$LOUT")
	# another id, the real name and tag; half the runs bpftool counts; a program gone
	{ base_rec 4000000000 "$name" "$tag" $((COUNTER / 2))
	  base_rec 7 gone_prog 0123456789abcdef 5; } >"$D/base.json"
	run --separate-stderr "$PS" --once --id "$COUNT_ID" --id "$long" --baseline "$D/base.json" \
		--fail-on 'cnt>+50%' --fail-on 'ns_per_call>+1000000%'
	assert_equal "$status" 3
	grep -q "^progstats: regression: program $name tag $tag (id $COUNT_ID): cnt $COUNTER vs baseline $((COUNTER / 2)) .* breaks --fail-on 'cnt>+50%'\$" <<<"$stderr" ||
		fail "regression not named: $stderr"
	[ "$(grep -c 'regression' <<<"$stderr")" -eq 1 ] || fail "$stderr"
	grep -q "program gone_prog tag 0123456789abcdef (baseline id 7) is gone since the baseline" <<<"$stderr" || fail "$stderr"
	grep -q "program $(bt "$long" name) tag $(bt "$long" tag) (id $long) is new since the baseline" <<<"$stderr" || fail "$stderr"
	# within the rule: exit 0; -j: the regression as an event record
	run "$PS" --once --id "$COUNT_ID" --baseline "$D/base.json" --fail-on 'cnt>+150%'
	assert_success
	run --separate-stderr "$PS" --once -j --id "$COUNT_ID" --baseline "$D/base.json" --fail-on 'cnt>+10'
	assert_equal "$status" 3
	assert_equal "$(jq -r 'select(.event=="regression") | "\(.id) \(.field) \(.value) \(.baseline)"' <<<"$output")" \
		"$COUNT_ID cnt $COUNTER $((COUNTER / 2))"
}

@test "--save then --baseline: unchanged passes, a counted burst fails" {
	load_progs -b 1
	run "$PS" --once --id "$COUNT_ID" --save "$D/b.json"
	assert_success
	run "$PS" --once --id "$COUNT_ID" --baseline "$D/b.json" --fail-on 'cnt>+0' --fail-on 'nsecs>+0'
	assert_success
	burst
	run --separate-stderr "$PS" --once --id "$COUNT_ID" --baseline "$D/b.json" --fail-on 'cnt>+0'
	assert_equal "$status" 3
	[[ "$stderr" == *"cnt $COUNTER vs baseline 0 "*"breaks --fail-on 'cnt>+0'"* ]] || fail "$stderr"
}

others_hold_stats() {
	local f
	[ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = 1 ] && return 0
	for f in /proc/[0-9]*/fd/*; do
		case $f in "/proc/$1/"*) continue ;; esac
		[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:bpf-stats" ] && return 0
	done
	return 1
}

samples() { grep -c '^progstats: sample ' "$D/duty.err"; }
samples_at_least() { [ "$(samples)" -ge "$1" ]; }
no_stats() { ! holds_stats "$1"; }

@test "--stats-duty: the stats fd only in the on-phase; counters still in the off-phase" {
	load_progs -a
	"$PS" -j -v --stats-duty 300ms/1500ms --id "$COUNT_ID" >"$D/duty.out" 2>"$D/duty.err" &
	pid=$!
	PPIDS+=("$pid")
	wait_until 30 holds_stats "$pid" || fail "no on-phase"
	wait_until 30 no_stats "$pid" || fail "no off-phase"
	kill -0 "$pid" || fail "progstats is gone"
	wait_until 30 holds_stats "$pid" || fail "no second on-phase"
	# off-phase: run_cnt stands still.  A reading counts only when progstats
	# held no stats fd and took no sample around it, and nobody else held
	# stats before or after it (the sysctl, or another process's fd); a holder
	# that came and went in between can move it, so one still reading is enough.
	still=
	for try in 1 2 3 4 5 6 7 8 9 10; do
		wait_until 30 no_stats "$pid" || fail "no off-phase"
		others_hold_stats "$pid" && { sleep 0.5; continue; }
		n=$(samples); a=$(bt "$COUNT_ID" run_cnt)
		sleep 0.1
		b=$(bt "$COUNT_ID" run_cnt)
		holds_stats "$pid" || [ "$(samples)" != "$n" ] || others_hold_stats "$pid" && continue
		still=$((b - a))
		[ "$still" -ne 0 ] || break
	done
	[ -n "$still" ] || skip "other processes held BPF run-time stats in every off-phase"
	assert_equal "$still" 0
	wait_until 30 samples_at_least 3
	kill -INT "$pid"
	wait "$pid"
	jq -se 'map(select(.type=="sample")) | length >= 3 and all(.sampled == true and .stats_duty == 0.2 and .stats == "sampled")' \
		"$D/duty.out" >/dev/null || fail "records: $(head -2 "$D/duty.out")"
	holds_stats "$pid" && fail "fd left" || true
}
