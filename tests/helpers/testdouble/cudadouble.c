// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cudadouble.c — a TEST DOUBLE of the CUDA driver library, for CI without a
 * GPU.  It is not a GPU and its figures are not GPU results.  It exports the
 * entry points nvme-gpu-ingest resolves (cmd/nvme-gpu-ingest/cuda_api.h)
 * plus the marker telkit_cuda_test_double; the tool loads it only when
 * TELKIT_TEST_CUDA_DOUBLE names it and then labels every record
 * driver="test double".
 *
 * Model: one device, one primary context.  "Device memory" is host memory
 * the double owns (cuMemAlloc fills it with 0xA5); device addresses are
 * opaque numbers in ranges of their own, so a host pointer passed where a
 * device address belongs is refused.  Registered host ranges get device
 * addresses of their own too (cuMemHostGetDevicePointer).  Asynchronous
 * copies and event records are queued and done in order by one worker
 * thread (signals blocked), which stamps events with CLOCK_MONOTONIC.
 * Calls check what the driver checks and this tool relies on: cuInit first,
 * a current context, known handles, ranges inside one allocation or
 * registration, flags.
 *
 * Environment:
 *   TELKIT_CUDA_DOUBLE_FAIL  comma list of injected faults:
 *       init          cuInit fails (CUDA_ERROR_NO_DEVICE)
 *       register      cuMemHostRegister refused (CUDA_ERROR_NOT_SUPPORTED)
 *       noregister    CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED reads 0
 *       nomap         CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY reads 0
 *       copy:N        the Nth H2D copy fails on the device: the event
 *                     recorded after it reports CUDA_ERROR_ILLEGAL_ADDRESS
 *       lost:N        after N H2D copies the context is lost: every later
 *                     call returns CUDA_ERROR_CONTEXT_IS_DESTROYED (teardown
 *                     calls still release what they name, as the driver
 *                     does when a context dies)
 *       corrupt:N     the Nth H2D copy flips one byte in device memory
 *       corrupt-map:N the Nth cuMemcpyDtoH from a registered (mapped) host
 *                     range flips one byte of what it returns
 *   TELKIT_CUDA_DOUBLE_COPY_US  microseconds each H2D copy takes (default 0)
 *   TELKIT_CUDA_DOUBLE_REPORT   file the unload report is appended to
 *
 * At unload (process exit; the tool never dlcloses an initialised driver)
 * one line is written: what is still live (registrations, allocations,
 * streams, events, retained contexts), registrations whose memory was
 * unmapped before cuMemHostUnregister, and what was moved (h2d_copies,
 * h2d_bytes, dtoh_bytes), counted here, independently of the tool.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cuda_api.h"

#define EXPORT __attribute__((visibility("default")))

enum {
	E_INVALID_VALUE = 1, E_NOT_INITIALIZED = 3, E_NO_DEVICE = 100,
	E_INVALID_DEVICE = 101, E_INVALID_CONTEXT = 201, E_INVALID_HANDLE = 400,
	E_ILLEGAL_ADDRESS = 700, E_CONTEXT_IS_DESTROYED = 709,
	E_ALREADY_REGISTERED = 712, E_NOT_REGISTERED = 713, E_NOT_SUPPORTED = 801,
};

EXPORT const char telkit_cuda_test_double[] = "telkit CUDA driver test double (host memory, no GPU)";

#define MAXR 64
#define MAGIC_STREAM 0x5354524dU
#define MAGIC_EVENT 0x4556454eU
#define ALLOC_BASE 0xd00000000000ULL
#define MAP_BASE 0xe00000000000ULL

