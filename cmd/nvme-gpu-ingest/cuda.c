// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cuda.c — the cuda targets, through the driver API (cuda_api.c).
 *
 * cuda-host: the anonymous mapping is pinned with
 * cuMemHostRegister(PORTABLE|DEVICEMAP) (not cuMemHostAlloc: io_uring cannot
 * register that memory on some kernels), and cuMemHostGetDevicePointer gives
 * the address kernels on the GPU read it at.  cuda-device: additionally each
 * landed slot is copied by the GPU's copy engine (cuMemcpyHtoDAsync on a few
 * streams) into a device buffer while the next reads run.  Each copy is
 * bracketed by two timing events; the union of their spans is the copy
 * engine's busy time (the H2D rate's denominator).
 *
 * --verify reads GPU-side bytes back with cuMemcpyDtoH into a buffer of its
 * own: the device buffer (cuda-device) or the slot through its device-mapped
 * address (cuda-host).  Errors during the run are left in t->cuda_err.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "cuda_api.h"
#include "spans.h"
#include "ingest.h"

#define NSTREAMS 4

struct cuda_state {
	struct cuda_api api;
	CUdevice dev;
	CUcontext ctx;
	bool registered, ctx_retained;
	CUdeviceptr dbuf;
	CUstream streams[NSTREAMS];
	CUevent t0;             /* timing origin, recorded once at attach */
	CUevent *ev_start, *ev_end; /* per slot: around its copy */
	bool *copying;
	struct spans busy;      /* ms since t0 of every finished copy */
	uint8_t *rb;            /* --verify read-back buffer, one slot */
};

/* Report a failed driver call during setup; returns -EIO. */
static int cu_fail(struct cuda_api *api, const char *call, CUresult r)
{
	tk_error("check the NVIDIA driver (nvidia-smi) or use --target host",
		 "%s failed: %s (CUresult %d)", call, cuda_api_errstr(api, r), r);
	return -EIO;
}

/* Leave a failed driver call's text in t->cuda_err; returns -EIO. */
static int cu_run_fail(struct target *t, const char *call, CUresult r)
{
	struct cuda_state *c = t->cuda;

	snprintf(t->cuda_err, sizeof(t->cuda_err), "%s failed: %s (CUresult %d)",
		 call, cuda_api_errstr(&c->api, r), r);
	return -EIO;
}

/* Attribute @attr of @c->dev, 0 when the query fails. */
static int attr(struct cuda_state *c, int attr)
{
	int v = 0;

	if (c->api.DeviceGetAttribute(&v, attr, c->dev))
		v = 0;
	return v;
}

