# Shared setup of the progstats test files (10-progstats, 81-faults-progstats):
# BPF, BTF, bpftool and jq present, binaries located, and the host lock held,
# since BPF run-time stats are machine-wide.
progstats_setup() {
	require_bpf
	require_btf
	require_cmd bpftool jq
	require_tool progstats
	PS=$(bin progstats)
	LOADER=$(helper progstats_load)
	[ -x "$LOADER" ] || skip "test helper progstats_load is not built"
	D=$BATS_TEST_TMPDIR
	host_lock 10-progstats
}

# setup and teardown of a file whose tests start loaders (LPIDS) and
# progstats runs (PPIDS) in the background: all reaped at the end.
ps_file_setup() {
	progstats_setup
	LPIDS=()
	PPIDS=()
}
ps_file_teardown() {
	reap "${PPIDS[@]}" "${LPIDS[@]}"
	host_unlock
}

# holds_stats PID: PID holds a BPF_ENABLE_STATS fd.
holds_stats() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:bpf-stats'; }

# walk_bin WALK: a progstats that always takes --walk WALK (exec keeps the
# pid, so signals and /proc checks see progstats itself).
walk_bin() {
	local w=$D/progstats-$1
	printf '#!/bin/sh\nexec "%s" --walk %s "$@"\n' "$(bin progstats)" "$1" >"$w"
	chmod +x "$w"
	echo "$w"
}

# start_loader ARGS...: background loader; sets LPID COUNT_ID LONG_ID BULK_FIRST BULK_LAST
# OPS_BTF (-o: the struct_ops object's BTF id; skips when the kernel refuses it).
start_loader() {
	local out=$D/loader.$RANDOM line
	"$LOADER" "$@" >"$out" 2>&1 &
	LPID=$!
	LPIDS+=("$LPID")
	wait_until 20 grep -q -e '^ready ' -e '^ops unavailable' "$out" || fail "loader not ready: $(cat "$out")"
	! grep -q '^ops unavailable' "$out" || skip "$(cat "$out")"
	line=$(grep '^ready ' "$out")
	COUNT_ID=$(sed -n 's/.* count_id=\([0-9]*\).*/\1/p' <<<"$line")
	LONG_ID=$(sed -n 's/.* long_id=\([0-9]*\).*/\1/p' <<<"$line")
	BULK_FIRST=$(sed -n 's/.* bulk_first=\([0-9]*\).*/\1/p' <<<"$line")
	BULK_LAST=$(sed -n 's/.* bulk_last=\([0-9]*\).*/\1/p' <<<"$line")
	OPS_BTF=$(sed -n 's/.* ops_btf=\([0-9]*\).*/\1/p' <<<"$line")
	LOUT=$out
}
