#!/usr/bin/env bats
# bpfwatch against real maps of bpf/test_bpfwatch_sched.bpf.c (loaded by
# tests/helpers/bpfwatch_loader).  Expected values come from `bpftool map dump
# -j` and `bpftool btf dump`, never from bpfwatch itself.

load test_helper

BSS=test_bpf.bss

setup() {
	BW=$(bin bpfwatch)
	LOADER=$(helper bpfwatch_loader)
	D=$BATS_TEST_TMPDIR
	LPIDS=()
	WPIDS=()
}

teardown() {
	reap "${WPIDS[@]}" "${LPIDS[@]}"
	host_unlock
}

need_bpf() {
	require_bpf
	require_btf
	require_cmd bpftool jq
	require_tool bpfwatch
	[ -x "$LOADER" ] || skip "test helper bpfwatch_loader is not built"
	host_lock 20-bpfwatch
}


# start_loader NAME [ARGS]: run the loader, wait for "ready", set NAME_bss etc.
start_loader() {
	local name=$1 out
	shift
	out=$D/$name.out
	"$LOADER" "$@" >"$out" 2>"$D/$name.err" &
	LPIDS+=($!)
	eval "${name}_pid=$!"
	wait_until 10 grep -q '^ready' "$out" || fail "loader did not start: $(cat "$D/$name.err")"
	read -r _ b d r p < <(grep '^ready' "$out" | tail -1)
	eval "${name}_bss=$b ${name}_data=$d ${name}_rodata=$r ${name}_pcpu=$p"
}

# bss_json ID: the formatted .bss variables as one object (bpftool's view).
bss_json() {
	bpftool map dump id "$1" -j | jq -c '.[0].formatted.value[".bss"] | add'
}

# json_num FILE KEY: the exact number (u64-safe) of KEY in the last summary.
json_num() {
	grep '"type":"summary"' "$1" | tail -1 | grep -o "\"$2\":-\?[0-9.e+]*" | cut -d: -f2
}

# num_eq A B: equal as numbers (bpfwatch writes run means as doubles).
num_eq() {
	[ -n "$1" ] && [ -n "$2" ] && jq -en "$1 == $2" >/dev/null
}

# jq_any FILE FILTER: some record of the JSON-lines FILE satisfies FILTER.
jq_any() {
	jq -se "map($2) | any" "$1" >/dev/null
}

ready_count() {
	[ "$(grep -c '^ready' "$D/$1.out")" -ge "$2" ]
}

# --- validation: one line naming the spec and the rule, exit 2 ------------

bad_spec() {
	run --separate-stderr "$BW" -c 1 "$1"
	assert_usage_error "spec '${3:-$1}'"
	[[ "$stderr" == *"$2"* ]] || fail "stderr does not name the rule '$2': $stderr"
}

@test "validation: MAP_SUFFIX rules" {
	require_tool bpfwatch
	bad_spec ":f:scalar:l" "MAP_SUFFIX is empty"
	bad_spec "a b:f:scalar:l" "MAP_SUFFIX contains whitespace"
	bad_spec "a/b:f:scalar:l" "MAP_SUFFIX contains a path separator"
	bad_spec 'a\b:f:scalar:l' "MAP_SUFFIX contains a path separator" 'a\\b:f:scalar:l'
	bad_spec $'a\x01b:f:scalar:l' "MAP_SUFFIX contains a non-printable" 'a\x01b:f:scalar:l'
	bad_spec $'a\xc3\xa9:f:scalar:l' "MAP_SUFFIX contains a non-printable or non-ASCII"
	bad_spec "abcdefghijklmnop:f:scalar:l" "longer than 15 bytes"
}

