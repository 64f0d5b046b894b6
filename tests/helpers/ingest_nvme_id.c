// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ingest_nvme_id — drives nvme-gpu-ingest's pure NVMe decoders (also a
 * fuzzing entry point: any bytes on stdin).
 *   ingest_nvme_id < id-ns.bin    -> "rc=0 nsze=N lba_size=N lbaf=N ms=N extended=0|1"
 *   ingest_nvme_id name DEV       -> "rc=0 /dev/ngXnY" or "rc=-22"
 */
#include <stdio.h>
#include <string.h>

#include "../../cmd/nvme-gpu-ingest/nvme_id.c"

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct nvme_geom g;
	char out[64];
	size_t n;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "name")) {
		rc = nvme_generic_name(argv[2], out, sizeof(out));
		printf("rc=%d%s%s\n", rc, rc ? "" : " ", rc ? "" : out);
		return 0;
	}
	n = fread(buf, 1, sizeof(buf), stdin);
	rc = nvme_id_ns_decode(buf, n, &g);
	printf("rc=%d nsze=%llu lba_size=%u lbaf=%u ms=%u extended=%d\n", rc,
	       (unsigned long long)g.nsze, g.lba_size, g.lbaf, g.ms, g.extended);
	return 0;
}
