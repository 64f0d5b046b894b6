// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * target.c — where the bytes land: one page-aligned anonymous mapping cut
 * into slots.  For cuda targets the same mapping is pinned with
 * cuMemHostRegister (cuda.c) before io_uring registers it.
 */
#include <errno.h>
#include <sys/mman.h>

#include "ingest.h"

int target_init(struct target *t, enum ingest_target kind, unsigned nslots,
		size_t slot_size, int device)
{
	void *p;
	int err;

	t->kind = kind;
	t->nslots = nslots;
	t->slot_size = slot_size;
	t->size = (size_t)nslots * slot_size;
	p = mmap(NULL, t->size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->base = p;
	if (kind == TARGET_HOST)
		return 0;
	err = cuda_attach(t, device);
	if (err) {
		munmap(t->base, t->size);
		t->base = NULL;
	}
	return err;
}

void target_fini(struct target *t)
{
	if (t->cuda)
		cuda_detach(t);
	if (t->base)
		munmap(t->base, t->size);
	t->base = NULL;
}

int target_copy_start(struct target *t, unsigned i, size_t len)
{
	if (t->kind != TARGET_CUDA_DEVICE)
		return 0;
	return cuda_copy_start(t, i, len);
}

int target_copy_poll(struct target *t, unsigned i, bool wait)
{
	if (t->kind != TARGET_CUDA_DEVICE)
		return 1;
	return cuda_copy_poll(t, i, wait);
}
