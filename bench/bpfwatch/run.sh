#!/usr/bin/env bash
# bench/bpfwatch: 50 fields of a live .bss sampled at 1 kHz for 10 s.
# Measures bpfwatch CPU time (mmap mode and --no-mmap lookup mode), syscalls
# per sample, and the same reads done by a loop of `bpftool map lookup`
# (one lookup per sample returns all 50 fields: the cheapest fair peer).
# Usage: bench/bpfwatch/run.sh [SECONDS]   (root, perf, strace, cyclictest; make build/bpfwatch build/tests/bpfwatch_loader)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
B=${TELKIT_BIN:-$here/build}
BW=$B/bpfwatch
LOADER=$B/tests/bpfwatch_loader
SECS=${1:-10}
PEER_N=${PEER_N:-300}
tmp=$(mktemp -d)
"$LOADER" >"$tmp/loader.out" &
lpid=$!
trap 'kill $lpid 2>/dev/null; wait $lpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q ready "$tmp/loader.out" && break; sleep 0.05; done
read -r _ bss _ _ _ < <(grep '^ready' "$tmp/loader.out")

# 50 specs over the .bss leaves (cycled; labels unique).
# --map-id: other loaders of the same object may be running (tests, benches)
mapfile -t fields < <("$BW" --map-id "$bss" --list test_bpf.bss | awk 'NR > 2 { print $1 }')
specs=()
for i in $(seq 0 49); do
	specs+=("test_bpf.bss:${fields[i % ${#fields[@]}]}:scalar:f$i")
done
specs+=(--map-id "$bss")

cpu_of() { # CMD... -> CPU seconds (perf task-clock: exact, children included;
	   # tick-sampled user/sys times are unreliable for 1 kHz wakeups)
	perf stat -x, -e task-clock -o "$tmp/perf" -- "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
	awk -F, '$3 == "task-clock" || $3 ~ /^task-clock/ { printf "%.4f", $1 / 1000 }' "$tmp/perf"
}
syscalls_of() { # CMD... -> "total lookups other_bpf" syscall counts (all threads)
	strace -f -o "$tmp/st" "$@" >/dev/null 2>&1
	echo "$(grep -cE '^[0-9]+ +[a-z_0-9]+\(' "$tmp/st")" \
	     "$(grep -cE '^[0-9]+ +bpf\(BPF_MAP_LOOKUP_ELEM' "$tmp/st")" \
	     "$(grep -E '^[0-9]+ +bpf\(' "$tmp/st" | grep -vc BPF_MAP_LOOKUP_ELEM)"
}

samples=$((SECS * 1000))
mm=$(cpu_of "$BW" -q -j -i 1ms -d "${SECS}s" "${specs[@]}")
lk=$(cpu_of "$BW" -q -j -i 1ms -d "${SECS}s" --no-mmap "${specs[@]}")
so=$(cpu_of "$BW" -q -j -i 1ms -d "${SECS}s" --summary-only "${specs[@]}")
# syscalls in a 2000-sample run: lookups per sample, and the rest (startup + 1 s rescans)
read -r t1 l1 o1 < <(syscalls_of "$BW" -q -j -i 1ms -c 2000 "${specs[@]}")
read -r t2 l2 o2 < <(syscalls_of "$BW" -q -j -i 1ms -c 2000 --no-mmap "${specs[@]}")
# the floor: cyclictest's 1 kHz timer loop (one thread, no work), the same
# wakeups with nothing read or written
floor=$(cpu_of cyclictest -q -t 1 -i 1000 -l "$samples")
peer=$(cpu_of bash -c "for i in \$(seq $PEER_N); do bpftool map lookup id $bss key 0 0 0 0 >/dev/null; done")
read -r pt pb < <(syscalls_of bpftool map lookup id "$bss" key 0 0 0 0)

awk -v s="$SECS" -v n="$samples" -v mm="$mm" -v lk="$lk" -v so="$so" -v pn="$PEER_N" -v peer="$peer" \
    -v t1="$t1" -v l1="$l1" -v o1="$o1" -v t2="$t2" -v l2="$l2" -v o2="$o2" -v pt="$pt" -v pb="$pb" -v fl="$floor" 'BEGIN {
	ps = peer / pn
	printf "bpfwatch: 50 fields, 1 kHz, %d s (%d samples)\n", s, n
	printf "  mmap mode    cpu %.3f s = %.2f%% of one core, %.1f us/sample\n", mm, mm / s * 100, mm / n * 1e6
	printf "  lookup mode  cpu %.3f s = %.2f%% of one core, %.1f us/sample\n", lk, lk / s * 100, lk / n * 1e6
	printf "  mmap, --summary-only (no per-tick records): cpu %.3f s = %.2f%% of one core, %.1f us/sample\n", so, so / s * 100, so / n * 1e6
	printf "  2000-sample run, mmap:   %.3f map reads (bpf lookups)/sample, %.2f syscalls/sample in all (sleep, write, %d other bpf calls for startup and rescans)\n", l1 / 2000, t1 / 2000, o1
	printf "  2000-sample run, lookup: %.3f map reads (bpf lookups)/sample, %.2f syscalls/sample in all (sleep, write, %d other bpf calls for startup and rescans)\n", l2 / 2000, t2 / 2000, o2
	printf "peer: bpftool map lookup loop, %d runs: %.1f us cpu/sample, %d syscalls (%d bpf) per sample\n", pn, ps * 1e6, pt, pb
	printf "ratio cpu/sample bpftool / bpfwatch-mmap:   %.0fx\n", ps / (mm / n)
	printf "ratio cpu/sample bpftool / bpfwatch-lookup: %.0fx\n", ps / (lk / n)
	printf "ratio cpu/sample bpftool / bpfwatch-mmap-summary-only: %.0fx\n", ps / (so / n)
	printf "records: %.1f us/sample on top of --summary-only (building, writing and flushing one ~1.2 KB JSON line)\n", (mm - so) / n * 1e6
	printf "floor: cyclictest -i 1000, the 1 kHz wakeups alone: cpu %.3f s = %.2f%% of one core, %.1f us/tick; bpfwatch-mmap / floor: %.2fx\n", fl, fl / s * 100, fl / n * 1e6, mm / fl
	printf "goal <= 1%% of one core (mmap): %s with per-tick records, %s with --summary-only%s\n", (mm / s * 100 <= 1) ? "met" : "NOT met", (so / s * 100 <= 1) ? "met" : "NOT met", (fl / s * 100 > 1) ? " (below the floor of 1 kHz wakeups on this machine)" : ""
}'