@test "validation: FIELD rules" {
	require_tool bpfwatch
	bad_spec ".bss::scalar:l" "FIELD is empty"
	bad_spec $'.bss:a\tb:scalar:l' "FIELD contains whitespace" '.bss:a\x09b:scalar:l'
	bad_spec ".bss:a/b:scalar:l" "FIELD contains a path separator"
	bad_spec '.bss:a\b:scalar:l' "FIELD contains a path separator" '.bss:a\\b:scalar:l'
	bad_spec $'.bss:a\x7fb:scalar:l' "FIELD contains a non-printable" '.bss:a\x7fb:scalar:l'
	bad_spec ".bss:.a:scalar:l" "leading '.'"
	bad_spec ".bss:a.:scalar:l" "trailing '.'"
	bad_spec ".bss:a..b:scalar:l" "'..'"
	bad_spec ".bss:h[x]:scalar:l" "subscript"
	bad_spec ".bss:h[1:scalar:l" "unclosed"
}

@test "validation: LABEL and AGG rules, part count" {
	require_tool bpfwatch
	bad_spec ".bss:f:scalar:" "LABEL is empty"
	bad_spec ".bss:f:scalar:a b" "LABEL contains whitespace"
	bad_spec ".bss:f:scalar:a/b" "LABEL contains a path separator"
	bad_spec '.bss:f:scalar:a\b' "LABEL contains a path separator" '.bss:f:scalar:a\\b'
	bad_spec ".bss:f:scalar:a.b" "LABEL contains '.'"
	bad_spec $'.bss:f:scalar:a\x1bb' "LABEL contains a non-printable" '.bss:f:scalar:a\x1bb'
	bad_spec ".bss:f:gauge:l" "AGG must be one of scalar, counter, percpu, percpu-counter"
	bad_spec ".bss:f:scalar" "four ':'-separated parts"
	bad_spec ".bss:f:scalar:l:x" "four ':'-separated parts"
}

@test "validation: duplicate and colliding labels, bad --expect, no SPEC" {
	require_tool bpfwatch
	run --separate-stderr "$BW" -c 1 .bss:a:scalar:x .data:b:counter:x
	assert_usage_error "spec '.data:b:counter:x'"
	[[ "$stderr" == *"duplicate LABEL"* ]]
	run --separate-stderr "$BW" -c 1 .bss:a:percpu:x .bss:b:scalar:x_max
	assert_usage_error "spec '.bss:b:scalar:x_max'"
	[[ "$stderr" == *"collides"* ]]
	run --separate-stderr "$BW" -c 1 --expect 'a=<3' .bss:a:scalar:x
	assert_usage_error "--expect 'a=<3'"
	run --separate-stderr "$BW" -c 1 --expect 'a<=x' .bss:a:scalar:x
	assert_usage_error "--expect 'a<=x'"
	run --separate-stderr "$BW" -c 1
	assert_usage_error "no SPEC"
}

# --- every AGG against bpftool ------------------------------------------------

# Scalar fields: spec field, label, jq expression over bss_json.
SCALARS=(
	"sys_stat.avg_lat avg_lat .sys_stat.avg_lat"
	"sys_stat.neg neg .sys_stat.neg"
	"sys_stat.u16v u16v .sys_stat.u16v"
	"sys_stat.s64v s64v .sys_stat.s64v"
	"sys_stat.lat.delta delta .sys_stat.lat.delta"
	"sys_stat.lat.flags flags .sys_stat.lat.flags"
	"sys_stat.lat.bias bias .sys_stat.lat.bias"
	"sys_stat.u.word word .sys_stat.u.word"
	"sys_stat.u.bytes[0] byte0 .sys_stat.u.bytes[0]"
	"sys_stat.hist[3] hist3 .sys_stat.hist[3]"
	"sys_stat.anon_a anon_a .sys_stat[\"\"].anon_a"
	"sys_stat.lats[1].max lats1max .sys_stat.lats[1].max"
)

@test "scalar: integers of every width and sign, nested, union, array, anonymous struct match bpftool" {
	need_bpf
	start_loader L --known
	specs=()
	for s in "${SCALARS[@]}"; do
		read -r f l _ <<<"$s"
		specs+=("$BSS:$f:scalar:$l")
	done
	run --separate-stderr "$BW" -j -c 2 -i 50ms "${specs[@]}"
	assert_success
	assert_json_lines "$output"
	echo "$output" >"$D/w.json"
	bss=$(bss_json "$L_bss")
	for s in "${SCALARS[@]}"; do
		read -r f l q <<<"$s"
		want=$(jq -r "$q" <<<"$bss")
		got=$(json_num "$D/w.json" "test_bpf_$l")
		[ -n "$want" ] && [ "$want" != null ] || fail "bpftool has no $q"
		num_eq "$got" "$want" || fail "$f: bpfwatch $got, bpftool $want"
	done
}

