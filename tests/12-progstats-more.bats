#!/usr/bin/env bats
# progstats issue 18 §1 and §2: who holds run-time stats on, what each program
# is (links, pins, maps, GET_INFO figures) and costs (CPU % of all CPUs, share
# of BPF time, since-start totals, ns/call spread), and the filters and sort.
# Peers: bpftool prog/link/map show -j, /proc/PID/fd, readelf, getconf, the
# values the test set itself (interface, cgroup and bpffs paths), and the
# test programs' own in-map counters.  Never progstats' own figures.

load test_helper
load progstats

setup() {
	progstats_setup
	HOLDER=$(helper stats_holder)
	LINKS=$(helper progstats_links)
	[ -x "$HOLDER" ] && [ -x "$LINKS" ] || skip "test helpers stats_holder/progstats_links not built"
	LPIDS=()
	IF=""
	CG=""
	FS=""
}

teardown() {
	reap "${LPIDS[@]}"
	[ -z "$IF" ] || ip link del "$IF" 2>/dev/null || true
	[ -z "$CG" ] || rmdir "$CG" 2>/dev/null || true
	[ -z "$FS" ] || umount "$FS" 2>/dev/null || true
	host_unlock
}

# start_holder: a process of our own holding BPF_ENABLE_STATS; sets HPID.
start_holder() {
	"$HOLDER" 120 >"$D/holder" 2>&1 &
	HPID=$!
	LPIDS+=("$HPID")
	wait_until 10 grep -q '^ready' "$D/holder" || fail "holder: $(cat "$D/holder")"
	# the peer: the holder's own fd table says it holds stats
	ls -l "/proc/$HPID/fd" | grep -q 'anon_inode:bpf-stats' || fail "holder holds no stats fd"
}

@test "--once names a process holding BPF_ENABLE_STATS: records, text header, Prometheus" {
	start_loader    # programs of our own: a clean machine may have none
	start_holder
	run --separate-stderr "$PS" --once -j
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	# every record lists it, with its comm from /proc
	n=$(jq -s "map(select(.type==\"sample\")) | length" <<<"$output")
	with=$(jq -s "map(select(.type==\"sample\" and any(.stats_holders[]?; .pid==$HPID and .comm==\"stats_holder\"))) | length" <<<"$output")
	[ "$n" -gt 0 ] || fail "no sample records: ${lines[0]}"
	assert_equal "$with" "$n"
	# the sysctl still reads 0 (unless set by someone): stats are on through the fd
	if [ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = 0 ]; then
		assert_equal "$(jq -rs 'map(.stats) | unique | join(",")' <<<"$output")" "held_by_other" ||
			fail "stats: $(head -c 600 <<<"$output")"
		run "$PS" --once -o prom
		assert_success
		grep -qx 'telkit_bpf_prog_stats_enabled 1' <<<"$output" || fail "stats_enabled not 1: $(tail -3 <<<"$output")"
	fi
	run "$PS" --once --top 1
	assert_success
	[[ "${lines[0]}" == *" holders="*"stats_holder($HPID)"* ]] || fail "header: ${lines[0]}"
	# gone: no longer named
	kill -TERM "$HPID"
	wait "$HPID" || true
	run "$PS" --once -j
	assert_success
	! grep -q "\"pid\":$HPID," <<<"$output" || fail "a gone holder is still named"
}

# (LeakSanitizer cannot run under ptrace: leak checks are off for the strace runs)
@test "--once with stats off does not look for holders (its iterator's own run count says off)" {
	require_cmd strace
	start_loader    # programs of our own: a clean machine may have none
	grep -q '"stats":"not_enabled"' <<<"$("$PS" --once -j --top 1)" || skip "stats are on (held elsewhere)"
	run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=readlinkat,openat,bpf -o "$D/st" "$PS" --once -j --top 1
	assert_success
	! grep -q 'readlinkat(' "$D/st" || fail "scanned /proc: $(grep -c 'readlinkat(' "$D/st") readlinkat calls"
	# with a holder the same run looks (its task_file iterator: one more
	# BPF_ITER_CREATE), and finds it
	n0=$(grep -c 'BPF_ITER_CREATE' "$D/st")
	start_holder
	run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -e trace=readlinkat,openat,bpf -o "$D/st" "$PS" --once -j --top 1
	assert_success
	grep -q "\"pid\":$HPID," <<<"$output" || fail "holder not named: $output"
	[ "$(grep -c 'BPF_ITER_CREATE' "$D/st")" -gt "$n0" ] || grep -q 'readlinkat(' "$D/st" ||
		fail "found the holder without looking"
}

