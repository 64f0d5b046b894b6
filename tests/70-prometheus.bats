#!/usr/bin/env bats
# Prometheus for real (issue 19): every command's -o prom and --textfile
# output read by Debian's promtool, by a strict reader (tests/promcheck.py),
# by a real prometheus-node-exporter's textfile collector and by a real
# Prometheus server scraping it; values compared with the command's own JSON
# of the same sample.  Servers bind 127.0.0.1 only, keep their state under
# $BATS_TEST_TMPDIR and are stopped in teardown on every exit path.

load test_helper

PROMCHECK=$BATS_TEST_DIRNAME/promcheck.py
BSS=test_bpf.bss
# bpfwatch specs on the loader's --known values (tests/helpers/bpfwatch_loader);
# BW_ARGS adds the --map-id of the test's own loader
BW_SPECS=("$BSS:sys_stat.lat.delta:scalar:delta" "$BSS:sys_stat.hist[3]:counter:h3"
	"$BSS:sys_stat.lat.bias:scalar:bias_ns")

setup() {
	D=$BATS_TEST_TMPDIR
	TF=$D/textfiles
	mkdir -p "$TF"
	SPIDS=()     # servers
	CPIDS=()     # commands and loaders
	MNT=
	require_cmd promtool python3 jq curl
}

teardown() {
	reap "${CPIDS[@]}" "${SPIDS[@]}"
	[ -z "$MNT" ] || umount "$MNT" 2>/dev/null || true
	host_unlock
}

# valid FILE: promtool has nothing to say (no error, no warning) and the
# strict reader passes it.
valid() {
	run promtool check metrics <"$1"
	[ "$status" -eq 0 ] && [ -z "$output" ] || fail "promtool on $1: $output"
	run python3 "$PROMCHECK" "$1"
	assert_success
}

# valid_stream FILE: stdout of -o prom; each interval's exposition (they
# start at telkit_build_info) passes promtool without a word.
valid_stream() {
	local part n=0
	rm -rf "$D/parts" && mkdir "$D/parts"
	awk -v d="$D/parts" '/^# HELP telkit_build_info /{ n++ } { print > (d "/" n) }' "$1"
	for part in "$D/parts"/*; do
		n=$((n + 1))
		run promtool check metrics <"$part"
		[ "$status" -eq 0 ] && [ -z "$output" ] || fail "promtool on exposition $n of $1: $output"
	done
	[ "$n" -ge 1 ] || fail "no exposition in $1"
}

no_temp_left() {
	run find "$1" -name '.*.prom.*'
	assert_output ""
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_bpfwatch_loader() {
	require_bpf
	require_btf
	require_cmd bpftool
	require_tool bpfwatch
	[ -x "$(helper bpfwatch_loader)" ] || skip "test helper bpfwatch_loader is not built"
	host_lock 20-bpfwatch
	: >"$D/loader.out"
	"$(helper bpfwatch_loader)" --known >"$D/loader.out" 2>&1 &
	CPIDS+=($!)
	wait_until 10 grep -q '^ready' "$D/loader.out" || fail "loader did not start: $(cat "$D/loader.out")"
	# its own .bss, whatever other loaders run on the host
	BW_ARGS=(--map-id "$(sed -n 's/^ready \([0-9]*\).*/\1/p' "$D/loader.out")" "${BW_SPECS[@]}")
}

# start_node_exporter: the Debian node_exporter, textfile collector only, on $TF.
start_node_exporter() {
	require_cmd prometheus-node-exporter
	NE_PORT=$(free_port)
	prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$TF" >"$D/ne.log" 2>&1 &
	SPIDS+=($!)
	wait_until 30 curl -sf "http://127.0.0.1:$NE_PORT/metrics" -o /dev/null ||
		fail "node_exporter did not start: $(tail -5 "$D/ne.log")"
}

# start_prometheus: the Debian Prometheus, scraping node_exporter every second.
start_prometheus() {
	require_cmd prometheus
	PR_PORT=$(free_port)
	cat >"$D/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: node
	    static_configs:
	      - targets: ['127.0.0.1:$NE_PORT']
	EOF
	prometheus --config.file="$D/prometheus.yml" --storage.tsdb.path="$D/tsdb" \
		--web.listen-address="127.0.0.1:$PR_PORT" >"$D/prom.log" 2>&1 &
	SPIDS+=($!)
	wait_until 60 curl -sf "http://127.0.0.1:$PR_PORT/-/ready" -o /dev/null ||
		fail "prometheus did not start: $(tail -5 "$D/prom.log")"
}