@test "scalar: bool, enum and signed/unsigned bitfields match bpftool and BTF" {
	need_bpf
	start_loader L --known
	run --separate-stderr "$BW" -j -c 1 "$BSS:sys_stat.enabled:scalar:en" \
		"$BSS:sys_stat.mode:scalar:mode" "$BSS:sys_stat.prio:scalar:prio" \
		"$BSS:sys_stat.cls:scalar:cls" "$BSS:sys_stat.big:scalar:big" \
		"$BSS:sys_stat.sfield:scalar:sf"
	assert_success
	echo "$output" >"$D/w.json"
	bss=$(bss_json "$L_bss")
	[ "$(jq -r .sys_stat.enabled <<<"$bss")" = true ]
	num_eq "$(json_num "$D/w.json" test_bpf_en)" 1
	# enum: bpftool prints the name; its value comes from the map's BTF.
	name=$(jq -r .sys_stat.mode <<<"$bss")
	btf=$(bpftool map show id "$L_bss" -j | jq .btf_id)
	val=$(bpftool btf dump id "$btf" | grep -o "'$name' val=[0-9-]*" | head -1 | cut -d= -f2)
	[ -n "$val" ] || fail "enum $name not in BTF"
	num_eq "$(json_num "$D/w.json" test_bpf_mode)" "$val"
	# bitfields: bpftool prints the raw bits in hex.
	for l in prio cls big; do
		want=$(( $(jq -r ".sys_stat.$l" <<<"$bss") ))
		num_eq "$(json_num "$D/w.json" "test_bpf_$l")" "$want" || fail "$l"
	done
	raw=$(( $(jq -r .sys_stat.sfield <<<"$bss") ))   # 4-bit two's complement
	[ "$raw" -ge 8 ] && raw=$((raw - 16))
	num_eq "$(json_num "$D/w.json" test_bpf_sf)" "$raw"
}

@test "counter: u64 above 2^63 is exact (bpftool raw bytes); .data and .rodata maps work" {
	need_bpf
	start_loader L --known --version 77
	run --separate-stderr "$BW" -j -c 2 -i 20ms "$BSS:lat_headroom:counter:hr" \
		"test_bpf.data:data_magic:scalar:magic" "test_bpf.rodata:cfg_version:scalar:ver"
	assert_success
	echo "$output" >"$D/w.json"
	btf=$(bpftool map show id "$L_bss" -j | jq .btf_id)
	off=$(bpftool btf dump id "$btf" | grep -A5 "DATASEC '.bss'" | grep "VAR 'lat_headroom'" |
		sed 's/.*offset=\([0-9]*\).*/\1/')
	hex=$(bpftool map dump id "$L_bss" -j | jq -r ".[0].value[$off:$((off + 8))] | reverse | map(.[2:]) | join(\"\")")
	want=$(printf '%u' "0x$hex")
	[ "$(json_num "$D/w.json" test_bpf_hr)" = "$want" ]
	num_eq "$(json_num "$D/w.json" test_bpf_hr_rate)" 0
	want=$(bpftool map dump id "$L_data" -j | jq '.[0].formatted.value[".data"][0].data_magic')
	num_eq "$(json_num "$D/w.json" test_bpf_magic)" "$want"
	want=$(bpftool map dump id "$L_rodata" -j | jq '.[0].formatted.value[".rodata"][0].cfg_version')
	[ "$want" = 77 ]
	num_eq "$(json_num "$D/w.json" test_bpf_ver)" "$want"
}