@test "a sampling run names the other holder in its header, not itself" {
	start_holder
	run "$PS" -i 100ms -c 1 --top 1
	assert_success
	[[ "${lines[0]}" == *"stats=held holders="*"stats_holder($HPID)"* ]] || fail "header: ${lines[0]}"
	[[ "${lines[0]}" != *"progstats("* ]] || [[ "$(pgrep -x progstats | wc -l)" -gt 0 ]] ||
		fail "progstats names itself: ${lines[0]}"
}

# start_links: a veth pair, a cgroup and a bpffs of our own, the links helper
# on them; sets XDP CGP UPR PIN (program ids) and OUT.
start_links() {
	local cg2
	IF=pst$$
	ip link add "$IF" type veth peer name "${IF}p" 2>/dev/null || skip "cannot create a veth pair"
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -n "$cg2" ] || skip "no cgroup2 mount"
	CG=$cg2/telkit-pst$$
	mkdir "$CG"
	FS=$D/bpffs
	mkdir -p "$FS"
	mount -t bpf bpf "$FS" || skip "cannot mount a bpf filesystem"
	"$LINKS" "$IF" "$CG" "$FS" 120 >"$D/links" 2>&1 &
	LPIDS+=("$!")
	wait_until 20 grep -q '^ready' "$D/links" || fail "links helper: $(cat "$D/links")"
	read -r XDP CGP UPR PIN < <(sed -n 's/^ready xdp=\([0-9]*\) cgroup=\([0-9]*\) uprobe=\([0-9]*\) pinned=\([0-9]*\)$/\1 \2 \3 \4/p' "$D/links")
	[ -n "$PIN" ] || fail "ready line: $(cat "$D/links")"
	OUT=$("$PS" --once -j --name-re '^pslk_' --wide)
}

rec() { jq -c "select(.id==$1)" <<<"$OUT"; }

