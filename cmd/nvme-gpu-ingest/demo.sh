#!/usr/bin/env bash
# nvme-gpu-ingest demo: a 256 MiB file read into registered host memory,
# buffered and O_DIRECT, verified and validated; then what the host supports.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
head -c $((256 * 1048576 + 13)) /dev/urandom >"$d/data.bin"
echo "# buffered, --verify --validate"
nvme-gpu-ingest --verify --validate "$d/data.bin"
echo "# O_DIRECT, JSON samples every 50ms (last 2 lines)"
nvme-gpu-ingest --direct -j -i 50ms --qd 32 "$d/data.bin" | tail -2
echo "# --probe"
nvme-gpu-ingest --probe