# query PROMQL: the value of its only series now, from Prometheus' HTTP API.
query() {
	curl -sf "http://127.0.0.1:$PR_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if (.data.result | length) == 1 then .data.result[0].value[1] else "none" end'
}

# query_is PROMQL VALUE: Prometheus answers VALUE now (for wait_until).
query_is() {
	[ "$(query "$1")" = "$2" ]
}
has_series() {
	[ "$(query "$1")" != none ]
}

# --- 1. promtool and the strict reader, every command, every mode ----------

@test "worker-spawn: -o prom and --textfile pass promtool and the strict reader (groups and the run)" {
	require_tool worker-spawn
	run --separate-stderr "$(bin worker-spawn)" -o prom -d 300ms -w spin-wait -n 1 -w yield-heavy -n 1 \
		--textfile "$TF/ws.prom"
	assert_success
	echo "$output" >"$D/ws.out"
	valid_stream "$D/ws.out"
	valid "$TF/ws.prom"
	grep -q '^telkit_worker_spawn_run_delay_mean_seconds{scope="run",record="summary"} ' "$TF/ws.prom" ||
		fail "$(head -20 "$TF/ws.prom")"
	no_temp_left "$TF"
}

@test "nvme-gpu-ingest: samples and summary, -o prom and --textfile pass promtool and the strict reader" {
	require_tool nvme-gpu-ingest
	require_io_uring
	head -c $((32 * 1048576)) /dev/urandom >"$D/data"
	run --separate-stderr "$(bin nvme-gpu-ingest)" -o prom -i 1ms --chunk 64k --qd 1 "$D/data" \
		--textfile "$TF/ingest.prom"
	assert_success
	echo "$output" >"$D/ingest.out"
	valid_stream "$D/ingest.out"
	valid "$TF/ingest.prom"
	# the file holds the run's counter as the summary: all of the file's bytes
	grep -qE "^telkit_nvme_gpu_ingest_completed_bytes_total\{.*record=\"summary\"\} $((32 * 1048576))\$" \
		"$TF/ingest.prom" || fail "$(grep completed_bytes "$TF/ingest.prom")"
}

@test "bpfwatch: one interval, several intervals and the summary pass promtool and the strict reader" {
	start_bpfwatch_loader
	run --separate-stderr "$(bin bpfwatch)" -o prom -c 1 "${BW_ARGS[@]}" --textfile "$TF/bw1.prom"
	assert_success
	echo "$output" >"$D/bw1.out"
	valid_stream "$D/bw1.out"
	valid "$TF/bw1.prom"
	run --separate-stderr "$(bin bpfwatch)" -o prom -c 3 -i 20ms "${BW_ARGS[@]}" --textfile "$TF/bw3.prom"
	assert_success
	echo "$output" >"$D/bw3.out"
	valid_stream "$D/bw3.out"
	# three intervals, then the summary (-c implies it) as one more (telkit-json(7))
	assert_equal "$(grep -c '^telkit_build_info' "$D/bw3.out")" 4
	valid "$TF/bw3.prom"
	# -100 ns (the loader's bias, bpftool's value) is -1e-07 s
	bss=$(sed -n 's/^ready \([0-9]*\).*/\1/p' "$D/loader.out")
	want=$(bpftool map dump id "$bss" -j | jq -c '.[0].formatted.value[".bss"] | add | .sys_stat.lat.bias')
	got=$(sed -n 's/^telkit_bpfwatch_test_bpf_bias_seconds //p' "$TF/bw3.prom")
	python3 -c "import sys; sys.exit(abs($got - ($want) / 1e9) > 1e-18)" || fail "bias: $got s, bpftool $want ns"
}

