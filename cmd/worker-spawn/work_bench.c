// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_bench.c — issue 15: bench.  Two benchmarks written for worker-spawn
 * (our own code, after the ideas of schbench and TaoBench), each run by ONE
 * worker that starts its own threads; the worker's thread only watches:
 * every 10 ms it moves the work units on and, when the phase epoch moves,
 * closes a per-phase record (struct ws_bench); at the end it stops and joins
 * the threads, then adds the last phase's and the whole run's records, so
 * every request done is counted.
 *
 * schbench: `messages` message threads, each with `threads` worker threads.
 * A message thread stamps the clock and FUTEX_WAKEs each of its workers in
 * turn, waits until all have answered, sleeps sleep_us, and again.  A
 * worker's wakeup latency runs from its message thread's stamp to the
 * worker running; it then makes `operations` strided read-modify-write
 * passes over its own `footprint` buffer (the request), and its request
 * latency runs from the same stamp to the end of that work.  A loop is one
 * request.  Scheduling delay: the schedstat run delay of the message
 * threads and of the worker threads.
 *
 * taobench: `clients` threads look up uniformly random keys out of `keys`
 * in a cache of `cache` entries (64-byte values, one lock).  A hit is the
 * fast path; a miss sleeps slow_us (the backend fetch) and then stores the
 * key, evicting a random entry once the cache is full, so the hit ratio
 * settles at cache/keys.  Closed loop by default; rate=R (requests/s over
 * all clients) makes it open loop: arrivals are on a fixed grid and the
 * serve latency runs from the intended arrival (no coordinated omission),
 * `late` counting requests that began more than one period after theirs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_hist.h"
#include "telemetry.h"

#define WATCH_NS (10 * 1000000ULL)

/* What the watcher reads at one moment: two histograms and four counters. */
struct mark {
	struct ws_hist_snap h[2];
	uint64_t cnt[4];
	uint64_t t_ns;
};

/* One benchmark as the watcher drives it. */
struct bench {
	uint8_t kind;
	_Atomic int stop;
	int err;                         /* a helper's failure */
	struct ws_hist hist[2];
	void (*take)(struct bench *b, struct mark *m);   /* fills cnt[] */
	void (*halt)(struct bench *b);   /* stop and join the threads */
	void (*fill)(const struct mark *d, struct ws_bench *out);
};

static void take(struct bench *b, struct mark *m)
{
	ws_hist_snap(&b->hist[0], &m->h[0]);
	ws_hist_snap(&b->hist[1], &m->h[1]);
	b->take(b, m);
	m->t_ns = ws_now();
}

/* Append the record of @now minus @then as @phase. */
static void push(struct ws_ctx *c, struct bench *b, uint32_t phase, const struct mark *now,
		 const struct mark *then, struct mark *d)
{
	struct ws_bench *r;

	/* WS_MAX_SLICES phases; the whole run always has its place */
	if (!c->rep.bench || c->rep.nbench >= WS_MAX_SLICES + (phase == WS_BENCH_WHOLE))
		return;
	r = &c->rep.bench[c->rep.nbench++];
	memset(r, 0, sizeof(*r));
	r->phase = phase;
	r->kind = b->kind;
	for (int k = 0; k < 2; k++)
		ws_hist_diff(&now->h[k], &then->h[k], &d->h[k]);
	for (int k = 0; k < 4; k++)
		d->cnt[k] = tk_sat_sub_u64(now->cnt[k], then->cnt[k]);
	d->t_ns = tk_sat_sub_u64(now->t_ns, then->t_ns);
	b->fill(d, r);
}

/*
 * The watcher: until stopped, tick work units (cnt[0]) and close phases.
 * The run starts from zero at @t0, when the first thread was started.
 */
static int watch(struct ws_ctx *c, struct bench *b, uint64_t t0)
{
	struct mark *m = calloc(4, sizeof(*m)), *start = m, *prev = m + 1, *now = m + 2;
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
			struct mark *t = prev;

			push(c, b, epoch, now, prev, m + 3);
			prev = now;
			now = t;
			epoch = e;
			phased = true;
		}
		c->rep.iterations += now->cnt[0] - done;
		ws_tick(c, now->cnt[0] - done);
		done = now->cnt[0];
	}
	/* the last figures once every thread is gone: nothing more can happen */
	atomic_store(&b->stop, 1);
	b->halt(b);
	take(b, now);
	c->rep.iterations += now->cnt[0] - done;
	ws_tick(c, now->cnt[0] - done);
	if (phased)
		push(c, b, epoch, now, prev, m + 3);
	push(c, b, WS_BENCH_WHOLE, now, start, m + 3);
	free(m);
	return b->err;
}