struct region {
	uint8_t *host;
	size_t len;
	CUdeviceptr dev;
	unsigned flags;
	bool live;
};
struct CUstream_st { uint32_t magic; CUresult pending_err; };
struct CUevent_st {
	uint32_t magic;
	unsigned flags;
	int state;              /* 0 never recorded, 1 pending, 2 done */
	CUresult err;
	uint64_t ns;
};
struct CUctx_st { int unused; };
struct op {
	struct op *next;
	struct CUstream_st *s;
	struct CUevent_st *ev;  /* an event record, else a copy */
	uint8_t *dst;
	const uint8_t *src;
	size_t len;
	bool fail, corrupt;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct op *qhead, **qtail = &qhead;
static pthread_t worker;
static bool worker_on, worker_stop, worker_busy;
static struct region regs[MAXR], allocs[MAXR];
static struct CUctx_st primary;
static __thread bool ctx_current;
static CUdeviceptr next_alloc = ALLOC_BASE, next_map = MAP_BASE;
static struct {
	bool init, lost;
	int ctx_refs;
	unsigned long regs, allocs, streams, events, h2d_calls, map_reads;
	unsigned long unmapped;  /* registrations whose memory was unmapped first */
	unsigned long long h2d_copies, h2d_bytes, dtoh_bytes;
} st;
static struct {
	bool init, reg, noregister, nomap;
	unsigned long copy, lost, corrupt, corrupt_map;
	unsigned copy_us;
} inj;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void parse_faults(void)
{
	const char *f = getenv("TELKIT_CUDA_DOUBLE_FAIL"), *us = getenv("TELKIT_CUDA_DOUBLE_COPY_US");
	char buf[256], *save = NULL;

	inj.copy_us = us ? (unsigned)strtoul(us, NULL, 10) : 0;
	if (!f)
		return;
	snprintf(buf, sizeof(buf), "%s", f);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		unsigned long n = colon ? strtoul(colon + 1, NULL, 10) : 1;

		if (colon)
			*colon = 0;
		if (!strcmp(t, "init"))
			inj.init = true;
		else if (!strcmp(t, "register"))
			inj.reg = true;
		else if (!strcmp(t, "noregister"))
			inj.noregister = true;
		else if (!strcmp(t, "nomap"))
			inj.nomap = true;
		else if (!strcmp(t, "copy"))
			inj.copy = n;
		else if (!strcmp(t, "lost"))
			inj.lost = n;
		else if (!strcmp(t, "corrupt"))
			inj.corrupt = n;
		else if (!strcmp(t, "corrupt-map"))
			inj.corrupt_map = n;
		else
			fprintf(stderr, "cuda-double: unknown fault '%s' ignored\n", t);
	}
}

/* Under mu: the state every call but teardown needs. */
static CUresult ready(bool need_ctx)
{
	if (!st.init)
		return E_NOT_INITIALIZED;
	if (st.lost)
		return E_CONTEXT_IS_DESTROYED;
	if (need_ctx && !ctx_current)
		return E_INVALID_CONTEXT;
	return CUDA_SUCCESS;
}

/* Teardown calls release even on a lost context, then report it. */
static CUresult teardown_status(void)
{
	return !st.init ? E_NOT_INITIALIZED : st.lost ? E_CONTEXT_IS_DESTROYED : CUDA_SUCCESS;
}

/* Under mu: host bytes behind [dev, dev+len) in @tab, or NULL. */
static uint8_t *lookup(struct region *tab, CUdeviceptr dev, size_t len)
{
	for (int i = 0; i < MAXR; i++) {
		struct region *r = &tab[i];

		if (r->live && r->dev && dev >= r->dev && len <= r->len && dev - r->dev <= r->len - len)
			return r->host + (dev - r->dev);
	}
	return NULL;
}

/* [p, p+len) is mapped in this process (msync fails ENOMEM on a hole). */
static bool mapped(const void *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p / pg * pg;

	return !msync((void *)a, (uintptr_t)p + len - a, MS_ASYNC) || errno != ENOMEM;
}

static struct region *free_slot(struct region *tab)
{
	for (int i = 0; i < MAXR; i++)
		if (!tab[i].live)
			return &tab[i];
	return NULL;
}

/* Under mu: wait until the worker has done everything queued. */
static void drain(void)
{
	while (qhead || worker_busy)
		pthread_cond_wait(&cv, &mu);
}