@test "progstats: --once, intervals, --group obj, --wide: -o prom and --textfile pass promtool and the strict reader" {
	load progstats
	progstats_setup
	"$LOADER" -o >"$D/psl.out" 2>&1 &
	CPIDS+=($!)
	wait_until 20 grep -q -e '^ready ' -e '^ops unavailable' "$D/psl.out" || fail "loader: $(cat "$D/psl.out")"
	for mode in "--once" "-i 100ms -c 2" "--once --group obj" "-i 100ms -c 2 --group obj" \
		"--once --wide" "-i 100ms -c 2 --wide"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$PS" -o prom $mode --textfile "$TF/ps.prom"
		assert_success
		echo "$output" >"$D/ps.out"
		valid_stream "$D/ps.out"
		valid "$TF/ps.prom"
		no_temp_left "$TF"
	done
	# JSON on stdout, the exposition in the file: the same pass
	run --separate-stderr "$PS" --once -j --textfile "$TF/ps.prom"
	assert_success
	valid "$TF/ps.prom"
	assert_json_lines "$output"
}

@test "escalate-trace: the summary's counters pass promtool and the strict reader; values as fed" {
	require_tool escalate-trace
	# 40 steady samples of one brick, then 5 of another: lines and bricks the test knows
	{ for i in $(seq 40); do echo '{"type":"sample","name":"a","us":100}'; done
	  for i in $(seq 5); do echo '{"type":"sample","name":"b","us":100}'; done
	  echo 'not json'; } >"$D/in"
	run --separate-stderr "$(bin escalate-trace)" --name name --value us -o prom \
		--textfile "$TF/et.prom" <"$D/in"
	assert_success
	echo "$output" >"$D/et.out"
	valid_stream "$D/et.out"
	valid "$TF/et.prom"
	no_temp_left "$TF"
	for f in "$D/et.out" "$TF/et.prom"; do
		grep -qx 'telkit_escalate_trace_lines_total{record="summary"} 46' "$f" || fail "lines in $f"
		grep -qx 'telkit_escalate_trace_malformed_lines_total{record="summary"} 1' "$f" || fail "malformed in $f"
		grep -qx 'telkit_escalate_trace_bricks{record="summary"} 2' "$f" || fail "bricks in $f"
		grep -qx 'telkit_escalate_trace_escalations_total{record="summary"} 0' "$f" || fail "escalations in $f"
	done
}

# --- 2. --textfile written safely -------------------------------------------

@test "--textfile: a planted symlink is replaced, not followed; mode 0644; no temp file; stdout keeps its format" {
	require_tool worker-spawn
	echo keep >"$D/victim"
	ln -s "$D/victim" "$TF/ws.prom"
	run --separate-stderr "$(bin worker-spawn)" -j -d 200ms -w spin-wait -n 1 --textfile "$TF/ws.prom"
	assert_success
	assert_json_lines "$output"
	assert_equal "$(cat "$D/victim")" keep
	[ -f "$TF/ws.prom" ] && [ ! -L "$TF/ws.prom" ] || fail "$TF/ws.prom is not a regular file"
	assert_equal "$(stat -c %a "$TF/ws.prom")" 644
	valid "$TF/ws.prom"
	no_temp_left "$TF"
}

@test "--textfile: a reader in a tight loop never sees a torn or partial file while it is rewritten every 10 ms" {
	start_bpfwatch_loader
	"$(bin bpfwatch)" -q -i 10ms -d 4s "${BW_ARGS[@]}" --textfile "$TF/bw.prom" >/dev/null &
	pid=$!
	CPIDS+=("$pid")
	run python3 "$PROMCHECK" --loop "$TF/bw.prom" "$pid"
	assert_success
	reads=$(sed -n 's/reads=\([0-9]*\).*/\1/p' <<<"$output")
	distinct=$(sed -n 's/.*distinct=\([0-9]*\)/\1/p' <<<"$output")
	# each tick's file differs (telkit_bpfwatch_tick): many rewrites were seen
	[ "$distinct" -ge 20 ] || fail "only $distinct versions seen in $reads reads"
	wait "$pid"
	valid "$TF/bw.prom"
	no_temp_left "$TF"
}

