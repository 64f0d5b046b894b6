// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cuda.c — CUDA driver API through dlopen("libcuda.so.1").
 *
 * cuda-host: the anonymous mapping is pinned with
 * cuMemHostRegister(PORTABLE|DEVICEMAP) (not cuMemHostAlloc: io_uring cannot
 * register that memory on some kernels), and cuMemHostGetDevicePointer gives
 * the address kernels on the GPU read it at.  cuda-device: additionally each
 * landed slot is copied by the GPU's copy engine (cuMemcpyHtoDAsync on a few
 * streams) into a device buffer while the next reads run.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "cuda_api.h"
#include "ingest.h"

#define NSTREAMS 4

struct cuda_state {
	struct cuda_api api;
	CUdevice dev;
	CUcontext ctx;
	bool registered, ctx_retained;
	CUdeviceptr dbuf;
	CUstream streams[NSTREAMS];
	CUevent *events;
	bool *copying;
};

int cuda_api_load(struct cuda_api *api, char *why, size_t len)
{
	memset(api, 0, sizeof(*api));
	api->handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!api->handle) {
		const char *e = dlerror();

		snprintf(why, len, "libcuda.so.1 cannot be loaded (%s)", e ? e : "not found");
		return -ENOENT;
	}
#define CUDA_RESOLVE(name, sym, ret, args)                                      \
	api->name = (cu##name##_fn)dlsym(api->handle, sym);                     \
	if (!api->name) {                                                       \
		snprintf(why, len, "libcuda.so.1 lacks %s (driver too old)", sym); \
		cuda_api_unload(api);                                           \
		return -ENOSYS;                                                 \
	}
	CUDA_SYMBOLS(CUDA_RESOLVE)
#undef CUDA_RESOLVE
	return 0;
}

void cuda_api_unload(struct cuda_api *api)
{
	if (api->handle)
		dlclose(api->handle);
	memset(api, 0, sizeof(*api));
}

static const char *cu_err(struct cuda_api *api, CUresult r)
{
	const char *s = NULL;

	if (api->GetErrorString && api->GetErrorString(r, &s) == CUDA_SUCCESS && s)
		return s;
	return "unknown CUDA error";
}

/* Report a failed driver call; returns -EIO. */
static int cu_fail(struct cuda_api *api, const char *call, CUresult r)
{
	tk_error("check the NVIDIA driver (nvidia-smi) or use --target host",
		 "%s failed: %s (CUresult %d)", call, cu_err(api, r), r);
	return -EIO;
}

int cuda_attach(struct target *t, int device)
{
	struct cuda_state *c = calloc(1, sizeof(*c));
	char why[256];
	int n = 0, canmap = 0, err;
	CUresult r;

	if (!c)
		return -ENOMEM;
	t->cuda = c;
	err = cuda_api_load(&c->api, why, sizeof(why));
	if (err) {
		tk_error("install the NVIDIA driver (libcuda.so.1) or use --target host",
			 "--target %s: %s", target_name(t->kind), why);
		goto fail;
	}
	if ((r = c->api.Init(0)) || (r = c->api.DeviceGetCount(&n))) {
		err = cu_fail(&c->api, "cuInit", r);
		goto fail;
	}
	if (device >= n) {
		tk_error("pick a device below the count nvidia-smi -L shows",
			 "--device %d: only %d CUDA device(s)", device, n);
		err = -ENODEV;
		goto fail;
	}
	if ((r = c->api.DeviceGet(&c->dev, device))) {
		err = cu_fail(&c->api, "cuDeviceGet", r);
		goto fail;
	}
	c->api.DeviceGetAttribute(&canmap, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY, c->dev);
	if (!canmap) {
		tk_error("use a GPU that can map host memory or --target host",
			 "CUDA device %d cannot map host memory", device);
		err = -EOPNOTSUPP;
		goto fail;
	}
	if ((r = c->api.PrimaryCtxRetain(&c->ctx, c->dev))) {
		err = cu_fail(&c->api, "cuDevicePrimaryCtxRetain", r);
		goto fail;
	}
	c->ctx_retained = true;
	if ((r = c->api.CtxSetCurrent(c->ctx))) {
		err = cu_fail(&c->api, "cuCtxSetCurrent", r);
		goto fail;
	}
	r = c->api.MemHostRegister(t->base, t->size,
				   CU_MEMHOSTREGISTER_PORTABLE | CU_MEMHOSTREGISTER_DEVICEMAP);
	if (r) {
		err = cu_fail(&c->api, "cuMemHostRegister(PORTABLE|DEVICEMAP)", r);
		goto fail;
	}
	c->registered = true;
	if ((r = c->api.MemHostGetDevicePointer((CUdeviceptr *)&t->dev_ptr, t->base, 0))) {
		err = cu_fail(&c->api, "cuMemHostGetDevicePointer", r);
		goto fail;
	}
	if (t->kind != TARGET_CUDA_DEVICE)
		return 0;
	if ((r = c->api.MemAlloc(&c->dbuf, t->size))) {
		err = cu_fail(&c->api, "cuMemAlloc", r);
		goto fail;
	}
	for (int i = 0; i < NSTREAMS; i++)
		if ((r = c->api.StreamCreate(&c->streams[i], CU_STREAM_NON_BLOCKING))) {
			err = cu_fail(&c->api, "cuStreamCreate", r);
			goto fail;
		}
	c->events = calloc(t->nslots, sizeof(*c->events));
	c->copying = calloc(t->nslots, sizeof(*c->copying));
	if (!c->events || !c->copying) {
		err = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < t->nslots; i++)
		if ((r = c->api.EventCreate(&c->events[i], CU_EVENT_DISABLE_TIMING))) {
			err = cu_fail(&c->api, "cuEventCreate", r);
			goto fail;
		}
	return 0;
fail:
	cuda_detach(t);
	return err;
}