/* cuInit, the device count and the device; -errno with the error printed. */
static int open_device(struct cuda_state *c, int device)
{
	int n = 0;
	CUresult r;

	if ((r = c->api.Init(0)))
		return cu_fail(&c->api, "cuInit", r);
	if ((r = c->api.DeviceGetCount(&n)))
		return cu_fail(&c->api, "cuDeviceGetCount", r);
	if (device >= n) {
		tk_error("pick a device below the count nvidia-smi -L shows",
			 "--device %d: only %d CUDA device(s)", device, n);
		return -ENODEV;
	}
	if ((r = c->api.DeviceGet(&c->dev, device)))
		return cu_fail(&c->api, "cuDeviceGet", r);
	if (!attr(c, CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED)) {
		tk_error("use --target host on this device",
			 "CUDA device %d does not support host memory registration (CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED is 0)",
			 device);
		return -EOPNOTSUPP;
	}
	if (!attr(c, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY)) {
		tk_error("use a GPU that can map host memory or --target host",
			 "CUDA device %d cannot map host memory", device);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Context, registration and mapping of the slots (both cuda targets). */
static int map_slots(struct target *t, struct cuda_state *c)
{
	CUresult r;

	if ((r = c->api.PrimaryCtxRetain(&c->ctx, c->dev)))
		return cu_fail(&c->api, "cuDevicePrimaryCtxRetain", r);
	c->ctx_retained = true;
	if ((r = c->api.CtxSetCurrent(c->ctx)))
		return cu_fail(&c->api, "cuCtxSetCurrent", r);
	r = c->api.MemHostRegister(t->base, t->size,
				   CU_MEMHOSTREGISTER_PORTABLE | CU_MEMHOSTREGISTER_DEVICEMAP);
	if (r)
		return cu_fail(&c->api, "cuMemHostRegister(PORTABLE|DEVICEMAP)", r);
	c->registered = true;
	if ((r = c->api.MemHostGetDevicePointer((CUdeviceptr *)&t->dev_ptr, t->base, 0)))
		return cu_fail(&c->api, "cuMemHostGetDevicePointer", r);
	return 0;
}

/* cuda-device: the device buffer, streams and timing events. */
static int device_buffer(struct target *t, struct cuda_state *c)
{
	CUresult r;

	if ((r = c->api.MemAlloc(&c->dbuf, t->size)))
		return cu_fail(&c->api, "cuMemAlloc", r);
	for (int i = 0; i < NSTREAMS; i++)
		if ((r = c->api.StreamCreate(&c->streams[i], CU_STREAM_NON_BLOCKING)))
			return cu_fail(&c->api, "cuStreamCreate", r);
	c->ev_start = calloc(t->nslots, sizeof(*c->ev_start));
	c->ev_end = calloc(t->nslots, sizeof(*c->ev_end));
	c->copying = calloc(t->nslots, sizeof(*c->copying));
	if (!c->ev_start || !c->ev_end || !c->copying)
		return -ENOMEM;
	if ((r = c->api.EventCreate(&c->t0, CU_EVENT_DEFAULT)))
		return cu_fail(&c->api, "cuEventCreate", r);
	for (unsigned i = 0; i < t->nslots; i++)
		if ((r = c->api.EventCreate(&c->ev_start[i], CU_EVENT_DEFAULT)) ||
		    (r = c->api.EventCreate(&c->ev_end[i], CU_EVENT_DEFAULT)))
			return cu_fail(&c->api, "cuEventCreate", r);
	if ((r = c->api.EventRecord(c->t0, c->streams[0])))
		return cu_fail(&c->api, "cuEventRecord", r);
	if ((r = c->api.EventSynchronize(c->t0)))
		return cu_fail(&c->api, "cuEventSynchronize", r);
	return 0;
}

int cuda_attach(struct target *t, int device)
{
	struct cuda_state *c = calloc(1, sizeof(*c));
	char why[256];
	int err;

	if (!c)
		return -ENOMEM;
	t->cuda = c;
	err = cuda_api_load(&c->api, why, sizeof(why));
	if (err) {
		tk_error(getenv(CUDA_DOUBLE_ENV) ?
			 "unset " CUDA_DOUBLE_ENV " (tests only) or set it to the absolute path of build/tests/libcuda-double.so" :
			 "install the NVIDIA driver (libcuda.so.1) or use --target host",
			 "--target %s: %s", target_name(t->kind), why);
		goto fail;
	}
	t->test_double = c->api.test_double;
	err = open_device(c, device);
	if (!err)
		err = map_slots(t, c);
	if (!err && t->kind == TARGET_CUDA_DEVICE)
		err = device_buffer(t, c);
	if (!err)
		return 0;
fail:
	cuda_detach(t);
	return err;
}

static void destroy_events(struct target *t, struct cuda_state *c)
{
	for (unsigned i = 0; c->ev_end && i < t->nslots; i++) {
		if (c->copying && c->copying[i])
			c->api.EventSynchronize(c->ev_end[i]);
		if (c->ev_start[i])
			c->api.EventDestroy(c->ev_start[i]);
		if (c->ev_end[i])
			c->api.EventDestroy(c->ev_end[i]);
	}
	if (c->t0)
		c->api.EventDestroy(c->t0);
}

/* Release everything, in reverse; the driver library stays loaded. */
void cuda_detach(struct target *t)
{
	struct cuda_state *c = t->cuda;

	if (!c)
		return;
	destroy_events(t, c);
	for (int i = 0; i < NSTREAMS; i++)
		if (c->streams[i])
			c->api.StreamDestroy(c->streams[i]);
	if (c->dbuf)
		c->api.MemFree(c->dbuf);
	if (c->registered)
		c->api.MemHostUnregister(t->base);
	if (c->ctx_retained)
		c->api.PrimaryCtxRelease(c->dev);
	spans_free(&c->busy);
	free(c->ev_start);
	free(c->ev_end);
	free(c->copying);
	free(c->rb);
	free(c);
	t->cuda = NULL;
}

int cuda_copy_start(struct target *t, unsigned i, size_t len)
{
	struct cuda_state *c = t->cuda;
	size_t off = (size_t)i * t->slot_size;
	CUstream s = c->streams[i % NSTREAMS];
	CUresult r;

	if ((r = c->api.EventRecord(c->ev_start[i], s)))
		return cu_run_fail(t, "cuEventRecord", r);
	r = c->api.MemcpyHtoDAsync(c->dbuf + off, t->base + off, len, s);
	if (r)
		return cu_run_fail(t, "cuMemcpyHtoDAsync", r);
	if ((r = c->api.EventRecord(c->ev_end[i], s)))
		return cu_run_fail(t, "cuEventRecord", r);
	c->copying[i] = true;
	return 0;
}

/*
 * Slot @i's copy finished: add its span to the busy time.  The start is
 * float milliseconds since t0 (coarser as the run goes on: 24 bits, about
 * 4 us after a minute), the length is taken between the copy's own two
 * events, so a copy that overlaps no other counts exactly.
 */
static int copy_span(struct target *t, unsigned i)
{
	struct cuda_state *c = t->cuda;
	float a = 0, d = 0;
	CUresult r;

	if ((r = c->api.EventElapsedTime(&a, c->t0, c->ev_start[i])) ||
	    (r = c->api.EventElapsedTime(&d, c->ev_start[i], c->ev_end[i])))
		return cu_run_fail(t, "cuEventElapsedTime", r);
	return spans_add(&c->busy, a, (double)a + d);
}

int cuda_copy_poll(struct target *t, unsigned i, bool wait)
{
	struct cuda_state *c = t->cuda;
	CUresult r;

	if (!c->copying[i])
		return 1;
	r = wait ? c->api.EventSynchronize(c->ev_end[i]) : c->api.EventQuery(c->ev_end[i]);
	if (r == CUDA_ERROR_NOT_READY)
		return 0;
	c->copying[i] = false;
	if (r)
		return cu_run_fail(t, wait ? "cuEventSynchronize" : "cuEventQuery", r);
	r = copy_span(t, i);
	return r < 0 ? r : 1;
}

const uint8_t *cuda_readback(struct target *t, unsigned i, size_t len, int *err)
{
	struct cuda_state *c = t->cuda;
	size_t off = (size_t)i * t->slot_size;
	CUdeviceptr from = (t->kind == TARGET_CUDA_DEVICE ? c->dbuf : t->dev_ptr) + off;
	CUresult r;

	if (!c->rb && !(c->rb = malloc(t->slot_size))) {
		*err = -ENOMEM;
		return NULL;
	}
	if ((r = c->api.MemcpyDtoH(c->rb, from, len))) {
		*err = cu_run_fail(t, "cuMemcpyDtoH (--verify read-back)", r);
		return NULL;
	}
	return c->rb;
}

uint64_t cuda_h2d_busy_ns(const struct target *t)
{
	struct cuda_state *c = t->cuda;

	return c ? (uint64_t)(spans_union(&c->busy) * 1e6) : 0;
}

int cuda_probe(struct cuda_probe_info *info, char *why, size_t len)
{
	struct cuda_state c = { 0 };
	int n = 0, err;
	CUresult r;

	err = cuda_api_load(&c.api, why, len);
	if (err)
		return err;
	info->test_double = c.api.test_double;
	if ((r = c.api.Init(0))) {
		snprintf(why, len, "cuInit: %s", cuda_api_errstr(&c.api, r));
		return -ENODEV;
	}
	if ((r = c.api.DeviceGetCount(&n))) {
		snprintf(why, len, "cuDeviceGetCount: %s", cuda_api_errstr(&c.api, r));
		return -ENODEV;
	}
	for (int i = 0; i < n && i < CUDA_PROBE_MAX; i++) {
		struct cuda_probe_dev *d = &info->dev[i];

		memset(d, 0, sizeof(*d));
		if (c.api.DeviceGet(&c.dev, i))
			continue;
		c.api.DeviceGetName(d->name, sizeof(d->name), c.dev);
		d->name[sizeof(d->name) - 1] = 0;
		d->host_register = attr(&c, CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED);
		d->can_map = attr(&c, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY);
		d->pageable_hpt = attr(&c, CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES);
	}
	return n;
}
