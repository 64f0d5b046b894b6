#!/usr/bin/env bats
# escalate-trace detection that does not cry wolf: the --min-samples floor,
# --for, --cooldown, the --detect robust detectors and baselines across runs,
# on synthetic streams whose answer the test sets (fixed seeds; figures held
# against Python's statistics module, not against escalate-trace's own).

load test_helper
load otlp/helpers

ET=

setup() {
	ET=$(bin escalate-trace)
	[ -x "$ET" ] || skip "escalate-trace is not built"
	require_cmd python3 jq
}

teardown() {
	[ -n "${BGPIDS:-}" ] && kill $BGPIDS 2>/dev/null
	true
}

# gen SEED BRICKS N [SHIFT_BRICKS FACTOR]: N rounds of one sample per brick
# s0..s{BRICKS-1}, Gaussian mean 100 sd 5; bricks below SHIFT_BRICKS are
# multiplied by FACTOR.
gen() {
	python3 - "$@" <<'PY'
import random, sys
seed, bricks, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
shift = int(sys.argv[4]) if len(sys.argv) > 4 else 0
factor = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
rnd = random.Random(seed)
out = []
for i in range(n):
    for b in range(bricks):
        v = rnd.gauss(100, 5) * (factor if b < shift else 1.0)
        out.append('{"name":"s%d","value":%.6f}' % (b, v))
print("\n".join(out))
PY
}

summary() { jq -c 'select(.type=="summary")' <<<"$output"; }

@test "--min-samples: no CV verdict on 2..9 samples, the first at 10; the seed's n=2 with --min-samples 1" {
	# alternating 50/150: CV is 50% from the second sample on
	vals=(); for i in $(seq 10); do vals+=($((i % 2 ? 50 : 150))); done
	for n in $(seq 2 9); do
		run --separate-stderr "$ET" -j --cooldown 0 < <(samples b "${vals[@]:0:n}")
		assert_success
		[ "$(nesc)" -eq 0 ] || fail "escalated at n=$n"
	done
	run --separate-stderr "$ET" -j --cooldown 0 < <(samples b "${vals[@]}")
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .samples)" = 10 ]
	[ "$(escalations | jq -r .reason)" = cv_exceeded ]
	run --separate-stderr "$ET" -j --cooldown 0 --min-samples 1 < <(samples b 50 150)
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .samples)" = 2 ]
}

@test "--min-samples also holds efficiency and cliff verdicts back" {
	run --separate-stderr "$ET" -j --cooldown 0 --budget-us 1 < <(samples b 100 100 100 100 100 100 100 100 100)
	[ "$(nesc)" -eq 0 ]
	run --separate-stderr "$ET" -j --cooldown 0 --budget-us 1 --min-samples 4 < <(samples b 100 100 100 100 100)
	[ "$(nesc)" -eq 2 ]
	[ "$(escalations | head -1 | jq -r .samples)" = 4 ]
	in=$BATS_TEST_TMPDIR/cliff
	# 8 rates of 100, then a 50% drop: 9 values in the window, below 10
	{ for i in $(seq 8); do echo '{"name":"m","r":100}'; done; echo '{"name":"m","r":50}'; } >"$in"
	run --separate-stderr "$ET" -j --cooldown 0 --cliff-field r <"$in"
	[ "$(nesc)" -eq 0 ]
	{ for i in $(seq 9); do echo '{"name":"m","r":100}'; done; echo '{"name":"m","r":50}'; } >"$in"
	run --separate-stderr "$ET" -j --cooldown 0 --cliff-field r <"$in"
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .reason)" = memory_cliff ]
}

@test "an implicit --min-samples follows a smaller --window; an explicit one larger than it is refused" {
	run --separate-stderr "$ET" -j --cooldown 0 --window 3 < <(samples b 50 150 50)
	[ "$(nesc)" -eq 1 ]
	[ "$(escalations | jq -r .samples)" = 3 ]
	run --separate-stderr "$ET" -j --window 3 --min-samples 4 </dev/null
	assert_usage_error --min-samples
}