@test "--textfile on a full file system: exit 1, one line naming PATH, the last complete file kept, no temp file" {
	require_root
	start_bpfwatch_loader
	MNT=$D/small
	mkdir -p "$MNT"
	mount -t tmpfs -o size=64k tmpfs "$MNT" || skip "cannot mount a tmpfs here"
	"$(bin bpfwatch)" -i 10ms "${BW_ARGS[@]}" --textfile "$MNT/bw.prom" >"$D/out" 2>"$D/err" &
	pid=$!
	CPIDS+=("$pid")
	wait_until 20 test -s "$MNT/bw.prom" || fail "no textfile: $(cat "$D/err")"
	dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 1
	assert_equal "$(grep -c . "$D/err")" 1
	grep -q "textfile '$MNT/bw.prom': No space left on device" "$D/err" || fail "$(cat "$D/err")"
	grep -q "fix: " "$D/err" || fail "no fix: $(cat "$D/err")"
	rm -f "$MNT/fill"
	valid "$MNT/bw.prom"
	assert_equal "$(ls -A "$MNT")" "bw.prom"
}

@test "--textfile: SIGINT and SIGTERM leave a complete file and no temp file, exit 0" {
	start_bpfwatch_loader
	for sig in INT TERM; do
		rm -f "$TF/bw.prom"
		env --default-signal=INT "$(bin bpfwatch)" -i 10ms "${BW_ARGS[@]}" --textfile "$TF/bw.prom" \
			>/dev/null 2>"$D/err" &
		pid=$!
		CPIDS+=("$pid")
		wait_until 20 test -s "$TF/bw.prom" || fail "no textfile: $(cat "$D/err")"
		wait_until 10 caught "$pid" || fail "bpfwatch never caught signals"
		kill -"$sig" "$pid"
		rc=0
		wait "$pid" || rc=$?
		assert_equal "$rc" 0
		[ ! -s "$D/err" ] || fail "SIG$sig: $(cat "$D/err")"
		valid "$TF/bw.prom"
		no_temp_left "$TF"
	done
}

# --- 2b. node_exporter reads the files ---------------------------------------

@test "node_exporter's textfile collector serves every command's families, with no scrape error" {
	require_tool worker-spawn
	require_tool nvme-gpu-ingest
	require_io_uring
	start_node_exporter
	"$(bin worker-spawn)" -d 200ms -w spin-wait -n 1 --textfile "$TF/worker-spawn.prom" >/dev/null
	head -c 1048576 /dev/urandom >"$D/data"
	"$(bin nvme-gpu-ingest)" -i 1ms "$D/data" --textfile "$TF/nvme-gpu-ingest.prom" >/dev/null
	echo '{"type":"sample","name":"a","us":1}' |
		"$(bin escalate-trace)" --name name --value us --textfile "$TF/escalate-trace.prom" >/dev/null
	files="worker-spawn nvme-gpu-ingest escalate-trace"
	if "$PROBE" bpf >/dev/null 2>&1; then
		host_lock 10-progstats
		"$(bin progstats)" --once --textfile "$TF/progstats.prom" >/dev/null
		files="$files progstats"
	fi
	curl -sf "http://127.0.0.1:$NE_PORT/metrics" >"$D/metrics" || fail "no /metrics"
	grep -qx 'node_textfile_scrape_error 0' "$D/metrics" || fail "$(grep textfile "$D/metrics")"
	for f in $files; do
		grep -q "^node_textfile_mtime_seconds{file=\"$TF/$f.prom\"} " "$D/metrics" ||
			grep -q "^node_textfile_mtime_seconds{file=\"$f.prom\"} " "$D/metrics" ||
			fail "node_exporter did not read $f.prom: $(grep mtime "$D/metrics")"
		# every family of the file, with its type, in node_exporter's output
		while read -r _ _ fam type; do
			grep -qx "# TYPE $fam $type" "$D/metrics" || fail "$f: $fam $type not served"
		done < <(grep '^# TYPE ' "$TF/$f.prom")
	done
	# no family name shared by two commands, but telkit_build_info
	dup=$(for f in $files; do grep '^# TYPE ' "$TF/$f.prom" | awk '{ print $3 }' | sort -u; done |
		grep -vx telkit_build_info | sort | uniq -d)
	[ -z "$dup" ] || fail "families in two commands' files: $dup"
	grep -q "^telkit_build_info{tool=\"worker-spawn\",version=\"$(make -s -C "$TELKIT_ROOT" print-version)\"} 1" \
		"$D/metrics" || fail "$(grep build_info "$D/metrics")"
}

# --- 3. a real Prometheus scraping the chain ---------------------------------