static uint64_t pct(const struct ws_hist_snap *s, double p)
{
	return ws_hist_pct(s, p);
}

/* --- schbench --------------------------------------------------------------- */

/* A schbench thread as the watcher sees it: its tid, then its run delay at exit. */
struct sb_thread {
	_Atomic pid_t tid;
	_Atomic int exited;
	_Atomic uint64_t exit_delay;
	pthread_t th;
	bool started;
};

static void thread_enter(struct sb_thread *t)
{
	atomic_store(&t->tid, gettid());
}

static void thread_exit(struct sb_thread *t)
{
	struct ws_schedstat s;

	if (ws_schedstat_read(0, &s))
		atomic_store(&t->exit_delay, s.run_delay_ns);
	atomic_store(&t->exited, 1);
}

/* Its run delay now (ns); 0 when it cannot be read. */
static uint64_t thread_delay(struct sb_thread *t)
{
	struct ws_schedstat s;

	if (atomic_load(&t->exited))
		return atomic_load(&t->exit_delay);
	if (atomic_load(&t->tid) > 0 && ws_schedstat_read(atomic_load(&t->tid), &s))
		return s.run_delay_ns;
	return 0;
}

struct sb;
struct sb_worker {
	struct sb_thread t;
	_Atomic uint32_t go;             /* requests posted to it */
	_Atomic uint64_t stamp;          /* its message thread's clock at the post */
	struct sb *sb;
	_Atomic uint32_t *acks;          /* its message thread's */
	uint8_t *buf;
};

struct sb_msg {
	struct sb_thread t;
	_Atomic uint32_t acks;
	struct sb *sb;
	struct sb_worker *w;
	unsigned nw;
};

struct sb {
	struct bench b;                  /* hist[0] wakeup, hist[1] request */
	_Atomic uint64_t loops;
	uint64_t ops, footprint, sleep_ns;
	struct sb_msg *msg;
	struct sb_worker *wk;
	unsigned nmsg, nwk;
};

static void *sb_worker_main(void *arg)
{
	struct sb_worker *w = arg;
	struct sb *sb = w->sb;
	uint32_t seen = 0;

	thread_enter(&w->t);
	/* a request posted before the stop is still served: posts and loops match */
	while (!ws_futex_wait_stop(&w->go, seen, &sb->b.stop)) {
		uint64_t stamp, t;

		seen = atomic_load(&w->go);
		t = ws_now();
		stamp = atomic_load(&w->stamp);
		ws_hist_add(&sb->b.hist[0], tk_sat_sub_u64(t, stamp));
		for (uint64_t k = 0; k < sb->ops; k++)
			ws_cache_pass(w->buf, sb->footprint, 64);
		ws_hist_add(&sb->b.hist[1], tk_sat_sub_u64(ws_now(), stamp));
		atomic_fetch_add(&sb->loops, 1);
		atomic_fetch_add(w->acks, 1);
		ws_futex_wake_private(w->acks, 1);
	}
	thread_exit(&w->t);
	return NULL;
}

/* Sleep @ns in <= 100 ms steps that re-check @stop. */
static void nap(uint64_t ns, _Atomic int *stop)
{
	uint64_t end = ws_now() + ns, now;

	while (!atomic_load(stop) && (now = ws_now()) < end) {
		uint64_t step = end - now < WS_POLL_NS ? end - now : WS_POLL_NS;
		struct timespec ts = { step / 1000000000ULL, step % 1000000000ULL };

		nanosleep(&ts, NULL);
	}
}

static void *sb_msg_main(void *arg)
{
	struct sb_msg *m = arg;
	struct sb *sb = m->sb;

	thread_enter(&m->t);
	while (!atomic_load(&sb->b.stop)) {
		atomic_store(&m->acks, 0);
		for (unsigned i = 0; i < m->nw; i++) {
			atomic_store(&m->w[i].stamp, ws_now());
			atomic_fetch_add(&m->w[i].go, 1);
			ws_futex_wake_private(&m->w[i].go, 1);
		}
		for (uint32_t a; (a = atomic_load(&m->acks)) < m->nw;)
			if (ws_futex_wait_stop(&m->acks, a, &sb->b.stop))
				break;
		nap(sb->sleep_ns, &sb->b.stop);
	}
	thread_exit(&m->t);
	return NULL;
}

