// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * target.c — where the bytes land: one anonymous mapping cut into slots.
 * For cuda targets the same mapping is pinned with cuMemHostRegister
 * (cuda.c) before io_uring registers it.
 *
 * The mapping is 2 MiB aligned and asks for transparent huge pages: a 1 MiB
 * chunk in 4 KiB pages is 256 DMA segments, more than many queues take in one
 * request (virtio-blk: max_segments 254), so every read was split in two;
 * in one huge page it is one segment and one request (and io_uring coalesces
 * the registered buffer into huge-page bvecs).  Without THP it still works,
 * in 4 KiB pages.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "ingest.h"

int target_init(struct target *t, enum ingest_target kind, unsigned nslots,
		size_t slot_size, int device)
{
	uint8_t *p;
	int err;

	t->kind = kind;
	t->nslots = nslots;
	t->slot_size = slot_size;
	t->size = (size_t)nslots * slot_size;
	t->map_len = (t->size + HUGE_ALIGN - 1) / HUGE_ALIGN * HUGE_ALIGN + HUGE_ALIGN;
	p = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->map = p;
	t->base = p + (HUGE_ALIGN - (uintptr_t)p % HUGE_ALIGN) % HUGE_ALIGN;
	t->thp = !madvise(t->base, t->size, MADV_HUGEPAGE);
	if (madvise(t->base, t->size, MADV_POPULATE_WRITE))
		memset(t->base, 0, t->size); /* pre-5.14 kernels: fault it in */
	if (kind == TARGET_HOST)
		return 0;
	err = cuda_attach(t, device);
	if (err) {
		munmap(t->map, t->map_len);
		t->base = t->map = NULL;
	}
	return err;
}

void target_fini(struct target *t)
{
	if (t->cuda)
		cuda_detach(t);
	if (t->map)
		munmap(t->map, t->map_len);
	t->base = t->map = NULL;
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

const uint8_t *target_readback(struct target *t, unsigned i, size_t len, int *err)
{
	if (t->kind == TARGET_HOST)
		return t->base + (size_t)i * t->slot_size;
	return cuda_readback(t, i, len, err);
}

uint64_t target_h2d_busy_ns(const struct target *t)
{
	return t->kind == TARGET_CUDA_DEVICE ? cuda_h2d_busy_ns(t) : 0;
}