@test "Prometheus scraping node_exporter holds the values bpfwatch printed in JSON for the same sample" {
	start_bpfwatch_loader
	start_node_exporter
	start_prometheus
	env --default-signal=INT "$(bin bpfwatch)" -j -i 300ms --summary "${BW_ARGS[@]}" --textfile "$TF/bpfwatch.prom" \
		>"$D/bw.json" 2>"$D/bw.err" &
	pid=$!
	CPIDS+=("$pid")
	# Prometheus has scraped a sample of the running command
	wait_until 60 has_series telkit_bpfwatch_tick ||
		fail "no series in Prometheus: $(tail -3 "$D/prom.log")"
	kill -INT "$pid"
	wait "$pid"
	# the file now holds the last sample and the summary; wait for a scrape of it
	last=$(jq -c 'select(.type == "sample")' "$D/bw.json" | tail -1)
	summary=$(jq -c 'select(.type == "summary")' "$D/bw.json")
	tick=$(jq .tick <<<"$last")
	wait_until 30 query_is telkit_bpfwatch_tick "$tick" ||
		fail "Prometheus tick $(query telkit_bpfwatch_tick), JSON's last $tick"
	wait_until 30 query_is 'telkit_bpfwatch_ticks{record="summary"}' "$(jq .ticks <<<"$summary")" ||
		fail "Prometheus has no summary: $(query 'telkit_bpfwatch_ticks')"
	for f in test_bpf_delta test_bpf_h3 test_bpf_h3_rate test_bpf_bias_ns; do
		name=telkit_bpfwatch_${f%_ns}
		div=1
		[ "$f" = "${f%_ns}" ] || { name=${name}_seconds; div=1e9; }
		for rec in sample summary; do
			if [ $rec = sample ]; then json=$last sel='{record=""}'; else json=$summary sel='{record="summary"}'; fi
			want=$(jq ".$f" <<<"$json")
			got=$(query "$name$sel")
			python3 -c "import sys; sys.exit(abs(float('$got') - $want / $div) > 1e-12 * max(1, abs($want / $div)))" ||
				fail "$rec $name: Prometheus $got, JSON $want (/ $div)"
		done
	done
	assert_equal "$(query "telkit_build_info{tool=\"bpfwatch\"}")" 1
}

# --- 5. --version -----------------------------------------------------------

@test "--version names the git describe of the build; a tarball build names the plain version" {
	git -C "$TELKIT_ROOT" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout"
	ver=$(make -s -C "$TELKIT_ROOT" print-version)
	desc=$(git -C "$TELKIT_ROOT" describe --tags --always --dirty)
	for t in progstats bpfwatch worker-spawn nvme-gpu-ingest escalate-trace; do
		require_tool "$t"
		run "$(bin "$t")" --version
		assert_success
		assert_output "$t (telkit) $ver (git $desc)"
	done
	# out of git (a tarball of the tree): the plain version
	mkdir "$D/src"
	git -C "$TELKIT_ROOT" archive HEAD common Makefile | tar -x -C "$D/src"
	make -s -C "$D/src" OUT="$D/out" "$D/out/common/version.o" >/dev/null
	run strings "$D/out/common/version.o"
	assert_line "$ver"
	refute_output --partial "(git"
}

# --- 3. stdout: one block per family in every exposition -------------------
# (the format: "all lines for a given metric must be provided as one single
# group"; promtool accepts a split family, tests/promcheck.py does not)

# strict_stream FILE N: the -o prom stdout FILE holds N expositions (each
# starts at telkit_build_info, telkit-json(7)); each passes the strict reader
# and promtool.  N is what the test asked for (intervals, runs, + 1 summary).
strict_stream() {
	run python3 "$PROMCHECK" --split "$1"
	assert_success
	assert_output "expositions=$2"
	valid_stream "$1"
}

