# tests/vm script: nvme-gpu-ingest's registered and passthrough paths against
# the guest's emulated NVMe namespace (tests/vm/run --disk IMG).  One line
# each on stdout:
#   INGEST-RC <case> <exit status>
#   INGEST-JSON <case> <json record>
#   INGEST-ERR <case> <stderr line>
i=0
while [ $i -lt 100 ] && ! { [ -b /dev/nvme0n1 ] && [ -c /dev/ng0n1 ]; }; do sleep 0.1; i=$((i + 1)); done
echo "INGEST-GUEST kernel=$(uname -r) nvme=$(ls /dev/nvme0n1 /dev/ng0n1 2>&1 | tr '\n' ' ')"

run_case() { # NAME ARGS...
	name=$1
	shift
	nvme-gpu-ingest -j "$@" >/tmp/out 2>/tmp/err
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