@test "percpu and percpu-counter: cross-CPU mean, max and sum over all possible CPUs match bpftool" {
	need_bpf
	start_loader L --known
	run --separate-stderr "$BW" -j -c 2 -i 20ms cpu_ctx_stor:util:percpu:util \
		cpu_ctx_stor:slack:percpu:slack cpu_ctx_stor:nr_switch:percpu-counter:sw
	assert_success
	echo "$output" >"$D/w.json"
	dump=$(bpftool map dump id "$L_pcpu" -j | jq -c '.[0].formatted.values')
	ncpu=$(jq length <<<"$dump")
	jq -se "map(select(.event == \"bind\") | .cpus == $ncpu) | all and length == 3" "$D/w.json" ||
		fail "bind events do not say $ncpu cpus"
	s=$(grep '"summary"' "$D/w.json")
	[ "$(jq '.test_bpf_util_avg' <<<"$s")" = "$(jq '[.[].value.util] | add / length' <<<"$dump")" ]
	[ "$(jq '.test_bpf_util_max' <<<"$s")" = "$(jq '[.[].value.util] | max' <<<"$dump")" ]
	[ "$(jq '.test_bpf_slack_avg' <<<"$s")" = "$(jq '[.[].value.slack] | add / length' <<<"$dump")" ]
	[ "$(jq '.test_bpf_slack_max' <<<"$s")" = "$(jq '[.[].value.slack] | max' <<<"$dump")" ]
	[ "$(jq '.test_bpf_sw' <<<"$s")" = "$(jq '[.[].value.nr_switch] | add' <<<"$dump")" ]
}

@test "live counters: bpftool before <= bpfwatch last <= bpftool after; mean of ticks is the run value" {
	need_bpf
	start_loader L
	b0=$(bss_json "$L_bss" | jq .sys_stat.nr_sched)
	p0=$(bpftool map dump id "$L_pcpu" -j | jq '[.[0].formatted.values[].value.nr_switch] | add')
	run --separate-stderr "$BW" -j -c 5 -i 100ms "$BSS:sys_stat.nr_sched:counter:n" \
		cpu_ctx_stor:nr_switch:percpu-counter:sw "$BSS:sys_stat.avg_lat:scalar:lat"
	assert_success
	b1=$(bss_json "$L_bss" | jq .sys_stat.nr_sched)
	p1=$(bpftool map dump id "$L_pcpu" -j | jq '[.[0].formatted.values[].value.nr_switch] | add')
	s=$(grep '"summary"' <<<"$output")
	n=$(jq .test_bpf_n <<<"$s")
	sw=$(jq .test_bpf_sw <<<"$s")
	[ "$b0" -le "$n" ] && [ "$n" -le "$b1" ] || fail "nr_sched $b0 <= $n <= $b1"
	[ "$p0" -le "$sw" ] && [ "$sw" -le "$p1" ] || fail "nr_switch $p0 <= $sw <= $p1"
	[ "$b1" -gt "$b0" ] || fail "the test program did not run"
	jq -e '.test_bpf_n_rate > 0' <<<"$s"
	mean=$(grep '"sample"' <<<"$output" | jq -s '[.[].test_bpf_lat] | add / length')
	jq -e --argjson m "$mean" '(.test_bpf_lat - $m) | fabs < 0.001' <<<"$s"
	last=$(grep '"sample"' <<<"$output" | tail -1 | jq .test_bpf_n)
	[ "$last" = "$n" ]
}

@test "mmap mode and lookup mode read the same values and say which mode" {
	need_bpf
	start_loader L --known
	specs=("$BSS:sys_stat.avg_lat:scalar:a" "$BSS:sys_stat.big:scalar:b"
	       "$BSS:sys_stat.lat.bias:scalar:c" "$BSS:lat_headroom:counter:d")
	run --separate-stderr "$BW" -j -c 1 "${specs[@]}"
	assert_success
	mm=$(grep '"summary"' <<<"$output" | jq -c 'del(.ts_ns)')
	[ "$(grep -c '"mode":"mmap"' <<<"$output")" -eq 4 ]
	run --separate-stderr "$BW" -j -c 1 --no-mmap "${specs[@]}"
	assert_success
	lk=$(grep '"summary"' <<<"$output" | jq -c 'del(.ts_ns)')
	[ "$(grep -c '"mode":"lookup"' <<<"$output")" -eq 4 ]
	[ "$mm" = "$lk" ]
}