static void run_op(struct op *o)
{
	if (o->ev)
		return;
	if (inj.copy_us)
		usleep(inj.copy_us);
	if (o->fail)
		return;
	memcpy(o->dst, o->src, o->len);
	if (o->corrupt && o->len)
		o->dst[o->len / 2] ^= 0x5a;
}

static void *work(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;) {
		struct op *o;

		while (!qhead && !worker_stop)
			pthread_cond_wait(&cv, &mu);
		if (!qhead)
			break;
		o = qhead;
		qhead = o->next;
		if (!qhead)
			qtail = &qhead;
		worker_busy = true;
		pthread_mutex_unlock(&mu);
		run_op(o);
		pthread_mutex_lock(&mu);
		worker_busy = false;
		if (o->ev) {
			o->ev->err = o->s->pending_err;
			o->s->pending_err = CUDA_SUCCESS;
			o->ev->ns = now_ns();
			o->ev->state = 2;
		} else if (o->fail) {
			o->s->pending_err = E_ILLEGAL_ADDRESS;
		} else {
			st.h2d_copies++;
			st.h2d_bytes += o->len;
		}
		free(o);
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Under mu. */
static CUresult start_worker(void)
{
	sigset_t all, old;
	int err;

	if (worker_on)
		return CUDA_SUCCESS;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	worker_stop = false;
	err = pthread_create(&worker, NULL, work, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
	worker_on = true;
	return CUDA_SUCCESS;
}

/* Under mu; returns with mu held. */
static void stop_worker(void)
{
	if (!worker_on)
		return;
	worker_stop = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(worker, NULL);
	pthread_mutex_lock(&mu);
	worker_on = false;
}

static CUresult enqueue(struct op *o)
{
	o->next = NULL;
	*qtail = o;
	qtail = &o->next;
	pthread_cond_broadcast(&cv);
	return CUDA_SUCCESS;
}

#define LOCKED(expr)                                                           \
	do {                                                                   \
		CUresult r_;                                                   \
		pthread_mutex_lock(&mu);                                       \
		r_ = (expr);                                                   \
		pthread_mutex_unlock(&mu);                                     \
		return r_;                                                     \
	} while (0)

static CUresult init(void)
{
	if (!st.init) {
		parse_faults();
		if (inj.init)
			return E_NO_DEVICE;
		st.init = true;
	}
	return CUDA_SUCCESS;
}
EXPORT CUresult cuInit(unsigned flags)
{
	if (flags)
		return E_INVALID_VALUE;
	LOCKED(init());
}

static CUresult count(int *n)
{
	CUresult r = ready(false);

	if (!r)
		*n = 1;
	return r;
}
EXPORT CUresult cuDeviceGetCount(int *n) { LOCKED(count(n)); }

static CUresult get(CUdevice *d, int ord)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (ord != 0)
		return E_INVALID_DEVICE;
	*d = 0;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGet(CUdevice *d, int ord) { LOCKED(get(d, ord)); }

static CUresult name(char *buf, int len, CUdevice d)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (d != 0)
		return E_INVALID_DEVICE;
	if (len <= 0)
		return E_INVALID_VALUE;
	snprintf(buf, len, "telkit CUDA test double");
	return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetName(char *buf, int len, CUdevice d) { LOCKED(name(buf, len, d)); }

static CUresult attribute(int *v, int a, CUdevice d)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (d != 0)
		return E_INVALID_DEVICE;
	switch (a) {
	case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY: *v = !inj.nomap; break;
	case CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED: *v = !inj.noregister; break;
	case CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES: *v = 0; break;
	default: return E_INVALID_VALUE;
	}
	return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetAttribute(int *v, int a, CUdevice d) { LOCKED(attribute(v, a, d)); }

static CUresult retain(CUcontext *c, CUdevice d)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (d != 0)
		return E_INVALID_DEVICE;
	st.ctx_refs++;
	*c = &primary;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d) { LOCKED(retain(c, d)); }

static CUresult release(CUdevice d)
{
	if (d != 0)
		return E_INVALID_DEVICE;
	if (st.ctx_refs <= 0)
		return E_INVALID_CONTEXT;
	if (--st.ctx_refs == 0)
		ctx_current = false;
	return teardown_status();
}
EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { LOCKED(release(d)); }

static CUresult set_current(CUcontext c)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (c && (c != &primary || st.ctx_refs <= 0))
		return E_INVALID_CONTEXT;
	ctx_current = c != NULL;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuCtxSetCurrent(CUcontext c) { LOCKED(set_current(c)); }

static CUresult host_register(void *p, size_t len, unsigned flags)
{
	CUresult r = ready(true);
	uintptr_t a = (uintptr_t)p;
	struct region *slot;

	if (r)
		return r;
	if (inj.reg)
		return E_NOT_SUPPORTED;
	if (!p || !len || (flags & ~(unsigned)(CU_MEMHOSTREGISTER_PORTABLE | CU_MEMHOSTREGISTER_DEVICEMAP)) ||
	    !mapped(p, len))
		return E_INVALID_VALUE;
	for (int i = 0; i < MAXR; i++)
		if (regs[i].live && a < (uintptr_t)regs[i].host + regs[i].len &&
		    (uintptr_t)regs[i].host < a + len)
			return E_ALREADY_REGISTERED;
	if (!(slot = free_slot(regs)))
		return E_INVALID_VALUE;
	*slot = (struct region){ p, len, next_map, flags, true };
	next_map += (len + (2 << 20) - 1) / (1 << 20) * (1 << 20);
	st.regs++;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuMemHostRegister_v2(void *p, size_t len, unsigned flags) { LOCKED(host_register(p, len, flags)); }

static CUresult host_unregister(void *p)
{
	if (!st.init)
		return E_NOT_INITIALIZED;
	for (int i = 0; i < MAXR; i++)
		if (regs[i].live && regs[i].host == p) {
			drain();
			if (!mapped(p, regs[i].len))
				st.unmapped++;
			regs[i].live = false;
			st.regs--;
			return teardown_status();
		}
	return E_NOT_REGISTERED;
}
EXPORT CUresult cuMemHostUnregister(void *p) { LOCKED(host_unregister(p)); }

static CUresult device_pointer(CUdeviceptr *d, void *p, unsigned flags)
{
	CUresult r = ready(true);
	uint8_t *b = p;

	if (r)
		return r;
	if (flags)
		return E_INVALID_VALUE;
	for (int i = 0; i < MAXR; i++)
		if (regs[i].live && b >= regs[i].host && b < regs[i].host + regs[i].len) {
			if (!(regs[i].flags & CU_MEMHOSTREGISTER_DEVICEMAP))
				return E_INVALID_VALUE;
			*d = regs[i].dev + (b - regs[i].host);
			return CUDA_SUCCESS;
		}
	return E_INVALID_VALUE;
}
EXPORT CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *d, void *p, unsigned flags) { LOCKED(device_pointer(d, p, flags)); }

static CUresult mem_alloc(CUdeviceptr *d, size_t len)
{
	CUresult r = ready(true);
	struct region *slot;
	size_t round = (len + 4095) / 4096 * 4096;
	uint8_t *p;

	if (r)
		return r;
	if (!len)
		return E_INVALID_VALUE;
	if (!(slot = free_slot(allocs)) || !(p = aligned_alloc(4096, round)))
		return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
	memset(p, 0xa5, round);
	*slot = (struct region){ p, len, next_alloc, 0, true };
	*d = next_alloc;
	next_alloc += round + (1 << 20);
	st.allocs++;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *d, size_t len) { LOCKED(mem_alloc(d, len)); }

static CUresult mem_free(CUdeviceptr d)
{
	if (!st.init)
		return E_NOT_INITIALIZED;
	for (int i = 0; i < MAXR; i++)
		if (allocs[i].live && allocs[i].dev == d) {
			drain();
			free(allocs[i].host);
			allocs[i].live = false;
			st.allocs--;
			return teardown_status();
		}
	return E_INVALID_VALUE;
}
EXPORT CUresult cuMemFree_v2(CUdeviceptr d) { LOCKED(mem_free(d)); }

static bool stream_ok(CUstream s) { return s && s->magic == MAGIC_STREAM; }
static bool event_ok(CUevent e) { return e && e->magic == MAGIC_EVENT; }

static CUresult htod_async(CUdeviceptr dst, const void *src, size_t len, CUstream s)
{
	CUresult r = ready(true);
	struct op *o;
	uint8_t *to;

	if (r)
		return r;
	if (!stream_ok(s))
		return E_INVALID_HANDLE;
	if (!src || !(to = lookup(allocs, dst, len)))
		return E_INVALID_VALUE;
	if (++st.h2d_calls > inj.lost && inj.lost) {
		st.lost = true;
		return E_CONTEXT_IS_DESTROYED;
	}
	if (!(o = calloc(1, sizeof(*o))))
		return 2;
	*o = (struct op){ .s = s, .dst = to, .src = src, .len = len,
			  .fail = st.h2d_calls == inj.copy, .corrupt = st.h2d_calls == inj.corrupt };
	return enqueue(o);
}
EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t len, CUstream s)
{
	LOCKED(htod_async(dst, src, len, s));
}

