# tests/vm/ws-numa.sh — worker-spawn's NUMA work types, --mempolicy and the
# NUMA checks on a guest with two NUMA nodes (tests/vm/run --numa 2).  It
# only records; tests/33-ws-mem.bats judges what it left under $OUT.
set -u
cat /sys/devices/system/node/online >"$OUT/online"
pgm() { sed -n 's/^pgmigrate_success //p' /proc/vmstat; }

# case NAME ARGS...: worker-spawn -j ARGS; NAME.json, NAME.err, NAME.rc
case1() {
	n=$1
	shift
	worker-spawn -j "$@" >"$OUT/$n.json" 2>"$OUT/$n.err"
	echo $? >"$OUT/$n.rc"
}

# the sweep moves the region between the nodes: the kernel's migrations
pgm >"$OUT/sweep.pgm0"
case1 sweep -w numa-working-set-sweep:region_kib=1024,sweep_period_ms=50,target_nodes=0+1 -d 2s
pgm >"$OUT/sweep.pgm1"

# the task moves between the nodes' CPUs: the CPU /proc says it is on
worker-spawn -v -j -w numa-migration-churn:period_ms=20 -d 3s >"$OUT/mig.json" 2>"$OUT/mig.err" &
ws=$!
i=0
while [ $i -lt 100 ] && ! grep -q running "$OUT/mig.err"; do sleep 0.05; i=$((i + 1)); done
w=$(cat /proc/$ws/task/*/children | cut -d' ' -f1)
i=0
while [ $i -lt 200 ] && kill -0 "$w" 2>/dev/null; do
	cut -d')' -f2 "/proc/$w/stat" 2>/dev/null | awk '{ print $37 }' >>"$OUT/mig.cpus"
	sleep 0.01
	i=$((i + 1))
done
wait $ws
echo $? >"$OUT/mig.rc"

# page-locality: pages bound away from the CPU's node fail it, near pass
# (a 64 MiB region outweighs the libraries' and ASan's pages, wherever they are)
sw=numa-working-set-sweep:region_kib=65536
case1 far -w $sw,target_nodes=1 --affinity 0 -d 2s --assert page-locality=0.8
case1 near -w $sw,target_nodes=0 --affinity 0 -d 2s --assert page-locality=0.8
# --mempolicy bind:1 on CPU 0: the region lands on node 1, local by policy;
# without it the region is touched first on CPU 0, so lands on node 0
case1 bind1 --mempolicy bind:1 -w $sw --affinity 0 -d 2s --assert page-locality=0.8 \
	--assert cross-node-migration=1000
case1 nopol -w $sw --affinity 0 -d 2s
echo done