# --- lazy attach, rebind, ambiguity ------------------------------------------------

@test "lazy attach: bpfwatch started first binds when the object loads" {
	need_bpf
	"$BW" -j --summary -i 100ms "$BSS:sys_stat.nr_sched:counter:n" >"$D/w.json" 2>"$D/w.err" &
	WPIDS+=($!)
	wait_until 20 grep -q '"event":"waiting"' "$D/w.json" || fail "no waiting event: $(cat "$D/w.err")"
	start_loader L
	wait_until 20 eval '[ "$(grep -c "\"test_bpf_n\":" "$D/w.json")" -ge 3 ]' ||
		fail "no values after the load: $(cat "$D/w.json" "$D/w.err")"
	stop_clean TERM "${WPIDS[0]}" "$D/w.json" "$D/w.err"
	jq_any "$D/w.json" "select(.event == \"bind\") | .map_id == $L_bss"
	grep -q '"test_bpf_n":' "$D/w.json"
	# no values before the bind event, values after it
	first_bind=$(grep -n '"event":"bind"' "$D/w.json" | cut -d: -f1)
	! head -n "$first_bind" "$D/w.json" | grep -q '"test_bpf_n":'
	jq_any "$D/w.json" 'select(.type == "summary") | .test_bpf_n > 0'
}

@test "rebind: unload and reload gives gone + rebind events to the new map ids" {
	need_bpf
	start_loader L
	"$BW" -j -i 50ms --rescan 100ms "$BSS:sys_stat.nr_sched:counter:n" \
		cpu_ctx_stor:nr_switch:percpu-counter:sw test_bpf.rodata:cfg_version:scalar:v \
		>"$D/w.json" 2>"$D/w.err" &
	WPIDS+=($!)
	wait_until 20 grep -q '"test_bpf_n":' "$D/w.json" || fail "no samples: $(cat "$D/w.err")"
	old_bss=$L_bss old_pcpu=$L_pcpu old_ro=$L_rodata
	kill -USR1 "$L_pid"
	wait_until 20 ready_count L 2 || fail "loader did not reload"
	read -r _ b _ r p < <(grep '^ready' "$D/L.out" | tail -1)
	wait_until 20 eval '[ "$(grep -c "\"event\":\"rebind\"" "$D/w.json")" -ge 3 ]' ||
		fail "not rebound: $(grep -v sample "$D/w.json")"
	stop_clean TERM "${WPIDS[0]}" "$D/w.json" "$D/w.err"
	for pair in "n $old_bss $b" "sw $old_pcpu $p" "v $old_ro $r"; do
		read -r l o n <<<"$pair"
		jq_any "$D/w.json" "select(.event == \"gone\" and .label == \"$l\") | .map_id == $o" ||
			fail "no gone event for $l"
		jq_any "$D/w.json" "select(.event == \"rebind\" and .label == \"$l\") |
			.map_id == $n and .old_map_id == $o" || fail "no rebind for $l"
	done
	# freed once the old program's deferred cleanup has run
	wait_until 5 eval "! bpftool map show id $old_bss >/dev/null 2>&1" || fail "old map still held"
}

@test "ambiguity: two matching maps is one error naming both; --map-id picks one" {
	need_bpf
	start_loader A
	start_loader B
	run --separate-stderr "$BW" -c 1 "$BSS:sys_stat.avg_lat:scalar:a"
	assert_usage_error "2 maps end with '$BSS'"
	[[ "$stderr" == *"id $A_bss"* && "$stderr" == *"id $B_bss"* ]]
	run --separate-stderr "$BW" -c 1 --obj test_bpf "$BSS:sys_stat.avg_lat:scalar:a"
	assert_usage_error "--map-id"
	run --separate-stderr "$BW" -j -c 1 --map-id "$B_bss" "$BSS:sys_stat.avg_lat:scalar:a"
	assert_success
	echo "$output" >"$D/w.json"
	jq_any "$D/w.json" "select(.event == \"bind\") | .map_id == $B_bss"
}