static CUresult dtoh(void *dst, CUdeviceptr src, size_t len)
{
	CUresult r = ready(true);
	uint8_t *from = lookup(allocs, src, len);
	bool mapped = false;

	if (r)
		return r;
	if (!from && (from = lookup(regs, src, len)))
		mapped = true;
	if (!dst || !from)
		return E_INVALID_VALUE;
	memcpy(dst, from, len);
	if (mapped && ++st.map_reads == inj.corrupt_map && len)
		((uint8_t *)dst)[len / 2] ^= 0x5a;
	st.dtoh_bytes += len;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t len) { LOCKED(dtoh(dst, src, len)); }

static CUresult stream_create(CUstream *s, unsigned flags)
{
	CUresult r = ready(true);

	if (r)
		return r;
	if (flags & ~(unsigned)CU_STREAM_NON_BLOCKING)
		return E_INVALID_VALUE;
	if ((r = start_worker()))
		return r;
	if (!(*s = calloc(1, sizeof(**s))))
		return 2;
	(*s)->magic = MAGIC_STREAM;
	st.streams++;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamCreate(CUstream *s, unsigned flags) { LOCKED(stream_create(s, flags)); }

static CUresult stream_destroy(CUstream s)
{
	if (!st.init)
		return E_NOT_INITIALIZED;
	if (!stream_ok(s))
		return E_INVALID_HANDLE;
	drain();
	s->magic = 0;
	free(s);
	if (--st.streams == 0)
		stop_worker();
	return teardown_status();
}
EXPORT CUresult cuStreamDestroy_v2(CUstream s) { LOCKED(stream_destroy(s)); }

static CUresult event_create(CUevent *e, unsigned flags)
{
	CUresult r = ready(true);

	if (r)
		return r;
	if (flags & ~0x7u)
		return E_INVALID_VALUE;
	if (!(*e = calloc(1, sizeof(**e))))
		return 2;
	(*e)->magic = MAGIC_EVENT;
	(*e)->flags = flags;
	st.events++;
	return CUDA_SUCCESS;
}
EXPORT CUresult cuEventCreate(CUevent *e, unsigned flags) { LOCKED(event_create(e, flags)); }

static CUresult event_record(CUevent e, CUstream s)
{
	CUresult r = ready(true);
	struct op *o;

	if (r)
		return r;
	if (!event_ok(e) || !stream_ok(s))
		return E_INVALID_HANDLE;
	if (!(o = calloc(1, sizeof(*o))))
		return 2;
	e->state = 1;
	e->err = CUDA_SUCCESS;
	*o = (struct op){ .s = s, .ev = e };
	return enqueue(o);
}
EXPORT CUresult cuEventRecord(CUevent e, CUstream s) { LOCKED(event_record(e, s)); }

static CUresult event_query(CUevent e)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (!event_ok(e))
		return E_INVALID_HANDLE;
	return e->state == 1 ? CUDA_ERROR_NOT_READY : e->err;
}
EXPORT CUresult cuEventQuery(CUevent e) { LOCKED(event_query(e)); }

