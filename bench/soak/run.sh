#!/usr/bin/env bash
# bench/soak: long runs stay flat (issue 19).  Three commands run at once,
# each under churn, while their RSS, open file descriptors and BPF objects
# held (fds on anon_inode:bpf-*) are sampled every SAMPLE seconds:
#   progstats -o prom -i 10ms --textfile   programs loading and unloading
#                                          (tests/helpers/progstats_load, a new
#                                          one every 2 s, each living 4 s)
#   bpfwatch -j -i 1ms --textfile          its maps replaced every 3 s
#                                          (bpfwatch_loader reloads on SIGUSR1)
#   escalate-trace -j                      a stream of LINES JSON lines, paced
#                                          over the run, with an anomalous
#                                          window every 20000 lines (escalations
#                                          that trace the generator)
# After the warm-up (the first quarter of the run) the highest value of the
# last third is compared with the highest of the first third after warm-up:
# growth must stay within LIMIT % for every resource (maxima, because the
# churn makes fds and BPF objects come and go).  progstats' RSS follows the
# most programs loaded on the host at once (its snapshot arrays keep their
# high-water mark): when more programs were loaded at once after the first
# third than ever before it (another user loading some), its RSS growth is
# shown but not counted.  Prints every sample and a
# table; exit 0 when flat, 3 when something grew, 1 when a command died.
#   bench/soak/run.sh [DURATION_S=1800] [SAMPLE_S=10] [LIMIT_PCT=1] [LINES=1000000]
#   bench/soak/run.sh --ci      = 120 10 2 1000000 (what .ci/run runs)
# Root (BPF).  Binaries from $TELKIT_BIN (default build/).
set -eu
if [ "${1:-}" = --ci ]; then set -- 120 10 2 1000000; fi
DUR=${1:-1800}
SAMPLE=${2:-10}
LIMIT=${3:-1}
LINES=${4:-1000000}
here=$(cd "$(dirname "$0")/../.." && pwd)
B=${TELKIT_BIN:-$here/build}
[ "$(id -u)" -eq 0 ] || { echo "bench/soak: needs root" >&2; exit 1; }
for c in progstats bpfwatch escalate-trace tests/progstats_load tests/bpfwatch_loader; do
	[ -x "$B/$c" ] || { echo "bench/soak: $B/$c missing (make all)" >&2; exit 1; }
done

tmp=$(mktemp -d)
tf=$(mktemp -d /dev/shm/telkit-soak.XXXXXX)   # textfiles: fsync'ed 100x/s, keep them off disk
pids=()
churn=
cleanup() {
	[ -z "$churn" ] || { kill "$churn" 2>/dev/null; wait "$churn" 2>/dev/null; } || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp" "$tf"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# bpfwatch's map names are machine-wide: one user at a time (as tests/20)
exec {lockfd}>/tmp/telkit-20-bpfwatch.lock
flock -w 300 "$lockfd" || { echo "bench/soak: another run holds the bpfwatch lock" >&2; exit 1; }

"$B/tests/bpfwatch_loader" --known >"$tmp/bwl" 2>&1 &
bwl=$!
pids+=("$bwl")
for _ in $(seq 200); do grep -q '^ready' "$tmp/bwl" && break; sleep 0.05; done
grep -q '^ready' "$tmp/bwl" || { cat "$tmp/bwl"; exit 1; }

# churn: a progstats_load every 2 s (living 4 s), bpfwatch's maps replaced every 3 s
(
	trap 'kill $(jobs -p) 2>/dev/null; wait; exit 0' TERM
	i=0
	while :; do
		if [ $((i % 2)) -eq 0 ]; then
			"$B/tests/progstats_load" -s -b 20 -t 4 >/dev/null 2>&1 &
		fi
		[ $((i % 3)) -ne 2 ] || kill -USR1 "$bwl" 2>/dev/null || true
		i=$((i + 1))
		sleep 1
	done
) &
churn=$!

"$B/progstats" -q -o prom -i 10ms --textfile "$tf/progstats.prom" >/dev/null &
ps_pid=$!
pids+=("$ps_pid")
"$B/bpfwatch" -q -j -i 1ms --obj test_bpf test_bpf.bss:sys_stat.lat.delta:scalar:delta \
	'test_bpf.bss:sys_stat.hist[3]:counter:h3' --textfile "$tf/bpfwatch.prom" >/dev/null &
bw_pid=$!
pids+=("$bw_pid")
# LINES lines paced over the run (then the pipe stays open); every 20000th line starts a window of 100
# alternating 50/150 values (CV ~50 % > 15 %): an escalation tracing this generator
mkfifo "$tmp/lines"
python3 -c '
import os, sys, time
n, dur = int(sys.argv[1]), float(sys.argv[2])
out, t0, pid = sys.stdout, time.monotonic(), os.getpid()
for i in range(n):
    bad = i % 20000 < 100
    v = (50 if i % 2 else 150) if bad else 100 + (i % 3)
    out.write("{\"type\":\"sample\",\"name\":\"brick%d\",\"value\":%d,\"pid\":%d}\n" % (i % 4 if not bad else 9, v, pid))
    if i % 500 == 0:
        out.flush()
        ahead = t0 + dur * i / n - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
out.flush()
time.sleep(1e6)   # keep stdin open: escalate-trace is stopped by the script
' "$LINES" "$DUR" >"$tmp/lines" &
pids+=($!)
"$B/escalate-trace" -q -j --pid pid --trace-for 200ms --cooldown 0 <"$tmp/lines" >"$tmp/esc.json" &
et_pid=$!
pids+=("$et_pid")

# probe PID: "rss_kb fds bpf" now
probe() {
	local rss fds=0 bpf=0 f l
	rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$rss" ] || return 1
	for f in "/proc/$1/fd/"*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		fds=$((fds + 1))
		case $l in anon_inode:bpf*|anon_inode:btf*) bpf=$((bpf + 1)) ;; esac
	done
	echo "$rss $fds $bpf"
}

