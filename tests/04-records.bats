#!/usr/bin/env bats
# The record output path (issue 20): common/jsonw.c writes exactly the bytes
# json-c writes (json-c is the oracle, on random records), records refilled
# in place are exactly what new ones would be, each record reaches a reader
# downstream when it is written, and escalate-trace's in-place line reader
# (cmd/escalate-trace/scan.c) gives json-c's full-parse results on random
# lines.  Speed is measured in bench/, not here.

load test_helper

setup() {
	T=$(helper test_jsonw)
	D=$BATS_TEST_TMPDIR
	WPIDS=()
	LPIDS=()
}

teardown() {
	reap "${WPIDS[@]}" "${LPIDS[@]}"
	host_unlock
}

@test "jsonw: random records (width edges, doubles, hostile strings, nesting, parsed values) are json-c's bytes" {
	seed=$RANDOM
	for s in 1 2 3 "$seed"; do
		run "$T" diff "$s" 2000
		assert_success
		assert_output --regexp "^ok 2000 records [0-9]+ bytes$"
	done
}

@test "doubles: tk_fmt_double's printf-free short decimals are printf's shortest round trip" {
	for s in 1 "$RANDOM"; do
		run "$T" dbl "$s" 200000
		assert_success
		assert_output "ok 200000 doubles"
	done
}

# random JSON lines near and outside the plain subset, one replay input each
# (byte 0 picks escalate-trace's field keys, as fuzz/esc_extract.c reads it)
make_lines() {
	python3 - "$1" "$2" <<'PY'
import json, os, random, sys
out, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
plain = False   # half the lines keep to the subset scan.c reads in place
def num():
    if plain or r.random() < 0.5:
        return r.choice([
            str(r.randint(0, 10**r.randint(1, 20))), str(-r.randint(1, 10**r.randint(1, 19))),
            "%d.%0*d" % (r.randint(0, 10**r.randint(0, 16)), r.randint(1, 20), r.randint(0, 10**r.randint(0, 20))),
            "%d.%0*d" % (r.randint(0, 999), r.randint(1, 22), r.randint(0, 10**r.randint(0, 22))),
            "-%d.%d" % (r.randint(0, 99), r.randint(0, 10**r.randint(0, 17))),
            "9223372036854775807", "9223372036854775808", "18446744073709551615",
            "-9223372036854775808", "0.1", "1234567890123456789.5", "0", "2147483647", "2147483648",
        ])
    return r.choice([
        "-0", "-0.0", "01", "1e3", "1E-2", "1.", ".5", "18446744073709551616",
        "-9223372036854775809", "NaN", "Infinity", "-Infinity", "1.7976931348623157e309", "4.9e-324",
    ])
def string():
    if plain:
        return '"%s"' % "".join(r.choice("a1 .-_xyz") for _ in range(r.randint(0, 8)))
    s = "".join(r.choice(["a", "1", " ", ".", "-", "\\\"", "\\\\", "\\n", "\\u00e9", "\\/", "\u00e9", "\t", "\x01", "\x7f"])
                for _ in range(r.randint(0, 8)))
    return '"%s"' % s
def value(d):
    k = r.randint(0, 9 if d < 4 else 5)
    if k <= 2: return num()
    if k <= 4: return string()
    if k == 5: return r.choice(["true", "false", "null"] + ([] if plain else ["True", "nul"]))
    if k <= 7: return "[" + ",".join(value(d + 1) for _ in range(r.randint(0, 3))) + "]"
    return obj(d + 1)
keys = ["name", "value", "budget", "pid", "cliff", "gpu", "type", "ts_ns", "x", "brick"]
def obj(d):
    members = []
    names = r.sample(keys, r.randint(0, 7))   # a repeated key leaves the subset
    for n in names:
        k = n if plain or r.random() < 0.8 else string()[1:-1]
        members.append('"%s"%s:%s%s' % (k, r.choice(["", " ", "\t"]), r.choice(["", " "]), value(d)))
    return "{" + ",".join(members) + "}"
for i in range(int(os.environ.get("NLINES", "3000"))):
    plain = i % 2 == 0
    line = obj(0)
    m = r.random()
    if m < 0.05: line = line[:r.randint(0, len(line))]
    elif m < 0.1: line += r.choice([" x", "}", ",", "\r\n", "  ", "\n{}"])
    elif m < 0.15: line = r.choice([" ", "\t", ""]) + line
    cfg = r.randint(0, 255) & 0x7f   # plain keys; dotted ones never take the fast path
    with open(os.path.join(out, "l%05d" % i), "wb") as f:
        f.write(bytes([cfg]) + line.encode("utf-8", "surrogateescape"))
PY
}