static CUresult event_sync(CUevent e)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (!event_ok(e))
		return E_INVALID_HANDLE;
	while (e->state == 1)
		pthread_cond_wait(&cv, &mu);
	return e->err;
}
EXPORT CUresult cuEventSynchronize(CUevent e) { LOCKED(event_sync(e)); }

static CUresult elapsed(float *ms, CUevent a, CUevent b)
{
	CUresult r = ready(false);

	if (r)
		return r;
	if (!ms || !event_ok(a) || !event_ok(b))
		return E_INVALID_HANDLE;
	if ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING || !a->state || !b->state)
		return E_INVALID_HANDLE;
	if (a->state == 1 || b->state == 1)
		return CUDA_ERROR_NOT_READY;
	*ms = (float)(((double)b->ns - (double)a->ns) / 1e6);
	return CUDA_SUCCESS;
}
EXPORT CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b) { LOCKED(elapsed(ms, a, b)); }

static CUresult event_destroy(CUevent e)
{
	if (!st.init)
		return E_NOT_INITIALIZED;
	if (!event_ok(e))
		return E_INVALID_HANDLE;
	while (e->state == 1) /* its record is still queued */
		pthread_cond_wait(&cv, &mu);
	e->magic = 0;
	free(e);
	st.events--;
	return teardown_status();
}
EXPORT CUresult cuEventDestroy_v2(CUevent e) { LOCKED(event_destroy(e)); }

