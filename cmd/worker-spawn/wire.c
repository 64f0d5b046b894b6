// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wire.c — the worker report wire format (version 1): the encoder the
 * worker sends with, the pure decoder and frame length the parent reads with.
 *
 * Little-endian, positional, every field always present:
 *   u32 magic "WSR1", u16 version, u16 reserved, u32 body length, body.
 * Vectors are u32 count + elements; strings u8 present + u32 len + bytes;
 * every count is bounded before anything is allocated.  Version 2: each
 * phase slice also carries its CPUs, NUMA pages and samples.  Issue 15:
 * the body ends with the handoff samples (after the benchmark records).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ws.h"

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void w_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->err)
		return;
	w->err = tk_grow((void **)&w->p, &w->cap, w->len + n, 4096);
	if (w->err)
		return;
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void w_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = v >> (8 * i);
	w_bytes(w, b, 8);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	w_bytes(w, b, 4);
}

static void w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void w_str(struct wbuf *w, const char *s)
{
	size_t n;

	w_u8(w, s != NULL);
	if (!s)
		return;
	n = strnlen(s, WS_MAX_STR);
	w_u32(w, n);
	w_bytes(w, s, n);
}

static void w_samples(struct wbuf *w, const struct ws_samples *s)
{
	w_u32(w, s->n);
	for (uint32_t i = 0; i < s->n; i++)
		w_u64(w, s->v[i]);
	w_u64(w, s->total);
}

static void w_cpus(struct wbuf *w, const uint32_t *cpus, uint32_t n)
{
	w_u32(w, n);
	for (uint32_t i = 0; i < n; i++)
		w_u32(w, cpus[i]);
}

static void w_numa(struct wbuf *w, const struct ws_numa *numa, uint32_t n)
{
	w_u32(w, n);
	for (uint32_t i = 0; i < n; i++) {
		w_u32(w, numa[i].node);
		w_u64(w, numa[i].pages);
	}
}

static void w_slice(struct wbuf *w, const struct ws_phase_slice *s)
{
	w_u32(w, s->phase);
#define W_FIELD(name, how) w_u64(w, s->name);
	WS_SLICE_FIELDS(W_FIELD)
#undef W_FIELD
	w_cpus(w, s->cpus_used, s->ncpus);
	w_numa(w, s->numa, s->nnuma);
	w_samples(w, &s->wake);
	w_samples(w, &s->iter);
	w_samples(w, &s->timer);
}

int ws_report_encode(const struct ws_report *r, uint8_t **buf, size_t *len)
{
	struct wbuf w = { 0 };
	uint32_t body;

	w_u32(&w, WS_REPORT_MAGIC);
	w_u32(&w, WS_REPORT_VERSION);
	w_u32(&w, 0); /* body length, patched below */
	w_u32(&w, (uint32_t)r->tid);
	w_u64(&w, r->work_units);
	w_u64(&w, r->cpu_time_ns);
	w_u64(&w, r->wall_time_ns);
	w_u64(&w, r->off_cpu_ns);
	w_u64(&w, r->migration_count);
	w_cpus(&w, r->cpus_used, r->ncpus);
	w_u32(&w, r->nmigr);
	for (uint32_t i = 0; i < r->nmigr; i++) {
		w_u64(&w, r->migrations[i].at_ns);
		w_u32(&w, r->migrations[i].from);
		w_u32(&w, r->migrations[i].to);
	}
	w_u64(&w, r->max_gap_ms);
	w_u32(&w, r->max_gap_cpu);
	w_u64(&w, r->max_gap_at_ms);
	w_samples(&w, &r->wake);
	w_samples(&w, &r->iter);
	w_samples(&w, &r->timer);
	w_u64(&w, r->iterations);
	w_u64(&w, r->run_delay_ns);
	w_u64(&w, r->run_count);
	w_u64(&w, r->sched_cpu_ns);
	w_u8(&w, r->completed);
	w_numa(&w, r->numa, r->nnuma);
	w_u64(&w, r->vmstat_migrated);
	w_u8(&w, r->exit_kind);
	w_u32(&w, (uint32_t)r->exit_code);
	w_u8(&w, r->is_messenger);
	w_u32(&w, r->group_idx);
	w_str(&w, r->affinity_error);
	w_str(&w, r->sched_policy_error);
	w_u32(&w, r->nslices);
	for (uint32_t i = 0; i < r->nslices; i++)
		w_slice(&w, &r->slices[i]);
	/* issue 15: bench */
	w_u32(&w, r->nbench);
	for (uint32_t i = 0; i < r->nbench; i++) {
		w_u32(&w, r->bench[i].phase);
		w_u8(&w, r->bench[i].kind);
		for (int k = 0; k < WS_BENCH_NF; k++)
			w_u64(&w, r->bench[i].f[k]);
	}
	w_samples(&w, &r->handoff);   /* issue 15: handoff */
	if (w.err) {
		free(w.p);
		return w.err;
	}
	body = w.len - 12;
	for (int i = 0; i < 4; i++)
		w.p[8 + i] = body >> (8 * i);
	*buf = w.p;
	*len = w.len;
	return 0;
}