@test "escalate-trace: the in-place reader gives json-c's verdict and fields on random lines" {
	require_cmd python3
	R=$TELKIT_BIN/fuzz/esc_extract-replay
	[ -x "$R" ] || skip "build/fuzz/esc_extract-replay is not built"
	mkdir -p "$D/lines"
	make_lines "$D/lines" "$RANDOM"
	# the replay aborts on the first line whose fast-path sample differs from json-c's
	run "$R" "$D"/lines/*
	assert_success
	assert_output "replayed 3000 inputs"
}

need_loader() {
	require_bpf
	require_btf
	require_cmd bpftool jq
	require_tool bpfwatch
	LOADER=$(helper bpfwatch_loader)
	[ -x "$LOADER" ] || skip "test helper bpfwatch_loader is not built"
	host_lock 04-records
	"$LOADER" >"$D/loader.out" 2>"$D/loader.err" &
	LPIDS+=($!)
	wait_until 10 grep -q '^ready' "$D/loader.out" || fail "loader did not start: $(cat "$D/loader.err")"
	read -r _ BSS_ID _ < <(grep '^ready' "$D/loader.out" | tail -1)
}

@test "bpfwatch: a refilled tick record has the fields of a new one, in spec order, when a field comes" {
	need_loader
	# counters have no _rate on the first tick, then one: the record changes shape once
	run --separate-stderr "$(bin bpfwatch)" -j -c 4 -i 20ms --map-id "$BSS_ID" \
		test_bpf.bss:sys_stat.nr_sched:counter:n test_bpf.bss:sys_stat.avg_lat:scalar:lat \
		test_bpf.bss:lat_headroom:counter:hr
	assert_success
	jq -c 'select(.type == "sample") | keys_unsorted' <<<"$output" >"$D/keys"
	want0='["tool","type","ts_ns","tick","test_bpf_n","test_bpf_lat","test_bpf_hr"]'
	want='["tool","type","ts_ns","tick","test_bpf_n","test_bpf_n_rate","test_bpf_lat","test_bpf_hr","test_bpf_hr_rate"]'
	assert_equal "$(sed -n 1p "$D/keys")" "$want0"
	assert_equal "$(sed -n 2,4p "$D/keys" | sort -u)" "$want"
	# ticks count up and each sample is a fresh stamp
	assert_equal "$(jq -r 'select(.type == "sample") | .tick' <<<"$output" | tr '\n' ' ')" "1 2 3 4 "
	assert_equal "$(jq -r 'select(.type == "sample") | .ts_ns' <<<"$output" | sort -u | wc -l)" 4
}

@test "bpfwatch: each tick record reaches a file at once (flushed per record, not per 4 KiB)" {
	need_loader
	"$(bin bpfwatch)" -j -i 200ms -d 60s --map-id "$BSS_ID" test_bpf.bss:sys_stat.avg_lat:scalar:lat \
		>"$D/out.json" 2>"$D/err" &
	WPIDS+=($!)
	wait_until 20 grep -q '"tick":3,' "$D/out.json" || fail "no third record: $(cat "$D/err")"
	kill -0 "${WPIDS[0]}"   # still running: nothing waited for exit or a full buffer
	run jq -c 'select(.type == "sample") | .tick' "$D/out.json"
	assert_success
	assert_line --index 0 1
}

@test "progstats: one sample's records reach a file when the pass ends, not at exit" {
	require_bpf
	require_tool progstats
	L=$(helper progstats_load)
	[ -x "$L" ] || skip "test helper progstats_load is not built"
	# programs of our own: a clean machine may have none, and then no sample records
	"$L" -t 120 >"$D/psl" 2>&1 &
	LPIDS+=($!)
	wait_until 20 grep -q '^ready ' "$D/psl" || fail "loader: $(cat "$D/psl")"
	"$(bin progstats)" -j -i 300ms -d 60s >"$D/ps.json" 2>"$D/ps.err" &
	WPIDS+=($!)
	# the whole of sample 2 is there (its last line ends the pass) while progstats runs on
	wait_until 30 grep -q '"seq":3,' "$D/ps.json" || fail "no third sample: $(cat "$D/ps.err")"
	kill -0 "${WPIDS[0]}"
	n1=$(grep -c '"type":"sample","ts_ns":[0-9]*,"seq":1,' "$D/ps.json")
	n2=$(grep -c '"type":"sample","ts_ns":[0-9]*,"seq":2,' "$D/ps.json")
	[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] || fail "samples 1 and 2: $n1 and $n2 records"
	# the passes before the one being written are whole lines
	run jq -c 'select(.type == "sample") | .seq' < <(grep '"seq":[12],' "$D/ps.json")
	assert_success
}
