# tests/vm script: nvme-gpu-ingest over several sources on the guest's one
# emulated NVMe namespace, passthrough with and without polled completions
# (issue 16).  Lines as tests/vm/nvme-ingest.sh: INGEST-RC/JSON/ERR <case>,
# plus INGEST-IOPOLL <queue/io_poll of the namespace>.
i=0
while [ $i -lt 100 ] && ! { [ -b /dev/nvme0n1 ] && [ -c /dev/ng0n1 ]; }; do sleep 0.1; i=$((i + 1)); done
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

run_case pt-two --path passthrough --verify --validate --length 4M /dev/ng0n1 /dev/nvme0n1
run_case pt-hipri --path passthrough --hipri --verify --validate --length 4M /dev/ng0n1
run_case pt-rand --path passthrough --rw randread --bs 4k --iodepth 32 --validate --length 2M /dev/ng0n1
echo INGEST-DONE