@test "field errors: missing member, struct leaf, array without subscript, range, AGG vs map kind" {
	need_bpf
	start_loader L --known
	for c in "sys_stat.nope|has no member 'nope'" "nosuch|has no variable 'nosuch'" \
		 "sys_stat.lat|struct tw_lat" "sys_stat.hist|add a subscript" \
		 "sys_stat.hist[8]|out of range" "sys_stat.avg_lat.x|has no members"; do
		run --separate-stderr "$BW" -c 1 "$BSS:${c%%|*}:scalar:x"
		assert_usage_error "spec '$BSS:${c%%|*}:scalar:x'"
		[[ "$stderr" == *"${c#*|}"* ]] || fail "want '${c#*|}': $stderr"
	done
	run --separate-stderr "$BW" -c 1 cpu_ctx_stor:util:scalar:x
	assert_usage_error "use percpu or percpu-counter"
	run --separate-stderr "$BW" -c 1 "$BSS:sys_stat.neg:percpu:x"
	assert_usage_error "use scalar or counter"
}

@test "--expect: holds -> 0, violated -> 3, never sampled -> 3" {
	need_bpf
	start_loader L --known
	run --separate-stderr "$BW" -c 1 --expect 'avg_lat==123456789' \
		--expect 'test_bpf_sw>=3' --expect 'util_max<=1000000' \
		"$BSS:sys_stat.avg_lat:scalar:avg_lat" cpu_ctx_stor:nr_switch:percpu-counter:sw \
		cpu_ctx_stor:util:percpu:util
	assert_success
	run --separate-stderr "$BW" -c 1 --expect 'avg_lat<100' "$BSS:sys_stat.avg_lat:scalar:avg_lat"
	assert_equal "$status" 3
	[[ "$stderr" == *"expect 'avg_lat<100' failed"* ]]
	run --separate-stderr "$BW" -c 1 --expect 'nothere>1' "$BSS:sys_stat.avg_lat:scalar:avg_lat"
	assert_equal "$status" 3
	[[ "$stderr" == *"never sampled"* ]]
}

@test "--list: offsets agree with bpftool btf dump; JSON form" {
	need_bpf
	start_loader L --known
	run --separate-stderr "$BW" --list "$BSS"
	assert_success
	btf=$(bpftool map show id "$L_bss" -j | jq .btf_id)
	off=$(bpftool btf dump id "$btf" | grep -A5 "DATASEC '.bss'" | grep "VAR 'lat_headroom'" |
		sed 's/.*offset=\([0-9]*\).*/\1/')
	assert_line --regexp "^lat_headroom +$off +8 "
	assert_line --regexp "^sys_stat\\.lat\\.delta .* s16$"
	assert_line --regexp "^sys_stat\\.prio .* u32:3$"
	run --separate-stderr "$BW" -j --list cpu_ctx_stor
	assert_success
	assert_json_lines "$output"
	[ "$(jq -s 'map(.field) | join(",")' <<<"$output")" = '"nr_switch,util,slack"' ]
	run --separate-stderr "$BW" --list no_such_map_x
	assert_equal "$status" 1
}

@test "stdout closed early and SIGTERM: quiet exit 0, summary on --summary" {
	need_bpf
	start_loader L
	run --separate-stderr bash -c "'$BW' -i 10ms '$BSS:sys_stat.nr_sched:counter:n' | head -1"
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	"$BW" -j --summary -i 50ms "$BSS:sys_stat.nr_sched:counter:n" >"$D/w.json" 2>"$D/w.err" &
	pid=$!
	WPIDS+=($pid)
	wait_until 5 grep -q '"sample"' "$D/w.json"
	kill -TERM "$pid"
	wait "$pid"
	jq_any "$D/w.json" 'select(.type == "summary") | .test_bpf_n > 0'
	[ ! -s "$D/w.err" ]
}
