#!/usr/bin/env bash
# bench/worker-spawn/overhead.sh: telemetry overhead of each issue-15 work
# type, as work-unit loss against --no-telemetry (goal: <= 2% loss).
# Paired rounds: each round runs the type once with telemetry and once
# without, back to back, the order swapped every round; the round's ratio is
# on/off, the figure is the median of the rounds' ratios.  The rate is the
# group's work units per CPU-second of its workers (summed over the reports),
# robust to other load on a shared host; types whose workers' CPU time is not
# where the work happens use units per wall-second and say so.  TREE rows
# (issue 15: schbench at a fixed requests_per_sec, so every round has the same
# work) are units per CPU-second of the whole worker-spawn process tree, its
# threads and the telemetry included (perf stat's task-clock): the inverse of
# the CPU time per request.
# Usage: bench/worker-spawn/overhead.sh [SECONDS] [ROUNDS] [TYPE..]  (root)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
WS=${TELKIT_BIN:-$here/build}/worker-spawn
D=${1:-2}
R=${2:-5}
shift $(($# < 2 ? $# : 2))
for c in jq awk sort; do
	command -v "$c" >/dev/null || { echo "bench: needs $c" >&2; exit 1; }
done

CPU='([.[] | select(.type=="report") | .work_units] | add) /
     ([.[] | select(.type=="report") | .cpu_time_ns] | add) * 1e9'
WALL='([.[] | select(.type=="report") | .work_units] | add) /
      ([.[] | select(.type=="report") | .wall_time_ns] | max) * 1e9'
# name|worker-spawn arguments|rate (CPU or WALL); paced types run unpaced so
# their workers are busy and the per-unit cost shows
cases=(
	"wake-chain|-w wake-chain|CPU"
	"thundering-herd|-w thundering-herd:inter_batch_ms=1,batches=1000000|CPU"
	"epoll-storm|-w epoll-storm|CPU"
	"asymmetric-waker|-w asymmetric-waker|CPU"
	"producer-consumer-imbalance|-w producer-consumer-imbalance:produce_rate_hz=0|CPU"
	"priority-inversion|-w priority-inversion|CPU"
	"rt-starvation|-w rt-starvation|CPU"
	"preempt-storm|-w preempt-storm|CPU"
	"signal-storm|-w signal-storm|CPU"
	"cross-affinity-churn|-w cross-affinity-churn -n 2|CPU"
	"numa-migration-churn|-w numa-migration-churn|CPU"
	"numa-working-set-sweep|-w numa-working-set-sweep:sweep_period_ms=0|CPU"
	"page-fault-churn|-w page-fault-churn|CPU"
	"cgroup-churn|-w cgroup-churn:cycle_ms=0 --cgroup wsbench-cgroup-churn|CPU"
	"cgroup-attach-storm|-w cgroup-attach-storm --cgroup wsbench-attach-storm|CPU"
	"net-traffic|-w net-traffic:interval_us=0|CPU"
	"irq-wake|-w irq-wake:interval_us=0|CPU"
	"schbench|-w schbench|WALL"
	"schbench-rps|-w schbench:requests_per_sec=100,skip_locking=1|TREE"
	"schbench-rps-light|-w schbench:requests_per_sec=1000,cache_footprint_kib=16,operations=1,skip_locking=1|TREE"
	"taobench|-w taobench|WALL"
)

UNITS='[.[] | select(.type=="report") | .work_units] | add'
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

rate() { # ARGS JQ|TREE [--no-telemetry]
	local args=$1 expr=$2
	shift 2
	if [ "$expr" = TREE ]; then
		# shellcheck disable=SC2086 # ARGS is a word list
		perf stat -x, -e task-clock -o "$TMP/ps" -- "$WS" $args -d "${D}s" -j -q "$@" >"$TMP/out"
		awk -F, -v u="$(jq -rs "$UNITS" "$TMP/out")" '$3 == "task-clock" { print u / ($1 / 1e3) }' "$TMP/ps"
		return
	fi
	# shellcheck disable=SC2086 # ARGS is a word list
	"$WS" $args -d "${D}s" -j -q "$@" | jq -rs "$expr"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

printf '%-28s %-5s %14s %14s %7s %7s %s\n' type rate telemetry baseline ratio loss "<=2%"
for c in "${cases[@]}"; do
	name=${c%%|*}
	rest=${c#*|}
	args=${rest%|*}
	kind=${rest##*|}
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
		continue
	fi
	expr=$CPU
	[ "$kind" = WALL ] && expr=$WALL
	[ "$kind" = TREE ] && expr=TREE
	if [ "$kind" = TREE ] && ! command -v perf >/dev/null; then
		echo "$name: skipped (needs perf for task-clock)"
		continue
	fi
	ons=() offs=() ratios=()
	for ((r = 1; r <= R; r++)); do
		if ((r % 2)); then
			on=$(rate "$args" "$expr")
			off=$(rate "$args" "$expr" --no-telemetry)
		else
			off=$(rate "$args" "$expr" --no-telemetry)
			on=$(rate "$args" "$expr")
		fi
		ons+=("$on") offs+=("$off")
		ratios+=("$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }')")
	done
	mon=$(printf '%s\n' "${ons[@]}" | median)
	moff=$(printf '%s\n' "${offs[@]}" | median)
	mr=$(printf '%s\n' "${ratios[@]}" | median)
	awk -v n="$name" -v k="$kind" -v a="$mon" -v b="$moff" -v q="$mr" -v rs="${ratios[*]}" 'BEGIN {
		printf "%-28s %-5s %14.1f %14.1f %7.4f %6.2f%% %s  (rounds: %s)\n",
			n, k, a, b, q, (1 - q) * 100, (q >= 0.98 ? "yes" : "NO"), rs }'
done
echo "(ratio: median of the rounds' telemetry/baseline; WALL rows (schbench, taobench) are units per" \
	"wall-second, which on a shared host swing far more than 2% from round to round; TREE rows are" \
	"units per CPU-second of the whole process tree at a fixed rate: 1 / CPU time per request)"
