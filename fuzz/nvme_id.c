// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz nvme-gpu-ingest's Identify Namespace / LBA format decoder and device
 * name mapping (cmd/nvme-gpu-ingest/nvme_id.c) with arbitrary identify pages.
 * Byte 0 selects: odd = identify page (the rest, as is and zero-padded to
 * 4096 bytes so short inputs reach the format table); even = a device name.
 * Invariants: no over-read (exactly sized heap copies); an accepted page has
 * a supported LBA size (512 B..16 MiB, lba_size == 1 << lba_shift), a format
 * index within NLBAF, a non-zero size whose byte count fits in 64 bits, and
 * the metadata size and extended flag read from that very format; a mapped
 * name is /dev/ngXnY and maps to itself.
 */
// FUZZ_SOURCES: cmd/nvme-gpu-ingest/nvme_id.c
#include <errno.h>
#include <stdint.h>

#include "fuzz.h"
#include "../cmd/nvme-gpu-ingest/ingest.h"

static void page(const uint8_t *p, size_t len)
{
	struct nvme_geom g;
	unsigned idx;
	int ret = nvme_id_ns_decode(p, len, &g);

	if (ret) {
		FUZZ_CHECK(ret == -EINVAL || ret == -ENODEV || ret == -ERANGE);
		return;
	}
	FUZZ_CHECK(len >= 4096);
	FUZZ_CHECK(g.lba_shift >= 9 && g.lba_shift <= 24 && g.lba_size == 1u << g.lba_shift);
	FUZZ_CHECK(g.lbaf <= p[25] && g.lbaf < 64);
	FUZZ_CHECK(g.nsze && g.nsze <= UINT64_MAX >> g.lba_shift);
	idx = g.lbaf;
	FUZZ_CHECK(p[128 + 4 * idx + 2] == g.lba_shift);
	FUZZ_CHECK(g.ms == (p[128 + 4 * idx] | p[128 + 4 * idx + 1] << 8));
	FUZZ_CHECK(g.extended == !!(p[26] & 0x10));
}

static void name(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), out[32], again[32];
	unsigned c, n;
	char tail;

	if (!s)
		return;
	if (!nvme_generic_name(s, out, sizeof(out))) {
		FUZZ_CHECK(sscanf(out, "/dev/ng%un%u%c", &c, &n, &tail) == 2);
		FUZZ_CHECK(!nvme_generic_name(out, again, sizeof(again)) && !strcmp(out, again));
	}
	nvme_generic_name(s, out, 8);   /* too small a buffer is an error, not an overflow */
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		name(data + 1, size - 1);
		return 0;
	}
	p = calloc(size - 1 ? size - 1 : 1, 1);   /* exactly sized: over-reads show */
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	page(p, size - 1);
	free(p);
	if (size - 1 < 4096) {
		p = calloc(1, 4096);
		if (!p)
			return 0;
		memcpy(p, data + 1, size - 1);
		page(p, 4096);
		free(p);
	}
	return 0;
}
