#!/usr/bin/env bats
# bpfwatch under faults: its maps unloaded and reloaded again and again
# mid-watch, and replaced by an object with the same map names but another
# value layout (bpf/test_bpfwatch_alt.bpf.c: sys_stat lost nr_sched, avg_lat
# moved).  Expected values and offsets come from bpftool and the new map's
# BTF, never from bpfwatch.  (A single unload/reload, lazy attach and a
# closed stdout are in 20-bpfwatch.bats.)

load test_helper

BSS=test_bpf.bss

setup() {
	require_bpf
	require_btf
	require_cmd bpftool jq
	require_tool bpfwatch
	BW=$(bin bpfwatch)
	LOADER=$(helper bpfwatch_loader)
	ALT=$(helper bpfwatch_alt_loader)
	[ -x "$LOADER" ] && [ -x "$ALT" ] || skip "bpfwatch test loaders are not built"
	D=$BATS_TEST_TMPDIR
	PIDS=()
	host_lock 20-bpfwatch
}

teardown() {
	reap "${PIDS[@]}"
	host_unlock
}


ready_count() { [ "$(grep -c '^ready' "$1")" -ge "$2" ]; }
jq_any() { jq -se "map($2) | any" "$1" >/dev/null; }
map_fds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:bpf-map' || true; }

@test "maps unloaded and reloaded 8 times mid-watch: a rebind each time, old maps released" {
	"$LOADER" >"$D/L.out" 2>"$D/L.err" &
	lpid=$!
	PIDS+=("$lpid")
	wait_until 10 ready_count "$D/L.out" 1 || fail "loader: $(cat "$D/L.err")"
	"$BW" -j -i 30ms --rescan 50ms "$BSS:sys_stat.nr_sched:counter:n" \
		cpu_ctx_stor:nr_switch:percpu-counter:sw >"$D/w.json" 2>"$D/w.err" &
	wpid=$!
	PIDS+=("$wpid")
	wait_until 5 grep -q '"test_bpf_n":' "$D/w.json" || fail "no samples: $(cat "$D/w.err")"
	old_ids=()
	for k in $(seq 2 9); do
		old_ids+=("$(grep '^ready' "$D/L.out" | tail -1 | cut -d' ' -f2)")
		kill -USR1 "$lpid"
		wait_until 10 ready_count "$D/L.out" "$k" || fail "loader did not reload ($k)"
		read -r _ b _ _ _ < <(grep '^ready' "$D/L.out" | tail -1)
		wait_until 10 jq_any "$D/w.json" "select(.event == \"rebind\" and .label == \"n\") | .map_id == $b" ||
			fail "no rebind of n to $b"
		sleep 0.1
	done
	# still sampling the last maps, holding only them
	lines=$(wc -l <"$D/w.json")
	wait_until 5 eval '[ "$(wc -l <"$D/w.json")" -gt $((lines + 3)) ]' || fail "sampling stopped"
	held=$(map_fds "$wpid")
	[ "$held" -le 2 ] || fail "bpfwatch holds $held map fds after 8 reloads"
	for id in "${old_ids[@]}"; do
		wait_until 5 eval "! bpftool map show id $id >/dev/null 2>&1" || fail "old map $id still held"
	done
	stop_clean TERM "$wpid" "$D/w.json" "$D/w.err"
	n_gone=$(jq -s '[.[] | select(.event == "gone" and .label == "sw")] | length' "$D/w.json")
	[ "$n_gone" -eq 8 ] || fail "sw: $n_gone gone events for 8 reloads"
	! jq_any "$D/w.json" 'select(.event == "error")' || fail "error event: $(grep '"error"' "$D/w.json")"
}