/* --- decoding: pure, bounded ---------------------------------------------- */

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	int err;
};

static bool r_need(struct rbuf *r, size_t n)
{
	if (r->err)
		return false;
	if (r->len - r->off < n) {
		r->err = -EINVAL;
		return false;
	}
	return true;
}

static uint64_t r_u64(struct rbuf *r)
{
	uint64_t v = 0;

	if (!r_need(r, 8))
		return 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += 8;
	return v;
}

static uint32_t r_u32(struct rbuf *r)
{
	uint32_t v = 0;

	if (!r_need(r, 4))
		return 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)r->p[r->off + i] << (8 * i);
	r->off += 4;
	return v;
}

static uint8_t r_u8(struct rbuf *r)
{
	if (!r_need(r, 1))
		return 0;
	return r->p[r->off++];
}

static bool r_bool(struct rbuf *r)
{
	uint8_t v = r_u8(r);

	if (v > 1 && !r->err)
		r->err = -EINVAL;
	return v == 1;
}

/* A count of @elem-byte items, at most @max, that fits in what is left. */
static uint32_t r_count(struct rbuf *r, uint32_t max, size_t elem)
{
	uint32_t n = r_u32(r);

	if (r->err)
		return 0;
	if (n > max || (size_t)n * elem > r->len - r->off) {
		r->err = -EINVAL;
		return 0;
	}
	return n;
}

static void *r_alloc(struct rbuf *r, size_t n, size_t size)
{
	void *p;

	if (r->err || !n)
		return NULL;
	p = calloc(n, size);
	if (!p)
		r->err = -ENOMEM;
	return p;
}

static char *r_str(struct rbuf *r)
{
	uint32_t n;
	char *s;

	if (!r_bool(r))
		return NULL;
	n = r_count(r, WS_MAX_STR, 1);
	if (r->err)
		return NULL;
	s = malloc(n + 1);
	if (!s) {
		r->err = -ENOMEM;
		return NULL;
	}
	memcpy(s, r->p + r->off, n);
	s[n] = '\0';
	if (strlen(s) != n) {   /* embedded NUL */
		free(s);
		r->err = -EINVAL;
		return NULL;
	}
	r->off += n;
	return s;
}

static void r_samples_max(struct rbuf *r, struct ws_samples *s, uint32_t max)
{
	s->n = r_count(r, max, 8);
	s->v = r_alloc(r, s->n, sizeof(*s->v));
	for (uint32_t i = 0; i < s->n && !r->err; i++)
		s->v[i] = r_u64(r);
	s->total = r_u64(r);
	if (!r->err && s->total < s->n)
		r->err = -EINVAL;
}

static void r_samples(struct rbuf *r, struct ws_samples *s)
{
	r_samples_max(r, s, WS_MAX_SAMPLES);
}

/* A CPU list: ascending, each below WS_MAX_CPUS. */
static uint32_t *r_cpus(struct rbuf *r, uint32_t *n)
{
	uint32_t *v;

	*n = r_count(r, WS_MAX_CPUS, 4);
	v = r_alloc(r, *n, sizeof(*v));
	for (uint32_t i = 0; i < *n && !r->err; i++) {
		v[i] = r_u32(r);
		if (v[i] >= WS_MAX_CPUS || (i && v[i] <= v[i - 1]))
			r->err = -EINVAL;
	}
	return v;
}

static struct ws_numa *r_numa(struct rbuf *r, uint32_t *n)
{
	struct ws_numa *v;

	*n = r_count(r, WS_MAX_NODES, 12);
	v = r_alloc(r, *n, sizeof(*v));
	for (uint32_t i = 0; i < *n && !r->err; i++) {
		v[i].node = r_u32(r);
		v[i].pages = r_u64(r);
	}
	return v;
}

static void r_slice(struct rbuf *r, struct ws_phase_slice *s)
{
	s->phase = r_u32(r);
#define R_FIELD(name, how) s->name = r_u64(r);
	WS_SLICE_FIELDS(R_FIELD)
#undef R_FIELD
	s->cpus_used = r_cpus(r, &s->ncpus);
	s->numa = r_numa(r, &s->nnuma);
	r_samples_max(r, &s->wake, WS_MAX_PHASE_SAMPLES);
	r_samples_max(r, &s->iter, WS_MAX_PHASE_SAMPLES);
	r_samples_max(r, &s->timer, WS_MAX_PHASE_SAMPLES);
}

