#!/usr/bin/env bash
# bench/escalate/target.sh — a realistic target: tar of a source tree into
# a pipe (tar -cf - SRC | cat >/dev/null; straight to /dev/null GNU tar
# would skip reading the files), untraced, traced by escalate-trace (auto
# hook, --follow-children: the shell's tar and cat) and under strace -c -f.
# Wall time of the whole pipeline, median of R runs (the first, cold-cache
# run is discarded); the syscall counts of escalate-trace and strace are
# printed side by side for the busiest calls.
# Usage: bench/escalate/target.sh [SRC=/tmp/sidapt/src/linux-source-7.2 or this repo] [R=3]   (root)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${1:-/tmp/sidapt/src/linux-source-7.2}
[ -d "$SRC" ] || SRC=$here
R=${2:-3}
B=${TELKIT_BIN:-$here/build}
ET=$B/escalate-trace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CMD="tar -cf - -C '$SRC' . | cat >/dev/null"

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
untraced() { local t0; t0=$(now); sh -c "$CMD"; echo "$(now) - $t0" | bc -l; }
stracec() { local t0; t0=$(now); strace -f -c -o "$tmp/strace.out" sh -c "$CMD"; echo "$(now) - $t0" | bc -l; }
traced() {
	local pid epid t0
	sh -c 'kill -STOP $$; exec sh -c "$0"' "$CMD" &
	pid=$!
	while [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" != T ]; do sleep 0.01; done
	rm -f "$tmp/et.err"
	"$ET" -j -v --manual --pid $pid --follow-children --trace-for 600s --top 20 \
		>"$tmp/et.json" 2>"$tmp/et.err" &
	epid=$!
	until grep -qs "tracing pid" "$tmp/et.err"; do sleep 0.01; done
	t0=$(now)
	kill -CONT $pid
	wait $pid
	echo "$(now) - $t0" | bc -l
	wait $epid
}

sh -c "$CMD" # warm the page cache
for mode in untraced traced stracec; do
	for _ in $(seq "$R"); do $mode; done | median > "$tmp/$mode.t"
done
u=$(cat "$tmp/untraced.t") t=$(cat "$tmp/traced.t") s=$(cat "$tmp/stracec.t")
echo "$CMD ($(find "$SRC" -type f | wc -l) files, $(du -sh "$SRC" | cut -f1); $(nproc) CPUs; median of $R):"
printf '  untraced        %8.3f s\n' "$u"
printf '  escalate-trace  %8.3f s  %5.2fx  (hook %s)\n' "$t" "$(echo "$t / $u" | bc -l)" \
	"$(jq -r 'select(.event=="escalation") | .hook' "$tmp/et.json")"
printf '  strace -c -f    %8.3f s  %5.2fx\n' "$s" "$(echo "$s / $u" | bc -l)"
echo "  calls, escalate-trace vs strace -c -f (last run of each):"
jq -r 'select(.event=="escalation") | .syscalls[] | "\(.name) \(.count)"' "$tmp/et.json" | head -8 |
	while read -r n c; do
		printf '    %-12s %9s %9s\n' "$n" "$c" "$(awk -v n="$n" '$NF==n {print (NF == 6 ? $4 : $4)}' "$tmp/strace.out")"
	done
