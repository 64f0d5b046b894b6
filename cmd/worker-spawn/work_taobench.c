// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_taobench.c — issue 15: bench.  taobench, our own code after TaoBench's
 * access pattern: a bounded, sharded, FIFO-evicting key-value cache served
 * by client threads, with a fast hit path and a slow miss path on dispatcher
 * threads; ONE worker runs it while its thread watches (bench.c).
 *
 * The cache holds about cache_capacity_mib of values in SHARDS shards (one
 * lock each, a key's shard is its low bits): capacity / WS_TB_MEAN_VALUE
 * objects, whole shards, at least one per shard; a value's size is drawn
 * from the small-heavy table below (64 B .. 64 KiB) each time it is stored,
 * allocated then, written whole, and read whole on every hit.  The key range
 * is objects x 100 / target_hit_pct.  warm_start=1 (the reference's) fills
 * every slot with distinct keys before the start, so a uniform key stream
 * hits at target_hit_pct from the first request; warm_start=0 starts empty
 * and the ratio climbs as misses fill it.
 * client_threads clients (0: one per allowed CPU) pick a key; a hit reads
 * its value (a fast op); a miss is queued to one of slow_threads dispatchers
 * (0: max(1, clients / 3)), which sleeps once (the backing store fetch:
 * slow_path_sleep_us, or with slow_path_p99_us above it a Pareto draw of
 * that median and that p99, at most 2 s), stores the key over the shard's
 * oldest entry once the shard is full and wakes the client (a slow op).
 * arrival_rate=0 is a closed loop; arrival_rate=R requests/s over all
 * clients is an open loop: each client's arrivals sit on a fixed grid, its
 * serve latency runs from the intended arrival (a slow completion delays the
 * next issue and counts in its latency), and `late` counts requests begun
 * more than one grid step after theirs.
 *
 * On the stop the clients finish the request in hand (the dispatchers run
 * until every client is gone), so misses equal the dispatchers' sleeps.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "bench.h"
#include "telemetry.h"

#define SHARDS  256
#define PARETO_MAX_NS 2000000000ULL      /* a fetch draw's ceiling */

/* Value sizes and their weights (our own small-heavy table; mean 332 B). */
static const uint32_t vsize[] = { 64, 128, 256, 512, 1024, 4096, 16384, 65536 };
static const uint32_t vweight[] = { 450, 300, 130, 70, 30, 12, 3, 1 };
#define VWEIGHTS 996

struct tb;
struct tb_client {
	struct tb *tb;
	uint64_t rng, first;             /* first intended arrival (open loop) */
	_Atomic uint32_t filled;         /* posted by a dispatcher */
	struct tb_client *next;          /* on the miss queue */
	uint64_t key;
	pthread_t th;
	bool started;
};

struct tb_shard {
	pthread_mutex_t mu;
	uint32_t head, used;             /* the oldest slot (next to evict), slots in use */
};

struct tb_slot {
	uint64_t key;
	uint8_t *val;
	uint32_t len;
};

struct tb_slow {
	struct tb *tb;
	uint64_t rng;
	pthread_t th;
};

struct tb {
	struct ws_bench_run b;           /* hist[0] serve latency (open loop) */
	struct tb_shard shard[SHARDS];
	uint32_t *where;                 /* key -> slot + 1; 0: not cached */
	struct tb_slot *slot;
	uint64_t keys, per_shard, slow_ns, period_ns;  /* period: per client, 0 closed */
	double pareto_xm, pareto_inv_alpha;            /* 0: a fixed fetch */
	_Atomic uint64_t req, hits, misses, late, cmds, cmd_misses;
	/* the miss queue */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct tb_client *qhead, **qtail;
	_Atomic int slow_stop;           /* set once every client is gone */
	struct tb_client *cl;
	struct tb_slow *slow;
	unsigned ncl, nslow, nslow_started;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint32_t value_size(uint64_t *rng)
{
	uint32_t pick = xorshift(rng) % VWEIGHTS;
	size_t i = 0;

	while (i + 1 < TK_ARRAY_SIZE(vsize) && pick >= vweight[i])
		pick -= vweight[i++];
	return vsize[i];
}

/* Cache @key with a fresh value of @len bytes, over the shard's oldest entry once full. */
static int store(struct tb *tb, uint64_t key, uint32_t len)
{
	struct tb_shard *sh = &tb->shard[key % SHARDS];
	uint64_t base = key % SHARDS * tb->per_shard;
	uint8_t *val = malloc(len), *old = NULL;

	if (!val)
		return -ENOMEM;
	memset(val, 0xab, len);
	pthread_mutex_lock(&sh->mu);
	if (!tb->where[key]) {
		struct tb_slot *sl;

		if (sh->used < tb->per_shard) {
			sl = &tb->slot[base + (sh->head + sh->used++) % tb->per_shard];
		} else {
			sl = &tb->slot[base + sh->head];
			sh->head = (sh->head + 1) % tb->per_shard;
			tb->where[sl->key] = 0;
			old = sl->val;
		}
		sl->key = key;
		sl->val = val;
		sl->len = len;
		tb->where[key] = (uint32_t)(sl - tb->slot) + 1;
		val = NULL;
	}
	pthread_mutex_unlock(&sh->mu);
	free(val);                       /* a racing miss stored it first */
	free(old);
	return 0;
}

/* A hit reads every byte of the value. */
static bool lookup(struct tb *tb, uint64_t key)
{
	struct tb_shard *sh = &tb->shard[key % SHARDS];
	uint64_t sum = 0;
	uint32_t slot;

	pthread_mutex_lock(&sh->mu);
	slot = tb->where[key];
	if (slot) {
		const struct tb_slot *sl = &tb->slot[slot - 1];

		for (uint32_t i = 0; i < sl->len; i += 8) {
			uint64_t w;

			memcpy(&w, sl->val + i, sizeof(w));
			sum += w;
		}
	}
	pthread_mutex_unlock(&sh->mu);
	__asm__ volatile("" : : "r"(sum));   /* the read is not elided */
	return slot != 0;
}

/* The fetch's duration: fixed, or a Pareto draw (median slow_ns, its p99 set). */
static uint64_t fetch_ns(const struct tb *tb, uint64_t *rng)
{
	double u, ns;

	if (!tb->pareto_xm)
		return tb->slow_ns;
	u = ((xorshift(rng) >> 11) + 1) * 0x1p-53;        /* (0, 1] */
	ns = tb->pareto_xm * pow(u, -tb->pareto_inv_alpha);
	return ns >= PARETO_MAX_NS ? PARETO_MAX_NS : (uint64_t)ns;
}

/* Hand the miss to a dispatcher and wait for the fill (never cut short). */
static void miss(struct tb *tb, struct tb_client *cl, uint64_t key)
{
	static _Atomic int never;
	uint32_t f = atomic_load(&cl->filled);

	cl->key = key;
	cl->next = NULL;
	pthread_mutex_lock(&tb->qmu);
	*tb->qtail = cl;
	tb->qtail = &cl->next;
	pthread_cond_signal(&tb->qcv);
	pthread_mutex_unlock(&tb->qmu);
	ws_futex_wait_stop(&cl->filled, f, &never);
}

static void *slow_main(void *arg)
{
	struct tb_slow *me = arg;
	struct tb *tb = me->tb;

	for (;;) {
		struct tb_client *cl;
		struct timespec ts;
		uint64_t ns;

		pthread_mutex_lock(&tb->qmu);
		while (!tb->qhead && !atomic_load(&tb->slow_stop)) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += WS_POLL_NS;
			ts.tv_sec += ts.tv_nsec / 1000000000;
			ts.tv_nsec %= 1000000000;
			pthread_cond_timedwait(&tb->qcv, &tb->qmu, &ts);
		}
		cl = tb->qhead;
		if (cl && !(tb->qhead = cl->next))
			tb->qtail = &tb->qhead;
		pthread_mutex_unlock(&tb->qmu);
		if (!cl)
			return NULL;
		/* the backing store fetch: one relative CLOCK_MONOTONIC sleep (peers count them) */
		if ((ns = fetch_ns(tb, &me->rng))) {
			struct timespec d = { ns / 1000000000, ns % 1000000000 };

			clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
		}
		if (store(tb, cl->key, value_size(&me->rng)) && !tb->b.err)
			tb->b.err = -ENOMEM;
		atomic_fetch_add(&cl->filled, 1);
		ws_futex_wake_private(&cl->filled, 1);
	}
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

static void *client_main(void *arg)
{
	struct tb_client *cl = arg;
	struct tb *tb = cl->tb;
	uint64_t next = cl->first;

	while (!atomic_load(&tb->b.stop)) {
		uint64_t intended = 0, key = xorshift(&cl->rng) % tb->keys;

		if (tb->period_ns) {
			if (!until(next, &tb->b.stop))
				break;
			intended = next;
			next += tb->period_ns;
			if (ws_now() - intended > tb->period_ns)
				atomic_fetch_add(&tb->late, 1);
		}
		atomic_fetch_add(&tb->cmds, 1);
		if (lookup(tb, key)) {
			atomic_fetch_add(&tb->hits, 1);
		} else {
			atomic_fetch_add(&tb->cmd_misses, 1);
			miss(tb, cl, key);
			atomic_fetch_add(&tb->misses, 1);
		}
		if (tb->period_ns)
			ws_hist_add(&tb->b.hist[0], tk_sat_sub_u64(ws_now(), intended));
		atomic_fetch_add(&tb->req, 1);
	}
	return NULL;
}

static void tb_take(struct ws_bench_run *b, struct ws_bench_mark *m)
{
	struct tb *tb = (struct tb *)b;

	memset(m->cnt, 0, sizeof(m->cnt));
	m->cnt[0] = atomic_load(&tb->req);
	m->cnt[1] = atomic_load(&tb->hits);
	m->cnt[2] = atomic_load(&tb->misses);
	m->cnt[3] = atomic_load(&tb->late);
	m->cnt[4] = atomic_load(&tb->cmds);
	m->cnt[5] = atomic_load(&tb->cmd_misses);
}

static void tb_fill(const struct ws_bench_mark *d, struct ws_bench *out)
{
	static const double p[4] = { 0.50, 0.90, 0.99, 0.999 };
	uint64_t *f = out->f;

	f[WS_TB_requests] = d->cnt[0];
	f[WS_TB_hits] = d->cnt[1];
	f[WS_TB_misses] = d->cnt[2];
	f[WS_TB_late] = d->cnt[3];
	f[WS_TB_get_cmds] = d->cnt[4];
	f[WS_TB_get_misses] = d->cnt[5];
	f[WS_TB_serve_min] = ws_hist_low(&d->h[0]);
	f[WS_TB_wall_ns] = d->t_ns;
	for (int k = 0; k < 4; k++)
		f[WS_TB_serve_p50 + k] = ws_hist_pct(&d->h[0], p[k]);
	f[WS_TB_serve_max] = ws_hist_high(&d->h[0]);
	f[WS_TB_serve_samples] = d->h[0].n;
}

/* Clients first (a miss in hand still completes), then the dispatchers. */
static void tb_halt(struct ws_bench_run *b)
{
	struct tb *tb = (struct tb *)b;

	atomic_store(&tb->b.stop, 1);
	for (unsigned i = 0; tb->cl && i < tb->ncl; i++)
		if (tb->cl[i].started)
			pthread_join(tb->cl[i].th, NULL), tb->cl[i].started = false;
	atomic_store(&tb->slow_stop, 1);
	pthread_mutex_lock(&tb->qmu);
	pthread_cond_broadcast(&tb->qcv);
	pthread_mutex_unlock(&tb->qmu);
	for (; tb->nslow_started; tb->nslow_started--)
		pthread_join(tb->slow[tb->nslow_started - 1].th, NULL);
}

static void tb_release(struct tb *tb)
{
	tb_halt(&tb->b);
	for (unsigned s = 0; s < SHARDS; s++)
		pthread_mutex_destroy(&tb->shard[s].mu);
	pthread_mutex_destroy(&tb->qmu);
	pthread_cond_destroy(&tb->qcv);
	free(tb->cl);
	free(tb->slow);
	free(tb->where);
	for (uint64_t i = 0; tb->slot && i < tb->per_shard * SHARDS; i++)
		free(tb->slot[i].val);
	free(tb->slot);
}

/* warm_start: every slot of every shard holds a distinct key of that shard. */
static int prefill(struct tb *tb, uint64_t rng)
{
	uint64_t keys_per_shard = tb->keys / SHARDS;
	int err = 0;

	for (uint64_t s = 0; s < SHARDS && !err; s++)
		for (uint64_t i = 0; i < tb->per_shard && !err; i++) {
			uint64_t key;

			do
				key = xorshift(&rng) % keys_per_shard * SHARDS + s;
			while (tb->where[key]);
			err = store(tb, key, value_size(&rng));
		}
	return err;
}

static unsigned allowed_cpus(void)
{
	cpu_set_t set;

	return !sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0 ?
	       CPU_COUNT(&set) : 1;
}

/* Pareto scale and 1/shape from a median and a p99 (x99 / x50 = 50^(1/alpha)). */
static void pareto_setup(struct tb *tb, uint64_t p99_ns)
{
	double inv_alpha;

	if (!tb->slow_ns || p99_ns <= tb->slow_ns)
		return;
	inv_alpha = log((double)p99_ns / tb->slow_ns) / log(50.0);
	tb->pareto_inv_alpha = inv_alpha;
	tb->pareto_xm = tb->slow_ns / pow(2.0, inv_alpha);
}

static int tb_setup(struct tb *tb, const struct ws_group *g, uint64_t seed)
{
	uint64_t objects;

	for (unsigned s = 0; s < SHARDS; s++)
		pthread_mutex_init(&tb->shard[s].mu, NULL);
	pthread_mutex_init(&tb->qmu, NULL);
	pthread_cond_init(&tb->qcv, NULL);
	tb->qtail = &tb->qhead;
	tb->per_shard = (g->p_cache_mib << 20) / WS_TB_MEAN_VALUE / SHARDS;
	tb->per_shard = tb->per_shard ? tb->per_shard : 1;
	objects = tb->per_shard * SHARDS;
	tb->keys = objects * 100 / g->p_hit_pct / SHARDS * SHARDS;
	tb->slow_ns = g->p_slow_us * 1000;
	pareto_setup(tb, g->p_slow_p99_us * 1000);
	tb->ncl = g->p_clients ? g->p_clients : allowed_cpus();
	tb->nslow = g->p_threads ? g->p_threads : (tb->ncl / 3 ? tb->ncl / 3 : 1);
	tb->period_ns = g->p_rate ? 1000000000ULL * tb->ncl / g->p_rate : 0;
	if (g->p_rate && !tb->period_ns)
		tb->period_ns = 1;
	tb->where = calloc(tb->keys, sizeof(*tb->where));
	tb->slot = calloc(objects, sizeof(*tb->slot));
	tb->cl = calloc(tb->ncl, sizeof(*tb->cl));
	tb->slow = calloc(tb->nslow, sizeof(*tb->slow));
	if (!tb->where || !tb->slot || !tb->cl || !tb->slow)
		return -ENOMEM;
	for (unsigned i = 0; i < tb->nslow; i++) {
		tb->slow[i].tb = tb;
		tb->slow[i].rng = (seed ^ (0xd15a0000ULL + 0x9e3779b1ULL * (i + 1))) | 1;
	}
	return g->p_warm ? prefill(tb, seed | 1) : 0;
}

/* Before the start barrier: the cache built and filled, the dispatchers started. */
int ws_taobench_prep(struct ws_ctx *c)
{
	struct tb *tb = calloc(1, sizeof(*tb));
	int err;

	if (!tb)
		return -ENOMEM;
	c->bench = tb;
	tb->b.kind = WS_BENCH_TAOBENCH;
	tb->b.take = tb_take;
	tb->b.fill = tb_fill;
	tb->b.halt = tb_halt;
	ws_hist_init(&tb->b.hist[0]);
	ws_hist_init(&tb->b.hist[1]);
	err = tb_setup(tb, c->g, c->rng);
	while (!err && tb->nslow_started < tb->nslow)
		if (!(err = ws_thread_start(&tb->slow[tb->nslow_started].th, slow_main,
					    &tb->slow[tb->nslow_started])))
			tb->nslow_started++;
	return err;
}

void ws_taobench_fini(struct ws_ctx *c)
{
	struct tb *tb = c->bench;

	if (!tb)
		return;
	tb_release(tb);
	free(tb);
	c->bench = NULL;
}

int ws_taobench(struct ws_ctx *c)
{
	struct tb *tb = c->bench;
	uint64_t t0 = ws_now();
	int err = 0;

	for (unsigned i = 0; i < tb->ncl && !err; i++) {
		struct tb_client *cl = &tb->cl[i];

		cl->tb = tb;
		cl->rng = (c->rng ^ (0x9e3779b97f4a7c15ULL * (i + 1))) | 1;
		cl->first = t0 + tb->period_ns * i / tb->ncl;
		err = ws_thread_start(&cl->th, client_main, cl);
		cl->started = !err;
	}
	if (!err)
		err = ws_bench_watch(c, &tb->b, t0);
	tb_halt(&tb->b);
	if (!err && c->rep.nbench) {
		struct ws_bench *w = &c->rep.bench[c->rep.nbench - 1];
		uint64_t lo = atomic_load(&tb->b.hist[0].min);

		for (uint32_t i = 0; i < c->rep.nbench; i++)
			c->rep.bench[i].f[WS_TB_open_loop] = c->g->p_rate != 0;
		w->f[WS_TB_serve_max] = atomic_load(&tb->b.hist[0].max);
		w->f[WS_TB_serve_min] = lo == UINT64_MAX ? 0 : lo;
	}
	return err;
}
