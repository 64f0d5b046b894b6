// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nvme_id.c — pure decoding of NVMe Identify Namespace data and namespace
 * device names.  No I/O, no globals: fuzzed with arbitrary bytes.
 *
 * Identify Namespace (NVMe base spec 2.0, figure 276): NSZE at byte 0 (le64),
 * NLBAF at 25 (0-based count), FLBAS at 26, LBA formats at 128 + 4*i
 * (MS le16, LBADS u8 = log2 of the LBA size, RP).  The format index is
 * FLBAS[3:0], plus FLBAS[6:5] as bits 5:4 when more than 16 formats exist
 * (as fio's io_uring_cmd engine decodes it); FLBAS bit 4 = extended LBA.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"

#define ID_NS_SIZE 4096
#define LBAF_OFF 128

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int nvme_id_ns_decode(const uint8_t *buf, size_t len, struct nvme_geom *g)
{
	uint8_t nlbaf, flbas, idx, ds;
	const uint8_t *f;

	memset(g, 0, sizeof(*g));
	if (!buf || len < ID_NS_SIZE)
		return -EINVAL;
	nlbaf = buf[25];
	flbas = buf[26];
	if (nlbaf > 63)
		return -EINVAL;
	idx = flbas & 0xf;
	if (nlbaf >= 16)
		idx |= ((flbas >> 5) & 0x3) << 4;
	if (idx > nlbaf)
		return -EINVAL;
	f = buf + LBAF_OFF + 4 * idx;
	ds = f[2];
	if (ds < 9 || ds > 24)          /* 512 B .. 16 MiB; 0 = format not supported */
		return -EINVAL;
	g->nsze = le64(buf);
	if (!g->nsze)
		return -ENODEV;             /* inactive namespace */
	if (g->nsze > (UINT64_MAX >> ds))
		return -ERANGE;
	g->lba_shift = ds;
	g->lba_size = 1u << ds;
	g->ms = (uint16_t)(f[0] | f[1] << 8);
	g->lbaf = idx;
	g->extended = flbas & 0x10;
	return 0;
}

/* Exactly "<prefix><ctrl>n<ns>" with decimal numbers; -EINVAL otherwise. */
static int parse_ns(const char *s, const char *prefix, unsigned *ctrl, unsigned *ns)
{
	size_t pl = strlen(prefix);
	int end = -1;

	if (strncmp(s, prefix, pl) || s[pl] < '0' || s[pl] > '9' ||
	    strspn(s + pl, "0123456789n") != strlen(s + pl))
		return -EINVAL;
	if (sscanf(s + pl, "%5un%5u%n", ctrl, ns, &end) != 2 || end < 0 || s[pl + end])
		return -EINVAL;
	return 0;
}

int nvme_generic_name(const char *in, char *out, size_t len)
{
	unsigned c, n;
	const char *b = in;

	if (!strncmp(b, "/dev/", 5))
		b += 5;
	if (parse_ns(b, "ng", &c, &n) && parse_ns(b, "nvme", &c, &n))
		return -EINVAL;
	if ((size_t)snprintf(out, len, "/dev/ng%un%u", c, n) >= len)
		return -ENAMETOOLONG;
	return 0;
}