static void sb_take(struct bench *b, struct mark *m)
{
	struct sb *sb = (struct sb *)b;

	m->cnt[0] = atomic_load(&sb->loops);
	m->cnt[1] = m->cnt[2] = 0;
	for (unsigned i = 0; i < sb->nmsg; i++)
		m->cnt[1] += thread_delay(&sb->msg[i].t);
	for (unsigned i = 0; i < sb->nwk; i++)
		m->cnt[2] += thread_delay(&sb->wk[i].t);
}

static void sb_fill(const struct mark *d, struct ws_bench *out)
{
	static const double p[4] = { 0.50, 0.90, 0.99, 0.999 };
	uint64_t *f = out->f;

	for (int k = 0; k < 4; k++) {
		f[WS_SB_wakeup_p50 + k] = pct(&d->h[0], p[k]);
		f[WS_SB_request_p50 + k] = pct(&d->h[1], p[k]);
	}
	f[WS_SB_wakeup_min] = ws_hist_low(&d->h[0]);
	f[WS_SB_wakeup_max] = ws_hist_high(&d->h[0]);
	f[WS_SB_wakeup_samples] = d->h[0].n;
	f[WS_SB_request_min] = ws_hist_low(&d->h[1]);
	f[WS_SB_request_max] = ws_hist_high(&d->h[1]);
	f[WS_SB_request_samples] = d->h[1].n;
	f[WS_SB_loop_count] = d->cnt[0];
	f[WS_SB_sched_delay_msg] = d->cnt[1];
	f[WS_SB_sched_delay_worker] = d->cnt[2];
	f[WS_SB_wall_ns] = d->t_ns;
}

static void sb_halt(struct bench *b)
{
	struct sb *sb = (struct sb *)b;

	atomic_store(&sb->b.stop, 1);
	for (unsigned i = 0; sb->wk && i < sb->nwk; i++)
		if (sb->wk[i].t.started)
			pthread_join(sb->wk[i].t.th, NULL), sb->wk[i].t.started = false;
	for (unsigned i = 0; sb->msg && i < sb->nmsg; i++)
		if (sb->msg[i].t.started)
			pthread_join(sb->msg[i].t.th, NULL), sb->msg[i].t.started = false;
}

static void sb_release(struct sb *sb)
{
	sb_halt(&sb->b);
	for (unsigned i = 0; sb->wk && i < sb->nwk; i++)
		free(sb->wk[i].buf);
	free(sb->wk);
	free(sb->msg);
}

static int sb_start(struct sb *sb)
{
	int err = 0;

	for (unsigned i = 0; i < sb->nwk && !err; i++) {
		struct sb_worker *w = &sb->wk[i];

		w->sb = sb;
		w->acks = &sb->msg[i / (sb->nwk / sb->nmsg)].acks;
		w->buf = calloc(1, sb->footprint);
		err = w->buf ? ws_thread_start(&w->t.th, sb_worker_main, w) : -ENOMEM;
		w->t.started = !err;
	}
	for (unsigned i = 0; i < sb->nmsg && !err; i++) {
		struct sb_msg *m = &sb->msg[i];

		m->sb = sb;
		m->nw = sb->nwk / sb->nmsg;
		m->w = &sb->wk[i * m->nw];
		err = ws_thread_start(&m->t.th, sb_msg_main, m);
		m->t.started = !err;
	}
	return err;
}

