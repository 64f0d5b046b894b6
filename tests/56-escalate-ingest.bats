#!/usr/bin/env bats
# escalate-trace's stdin ingest made cheaper (issue 20): the window's CV and
# efficiency come from running sums when those prove that no rule can fire
# (cmd/escalate-trace/winsum.c), else from the two-pass computation as
# before.  The verdicts and the reported numbers must not change: the
# differential unit test holds the fast path against the two-pass oracle,
# and escalation records are held against Python's two-pass figures over
# the same ring of values.  Speed is measured in bench/escalate, not here.

load test_helper
load otlp/helpers

ET=

setup() {
	ET=$(bin escalate-trace)
	[ -x "$ET" ] || skip "escalate-trace is not built"
	T=$(helper test_esc_detect)
	D=$BATS_TEST_TMPDIR
}

@test "detection: running sums give the two-pass oracle's verdicts and numbers (random and adversarial streams)" {
	seed=$RANDOM
	for s in 1 2 3 "$seed"; do
		run "$T" diff "$s" 1500
		assert_success
		assert_output --regexp "^ok [0-9]+ samples [0-9]+ escalations [0-9]+ fast [0-9]+ exact$"
		read -r _ n _ esc _ fast _ exact _ <<<"$output"
		# both paths and escalations taken, or the comparison proved nothing
		[ "$esc" -gt 1000 ] && [ "$fast" -gt 1000 ] && [ "$exact" -gt 1000 ] ||
			fail "seed $s: a path not exercised: $output"
	done
}

# gen SEED WINDOW: bricks of several kinds interleaved; stdout the lines,
# $D/expect the escalations Python's two-pass figures give (brick, samples,
# mean_us, cv as repr of the double), in order.
gen() {
	python3 - "$@" "$D/expect" <<'PY'
import math, random, sys
seed, window, expect = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
kinds = ["near", "exact15", "const", "drift", "huge", "tiny", "zero", "step"]
ring = {k: [] for k in kinds}
slot = {k: 0 for k in kinds}
seq = {k: 0 for k in kinds}
out, esc = [], []
def value(k, i):
    if k == "near":   # CV wanders around 15
        return 100 * (1 + rnd.uniform(-0.27, 0.27))
    if k == "exact15":
        return 85.0 if i % 2 else 115.0
    if k == "const":
        return 123.456
    if k == "drift":
        return 10.0 * (1 + i * 1e-3) * (1 + rnd.uniform(-0.2, 0.2))
    if k == "huge":
        return rnd.uniform(1e290, 1e300)
    if k == "tiny":
        return rnd.uniform(1e-310, 1e-305)
    if k == "zero":
        return 0.0 if rnd.random() < 0.9 else 5.0
    return (3.0 if (i // 37) % 2 else 1.0) * rnd.uniform(50, 60)
for i in range(6000):
    k = rnd.choice(kinds)
    seq[k] += 1
    x = float(repr(value(k, seq[k])))
    out.append('{"name":"%s","value":%r}' % (k, x))
    r = ring[k]
    # detect.c's ring: slot order, not time order
    if len(r) < window:
        r.append(x)
    else:
        r[slot[k]] = x
    slot[k] = (slot[k] + 1) % window
    n = len(r)
    s = 0.0
    for v in r:
        s += v
    mean = s / n
    if not math.isfinite(mean):
        mean = 0.0
    ss = 0.0
    for v in r:
        ss += (v - mean) * (v - mean)
    sd = math.sqrt(ss / n) if math.isfinite(ss / n) else 0.0
    if not math.isfinite(sd):
        sd = 0.0
    cv = None
    if n >= 2 and math.isfinite(mean) and mean > 0:
        c = 100.0 * sd / mean
        cv = c if math.isfinite(c) else 0.0
    if n >= 10 and cv is not None and cv > 15:
        esc.append("%s %d %r %r" % (k, n, mean, cv))
print("\n".join(out))
open(expect, "w").write("\n".join(esc) + "\n")
PY
}

@test "escalation records: mean_us and cv are Python's two-pass figures, bit for bit, serial and threaded" {
	require_cmd python3 jq
	for w in 10 100; do
		gen 7 "$w" >"$D/in.json"
		[ "$(wc -l <"$D/expect")" -gt 500 ] || fail "too few escalations planted"
		for th in 1 2; do
			run --separate-stderr "$ET" -j --cooldown 0 --rate-limit 1000000/1h \
				--window "$w" --threads "$th" <"$D/in.json"
			assert_success
			escalations | jq -r '"\(.brick_name) \(.samples) \(.mean_us) \(.cv)"' >"$D/got.txt"
			python3 - "$D/got.txt" "$D/expect" <<'PY'
import sys
got = [l.split() for l in open(sys.argv[1]) if l.strip()]
exp = [l.split() for l in open(sys.argv[2]) if l.strip()]
assert len(got) == len(exp), "%d escalations, expected %d" % (len(got), len(exp))
for g, e in zip(got, exp):
    assert g[:2] == e[:2] and float(g[2]) == float(e[2]) and float(g[3]) == float(e[3]), (g, e)
PY
		done
	done
}
