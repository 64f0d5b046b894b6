#!/usr/bin/env bash
# bench/escalate/ingest.sh: escalate-trace's stdin ingest rate against jq -c
# on the same file, in R interleaved rounds (the box may be shared: each
# round runs every configuration once, back to back).  Per configuration:
# lines/s from wall time and CPU ns per line (user + system, all threads,
# from /usr/bin/time), median and range over the rounds; the jq ratio is the
# median of each round's ratio.  Configurations: the default threads, serial
# (--threads 1), and the robust detectors on (--detect all),
# each with the default detectors (CV, efficiency) of --value.
# TELKIT_BIN_BEFORE=DIR adds DIR/escalate-trace's default, serial and
# --detect all runs (an earlier build) to the same rounds.
# Goals: issue 20, >= 1.5M lines/s on 2 CPUs and >= 4x jq with the default
# detectors; issue 21, >= 1M lines/s with --detect all.
# Usage: bench/escalate/ingest.sh [LINES=2000000] [R=5]
set -eu
LINES=${1:-2000000}
R=${2:-5}
here=$(cd "$(dirname "$0")/../.." && pwd)
B=${TELKIT_BIN:-$here/build}
ET=$B/escalate-trace
BEFORE=${TELKIT_BIN_BEFORE:+$TELKIT_BIN_BEFORE/escalate-trace}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$LINES" > "$tmp/lines.json" <<'PY'
import sys
n = int(sys.argv[1])
w = sys.stdout.write
for i in range(n):
    w('{"tool":"progstats","type":"sample","ts_ns":%d,"name":"prog%d","id":%d,"ns_per_call":%d.5,"cnt":%d}\n'
      % (1700000000000000000 + i, i % 64, i % 64, 100 + i % 7, i))
PY

# run NAME CMD...: one timed run on the lines; "NAME wall_s cpu_s" appended to results
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@" <"$tmp/lines.json" >/dev/null
	awk -v n="$name" '{ print n, $1, $2 + $3 }' "$tmp/time" >>"$tmp/results"
}
ingest() { "$1" -j --value ns_per_call --value-unit ns --rate-limit 0/1h "${@:2}"; }
export -f ingest

: >"$tmp/results"
for _ in $(seq "$R"); do
	run default bash -c 'ingest "$0"' "$ET"
	run jq jq -c 'select(.ns_per_call > 0) | .name'
	run serial bash -c 'ingest "$0" --threads 1' "$ET"
	run detect bash -c 'ingest "$0" --detect all' "$ET"
	if [ -n "$BEFORE" ]; then
		run before bash -c 'ingest "$0"' "$BEFORE"
		run before-serial bash -c 'ingest "$0" --threads 1' "$BEFORE"
		run before-detect bash -c 'ingest "$0" --detect all' "$BEFORE"
	fi
done

echo "stdin ingest of $LINES telkit JSON lines, $R interleaved rounds ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)):"
awk -v lines="$LINES" -v r="$R" '
function med(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ k = $1; i = ++cnt[k]; wall[k, i] = $2; cpu[k, i] = $3; if (!(k in order)) { order[k] = ++norder; name[norder] = k } }
END {
	for (o = 1; o <= norder; o++) {
		k = name[o]; n = cnt[k]
		for (i = 1; i <= n; i++) { ls[i] = lines / wall[k, i]; ns[i] = cpu[k, i] * 1e9 / lines }
		lo = 1e99; hi = 0; clo = 1e99; chi = 0
		for (i = 1; i <= n; i++) { if (ls[i] < lo) lo = ls[i]; if (ls[i] > hi) hi = ls[i]; if (ns[i] < clo) clo = ns[i]; if (ns[i] > chi) chi = ns[i] }
		m = med(ls, n); c = med(ns, n); rate[k] = m
		printf "  %-14s %6.2fM lines/s (%.2f-%.2fM)  CPU %5.0f ns/line (%.0f-%.0f)", k, m / 1e6, lo / 1e6, hi / 1e6, c, clo, chi
		if (k != "jq") {
			for (i = 1; i <= n; i++) rr[i] = wall["jq", i] / wall[k, i]
			jr[k] = med(rr, n)
			printf "  %.1fx jq", jr[k]
		}
		printf "\n"
	}
	printf "  goal >= 1.5M lines/s and >= 4x jq (default threads): %s\n", (rate["default"] >= 1.5e6 && jr["default"] >= 4) ? "met" : "NOT met"
	printf "  goal >= 1M lines/s with --detect all: %s\n", (rate["detect"] >= 1e6) ? "met" : "NOT met"
}' "$tmp/results"
