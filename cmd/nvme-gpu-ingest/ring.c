// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ring.c — io_uring setup and buffer registration.
 *
 * Like fio's fio_ioring_queue_init(): ask for the best flags and, on EINVAL,
 * drop the optional ones one group at a time (DEFER_TASKRUN|SINGLE_ISSUER,
 * then COOP_TASKRUN, then CQSIZE).  Required flags (SQE128|CQE32 for NVMe
 * passthrough, SQPOLL when asked for, R_DISABLED for a worker's ring) are
 * never dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "array.h"
#include "ingest.h"

#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#endif
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

static const unsigned drop_order[] = {
	IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
	IORING_SETUP_COOP_TASKRUN,
	IORING_SETUP_CQSIZE,
};

int ring_init(struct ring *r, unsigned entries, unsigned required, bool sqpoll)
{
	struct io_uring_params p;
	unsigned optional = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN |
			    IORING_SETUP_SINGLE_ISSUER;
	size_t step = 0;
	int err;

	memset(r, 0, sizeof(*r));
	if (sqpoll)
		required |= IORING_SETUP_SQPOLL;
	else
		optional |= IORING_SETUP_DEFER_TASKRUN;
	for (;;) {
		memset(&p, 0, sizeof(p));
		p.flags = required | optional;
		p.cq_entries = entries * 2;
		p.sq_thread_idle = 1000;
		err = io_uring_queue_init_params(entries, &r->ring, &p);
		if (err != -EINVAL || step >= TK_ARRAY_SIZE(drop_order))
			break;
		r->dropped |= optional & drop_order[step];
		optional &= ~drop_order[step++];
	}
	if (err)
		return err;
	r->flags = p.flags;
	r->ready = true;
	if (!(p.flags & IORING_SETUP_R_DISABLED)) /* else its thread registers it (workers.c) */
		io_uring_register_ring_fd(&r->ring); /* optional: saves an fdget */
	return 0;
}

int ring_register(struct ring *r, struct target *t)
{
	struct iovec *iov = calloc(t->nslots, sizeof(*iov));
	int err;

	if (!iov)
		return -ENOMEM;
	for (unsigned i = 0; i < t->nslots; i++) {
		iov[i].iov_base = t->base + (size_t)i * t->slot_size;
		iov[i].iov_len = t->slot_size;
	}
	err = io_uring_register_buffers(&r->ring, iov, t->nslots);
	free(iov);
	if (!err)
		r->bufs_registered = true;
	return err;
}

void ring_fini(struct ring *r)
{
	if (!r->ready)
		return;
	if (r->bufs_registered)
		io_uring_unregister_buffers(&r->ring);
	io_uring_queue_exit(&r->ring);
	r->ready = r->bufs_registered = false;
}

const char *ring_flag_names(unsigned flags, char *buf, size_t len)
{
	static const struct { unsigned f; const char *n; } names[] = {
		{ IORING_SETUP_IOPOLL, "IOPOLL" },
		{ IORING_SETUP_SQPOLL, "SQPOLL" },
		{ IORING_SETUP_CQSIZE, "CQSIZE" },
		{ IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN" },
		{ IORING_SETUP_SQE128, "SQE128" },
		{ IORING_SETUP_CQE32, "CQE32" },
		{ IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER" },
		{ IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN" },
	};
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < TK_ARRAY_SIZE(names); i++) {
		if (!(flags & names[i].f) || n >= len)
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i].n);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}
