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
	read -r _ st ar ha ra us hk < <(grep '^keyed' "$out" | tail -1)
	eval "${name}_stats=$st ${name}_arr=$ar ${name}_hash=$ha ${name}_raw=$ra ${name}_user=$us ${name}_hkey=$hk"
}

# lookup_raw ID KEY: bpftool's raw value bytes of map ID at the u32 KEY
# (per-CPU maps: one array per CPU), as JSON.
lookup_raw() {
	local k=$2
	bpftool map lookup id "$1" key $((k & 255)) $((k >> 8 & 255)) $((k >> 16 & 255)) $((k >> 24 & 255)) -j |
		jq -c 'if .values then [.values[].value] else .value end'
}

# le_uint BYTES OFF SIZE / le_int ...: the little-endian integer at OFF in a
# JSON array of bpftool's "0x.." bytes, exact in 64 bits.
le_uint() {
	printf '%u' "0x$(jq -r ".[$2:$(($2 + $3))] | reverse | map(.[2:]) | join(\"\")" <<<"$1")"
}
le_int() {
	local u bits=$(($3 * 8))
	u=$(le_uint "$@")
	if [ "$bits" -eq 64 ]; then
		echo $((u))
	elif [ "$u" -ge $((1 << (bits - 1))) ]; then
		echo $((u - (1 << bits)))
	else
		echo "$u"
	fi
}

