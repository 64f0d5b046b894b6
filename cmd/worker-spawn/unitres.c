// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unitres.c — issue 15: wake.  The per-unit kernel objects the parent makes
 * before the workers start (forked workers inherit them): wake-chain's ring
 * of depth pipes (wake=pipe), epoll-storm's eventfd, and the MAP_SHARED
 * ring of producer-consumer-imbalance.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "worker.h"

static int alloc_fds(struct ws_unit_res *r, unsigned n)
{
	r->fds = malloc(n * sizeof(int));
	if (!r->fds)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		r->fds[i] = -1;
	r->nfds = n;
	return 0;
}

/* Stage i reads fds[2i]; stage i-1 writes fds[2i+1]. */
static int chain_pipes(const struct ws_group *g, struct ws_unit_res *r)
{
	int err = alloc_fds(r, 2 * g->wk.depth);

	for (unsigned i = 0; !err && i < g->wk.depth; i++)
		if (pipe2(&r->fds[2 * i], O_CLOEXEC))
			err = -errno;
	return err;
}

static int storm_eventfd(struct ws_unit_res *r)
{
	int err = alloc_fds(r, 1);

	if (!err && (r->fds[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		err = -errno;
	return err;
}

static int pc_ring(const struct ws_group *g, struct ws_unit_res *r)
{
	size_t sz = sizeof(struct ws_pc_ring) + g->wk.queue_depth * sizeof(_Atomic uint64_t);
	void *m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -errno;
	r->mem = m;
	r->memsz = sz;
	return 0;
}

int ws_unit_res_open(const struct ws_group *g, struct ws_unit_res *r)
{
	int err = 0;

	*r = (struct ws_unit_res){ 0 };
	if (g->type == WS_WAKE_CHAIN && !g->wk.futex)
		err = chain_pipes(g, r);
	else if (g->type == WS_EPOLL_STORM)
		err = storm_eventfd(r);
	else if (g->type == WS_PRODUCER_CONSUMER)
		err = pc_ring(g, r);
	if (err)
		ws_unit_res_free(r);
	return err;
}

void ws_unit_res_close_fds(struct ws_unit_res *r)
{
	for (unsigned i = 0; i < r->nfds; i++)
		if (r->fds[i] >= 0) {
			close(r->fds[i]);
			r->fds[i] = -1;
		}
}

void ws_unit_res_free(struct ws_unit_res *r)
{
	ws_unit_res_close_fds(r);
	free(r->fds);
	if (r->mem)
		munmap(r->mem, r->memsz);
	*r = (struct ws_unit_res){ 0 };
}
