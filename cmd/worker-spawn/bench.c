// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench.c — issue 15: bench.  See bench.h. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "telemetry.h"

/* 0..63 exact; then 32 per power of two from 2^6 up to 2^63. */
static unsigned bucket(uint64_t v)
{
	unsigned msb;

	if (v < 64)
		return v;
	msb = 63 - __builtin_clzll(v);
	return 64 + (msb - 6) * 32 + ((v >> (msb - 5)) & 31);
}

static uint64_t lower_edge(unsigned i)
{
	unsigned msb;

	if (i < 64)
		return i;
	msb = (i - 64) / 32 + 6;
	return (1ULL << msb) | ((uint64_t)((i - 64) % 32) << (msb - 5));
}

void ws_hist_init(struct ws_hist *h)
{
	memset(h, 0, sizeof(*h));
	atomic_store(&h->min, UINT64_MAX);
}

void ws_hist_add(struct ws_hist *h, uint64_t ns)
{
	uint64_t m;

	atomic_fetch_add_explicit(&h->b[bucket(ns)], 1, memory_order_relaxed);
	m = atomic_load_explicit(&h->min, memory_order_relaxed);
	while (ns < m && !atomic_compare_exchange_weak(&h->min, &m, ns))
		;
	m = atomic_load_explicit(&h->max, memory_order_relaxed);
	while (ns > m && !atomic_compare_exchange_weak(&h->max, &m, ns))
		;
}

void ws_hist_snap(const struct ws_hist *h, struct ws_hist_snap *s)
{
	s->n = 0;
	for (unsigned i = 0; i < WS_HIST_BUCKETS; i++) {
		s->b[i] = atomic_load_explicit(&h->b[i], memory_order_relaxed);
		s->n += s->b[i];
	}
}

void ws_hist_diff(const struct ws_hist_snap *now, const struct ws_hist_snap *then,
		  struct ws_hist_snap *d)
{
	d->n = 0;
	for (unsigned i = 0; i < WS_HIST_BUCKETS; i++) {
		d->b[i] = tk_sat_sub_u64(now->b[i], then->b[i]);
		d->n += d->b[i];
	}
}

uint64_t ws_hist_pct(const struct ws_hist_snap *s, double p)
{
	uint64_t rank, seen = 0;

	if (!s->n)
		return 0;
	rank = (uint64_t)ceil(p * (double)s->n);
	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < WS_HIST_BUCKETS; i++) {
		seen += s->b[i];
		if (seen >= rank)
			return lower_edge(i);
	}
	return ws_hist_high(s);
}

uint64_t ws_hist_low(const struct ws_hist_snap *s)
{
	for (unsigned i = 0; i < WS_HIST_BUCKETS; i++)
		if (s->b[i])
			return lower_edge(i);
	return 0;
}

uint64_t ws_hist_high(const struct ws_hist_snap *s)
{
	for (unsigned i = WS_HIST_BUCKETS; i-- > 0;)
		if (s->b[i])
			return lower_edge(i);
	return 0;
}

int ws_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

int ws_futex_wait_stop(_Atomic uint32_t *w, uint32_t val, _Atomic int *stop)
{
	struct timespec ts = { 0, WS_POLL_NS };

	while (atomic_load(w) == val) {
		if (atomic_load(stop))
			return -EINTR;
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
	}
	return 0;
}

void ws_futex_wake_private(_Atomic uint32_t *w, int n)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

void ws_bench_nap(uint64_t ns, _Atomic int *stop)
{
	uint64_t end = ws_now() + ns, now;

	while (!atomic_load(stop) && (now = ws_now()) < end) {
		uint64_t step = end - now < WS_POLL_NS ? end - now : WS_POLL_NS;
		struct timespec ts = { step / 1000000000ULL, step % 1000000000ULL };

		nanosleep(&ts, NULL);
	}
}

/* --- the watcher ------------------------------------------------------------- */

#define WATCH_NS (10 * 1000000ULL)

static void take(struct ws_bench_run *b, struct ws_bench_mark *m)
{
	for (int k = 0; k < WS_BENCH_HISTS; k++)
		ws_hist_snap(&b->hist[k], &m->h[k]);
	b->take(b, m);
	m->t_ns = ws_now();
}

/* Append the record of @now minus @then as @phase (@d: scratch). */
static void push(struct ws_ctx *c, struct ws_bench_run *b, uint32_t phase,
		 const struct ws_bench_mark *now, const struct ws_bench_mark *then,
		 struct ws_bench_mark *d)
{
	struct ws_bench *r;

	/* WS_MAX_SLICES phases; the whole run always has its place */
	if (!c->rep.bench || c->rep.nbench >= WS_MAX_SLICES + (phase == WS_BENCH_WHOLE))
		return;
	r = &c->rep.bench[c->rep.nbench++];
	memset(r, 0, sizeof(*r));
	r->phase = phase;
	r->kind = b->kind;
	for (int k = 0; k < WS_BENCH_HISTS; k++)
		ws_hist_diff(&now->h[k], &then->h[k], &d->h[k]);
	for (int k = 0; k < WS_BENCH_CNT; k++)
		d->cnt[k] = tk_sat_sub_u64(now->cnt[k], then->cnt[k]);
	d->lvl[0] = now->lvl[0];
	d->lvl[1] = now->lvl[1];
	d->t_ns = tk_sat_sub_u64(now->t_ns, then->t_ns);
	b->fill(d, r);
}

/* Move the work units and iterations on to @units. */
static void advance(struct ws_ctx *c, uint64_t *done, uint64_t units)
{
	c->rep.iterations += units - *done;
	ws_tick(c, units - *done);
	*done = units;
}

int ws_bench_watch(struct ws_ctx *c, struct ws_bench_run *b, uint64_t t0)
{
	struct ws_bench_mark *m = calloc(4, sizeof(*m)), *start = m, *prev = m + 1, *now = m + 2;
	uint32_t epoch = c->sh ? atomic_load(&c->sh->epoch) : 0;
	bool phased = false;
	uint64_t done = 0;

	c->rep.bench = calloc(WS_MAX_SLICES + 1, sizeof(*c->rep.bench));
	if (!m || !c->rep.bench) {
		free(m);
		return -ENOMEM;
	}
	start->t_ns = t0;
	*prev = *start;
	while (!ws_stopping() && !b->err) {
		uint32_t e;

		ws_sleep(WATCH_NS);
		e = c->sh ? atomic_load(&c->sh->epoch) : epoch;
		take(b, now);
		if (e != epoch) {
			struct ws_bench_mark *t = prev;

			push(c, b, epoch, now, prev, m + 3);
			prev = now;
			now = t;
			epoch = e;
			phased = true;
		}
		advance(c, &done, now->cnt[0]);
	}
	/* the last figures once every thread is gone: nothing more can happen */
	b->halt(b);
	take(b, now);
	advance(c, &done, now->cnt[0]);
	if (phased)
		push(c, b, epoch, now, prev, m + 3);
	push(c, b, WS_BENCH_WHOLE, now, start, m + 3);
	free(m);
	return b->err;
}