# pcpu_sum ID KEY: sum over all possible CPUs of the u64 at KEY (bpftool).
pcpu_sum() {
	local sum=0 v
	while read -r v; do
		sum=$((sum + $(le_uint "$v" 0 8)))
	done < <(lookup_raw "$1" "$2" | jq -c '.[]')
	echo "$sum"
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

@test "validation: MAP_SUFFIX[KEY] and value+OFF/TYPE rules" {
	require_tool bpfwatch
	bad_spec "stats[-1]:value:scalar:l" "KEY is negative"
	bad_spec "stats[x]:value:scalar:l" "KEY is not a non-negative integer"
	bad_spec "stats[0x]:value:scalar:l" "KEY is not a non-negative integer"
	bad_spec "stats[18446744073709551616]:value:scalar:l" "below 2^64"
	bad_spec "stats[]:value:scalar:l" "KEY in MAP_SUFFIX[KEY] is empty"
	bad_spec "stats[1:value:scalar:l" "unclosed '['"
	bad_spec "stats[1]x:value:scalar:l" "text after ']'"
	bad_spec "s]x:value:scalar:l" "']' without '['"
	bad_spec "[1]:value:scalar:l" "MAP_SUFFIX is empty"
	bad_spec "abcdefghijklmnop[1]:value:scalar:l" "longer than 15 bytes"
	bad_spec "m:value+:scalar:l" "needs a /TYPE"
	bad_spec "m:value+4:scalar:l" "needs a /TYPE"
	bad_spec "m:value+/u8:scalar:l" "empty or overlong OFF"
	bad_spec "m:value+-1/u8:scalar:l" "OFF is not a byte offset"
	bad_spec "m:value+2147483648/u8:scalar:l" "OFF is not a byte offset"
	bad_spec "m:value+0/u128:scalar:l" "TYPE must be u8, u16, u32, u64, s8, s16, s32 or s64"
	bad_spec "m:value+0/u8/u8:scalar:l" "TYPE must be"
	bad_spec "m:value/x:scalar:l" "FIELD contains a path separator"
	run --separate-stderr "$BW" --list 'stats[1]'
	assert_usage_error "--list 'stats[1]'"
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

# --- keyed maps: MAP_SUFFIX[KEY] -------------------------------------------------

@test "keys: per-CPU array without BTF (scx_simple's stats) at index 0 and 1 match bpftool" {
	need_bpf
	start_loader L --known
	# declared with key_size/value_size only: the kernel keeps no BTF for it
	[ "$(bpftool map show id "$L_stats" -j | jq '.btf_id // 0')" = 0 ] || fail "tw_stats has BTF"
	run --separate-stderr "$BW" -j -c 2 -i 20ms "tw_stats[0]:value:percpu-counter:local" \
		"tw_stats[1]:value:percpu-counter:global" "tw_stats[1]:value:percpu:g"
	assert_success
	echo "$output" >"$D/w.json"
	s=$(grep '"summary"' "$D/w.json")
	[ "$(jq .test_bpf_local <<<"$s")" = "$(pcpu_sum "$L_stats" 0)" ]
	[ "$(jq .test_bpf_global <<<"$s")" = "$(pcpu_sum "$L_stats" 1)" ]
	vals=$(lookup_raw "$L_stats" 1 | jq -c '[.[] | map(.[2:]) | reverse | join("") | "0x" + .]')
	ncpu=$(jq length <<<"$vals")
	max=0 sum=0
	for v in $(jq -r '.[]' <<<"$vals"); do
		sum=$((sum + v))
		[ $((v)) -gt "$max" ] && max=$((v))
	done
	num_eq "$(jq .test_bpf_g_max <<<"$s")" "$max"
	num_eq "$(jq .test_bpf_g_avg <<<"$s")" "$(jq -n "$sum / $ncpu")"
	jq_any "$D/w.json" "select(.event == \"bind\" and .label == \"global\") |
		.map_id == $L_stats and .map_key == 1 and .ctype == \"u64\" and .cpus == $ncpu"
}

@test "keys: u64 array at several indexes, mmap and lookup, match bpftool; no KEY is key 0" {
	need_bpf
	start_loader L --known
	specs=("tw_arr[0]:value:scalar:a0" "tw_arr[3]:value:scalar:a3" "tw_arr[7]:value:counter:a7"
	       "$BSS[0]:sys_stat.avg_lat:scalar:k0" "$BSS:sys_stat.avg_lat:scalar:nok")
	run --separate-stderr "$BW" -j -c 1 "${specs[@]}"
	assert_success
	mm=$(grep '"summary"' <<<"$output" | jq -c 'del(.ts_ns)')
	[ "$(grep -c '"mode":"mmap"' <<<"$output")" -eq 5 ]
	# an unkeyed spec's bind event is as before: no map_key
	grep '"label":"nok"' <<<"$output" | grep -v -q map_key
	run --separate-stderr "$BW" -j -c 1 --no-mmap "${specs[@]}"
	assert_success
	[ "$(grep -c '"mode":"lookup"' <<<"$output")" -eq 5 ]
	[ "$(grep '"summary"' <<<"$output" | jq -c 'del(.ts_ns)')" = "$mm" ]
	for k in 0 3 7; do
		want=$(le_uint "$(lookup_raw "$L_arr" $k)" 0 8)
		got=$(echo "$output" | grep '"sample"' | grep -o "\"test_bpf_a$k\":[0-9]*" | cut -d: -f2)
		[ "$got" = "$want" ] || fail "tw_arr[$k]: bpfwatch $got, bpftool $want"
	done
	[ "$(jq .test_bpf_k0 <<<"$mm")" = "$(jq .test_bpf_nok <<<"$mm")" ]
}

@test "keys: integer-keyed hash matches bpftool; an absent key is never sampled" {
	need_bpf
	start_loader L
	run --separate-stderr "$BW" -j -c 1 "tw_hash[7]:value:scalar:h7" \
		"tw_hash[1000]:value:counter:h1000" "tw_hash[0xdeadbeef]:value:scalar:hd" \
		"tw_hash[5]:value:scalar:h5"
	assert_success
	samp=$(grep '"sample"' <<<"$output")
	for k in 7 1000 0xdeadbeef; do
		want=$(bpftool map lookup id "$L_hash" key $((k & 255)) $((k >> 8 & 255)) \
			$((k >> 16 & 255)) $((k >> 24 & 255)) -j | jq -c .value)
		want=$(le_uint "$want" 0 8)
		l=$k
		[ "$k" = 0xdeadbeef ] && l=d
		got=$(grep -o "\"test_bpf_h$l\":[0-9]*" <<<"$samp" | cut -d: -f2)
		[ "$got" = "$want" ] || fail "tw_hash[$k]: bpfwatch $got, bpftool $want"
	done
	! bpftool map lookup id "$L_hash" key 5 0 0 0 >/dev/null 2>&1 || fail "key 5 is in the map"
	! grep -q test_bpf_h5 <<<"$output"
	run --separate-stderr "$BW" -c 1 --expect 'h5>=0' "tw_hash[5]:value:scalar:h5"
	assert_equal "$status" 3
	[[ "$stderr" == *"never sampled"* ]]
}

# tw_raw value: a u64 @0, cnt u32 @8, h u16 @12, b u8 @14, sb s8 @15, neg s64 @16.
RAWS=("a 0 u64" "cnt 8 u32" "h 12 u16" "b 14 u8" "sb 15 s8" "neg 16 s64" "neg32 20 s32" "h8 13 u8")

@test "no BTF, 24-byte value: value+OFF/TYPE of every width and sign match bpftool's bytes, mmap and lookup" {
	need_bpf
	start_loader L --known
	[ "$(bpftool map show id "$L_raw" -j | jq '.btf_id // 0')" = 0 ] || fail "tw_raw has BTF"
	specs=()
	for k in 1 2; do
		for r in "${RAWS[@]}"; do
			read -r n o t <<<"$r"
			specs+=("tw_raw[$k]:value+$o/$t:scalar:${n}_$k")
		done
	done
	for mode in mmap lookup; do
		opt=()
		[ $mode = lookup ] && opt=(--no-mmap)
		run --separate-stderr "$BW" -j -c 1 "${opt[@]}" "${specs[@]}"
		assert_success
		[ "$(grep -c "\"mode\":\"$mode\"" <<<"$output")" -eq ${#specs[@]} ]
		samp=$(grep '"sample"' <<<"$output")
		for k in 1 2; do
			bytes=$(lookup_raw "$L_raw" $k)
			for r in "${RAWS[@]}"; do
				read -r n o t <<<"$r"
				if [ "${t:0:1}" = s ]; then
					want=$(le_int "$bytes" "$o" $((${t:1} / 8)))
				else
					want=$(le_uint "$bytes" "$o" $((${t:1} / 8)))
				fi
				got=$(grep -o "\"test_bpf_${n}_$k\":-\?[0-9]*" <<<"$samp" | cut -d: -f2)
				[ "$got" = "$want" ] || fail "$mode tw_raw[$k] value+$o/$t: bpfwatch $got, bpftool $want"
			done
		done
	done
}

@test "named map no program uses: object from maps sharing its BTF id, --obj resolves it" {
	need_bpf
	start_loader L
	# peers: no program lists tw_user; it shares the .bss map's BTF object
	! bpftool prog show -j | jq -e "any(.[]; (.map_ids // []) | index($L_user))" >/dev/null ||
		fail "a program uses tw_user"
	[ "$(bpftool map show id "$L_user" -j | jq .btf_id)" = "$(bpftool map show id "$L_bss" -j | jq .btf_id)" ]
	run --separate-stderr "$BW" -j -c 1 --obj test_bpf "tw_user[3]:value:counter:u3" \
		"tw_user[0]:value:counter:u0"
	assert_success
	echo "$output" >"$D/w.json"
	jq_any "$D/w.json" "select(.event == \"bind\" and .label == \"u3\") |
		.map_id == $L_user and .obj == \"test_bpf\" and .key == \"test_bpf_u3\""
	for k in 0 3; do
		want=$(le_uint "$(lookup_raw "$L_user" $k)" 0 8)
		[ "$(json_num "$D/w.json" "test_bpf_u$k")" = "$want" ] || fail "tw_user[$k] != $want"
	done
	run --separate-stderr "$BW" --list tw_user --obj test_bpf
	assert_success
	assert_line --regexp "^map tw_user id $L_user obj test_bpf "
	run --separate-stderr "$BW" -c 1 --obj other_obj "tw_user[3]:value:scalar:u3"
	assert_success
	[[ "$output" == *"event=waiting"* ]] || fail "bound under another --obj: $output"
}

@test "bad keys at bind: past max_entries, struct key, too wide, no BTF fields: one line, exit 2" {
	need_bpf
	start_loader L --known
	for c in "tw_stats[2]:value:percpu:x|past the last index 1 of map tw_stats" \
		 "$BSS[1]:sys_stat.avg_lat:scalar:x|past the last index 0 of map $BSS" \
		 "cpu_ctx_stor[1]:util:percpu:x|past the last index 0" \
		 "tw_hkey[1]:value:scalar:x|has a struct tw_hkey key, not an integer" \
		 "tw_hash[4294967296]:value:scalar:x|does not fit the 4-byte key" \
		 "tw_stats[0]:nosuch:percpu:x|no BTF for its value" \
		 "tw_raw[0]:value:scalar:x|24-byte value; read inside it with value+OFF/TYPE" \
		 "tw_raw[0]:value+20/u64:scalar:x|ends at byte 28, past the 24-byte map value" \
		 "tw_arr[1]:nosuch:scalar:x|the whole value is named 'value'"; do
		run --separate-stderr "$BW" -c 1 "${c%%|*}"
		assert_usage_error "spec '${c%%|*}'"
		[[ "$stderr" == *"${c#*|}"* ]] || fail "want '${c#*|}': $stderr"
	done
	max=$(bpftool map show id "$L_stats" -j | jq .max_entries)
	run --separate-stderr "$BW" -c 1 "tw_stats[$max]:value:percpu:x"
	assert_usage_error "max_entries $max"
	[[ "$stderr" == *"bpfwatch --list tw_stats"* ]]
}

@test "--list: keys, 'value' and no BTF, text and JSON, agree with bpftool" {
	need_bpf
	start_loader L --known
	run --separate-stderr "$BW" --list tw_stats
	assert_success
	n=$(bpftool map show id "$L_stats" -j | jq .max_entries)
	assert_line --regexp "^map tw_stats id $L_stats obj test_bpf type percpu_array value 8B .* keys 0\\.\\.$((n - 1)) max_entries $n no BTF$"
	assert_line --regexp "^value +0 +8 +0:64 +u64$"
	run --separate-stderr "$BW" --list tw_raw
	assert_success
	sz=$(bpftool map show id "$L_raw" -j | jq .bytes_value)
	assert_line --regexp " no BTF$"
	assert_line --regexp "^value\\+OFF/TYPE +0 +$sz .* u8\\[$sz\\]$"
	run --separate-stderr "$BW" --list tw_hash
	assert_success
	assert_line --regexp " keys u32 max_entries 16$"
	run --separate-stderr "$BW" -j --list tw_arr
	assert_success
	assert_json_lines "$output"
	n=$(bpftool map show id "$L_arr" -j | jq .max_entries)
	jq -e --argjson n "$n" '.type == "field" and .field == "value" and .keys == "0..\($n - 1)" and .max_entries == $n and
		.btf == true and .ctype == "u64"' <<<"$output"
	run --separate-stderr "$BW" -j --list tw_stats
	assert_success
	jq -e '.field == "value" and .btf == false and .keys == "0..1"' <<<"$output"
}

@test "live keyed counters: bpftool before <= bpfwatch last <= bpftool after" {
	need_bpf
	start_loader L
	l0=$(pcpu_sum "$L_stats" 0) g0=$(pcpu_sum "$L_stats" 1)
	c0=$(le_uint "$(lookup_raw "$L_raw" 3)" 8 4)
	run --separate-stderr "$BW" -j -c 5 -i 100ms "tw_stats[0]:value:percpu-counter:local" \
		"tw_stats[1]:value:percpu-counter:global" "tw_raw[3]:value+8/u32:counter:cnt"
	assert_success
	l1=$(pcpu_sum "$L_stats" 0) g1=$(pcpu_sum "$L_stats" 1)
	c1=$(le_uint "$(lookup_raw "$L_raw" 3)" 8 4)
	s=$(grep '"summary"' <<<"$output")
	l=$(jq .test_bpf_local <<<"$s") g=$(jq .test_bpf_global <<<"$s") c=$(jq .test_bpf_cnt <<<"$s")
	[ "$l0" -le "$l" ] && [ "$l" -le "$l1" ] || fail "stats[0] $l0 <= $l <= $l1"
	[ "$g0" -le "$g" ] && [ "$g" -le "$g1" ] || fail "stats[1] $g0 <= $g <= $g1"
	[ "$c0" -le "$c" ] && [ "$c" -le "$c1" ] || fail "tw_raw[3].cnt $c0 <= $c <= $c1"
	[ "$l1" -gt "$l0" ] && [ "$c1" -gt "$c0" ] || fail "the test program did not run"
}

# --- lazy attach, rebind, ambiguity ------------------------------------------------

# no_live_map NAME: no loaded map is called NAME (an earlier test's object is
# freed after its loader exits, an RCU grace period or more later).
no_live_map() {
	! bpftool map show -j | jq -e --arg n "$1" 'any(.[]; .name == $n)' >/dev/null
}

@test "lazy attach: bpfwatch started first binds when the object loads" {
	need_bpf
	# an earlier test's object still being freed would be bound at once
	wait_until 30 no_live_map "$BSS" || fail "an earlier $BSS is still loaded"
	"$BW" -j --summary -i 100ms "$BSS:sys_stat.nr_sched:counter:n" >"$D/w.json" 2>"$D/w.err" &
	WPIDS+=($!)
	wait_until 20 grep -q '"event":"waiting"' "$D/w.json" ||
		fail "no waiting event: $(head -3 "$D/w.json") $(cat "$D/w.err")"
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
	jq -se 'all(.type == "field")' <<<"$output"
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
