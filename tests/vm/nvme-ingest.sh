# tests/vm script: nvme-gpu-ingest against the guest's emulated NVMe
# namespace (tests/vm/run --disk IMG).  Case sets:
#   (none)  the registered and passthrough paths, one source (tests/40)
#   multi   several sources, passthrough with and without polled
#           completions (issue 16, tests/41)
# One line each on stdout:
#   INGEST-GUEST kernel=<release> nvme=<device nodes>
#   INGEST-IOPOLL <queue/io_poll of the namespace>
#   INGEST-RC <case> <exit status>
#   INGEST-JSON <case> <json record>
#   INGEST-ERR <case> <stderr line>
#   INGEST-DONE
i=0
while [ $i -lt 100 ] && ! { [ -b /dev/nvme0n1 ] && [ -c /dev/ng0n1 ]; }; do sleep 0.1; i=$((i + 1)); done
echo "INGEST-GUEST kernel=$(uname -r) nvme=$(ls /dev/nvme0n1 /dev/ng0n1 2>&1 | tr '\n' ' ')"
echo "INGEST-IOPOLL $(cat /sys/block/nvme0n1/queue/io_poll 2>&1)"

run_case() { # NAME ARGS...
	name=$1
	shift
	nvme-gpu-ingest -j "$@" >/tmp/out 2>/tmp/err
	rc=$?
	while IFS= read -r l; do echo "INGEST-JSON $name $l"; done </tmp/out
	while IFS= read -r l; do echo "INGEST-ERR $name $l"; done </tmp/err
	echo "INGEST-RC $name $rc"
}

case "${1:-}" in
multi)
	run_case pt-two --path passthrough --verify --validate --length 4M /dev/ng0n1 /dev/nvme0n1
	run_case pt-hipri --path passthrough --hipri --verify --validate --length 4M /dev/ng0n1
	run_case pt-rand --path passthrough --rw randread --bs 4k --iodepth 32 --validate --length 2M /dev/ng0n1
	;;
*)
	run_case probe --probe
	run_case reg-buffered --verify --validate /dev/nvme0n1
	run_case reg-direct --direct --verify --validate --qd 8 /dev/nvme0n1
	run_case pt-ng --path passthrough --verify --validate /dev/ng0n1
	run_case pt-nvme --path passthrough --verify --validate --offset 8192 --length 1000001 --chunk 64k /dev/nvme0n1
	run_case reg-direct-tail --direct --verify --validate --offset 4096 --length 4097 /dev/nvme0n1
	;;
esac
echo INGEST-DONE