void cuda_detach(struct target *t)
{
	struct cuda_state *c = t->cuda;

	if (!c)
		return;
	if (c->events) {
		for (unsigned i = 0; i < t->nslots; i++) {
			if (!c->events[i])
				continue;
			if (c->copying && c->copying[i])
				c->api.EventSynchronize(c->events[i]);
			c->api.EventDestroy(c->events[i]);
		}
	}
	for (int i = 0; i < NSTREAMS; i++)
		if (c->streams[i])
			c->api.StreamDestroy(c->streams[i]);
	if (c->dbuf)
		c->api.MemFree(c->dbuf);
	if (c->registered)
		c->api.MemHostUnregister(t->base);
	if (c->ctx_retained)
		c->api.PrimaryCtxRelease(c->dev);
	cuda_api_unload(&c->api);
	free(c->events);
	free(c->copying);
	free(c);
	t->cuda = NULL;
}

int cuda_copy_start(struct target *t, unsigned i, size_t len)
{
	struct cuda_state *c = t->cuda;
	size_t off = (size_t)i * t->slot_size;
	CUstream s = c->streams[i % NSTREAMS];
	CUresult r;

	r = c->api.MemcpyHtoDAsync(c->dbuf + off, t->base + off, len, s);
	if (r)
		return cu_fail(&c->api, "cuMemcpyHtoDAsync", r);
	if ((r = c->api.EventRecord(c->events[i], s)))
		return cu_fail(&c->api, "cuEventRecord", r);
	c->copying[i] = true;
	return 0;
}

int cuda_copy_poll(struct target *t, unsigned i, bool wait)
{
	struct cuda_state *c = t->cuda;
	CUresult r;

	if (!c->copying[i])
		return 1;
	r = wait ? c->api.EventSynchronize(c->events[i]) : c->api.EventQuery(c->events[i]);
	if (r == CUDA_ERROR_NOT_READY)
		return 0;
	c->copying[i] = false;
	if (r)
		return cu_fail(&c->api, "cuEventQuery", r);
	return 1;
}

int cuda_probe(char *why, size_t len, char names[][96], int max)
{
	struct cuda_api api;
	int n = 0, err;
	CUresult r;

	err = cuda_api_load(&api, why, len);
	if (err)
		return err;
	if ((r = api.Init(0)) || (r = api.DeviceGetCount(&n))) {
		snprintf(why, len, "cuInit/cuDeviceGetCount: %s", cu_err(&api, r));
		cuda_api_unload(&api);
		return -ENODEV;
	}
	for (int i = 0; i < n && i < max; i++) {
		CUdevice d;

		names[i][0] = 0;
		if (!api.DeviceGet(&d, i))
			api.DeviceGetName(names[i], 96, d);
	}
	cuda_api_unload(&api);
	return n;
}