int ws_schbench(struct ws_ctx *c)
{
	const struct ws_group *g = c->g;
	struct sb *sb = calloc(1, sizeof(*sb));
	uint64_t t0;
	int err;

	if (!sb)
		return -ENOMEM;
	sb->b.kind = WS_BENCH_SCHBENCH;
	sb->b.take = sb_take;
	sb->b.fill = sb_fill;
	sb->b.halt = sb_halt;
	ws_hist_init(&sb->b.hist[0]);
	ws_hist_init(&sb->b.hist[1]);
	sb->ops = g->p_operations;
	sb->footprint = g->p_footprint;
	sb->sleep_ns = g->p_sleep * 1000;
	sb->nmsg = g->p_messages;
	sb->nwk = g->p_messages * g->p_threads;
	sb->msg = calloc(sb->nmsg, sizeof(*sb->msg));
	sb->wk = calloc(sb->nwk, sizeof(*sb->wk));
	t0 = ws_now();
	err = sb->msg && sb->wk ? sb_start(sb) : -ENOMEM;
	if (!err)
		err = watch(c, &sb->b, t0);
	sb_release(sb);
	if (!err && c->rep.nbench) {
		/* the whole run's extremes are known exactly */
		uint64_t *f = c->rep.bench[c->rep.nbench - 1].f;

		f[WS_SB_wakeup_min] = f[WS_SB_wakeup_samples] ? atomic_load(&sb->b.hist[0].min) : 0;
		f[WS_SB_wakeup_max] = atomic_load(&sb->b.hist[0].max);
		f[WS_SB_request_min] = f[WS_SB_request_samples] ? atomic_load(&sb->b.hist[1].min) : 0;
		f[WS_SB_request_max] = atomic_load(&sb->b.hist[1].max);
	}
	free(sb);
	return err;
}

/* --- taobench --------------------------------------------------------------- */

#define TB_VALUE 64

struct tb;
struct tb_client {
	struct tb *tb;
	uint64_t rng, first;             /* first intended arrival (open loop) */
	pthread_t th;
	bool started;
};

