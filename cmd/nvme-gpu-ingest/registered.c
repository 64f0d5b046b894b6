// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * registered.c — the registered path: IORING_OP_READ_FIXED into the slot's
 * io_uring-registered buffer (buf_index = slot).  The kernel pins those pages
 * once at registration, so every read is a DMA (O_DIRECT) or a page-cache
 * copy by the kernel straight into the target memory; no user-space bounce.
 * With --nowait a read carries RWF_NOWAIT until it has seen -EAGAIN once.
 * Sources are opened by source.c; the ring needs no extra setup flags.
 */
#include <linux/fs.h>

#include "ingest.h"

static void registered_prep(struct engine *e, struct io_uring_sqe *sqe, unsigned i)
{
	const struct slot *s = &e->slots[i];
	uint8_t *buf = e->tgt.base + (size_t)i * e->tgt.slot_size + (s->io_off - s->off);

	io_uring_prep_read_fixed(sqe, e->src[s->src].fd, buf, (unsigned)s->io_len,
				 s->io_off, (int)i);
	if (e->args->nowait && !s->blocking)
		sqe->rw_flags = RWF_NOWAIT;
}

/* A READ_FIXED completion carries the bytes read or -errno as it is. */
static int64_t registered_result(struct engine *e, unsigned i, const struct io_uring_cqe *cqe)
{
	return cqe->res;
}

const struct ingest_path_ops registered_ops = {
	.path = PATH_REGISTERED,
	.open = source_open,
	.prep = registered_prep,
	.result = registered_result,
};