@test "--wide: links, link ids and types as bpftool link show has them; targets as the test set them" {
	start_links
	bl=$(bpftool link show -j)
	for id in "$XDP" "$CGP" "$UPR"; do
		want=$(jq -c "[.[] | select(.prog_id==$id) | {id, type}] | sort_by(.id)" <<<"$bl")
		got=$(rec "$id" | jq -c '[.links[] | {id, type}] | sort_by(.id)')
		assert_equal "$got" "$want"
		assert_equal "$(rec "$id" | jq .link_count)" "$(jq "[.[] | select(.prog_id==$id)] | length" <<<"$bl")"
	done
	assert_equal "$(rec "$XDP" | jq -r '.links[0].target')" "$IF"
	assert_equal "$(rec "$XDP" | jq -r '.links[0].pinned')" "$FS/xdp_link"
	assert_equal "$(rec "$CGP" | jq -r '.links[0].target')" "$CG"
	assert_equal "$(rec "$CGP" | jq -r '.links[0].attach_type')" \
		"$(jq -r ".[] | select(.prog_id==$CGP) | .attach_type" <<<"$bl")"
	# the uprobe: the file offset of pslk_target, from readelf's symbol and segments
	vaddr=$((16#$(readelf -sW "$LINKS" | awk '$8 == "pslk_target" { print $2; exit }')))
	off=""
	while read -r _ o a _ s _; do
		if [ "$vaddr" -ge $((a)) ] && [ "$vaddr" -lt $((a + s)) ]; then
			off=$(printf '0x%x' $((vaddr - a + o)))
			break
		fi
	done < <(readelf -lW "$LINKS" | awk '$1 == "LOAD"')
	[ -n "$off" ] || fail "pslk_target not in a LOAD segment"
	assert_equal "$(rec "$UPR" | jq -r '.links[0].attach_type + " " + .links[0].target')" \
		"uprobe /proc/self/exe:$off"
	# held by a pin only: no link, its pin as bpftool prog show -f has it
	assert_equal "$(rec "$PIN" | jq -c .links)" "[]"
	assert_equal "$(rec "$PIN" | jq -c .pinned)" \
		"$(bpftool prog show -f -j | jq -c ".[] | select(.id==$PIN) | .pinned")"
	assert_equal "$(rec "$PIN" | jq -r .pinned[0])" "$FS/prog"
	# the table shows them on demand only
	run "$PS" --once --name-re '^pslk_'
	[[ "$output" != *"$IF"* ]] || fail "default table shows attach points"
	run "$PS" --once --name-re '^pslk_' --fields links,pinned
	[[ "$output" == *"xdp:$IF"* && "$output" == *"cgroup:cgroup_inet_egress:$CG"* && "$output" == *"$FS/prog"* ]] ||
		fail "--fields links,pinned: $output"
}

@test "--wide: sizes, memlock, insns, load time, uid, maps and their memlock as bpftool has them" {
	start_links
	bp=$(bpftool prog show -j)
	bm=$(bpftool map show -j)
	for id in "$XDP" "$CGP" "$UPR" "$PIN"; do
		p=$(jq -c ".[] | select(.id==$id)" <<<"$bp")
		r=$(rec "$id")
		for k in bytes_xlated bytes_jited bytes_memlock uid; do
			assert_equal "$(jq ".$k" <<<"$r")" "$(jq ".$k // 0" <<<"$p")"
		done
		la=$(jq .loaded_at <<<"$r")
		bl=$(jq .loaded_at <<<"$p")
		[ $((la - bl)) -ge -1 ] && [ $((la - bl)) -le 1 ] || fail "loaded_at $la vs bpftool $bl"
		assert_equal "$(jq .map_count <<<"$r")" "$(jq '.map_ids // [] | length' <<<"$p")"
		mm=$(jq "[.map_ids // [] | .[]] as \$ids | [\$ids[] as \$i | (\$m[] | select(.id==\$i) | .bytes_memlock)] | add // 0" --argjson m "$bm" <<<"$p")
		assert_equal "$(jq .map_memlock <<<"$r")" "$mm"
		[ "$(jq .verified_insns <<<"$r")" -gt 0 ] || fail "verified_insns 0 for $id"
	done
	# the run's total: the distinct maps of the programs shown
	ids=$(jq -s '[.[].id]' <<<"$OUT")
	want=$(jq "[.[] | select(.id as \$i | $ids | index(\$i)) | .map_ids // [] | .[]] | unique | length" <<<"$bp")
	assert_equal "$(jq -s '.[0].maps_total' <<<"$OUT")" "$want"
	run "$PS" --once --name-re '^pslk_' --fields map_memlock
	[[ "${lines[0]}" == *" maps=$want map_memlock="* ]] || fail "header: ${lines[0]}"
}

bursts_done() { [ "$(grep -c '^burst ' "$LOUT")" -ge "$1" ]; }
samples() { grep -c '"type":"sample"' "$D/ps.out"; }
more_samples() { [ "$(samples)" -gt "$1" ]; }

@test "--wide over a run: CPU % of all CPUs, BPF share, since-start totals and ns/call spread" {
	start_loader -n 4000
	"$PS" -j -v -i 200ms --id "$COUNT_ID" --fields cpu_pct_norm,bpf_share_pct,since_cnt,ns_per_call_min,ns_per_call_p50,ns_per_call_p99,ns_per_call_max \
		>"$D/ps.out" 2>"$D/ps.err" &
	pid=$!
	LPIDS+=("$pid")
	wait_until 20 grep -q '^progstats: sample 1:' "$D/ps.err" || fail "no first pass: $(cat "$D/ps.err")"
	for b in 1 2; do
		kill -USR1 "$LPID"
		wait_until 20 bursts_done "$b" || fail "no burst: $(cat "$LOUT")"
	done
	counter=$(sed -n 's/^burst counter=//p' "$LOUT" | tail -1)
	n=$(samples)
	wait_until 10 more_samples $((n + 1)) || fail "no sample after the bursts"
	kill -INT "$pid"
	wait "$pid"
	last=$(jq -c "select(.type==\"sample\")" "$D/ps.out" | tail -1)
	# since the start: the program's own in-map count of its runs (both bursts)
	assert_equal "$(jq .since_cnt <<<"$last")" "$counter"
	ncpu=$(getconf _NPROCESSORS_ONLN)
	jq -se --argjson c "$ncpu" 'map(select(.type=="sample")) |
		all((.cpu_pct_norm * $c - .cpu_pct) | fabs < 1e-6) and
		all(.period_cnt == 0 or (.bpf_share_pct - 100 | fabs) < 1e-6)' "$D/ps.out" >/dev/null ||
		fail "cpu_pct_norm or bpf_share_pct: $(tail -2 "$D/ps.out")"
	# min/max over the run's periods with runs; min <= p50 <= p99 <= max
	jq -se 'map(select(.type=="sample" and .period_cnt > 0) | .period_ns_per_call) as $v |
		(map(select(.type=="sample")) | last) as $l |
		($l.ns_per_call_min - ($v|min) | fabs) < 1e-6 and ($l.ns_per_call_max - ($v|max) | fabs) < 1e-6 and
		$l.ns_per_call_min <= $l.ns_per_call_p50 and $l.ns_per_call_p50 <= $l.ns_per_call_p99 and
		$l.ns_per_call_p99 <= $l.ns_per_call_max' "$D/ps.out" >/dev/null || fail "spread: $last"
}

@test "raw_tracepoint and struct_ops links name their tracepoint and map as bpftool does" {
	start_loader -a -o
	bl=$(bpftool link show -j)
	out=$("$PS" --once -j --fields links)
	tp=$(jq -r ".[] | select(.prog_id==$COUNT_ID and .type==\"raw_tracepoint\") | .tp_name" <<<"$bl")
	[ -n "$tp" ] || skip "no raw_tracepoint link for $COUNT_ID"
	assert_equal "$(jq -r "select(.id==$COUNT_ID) | .links[] | select(.type==\"raw_tracepoint\") | .target" <<<"$out")" "$tp"
	# struct_ops: the link holds the map, not a program; the map of the test
	# object (bpftool map show: its BTF id) names the ops programs' link
	name=$(bpftool map show -j | jq -r ".[] | select(.type==\"struct_ops\" and .btf_id==$OPS_BTF) | .name")
	[ -n "$name" ] || fail "no struct_ops map of BTF $OPS_BTF"
	ops=$(jq -c "select(.prog_type==\"struct_ops\" and (.name | startswith(\"progstats_ca_\")))" <<<"$out")
	assert_equal "$(jq -s length <<<"$ops")" 4
	assert_equal "$(jq -r '.links[] | select(.type=="struct_ops") | .target' <<<"$ops" | sort -u)" "$name"
	lids=$(jq -c '[.[] | select(.type=="struct_ops") | .id]' <<<"$bl")
	jq -e --argjson l "$lids" '.links[] | select(.type=="struct_ops") | .id as $i | $l | index($i)' <<<"$ops" >/dev/null ||
		fail "struct_ops link not in bpftool's: $lids"
}

@test "--name-re, --where, --comm select what the peers select; --sort by several keys" {
	start_loader -s -b 30
	bp=$(bpftool prog show -j)
	want=$(jq -c '[.[] | select(.name | test("^pstest_1[0-9]$")) | .id] | sort' <<<"$bp")
	got=$("$PS" --once -j --name-re '^pstest_1[0-9]$' | jq -sc '[.[].id] | sort')
	assert_equal "$got" "$want"
	# a numeric predicate on a new field, against bpftool's figure
	want=$(jq -c "[.[] | select(.id >= $BULK_FIRST and .id <= $BULK_LAST and .bytes_xlated > 8) | .id] | sort" <<<"$bp")
	got=$("$PS" --once -j --name pstest_ --where 'bytes_xlated>8' --where "id>=$BULK_FIRST" --where "id<=$BULK_LAST" | jq -sc '[.[].id] | sort')
	assert_equal "$got" "$want"
	got=$("$PS" --once -j --name pstest_ --where 'bytes_xlated > 1000000' | jq -sc length)
	assert_equal "$got" 0
	# holder comm: the programs the loader (comm progstats_load) holds, from its fdinfo
	[ "$(cat /proc/"$LPID"/comm)" = progstats_load ] || fail "loader comm"
	want=$(cat /proc/"$LPID"/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' |
		awk -v a="$BULK_FIRST" -v b="$BULK_LAST" '$1 >= a && $1 <= b' | sort -un | jq -sc 'sort')
	# (only this test's programs: another run's loaders may hide in another pid namespace)
	got=$("$PS" --once -j --comm PROGSTATS_LO --where "id>=$BULK_FIRST" --where "id<=$BULK_LAST" | jq -sc '[.[].id] | sort')
	assert_equal "$got" "$want"
	# prog_type ascending, then id descending: the order jq makes of bpftool's list
	want=$(jq -c --argjson a "$BULK_FIRST" --argjson b "$BULK_LAST" \
		'[.[] | select(.id >= $a and .id <= $b)] | sort_by(.type, -.id) | map(.id)' <<<"$bp")
	got=$("$PS" --once -j --where "id>=$BULK_FIRST" --where "id<=$BULK_LAST" --sort prog_type:asc,id:desc | jq -sc 'map(.id)')
	assert_equal "$got" "$want"
}

@test "without --wide or --fields the records and the table carry none of the new fields" {
	start_loader -s -b 3
	run "$PS" --once -j --name pstest_
	assert_success
	! grep -qE '"(links|pinned|bytes_xlated|map_count|cpu_pct_norm|since_cnt)"' <<<"$output" ||
		fail "new fields by default: ${lines[0]}"
	run "$PS" --once --name pstest_
	[[ "${lines[1]}" == "    ID TYPE"*"NAME"*"CNT TIME_NS NS/CALL MISSES MISS%" ]] || fail "table header: ${lines[1]}"
}