struct tb {
	struct bench b;                  /* hist[0] serve latency */
	pthread_mutex_t mu;
	int32_t *where;                  /* key -> slot, -1: not cached */
	uint32_t *slot_key;
	uint8_t *val;
	uint32_t used;
	uint64_t keys, cache, slow_ns, period_ns;   /* period: per client, 0 closed */
	_Atomic uint64_t req, hits, misses, late;
	struct tb_client *cl;
	unsigned ncl;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One request for @key: true on a hit. */
static bool tb_serve(struct tb *tb, uint64_t key, uint64_t *rng)
{
	uint8_t out[TB_VALUE];
	int32_t slot;

	pthread_mutex_lock(&tb->mu);
	slot = tb->where[key];
	if (slot >= 0)
		memcpy(out, tb->val + (size_t)slot * TB_VALUE, TB_VALUE);
	pthread_mutex_unlock(&tb->mu);
	if (slot >= 0)
		return true;
	/* the backend fetch: one nanosleep of slow_us (peers count them) */
	if (tb->slow_ns <= WS_POLL_NS) {
		struct timespec ts = { 0, tb->slow_ns };

		if (tb->slow_ns)
			nanosleep(&ts, NULL);
	} else {
		nap(tb->slow_ns, &tb->b.stop);
	}
	memset(out, (int)key, sizeof(out));
	pthread_mutex_lock(&tb->mu);
	if (tb->where[key] < 0) {
		uint32_t s;

		if (tb->used < tb->cache) {
			s = tb->used++;
		} else {
			s = xorshift(rng) % tb->cache;   /* random eviction */
			tb->where[tb->slot_key[s]] = -1;
		}
		tb->where[key] = s;
		tb->slot_key[s] = key;
		memcpy(tb->val + (size_t)s * TB_VALUE, out, TB_VALUE);
	}
	pthread_mutex_unlock(&tb->mu);
	return false;
}

/* Sleep to absolute @t in <= 100 ms steps; false when stopped. */
static bool until(uint64_t t, _Atomic int *stop)
{
	uint64_t now;

	while (!atomic_load(stop) && (now = ws_now()) < t) {
		uint64_t to = t - now > WS_POLL_NS ? now + WS_POLL_NS : t;
		struct timespec ts = { to / 1000000000ULL, to % 1000000000ULL };

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return !atomic_load(stop);
}

static void *tb_client_main(void *arg)
{
	struct tb_client *cl = arg;
	struct tb *tb = cl->tb;
	uint64_t next = cl->first;

	while (!atomic_load(&tb->b.stop)) {
		uint64_t intended;

		if (tb->period_ns) {
			if (!until(next, &tb->b.stop))
				break;
			intended = next;
			next += tb->period_ns;
			if (ws_now() - intended > tb->period_ns)
				atomic_fetch_add(&tb->late, 1);
		} else {
			intended = ws_now();
		}
		if (tb_serve(tb, xorshift(&cl->rng) % tb->keys, &cl->rng))
			atomic_fetch_add(&tb->hits, 1);
		else
			atomic_fetch_add(&tb->misses, 1);
		ws_hist_add(&tb->b.hist[0], tk_sat_sub_u64(ws_now(), intended));
		atomic_fetch_add(&tb->req, 1);
	}
	return NULL;
}

static void tb_take(struct bench *b, struct mark *m)
{
	struct tb *tb = (struct tb *)b;

	m->cnt[0] = atomic_load(&tb->req);
	m->cnt[1] = atomic_load(&tb->hits);
	m->cnt[2] = atomic_load(&tb->misses);
	m->cnt[3] = atomic_load(&tb->late);
}

static void tb_fill(const struct mark *d, struct ws_bench *out)
{
	static const double p[4] = { 0.50, 0.90, 0.99, 0.999 };
	uint64_t *f = out->f;

	f[WS_TB_requests] = d->cnt[0];
	f[WS_TB_hits] = d->cnt[1];
	f[WS_TB_misses] = d->cnt[2];
	f[WS_TB_late] = d->cnt[3];
	f[WS_TB_wall_ns] = d->t_ns;
	for (int k = 0; k < 4; k++)
		f[WS_TB_serve_p50 + k] = pct(&d->h[0], p[k]);
	f[WS_TB_serve_max] = ws_hist_high(&d->h[0]);
	f[WS_TB_serve_samples] = d->h[0].n;
}

static void tb_halt(struct bench *b)
{
	struct tb *tb = (struct tb *)b;

	atomic_store(&tb->b.stop, 1);
	for (unsigned i = 0; tb->cl && i < tb->ncl; i++)
		if (tb->cl[i].started)
			pthread_join(tb->cl[i].th, NULL), tb->cl[i].started = false;
}

static void tb_free(struct tb *tb)
{
	tb_halt(&tb->b);
	pthread_mutex_destroy(&tb->mu);
	free(tb->cl);
	free(tb->where);
	free(tb->slot_key);
	free(tb->val);
	free(tb);
}

int ws_taobench(struct ws_ctx *c)
{
	const struct ws_group *g = c->g;
	struct tb *tb = calloc(1, sizeof(*tb));
	uint64_t t0 = ws_now();
	int err = 0;

	if (!tb)
		return -ENOMEM;
	pthread_mutex_init(&tb->mu, NULL);
	tb->b.kind = WS_BENCH_TAOBENCH;
	tb->b.take = tb_take;
	tb->b.fill = tb_fill;
	tb->b.halt = tb_halt;
	ws_hist_init(&tb->b.hist[0]);
	ws_hist_init(&tb->b.hist[1]);
	tb->keys = g->p_keys;
	tb->cache = g->p_cache;
	tb->slow_ns = g->p_slow_us * 1000;
	tb->ncl = g->p_clients;
	tb->period_ns = g->p_rate ? 1000000000ULL * tb->ncl / g->p_rate : 0;
	if (g->p_rate && !tb->period_ns)
		tb->period_ns = 1;
	tb->where = malloc(tb->keys * sizeof(*tb->where));
	tb->slot_key = malloc(tb->cache * sizeof(*tb->slot_key));
	tb->val = calloc(tb->cache, TB_VALUE);
	tb->cl = calloc(tb->ncl, sizeof(*tb->cl));
	if (!tb->where || !tb->slot_key || !tb->val || !tb->cl)
		err = -ENOMEM;
	if (!err) {
		memset(tb->where, 0xff, tb->keys * sizeof(*tb->where));
		memset(tb->slot_key, 0xff, tb->cache * sizeof(*tb->slot_key));
	}
	for (unsigned i = 0; i < tb->ncl && !err; i++) {
		struct tb_client *cl = &tb->cl[i];

		cl->tb = tb;
		cl->rng = (c->rng ^ (0x9e3779b97f4a7c15ULL * (i + 1))) | 1;
		cl->first = t0 + tb->period_ns * i / tb->ncl;
		err = ws_thread_start(&cl->th, tb_client_main, cl);
		cl->started = !err;
	}
	if (!err)
		err = watch(c, &tb->b, t0);
	if (!err && c->rep.nbench) {
		for (uint32_t i = 0; i < c->rep.nbench; i++)
			c->rep.bench[i].f[WS_TB_open_loop] = g->p_rate != 0;
		c->rep.bench[c->rep.nbench - 1].f[WS_TB_serve_max] =
			atomic_load(&tb->b.hist[0].max);
	}
	tb_free(tb);
	return err;
}