int ws_report_decode(const uint8_t *buf, size_t len, struct ws_report *out)
{
	struct rbuf r = { .p = buf, .len = len };
	struct ws_report x;
	uint32_t body;

	memset(&x, 0, sizeof(x));
	memset(out, 0, sizeof(*out));
	if (!buf)
		return -EINVAL;
	if (r_u32(&r) != WS_REPORT_MAGIC)
		return -EINVAL;
	if (r_u32(&r) != WS_REPORT_VERSION)
		return r.err ? r.err : -EPROTO;
	body = r_u32(&r);
	if (r.err || body != len - r.off)
		return -EINVAL;
	x.tid = (int32_t)r_u32(&r);
	x.work_units = r_u64(&r);
	x.cpu_time_ns = r_u64(&r);
	x.wall_time_ns = r_u64(&r);
	x.off_cpu_ns = r_u64(&r);
	x.migration_count = r_u64(&r);
	x.cpus_used = r_cpus(&r, &x.ncpus);
	x.nmigr = r_count(&r, WS_MAX_MIGR, 16);
	x.migrations = r_alloc(&r, x.nmigr, sizeof(*x.migrations));
	for (uint32_t i = 0; i < x.nmigr && !r.err; i++) {
		x.migrations[i].at_ns = r_u64(&r);
		x.migrations[i].from = r_u32(&r);
		x.migrations[i].to = r_u32(&r);
	}
	x.max_gap_ms = r_u64(&r);
	x.max_gap_cpu = r_u32(&r);
	x.max_gap_at_ms = r_u64(&r);
	r_samples(&r, &x.wake);
	r_samples(&r, &x.iter);
	r_samples(&r, &x.timer);
	x.iterations = r_u64(&r);
	x.run_delay_ns = r_u64(&r);
	x.run_count = r_u64(&r);
	x.sched_cpu_ns = r_u64(&r);
	x.completed = r_bool(&r);
	x.numa = r_numa(&r, &x.nnuma);
	x.vmstat_migrated = r_u64(&r);
	x.exit_kind = r_u8(&r);
	if (x.exit_kind > WS_EXIT_WAIT_FAILED && !r.err)
		r.err = -EINVAL;
	x.exit_code = (int32_t)r_u32(&r);
	x.is_messenger = r_bool(&r);
	x.group_idx = r_u32(&r);
	x.affinity_error = r_str(&r);
	x.sched_policy_error = r_str(&r);
	x.nslices = r_count(&r, WS_MAX_SLICES, 4 + WS_SLICE_U64S * 8 + 8 + 3 * 12);
	x.slices = r_alloc(&r, x.nslices, sizeof(*x.slices));
	for (uint32_t i = 0; i < x.nslices && !r.err; i++)
		r_slice(&r, &x.slices[i]);
	/* issue 15: bench */
	x.nbench = r_count(&r, WS_MAX_SLICES + 1, 5 + WS_BENCH_NF * 8);
	x.bench = r_alloc(&r, x.nbench, sizeof(*x.bench));
	for (uint32_t i = 0; i < x.nbench && !r.err; i++) {
		x.bench[i].phase = r_u32(&r);
		x.bench[i].kind = r_u8(&r);
		if (!r.err && (x.bench[i].kind < WS_BENCH_SCHBENCH ||
			       x.bench[i].kind > WS_BENCH_TAOBENCH))
			r.err = -EINVAL;
		for (int k = 0; k < WS_BENCH_NF; k++)
			x.bench[i].f[k] = r_u64(&r);
	}
	r_samples(&r, &x.handoff);   /* issue 15: handoff */
	if (!r.err && r.off != len)
		r.err = -EINVAL;
	if (r.err) {
		ws_report_free(&x);
		return r.err;
	}
	*out = x;
	return 0;
}

size_t ws_report_frame_len(const uint8_t *buf, size_t len)
{
	uint32_t body;

	if (len < 12)
		return 0;
	body = buf[8] | buf[9] << 8 | buf[10] << 16 | (uint32_t)buf[11] << 24;
	return 12 + (size_t)body;
}

void ws_report_free(struct ws_report *r)
{
	free(r->cpus_used);
	free(r->migrations);
	free(r->wake.v);
	free(r->iter.v);
	free(r->timer.v);
	free(r->handoff.v);
	free(r->numa);
	free(r->affinity_error);
	free(r->sched_policy_error);
	for (uint32_t i = 0; r->slices && i < r->nslices; i++) {
		struct ws_phase_slice *s = &r->slices[i];

		free(s->cpus_used);
		free(s->numa);
		free(s->wake.v);
		free(s->iter.v);
		free(s->timer.v);
	}
	free(r->slices);
	free(r->exit_message);
	free(r->bench);
	memset(r, 0, sizeof(*r));
}

void ws_exit_info_str(const struct ws_report *r, char *buf, size_t size)
{
	switch (r->exit_kind) {
	case WS_EXIT_EXITED:
		snprintf(buf, size, "exited:%d", r->exit_code);
		break;
	case WS_EXIT_SIGNALED:
		snprintf(buf, size, "signaled:%d", r->exit_code);
		break;
	case WS_EXIT_TIMED_OUT:
		snprintf(buf, size, "timed_out");
		break;
	case WS_EXIT_WAIT_FAILED:
		snprintf(buf, size, "wait_failed:%d", r->exit_code);
		break;
	case WS_EXIT_PANICKED:
		snprintf(buf, size, "panicked");
		break;
	default:
		snprintf(buf, size, "%s", "");
	}
}