@test "--for N: only a condition that held N samples in a row escalates" {
	# efficiency_low fires exactly where the record's budget is 1 (value 100)
	pattern="1101111011111"
	in=$BATS_TEST_TMPDIR/in
	for ((i = 0; i < ${#pattern}; i++)); do
		b=$([ "${pattern:i:1}" = 1 ] && echo 1 || echo 100)
		echo "{\"name\":\"f\",\"value\":100,\"b\":$b,\"i\":$i}"
	done >"$in"
	# positions (1-based) where the run of 1s so far is >= 3
	want=$(awk -v p="$pattern" 'BEGIN { for (i = 1; i <= length(p); i++) {
		run = substr(p, i, 1) == "1" ? run + 1 : 0; if (run >= 3) printf "%d ", i } }')
	run --separate-stderr "$ET" -j --min-samples 1 --cooldown 0 --for 3 --budget-field b <"$in"
	assert_success
	got=$(escalations | jq -r .samples | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "escalated at samples '$got', want '$want'"
	run --separate-stderr "$ET" -j --min-samples 1 --cooldown 0 --budget-field b <"$in"
	[ "$(nesc)" -eq "$(tr -cd 1 <<<"$pattern" | wc -c)" ]
}

@test "--cooldown: one escalation per brick, the rest counted as suppressed, not rate-limited" {
	in=$BATS_TEST_TMPDIR/in
	{ samples a $(seq 1 50 | sed 's/.*/100/'); samples c $(seq 1 30 | sed 's/.*/100/'); } >"$in"
	run --separate-stderr "$ET" -j --min-samples 1 --budget-us 1 <"$in"
	assert_success
	[ "$(nesc)" -eq 2 ]
	[ "$(summary | jq -r .suppressed)" = $((49 + 29)) ]
	[ "$(summary | jq -r .rate_limited)" = 0 ]
	run --separate-stderr "$ET" -j --min-samples 1 --budget-us 1 --rate-limit 1/1h <"$in"
	[ "$(summary | jq -r .escalations)" = 2 ]
	[ "$(summary | jq -r .rate_limited)" = 1 ]
	[ "$(summary | jq -r .suppressed)" = 78 ]
	run --separate-stderr "$ET" -j --min-samples 1 --budget-us 1 --cooldown 0 <"$in"
	[ "$(nesc)" -eq 80 ]
	[ "$(summary | jq -r .suppressed)" = 0 ]
}

@test "--cooldown DUR: the brick escalates again once DUR has passed" {
	fifo=$BATS_TEST_TMPDIR/fifo out=$BATS_TEST_TMPDIR/out
	mkfifo "$fifo"
	"$ET" -j --min-samples 1 --budget-us 1 --cooldown 400ms <"$fifo" >"$out" 2>/dev/null &
	BGPIDS=$!
	exec 7>"$fifo"
	two() { echo '{"name":"k","value":100}' >&7; [ "$(grep -c '"escalation"' "$out")" -ge 2 ]; }
	wait_until 30 two
	exec 7>&-
	wait "$BGPIDS"
	BGPIDS=
	t=($(jq -r 'select(.event=="escalation") | .ts_ns' "$out" | head -2))
	[ $((t[1] - t[0])) -ge 400000000 ]
	[ "$(jq -r 'select(.type=="summary") | .suppressed' "$out")" -ge 1 ]
}

@test "--detect outlier: a planted spike, scored against the median and MAD of the window before it" {
	in=$BATS_TEST_TMPDIR/in
	python3 - >"$in" <<'PY'
import random
rnd = random.Random(11)
for i in range(100):
    v = 200.0 if i == 70 else rnd.gauss(100, 5)
    print('{"name":"o","value":%.6f}' % v)
PY
	run --separate-stderr "$ET" -j --cooldown 0 --detect outlier <"$in"
	assert_success
	[ "$(nesc)" -eq 1 ]
	e=$(escalations)
	[ "$(jq -r .reason <<<"$e")" = outlier ]
	[ "$(jq -r .samples <<<"$e")" = 71 ]
	python3 - "$in" "$e" <<'PY'
import json, statistics as st, sys
vals = [json.loads(l)["value"] for l in open(sys.argv[1])]
e = json.loads(sys.argv[2])
prev = vals[:70]
med = st.median(prev)
mad = st.median([abs(x - med) for x in prev])
z = 0.6745 * (vals[70] - med) / mad
for k, want in (("median_us", med), ("mad_us", mad), ("outlier_score", z)):
    assert abs(e[k] - want) < 1e-9 * max(1, abs(want)), (k, e[k], want)
PY
	# without --detect the seed's rules see nothing here
	run --separate-stderr "$ET" -j --cooldown 0 <"$in"
	[ "$(nesc)" -eq 0 ]
}

@test "--detect change_point: a planted shift at sample 60, its index and both segments" {
	shifted() {
		python3 - "$1" <<'PY'
import random, sys
rnd = random.Random(5)
for i in range(150):
    print('{"name":"c","value":%.6f}' % (rnd.gauss(100, 5) + (float(sys.argv[1]) if i >= 60 else 0)))
PY
	}
	in=$BATS_TEST_TMPDIR/in
	shifted 20 >"$in"
	run --separate-stderr "$ET" -j --detect change_point <"$in"
	assert_success
	[ "$(nesc)" -eq 1 ]
	e=$(escalations)
	[ "$(jq -r .reason <<<"$e")" = change_point ]
	[ "$(jq -r .change_index <<<"$e")" = 60 ]
	[ "$(jq -r .segment_before <<<"$e")" = 60 ]
	# reported once the split is no longer the last one allowed (min-samples + 1
	# after it), at the next sample tested (every min-samples / 2 = 5th)
	n=71; while ((n % 5)); do n=$((n + 1)); done
	[ "$(jq -r .segment_after <<<"$e")" = $((n - 60)) ]
	python3 - "$in" "$e" <<'PY'
import json, statistics as st, sys
vals = [json.loads(l)["value"] for l in open(sys.argv[1])]
e = json.loads(sys.argv[2])
n1, n2 = e["segment_before"], e["segment_after"]
assert abs(e["mean_before_us"] - st.mean(vals[:n1])) < 1e-9
assert abs(e["mean_after_us"] - st.mean(vals[n1:n1 + n2])) < 1e-9
assert 0 <= e["p_value"] < 1e-4, e["p_value"]
PY
	# a shift down is an improvement: no escalation
	shifted -20 >"$in"
	run --separate-stderr "$ET" -j --detect change_point <"$in"
	[ "$(nesc)" -eq 0 ]
}

@test "baseline: a true 5% shift is regressed, the same run is no change, a 5% drop is improved" {
	base=$BATS_TEST_TMPDIR/base.json
	gen 1 3 200 >"$BATS_TEST_TMPDIR/a"
	run --separate-stderr "$ET" -j --save-baseline "$base" <"$BATS_TEST_TMPDIR/a"
	assert_success
	[ "$(jq -r .format "$base")" = telkit-escalate-trace-baseline ]
	[ "$(jq -r '.bricks | length' "$base")" = 3 ]
	python3 - "$BATS_TEST_TMPDIR/a" "$base" <<'PY'
import json, statistics as st, sys
vals = {}
for l in open(sys.argv[1]):
    d = json.loads(l); vals.setdefault(d["name"], []).append(d["value"])
for b in json.load(open(sys.argv[2]))["bricks"]:
    v = vals[b["name"]]
    assert b["n"] == len(v)
    assert abs(b["mean_us"] - st.mean(v)) < 1e-9 and abs(b["sd_us"] - st.stdev(v)) < 1e-9
    assert b["min_us"] == min(v) and b["max_us"] == max(v)
PY
	# s0 +5%, s1 and s2 unchanged (another seed: other noise)
	gen 2 3 200 1 1.05 >"$BATS_TEST_TMPDIR/b"
	run --separate-stderr "$ET" -j --baseline "$base" <"$BATS_TEST_TMPDIR/b"
	assert_success
	v() { jq -r --arg b "$1" 'select(.type=="comparison" and .brick_name==$b) | .verdict' <<<"$output"; }
	[ "$(v s0)" = regressed ]
	[ "$(v s1)" = no_change ]
	[ "$(v s2)" = no_change ]
	[ "$(summary | jq -c '[.regressed,.improved,.no_change,.insufficient_data]')" = "[1,0,2,0]" ]
	run --separate-stderr "$ET" -j --baseline "$base" --fail-on-regression <"$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 3 ]
	gen 2 3 200 1 0.95 >"$BATS_TEST_TMPDIR/c"
	run --separate-stderr "$ET" -j --baseline "$base" --fail-on-regression <"$BATS_TEST_TMPDIR/c"
	assert_success
	[ "$(v s0)" = improved ]
	# the same stream against itself: no change at 0.0%
	run --separate-stderr "$ET" -j --baseline "$base" <"$BATS_TEST_TMPDIR/a"
	[ "$(jq -r 'select(.type=="comparison") | .change_percent' <<<"$output" | sort -u)" = 0 ]
	[ "$(summary | jq -r .no_change)" = 3 ]
}

@test "baseline: a shift inside --noise is no change; too few samples or one side missing is insufficient data" {
	base=$BATS_TEST_TMPDIR/base.json
	gen 1 2 200 >"$BATS_TEST_TMPDIR/a"
	"$ET" -j --save-baseline "$base" <"$BATS_TEST_TMPDIR/a" >/dev/null
	gen 2 1 200 1 1.05 >"$BATS_TEST_TMPDIR/b"
	run --separate-stderr "$ET" -j --baseline "$base" --noise 10 <"$BATS_TEST_TMPDIR/b"
	[ "$(jq -r 'select(.brick_name=="s0") | .verdict' <<<"$output")" = no_change ]
	# s1 is only in the baseline; s9 has 5 samples, below --min-samples
	{ cat "$BATS_TEST_TMPDIR/b"; samples s9 1 2 3 4 5; } >"$BATS_TEST_TMPDIR/c"
	run --separate-stderr "$ET" -j --baseline "$base" <"$BATS_TEST_TMPDIR/c"
	[ "$(jq -r 'select(.brick_name=="s1") | .verdict' <<<"$output")" = insufficient_data ]
	[ "$(jq -r 'select(.brick_name=="s1") | .n' <<<"$output")" = 0 ]
	[ "$(jq -r 'select(.brick_name=="s9") | .verdict' <<<"$output")" = insufficient_data ]
	[ "$(jq -r 'select(.brick_name=="s9") | .baseline_n' <<<"$output")" = 0 ]
	[ "$(summary | jq -r .insufficient_data)" = 2 ]
}

@test "pure noise: no escalation and no regression over 100 streams (fixed seeds, all detectors on)" {
	base=$BATS_TEST_TMPDIR/base.json
	gen 21 100 200 >"$BATS_TEST_TMPDIR/a"
	gen 22 100 200 >"$BATS_TEST_TMPDIR/b"
	"$ET" -j --save-baseline "$base" <"$BATS_TEST_TMPDIR/a" >/dev/null
	run --separate-stderr "$ET" -j --detect all --cooldown 0 --baseline "$base" \
		--fail-on-regression --fail-on-escalation <"$BATS_TEST_TMPDIR/b"
	assert_success
	[ "$(summary | jq -r .bricks)" = 100 ]
	[ "$(summary | jq -r .escalations)" = 0 ]
	[ "$(summary | jq -c '[.regressed,.improved,.no_change]')" = "[0,0,100]" ]
}

@test "--exec: each run is a sample of the command's brick in the baseline" {
	base=$BATS_TEST_TMPDIR/base.json
	run --separate-stderr "$ET" -j --exec true --runs 12 --save-baseline "$base"
	assert_success
	[ "$(jq -r '.bricks[0].name' "$base")" = true ]
	[ "$(jq -r '.bricks[0].n' "$base")" = 12 ]
}

@test "--save-baseline: a planted symlink is replaced, not followed; nothing left behind" {
	d=$BATS_TEST_TMPDIR/d
	mkdir "$d"
	echo precious >"$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$d/base.json"
	run --separate-stderr "$ET" -j --save-baseline "$d/base.json" < <(samples b 1 2 3)
	assert_success
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = precious ]
	[ ! -L "$d/base.json" ] && [ -f "$d/base.json" ]
	[ "$(jq -r '.bricks[0].n' "$d/base.json")" = 3 ]
	[ "$(ls -A "$d")" = base.json ]
	# an unwritable target: exit 1 naming it, no temporary file left
	run --separate-stderr "$ET" -j --save-baseline "$d/nodir/base.json" < <(samples b 1 2 3)
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--save-baseline '$d/nodir/base.json'"* ]]
	[ "$(ls -A "$d")" = base.json ]
}

@test "--baseline: hostile or wrong files exit 2 with one line naming the file and a fix" {
	good='{"format":"telkit-escalate-trace-baseline","version":1,"unit":"us","bricks":[{"name":"b","n":10,"mean_us":5,"sd_us":1,"min_us":1,"max_us":9}]}'
	f=$BATS_TEST_TMPDIR/bl.json
	echo "$good" >"$f"
	run --separate-stderr "$ET" -j --baseline "$f" </dev/null
	assert_success
	bad=(
		'not json'
		'[1,2]'
		"$good $good"
		'{"format":"other","version":1,"unit":"us","bricks":[]}'
		"$(jq -c '.version=2' <<<"$good")"
		"$(jq -c '.unit="ms"' <<<"$good")"
		"$(jq -c '.bricks=5' <<<"$good")"
		"$(jq -c '.bricks[0].n=-1' <<<"$good")"
		"$(jq -c '.bricks[0].n=1.5' <<<"$good")"
		"$(jq -c '.bricks[0].n=99999999999999999' <<<"$good")"
		"$(jq -c '.bricks[0].mean_us="5"' <<<"$good")"
		"$(jq -c '.bricks[0].sd_us=-1' <<<"$good")"
		"$(jq -c '.bricks[0].mean_us=10' <<<"$good")"
		"$(jq -c 'del(.bricks[0].max_us)' <<<"$good")"
		"$(jq -c '.bricks[0].name=""' <<<"$good")"
		"$(jq -c '.bricks[0].name=("x" * 300)' <<<"$good")"
		"$(jq -c '.bricks[0].name="a\u0000b"' <<<"$good")"
		"$(jq -c '.bricks += .bricks' <<<"$good")"
		"$(jq -c '.bricks[0].x=[[[[[[[[[[1]]]]]]]]]]' <<<"$good")"
	)
	for b in "${bad[@]}"; do
		echo "# ${b:0:120}"
		printf '%s\n' "$b" >"$f"
		run --separate-stderr "$ET" --baseline "$f" </dev/null
		assert_usage_error "--baseline '$f'"
	done
	for p in /nonexistent/base.json /dev/zero "$BATS_TEST_TMPDIR"; do
		run --separate-stderr "$ET" --baseline "$p" </dev/null
		assert_usage_error "--baseline '$p'"
	done
	truncate -s 65M "$f"
	run --separate-stderr "$ET" --baseline "$f" </dev/null
	assert_usage_error "--baseline '$f'"
	run --separate-stderr "$ET" --fail-on-regression </dev/null
	assert_usage_error --fail-on-regression
}

@test "--detect: unknown detectors are usage errors" {
	for d in "" outliers "outlier," ",all" "all,bogus"; do
		run --separate-stderr "$ET" --detect "$d" </dev/null
		assert_usage_error --detect
	done
	run --separate-stderr "$ET" -j --detect outlier,change_point </dev/null
	assert_success
}

@test "stdout closed after the first comparison: every brick still judged and saved" {
	base=$BATS_TEST_TMPDIR/base.json new=$BATS_TEST_TMPDIR/new.json
	gen 1 3 200 >"$BATS_TEST_TMPDIR/a"
	"$ET" -j --save-baseline "$base" <"$BATS_TEST_TMPDIR/a" >/dev/null
	# only s2 shifts: the last comparison, written after the reader left
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["name"] == "s2": d["value"] *= 1.05
    print(json.dumps(d))' "$BATS_TEST_TMPDIR/a" >"$BATS_TEST_TMPDIR/b"
	run bash -c "'$ET' -j --baseline '$base' --save-baseline '$new' --fail-on-regression \
		<'$BATS_TEST_TMPDIR/b' | head -1 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output 3
	[ "$(jq -r '.bricks | length' "$new")" = 3 ]
}
