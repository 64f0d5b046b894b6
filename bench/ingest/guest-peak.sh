# tests/vm script (bench/ingest/peak.sh runs it): 4 KiB random reads at
# QD 128 over the guest's NVMe passthrough device, ours vs fio's
# io_uring_cmd engine, interrupt and polled (--hipri, fio hipri) completions.
# One line each: PEAK <who> <mode> <IOPS> <p99_us> <cpu_s>
i=0
while [ $i -lt 100 ] && ! [ -c /dev/ng0n1 ]; do sleep 0.1; i=$((i + 1)); done
size=${1:-32M}
t() { # prints "cpu_s" of the command, its stdout to /tmp/o
	/usr/bin/time -f '%U %S' -o /tmp/t "$@" >/tmp/o 2>/tmp/e || { cat /tmp/e; return 1; }
	awk '{print $1 + $2}' /tmp/t
}
[ -x /usr/bin/time ] || t() { # busybox time: seconds from its report
	busybox time -f '%U %S' "$@" >/tmp/o 2>/tmp/e || { cat /tmp/e; return 1; }
	tail -1 /tmp/e | awk '{print $1 + $2}'
}
for mode in irq poll; do
	for rep in 1 2 3; do
		h=""; fh=""
		[ $mode = poll ] && h=--hipri && fh=--hipri
		c=$(t nvme-gpu-ingest -j --path passthrough --rw randread --bs 4k --iodepth 128 --size "$size" $h /dev/ng0n1) &&
			echo "PEAK ours $mode $(jq -r 'select(.type=="summary") | "\(.iops) \(.lat_p99_us)"' /tmp/o) $c"
		c=$(t fio --name=p --filename=/dev/ng0n1 --ioengine=io_uring_cmd --cmd_type=nvme --rw=randread --bs=4k \
			--iodepth=128 --fixedbufs --registerfiles --size="$size" --lat_percentiles=1 $fh --output-format=json) &&
			echo "PEAK fio $mode $(jq -r '.jobs[0].read | "\(.iops) \(.lat_ns.percentile["99.000000"] / 1e3)"' /tmp/o) $c"
	done
done
echo PEAK-DONE