@test "map replaced by another layout: field gone is one clear event, other targets keep going" {
	"$LOADER" >"$D/L.out" 2>"$D/L.err" &
	lpid=$!
	PIDS+=("$lpid")
	wait_until 10 ready_count "$D/L.out" 1 || fail "loader: $(cat "$D/L.err")"
	"$BW" -j -i 50ms --rescan 100ms "$BSS:sys_stat.nr_sched:counter:n" \
		cpu_ctx_stor:nr_switch:percpu-counter:sw "$BSS:sys_stat.avg_lat:scalar:a" \
		>"$D/w.json" 2>"$D/w.err" &
	wpid=$!
	PIDS+=("$wpid")
	wait_until 5 grep -q '"test_bpf_n":' "$D/w.json" || fail "no samples: $(cat "$D/w.err")"
	kill -TERM "$lpid"
	wait "$lpid"
	"$ALT" >"$D/A.out" 2>"$D/A.err" &
	PIDS+=("$!")
	wait_until 10 ready_count "$D/A.out" 1 || fail "alt loader: $(cat "$D/A.err")"
	read -r _ abss apcpu <"$D/A.out"
	wait_until 10 jq_any "$D/w.json" "select(.event == \"rebind\" and .label == \"a\") | .map_id == $abss" ||
		fail "a not rebound to $abss: $(grep -v sample "$D/w.json")"
	mark=$(wc -l <"$D/w.json")
	wait_until 5 eval '[ "$(tail -n +$mark "$D/w.json" | grep -c "\"test_bpf_sw\":")" -ge 3 ]' ||
		fail "sw stopped after the replacement"
	stop_clean TERM "$wpid" "$D/w.json" "$D/w.err"
	# n: one error event naming the field and the new type, no value afterwards
	err=$(jq -c 'select(.event == "error" and .label == "n")' "$D/w.json")
	[ "$(grep -c . <<<"$err")" -eq 1 ] || fail "want one error event for n: $err"
	jq -e --arg id "$abss" '.message | contains("nr_sched") and contains("tw_sys_stat_v2") and contains($id)' \
		<<<"$err" >/dev/null || fail "unclear: $err"
	errline=$(grep -n '"event":"error"' "$D/w.json" | head -1 | cut -d: -f1)
	! tail -n +"$errline" "$D/w.json" | grep -q '"type":"sample".*"test_bpf_n":' ||
		fail "n still sampled from the new map"
	# sw and a rebound; a at the offset the new map's BTF gives (bpftool)
	jq_any "$D/w.json" "select(.event == \"rebind\" and .label == \"sw\") | .map_id == $apcpu" ||
		fail "sw not rebound to $apcpu"
	btf=$(bpftool map show id "$abss" -j | jq .btf_id)
	want=$(bpftool btf dump id "$btf" -j | jq '[.types[] | select(.name == "tw_sys_stat_v2") |
		.members[] | select(.name == "avg_lat") | .bits_offset / 8] | first')
	jq_any "$D/w.json" "select(.event == \"rebind\" and .label == \"a\") | .offset == $want" ||
		fail "a rebound at the wrong offset (BTF says $want)"
	tail -n +"$errline" "$D/w.json" | grep -q '"type":"sample".*"test_bpf_a":' || fail "a not sampled"
}

@test "keyed maps, two no program uses, across 3 reloads and an unload: gone + rebind to the new ids, maps released" {
	"$LOADER" >"$D/L.out" 2>"$D/L.err" &
	lpid=$!
	PIDS+=("$lpid")
	wait_until 10 ready_count "$D/L.out" 1 || fail "loader: $(cat "$D/L.err")"
	"$BW" -j -i 30ms --rescan 50ms --obj test_bpf "tw_stats[1]:value:percpu-counter:g" \
		"tw_user[2]:value:counter:u" "tw_hash[7]:value:scalar:h" >"$D/w.json" 2>"$D/w.err" &
	wpid=$!
	PIDS+=("$wpid")
	wait_until 5 grep -q '"test_bpf_u":' "$D/w.json" || fail "no samples: $(cat "$D/w.err")"
	old=()
	for k in 2 3 4; do
		read -r _ st _ ha _ us _ < <(grep '^keyed' "$D/L.out" | tail -1)
		old+=("$st" "$ha" "$us")
		kill -USR1 "$lpid"
		wait_until 10 ready_count "$D/L.out" "$k" || fail "loader did not reload ($k)"
		read -r _ st _ ha _ us _ < <(grep '^keyed' "$D/L.out" | tail -1)
		for p in "g $st" "u $us" "h $ha"; do
			read -r l id <<<"$p"
			wait_until 10 jq_any "$D/w.json" "select(.event == \"rebind\" and .label == \"$l\") | .map_id == $id" ||
				fail "no rebind of $l to $id: $(grep -v sample "$D/w.json")"
		done
	done
	lines=$(wc -l <"$D/w.json")
	wait_until 5 eval '[ "$(wc -l <"$D/w.json")" -gt $((lines + 3)) ]' || fail "sampling stopped"
	held=$(map_fds "$wpid")
	[ "$held" -le 3 ] || fail "bpfwatch holds $held map fds after 3 reloads"
	for id in "${old[@]}"; do
		wait_until 5 eval "! bpftool map show id $id >/dev/null 2>&1" || fail "old map $id still held"
	done
	# the values after the last rebind are the new maps' (bpftool)
	want=$(bpftool map lookup id "$us" key 2 0 0 0 -j | jq -r '.value | reverse | map(.[2:]) | join("")')
	last=$(grep '"sample"' "$D/w.json" | tail -1 | jq .test_bpf_u)
	[ "$last" = "$(printf '%u' "0x$want")" ]
	# unloaded for good: the maps no program uses are gone with their object
	kill -TERM "$lpid"
	wait "$lpid"
	for l in g u h; do
		wait_until 5 eval "[ \"\$(jq -s '[.[] | select(.event == \"gone\" and .label == \"$l\")] | length' \"$D/w.json\")\" -eq 4 ]" ||
			fail "$l: want 4 gone events (3 reloads, 1 unload): $(grep -v sample "$D/w.json")"
	done
	for id in "$st" "$ha" "$us"; do
		wait_until 5 eval "! bpftool map show id $id >/dev/null 2>&1" || fail "map $id still held"
	done
	stop_clean TERM "$wpid" "$D/w.json" "$D/w.err"
	! jq_any "$D/w.json" 'select(.event == "error")' || fail "error event: $(grep '"error"' "$D/w.json")"
}