echo "soak: ${DUR}s, a sample every ${SAMPLE}s, warm-up $((DUR / 4))s, limit ${LIMIT}%"
printf '%6s  %-14s %10s %5s %5s %6s\n' t_s command rss_kb fds bpf progs
: >"$tmp/samples"
start=$SECONDS
while [ $((SECONDS - start)) -lt "$DUR" ]; do
	sleep "$SAMPLE"
	t=$((SECONDS - start))
	for c in progstats:$ps_pid bpfwatch:$bw_pid escalate-trace:$et_pid; do
		name=${c%%:*} pid=${c##*:}
		if ! v=$(probe "$pid"); then
			echo "soak: $name (pid $pid) is gone at ${t}s" >&2
			exit 1
		fi
		read -r rss fds bpf <<<"$v"
		# progstats' memory follows the programs loaded on the host: count them
		progs=0
		[ "$name" != progstats ] || progs=$(grep -c '^telkit_bpf_prog_runs_total' "$tf/progstats.prom" || true)
		printf '%6d  %-14s %10d %5d %5d %6d\n' "$t" "$name" "$rss" "$fds" "$bpf" "$progs"
		echo "$t $name $rss $fds $bpf $progs" >>"$tmp/samples"
	done
done
escalations=$(grep -c '"event":"escalation"' "$tmp/esc.json" || true)
textfiles=$(ls "$tf")

echo
echo "after warm-up: highest of the first third vs highest of the last third"
awk -v dur="$DUR" -v limit="$LIMIT" '
	{ t = $1; c = $2
	  if ($6 > hw[c]) hw[c] = $6      # most programs seen so far
	  if (t < dur / 4) next
	  third = (t - dur / 4) / (dur * 3 / 4)
	  if (third <= 1 / 3) hw1[c] = hw[c]
	  for (k = 3; k <= 5; k++) {
		key = c SUBSEP k
		if (third <= 1 / 3 && $k > first[key]) first[key] = $k
		if (third >= 2 / 3 && $k > last[key]) last[key] = $k
	  }
	  seen[c] = 1 }
	END {
		split("rss_kb fds bpf", what, " ")
		printf "%-14s %-7s %10s %10s %8s  %s\n", "command", "what", "first", "last", "growth", "verdict"
		bad = 0
		for (c in seen) for (k = 3; k <= 5; k++) {
			key = c SUBSEP k
			g = first[key] ? (last[key] - first[key]) * 100 / first[key] : (last[key] ? 100 : 0)
			ok = g <= limit
			verdict = ok ? "flat" : "GREW"
			if (!ok && k == 3 && hw[c] > hw1[c]) {
				verdict = sprintf("more programs on the host (most %d -> %d): not counted", hw1[c], hw[c])
				ok = 1
			}
			if (!ok) bad = 1
			printf "%-14s %-7s %10d %10d %7.2f%%  %s\n", c, what[k - 2], first[key], last[key], g, verdict
		}
		exit bad ? 3 : 0
	}' "$tmp/samples" && rc=0 || rc=$?
echo "escalations: $escalations; textfiles: $(echo $textfiles)"
[ "$escalations" -gt 0 ] || { echo "soak: escalate-trace never escalated" >&2; rc=1; }
exit "$rc"