# last_is_summary FILE: the last exposition of FILE holds the summary records
# only (every series but telkit_build_info has record="summary"), and every
# record="summary" series of FILE is in it.
last_is_summary() {
	local last
	last=$(awk '/^# HELP telkit_build_info /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$1")
	grep -v '^#' <<<"$last" | grep -v '^telkit_build_info' | grep -qv 'record="summary"' &&
		fail "a sample in the summary exposition: $last"
	assert_equal "$(grep -c 'record="summary"' <<<"$last")" "$(grep -c 'record="summary"' "$1")"
	[ "$(grep -c 'record="summary"' "$1")" -ge 1 ] || fail "no summary in $1"
}

@test "worker-spawn -o prom, two groups: the group and run summaries are one exposition, each family one block" {
	require_tool worker-spawn
	run --separate-stderr "$(bin worker-spawn)" -o prom -d 300ms -w spin-wait -n 1 -w yield-heavy -n 2
	assert_success
	echo "$output" >"$D/ws.out"
	strict_stream "$D/ws.out" 1
	last_is_summary "$D/ws.out"
	# the families hold the worker counts the test asked for, group by group
	assert_equal "$(grep -c '^# TYPE telkit_worker_spawn_workers ' "$D/ws.out")" 1
	grep -qx 'telkit_worker_spawn_workers{scope="group",work_type="spin-wait",spec="spin-wait",record="summary"} 1' "$D/ws.out" ||
		fail "$(grep _workers "$D/ws.out")"
	grep -qx 'telkit_worker_spawn_workers{scope="group",work_type="yield-heavy",spec="yield-heavy",record="summary"} 2' "$D/ws.out" ||
		fail "$(grep _workers "$D/ws.out")"
	grep -qE '^telkit_worker_spawn_workers\{scope="run".*record="summary"\} 3$' "$D/ws.out" ||
		fail "$(grep _workers "$D/ws.out")"
	# the same run with -j: the same three summary records
	run --separate-stderr "$(bin worker-spawn)" -j -d 300ms -w spin-wait -n 1 -w yield-heavy -n 2
	assert_success
	assert_equal "$(jq -c 'select(.type == "summary") | .workers' <<<"$output" | tr '\n' ' ')" "1 2 3 "
}

@test "nvme-gpu-ingest -o prom, two sources: each interval one exposition, the summary one more, each family one block" {
	require_tool nvme-gpu-ingest
	require_io_uring
	head -c $((8 * 1048576)) /dev/urandom >"$D/a"
	head -c $((4 * 1048576)) /dev/urandom >"$D/b"
	run --separate-stderr "$(bin nvme-gpu-ingest)" -o prom -i 1ms --chunk 64k --qd 1 "$D/a" "$D/b"
	assert_success
	echo "$output" >"$D/ingest.out"
	n=$(grep -c '^# HELP telkit_build_info ' "$D/ingest.out")
	[ "$n" -ge 2 ] || fail "$n expositions: $(head -5 "$D/ingest.out")"
	strict_stream "$D/ingest.out" "$n"
	last_is_summary "$D/ingest.out"
	# the summary holds all the bytes of both files
	grep -qE "^telkit_nvme_gpu_ingest_completed_bytes_total\{.*record=\"summary\"\} $((12 * 1048576))\$" \
		"$D/ingest.out" || fail "$(grep completed_bytes "$D/ingest.out")"
}

@test "bpfwatch -o prom --summary: three intervals and the summary are four expositions, each family one block" {
	start_bpfwatch_loader
	run --separate-stderr "$(bin bpfwatch)" -o prom -c 3 -i 20ms --summary "${BW_ARGS[@]}"
	assert_success
	echo "$output" >"$D/bw.out"
	strict_stream "$D/bw.out" 4
	last_is_summary "$D/bw.out"
}

@test "escalate-trace -o prom --exec: three runs and the summary are four expositions, each family one block" {
	require_tool escalate-trace
	run --separate-stderr "$(bin escalate-trace)" -o prom --exec true --runs 3
	assert_success
	echo "$output" >"$D/et.out"
	strict_stream "$D/et.out" 4
	last_is_summary "$D/et.out"
	assert_equal "$(sed -n 's/^telkit_escalate_trace_run{brick_name="true"} //p' "$D/et.out" | tr '\n' ' ')" "1 2 3 "
}

@test "progstats -o prom: two intervals are two expositions, each family one block (--group obj, --wide)" {
	load progstats
	progstats_setup
	"$LOADER" -o >"$D/psl.out" 2>&1 &
	CPIDS+=($!)
	wait_until 20 grep -q -e '^ready ' -e '^ops unavailable' "$D/psl.out" || fail "loader: $(cat "$D/psl.out")"
	for mode in "" "--group obj" "--wide"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$PS" -o prom -i 100ms -c 2 $mode
		assert_success
		echo "$output" >"$D/ps.out"
		strict_stream "$D/ps.out" 2
	done
}
