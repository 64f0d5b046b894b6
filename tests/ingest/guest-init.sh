#!/bin/busybox sh
# /init of the nvme-gpu-ingest QEMU guest: run both paths against the
# emulated NVMe namespace and print the results on the console, one line each:
#   INGEST-RC <case> <exit status>
#   INGEST-JSON <case> <json record>
#   INGEST-ERR <case> <stderr line>
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for i in $(seq 1 100); do
	[ -b /dev/nvme0n1 ] && [ -c /dev/ng0n1 ] && break
	sleep 0.1
done
echo "INGEST-GUEST kernel=$(uname -r) nvme=$(ls /dev/nvme0n1 /dev/ng0n1 2>&1 | tr '\n' ' ')"

run_case() { # NAME ARGS...
	name=$1
	shift
	/nvme-gpu-ingest -j "$@" >/tmp/out 2>/tmp/err
	rc=$?
	while IFS= read -r l; do echo "INGEST-JSON $name $l"; done </tmp/out
	while IFS= read -r l; do echo "INGEST-ERR $name $l"; done </tmp/err
	echo "INGEST-RC $name $rc"
}

run_case probe --probe
run_case reg-buffered --verify --validate /dev/nvme0n1
run_case reg-direct --direct --verify --validate --qd 8 /dev/nvme0n1
run_case pt-ng --path passthrough --verify --validate /dev/ng0n1
run_case pt-nvme --path passthrough --verify --validate --offset 8192 --length 1000001 --chunk 64k /dev/nvme0n1
run_case reg-direct-tail --direct --verify --validate --offset 4096 --length 4097 /dev/nvme0n1
echo INGEST-DONE
echo o >/proc/sysrq-trigger
sleep 5
