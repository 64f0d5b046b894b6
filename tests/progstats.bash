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

# walk_bin WALK: a progstats that always takes --walk WALK (exec keeps the
# pid, so signals and /proc checks see progstats itself).
walk_bin() {
	local w=$D/progstats-$1
	printf '#!/bin/sh\nexec "%s" --walk %s "$@"\n' "$(bin progstats)" "$1" >"$w"
	chmod +x "$w"
	echo "$w"
}