EXPORT CUresult cuGetErrorString(CUresult r, const char **s)
{
	static const struct { CUresult r; const char *s; } tab[] = {
		{ 0, "no error (test double)" },
		{ E_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE (test double)" },
		{ 2, "CUDA_ERROR_OUT_OF_MEMORY (test double)" },
		{ E_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED (test double)" },
		{ E_NO_DEVICE, "CUDA_ERROR_NO_DEVICE (test double: injected)" },
		{ E_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE (test double)" },
		{ E_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT (test double)" },
		{ E_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE (test double)" },
		{ CUDA_ERROR_NOT_READY, "CUDA_ERROR_NOT_READY (test double)" },
		{ E_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS (test double: injected copy failure)" },
		{ E_CONTEXT_IS_DESTROYED, "CUDA_ERROR_CONTEXT_IS_DESTROYED (test double: injected context loss)" },
		{ E_ALREADY_REGISTERED, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED (test double)" },
		{ E_NOT_REGISTERED, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED (test double)" },
		{ E_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED (test double: injected registration refusal)" },
	};

	if (!s)
		return E_INVALID_VALUE;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].r == r) {
			*s = tab[i].s;
			return CUDA_SUCCESS;
		}
	*s = NULL;
	return E_INVALID_VALUE;
}

/* Unload: the leak and traffic report (see the top of the file). */
__attribute__((destructor)) static void unload(void)
{
	const char *path = getenv("TELKIT_CUDA_DOUBLE_REPORT");
	FILE *f;
	bool leak;

	pthread_mutex_lock(&mu);
	stop_worker();
	leak = st.regs || st.allocs || st.streams || st.events || st.ctx_refs || st.unmapped;
	f = path ? fopen(path, "ae") : NULL;
	fprintf(f ? f : stderr,
		"cuda-double: pid=%d registrations=%lu allocations=%lu streams=%lu events=%lu contexts=%d unmapped_while_registered=%lu h2d_copies=%llu h2d_bytes=%llu dtoh_bytes=%llu%s\n",
		(int)getpid(), st.regs, st.allocs, st.streams, st.events, st.ctx_refs, st.unmapped,
		st.h2d_copies, st.h2d_bytes, st.dtoh_bytes, leak ? " LEAK" : "");
	if (f)
		fclose(f);
	pthread_mutex_unlock(&mu);
}
