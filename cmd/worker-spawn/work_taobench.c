// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_taobench.c — issue 15: bench.  taobench, our own code after TaoBench's
 * access pattern: a bounded, sharded, FIFO-evicting key-value cache served
 * by client threads, with a fast hit path and a slow miss path on dispatcher
 * threads; ONE worker runs it while its thread watches (bench.c).
 *
 * The cache holds cache_capacity_mib of 64-byte values in SHARDS shards (one
 * lock each); the key range is sized capacity x 100 / target_hit_pct, both
 * rounded to whole shards, and the cache starts full of distinct keys, so a
 * uniform key stream hits at target_hit_pct from the first request.
 * client_threads clients (0: one per allowed CPU) pick a key; a hit copies
 * its value (a fast op); a miss is queued to one of slow_threads dispatchers
 * (0: max(1, clients / 3)), which sleeps slow_path_sleep_us once (the backing
 * store fetch), stores the key over the shard's oldest entry and wakes the
 * client (a slow op).  arrival_rate=0 is a closed loop; arrival_rate=R
 * requests/s over all clients is an open loop: each client's arrivals sit on
 * a fixed grid, its serve latency runs from the intended arrival (a slow
 * completion delays the next issue and counts in its latency), and `late`
 * counts requests begun more than one grid step after theirs.
 *
 * On the stop the clients finish the request in hand (the dispatchers run
 * until every client is gone), so misses equal the dispatchers' sleeps.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "telemetry.h"

#define VALUE   64
#define SHARDS  64

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
	uint32_t head;                   /* the oldest slot (next to evict) */
};

struct tb {
	struct ws_bench_run b;           /* hist[0] serve latency (open loop) */
	struct tb_shard shard[SHARDS];
	uint32_t *where;                 /* key -> slot + 1; 0: not cached */
	uint64_t *slot_key;
	uint8_t *val;
	uint64_t keys, per_shard, slow_ns, period_ns;  /* period: per client, 0 closed */
	_Atomic uint64_t req, hits, misses, late;
	/* the miss queue */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct tb_client *qhead, **qtail;
	_Atomic int slow_stop;           /* set once every client is gone */
	struct tb_client *cl;
	pthread_t *slow;
	unsigned ncl, nslow, nslow_started;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Cache @key over its shard's oldest entry (unless a racing miss did). */
static void store(struct tb *tb, uint64_t key)
{
	struct tb_shard *sh = &tb->shard[key % SHARDS];
	uint64_t base = key % SHARDS * tb->per_shard;

	pthread_mutex_lock(&sh->mu);
	if (!tb->where[key]) {
		uint64_t slot = base + sh->head;

		if (tb->slot_key[slot] != UINT64_MAX)
			tb->where[tb->slot_key[slot]] = 0;
		tb->slot_key[slot] = key;
		tb->where[key] = slot + 1;
		memset(tb->val + slot * VALUE, (int)key, VALUE);
		sh->head = (sh->head + 1) % tb->per_shard;
	}
	pthread_mutex_unlock(&sh->mu);
}

static bool lookup(struct tb *tb, uint64_t key)
{
	struct tb_shard *sh = &tb->shard[key % SHARDS];
	volatile uint8_t out[VALUE];
	uint32_t slot;

	pthread_mutex_lock(&sh->mu);
	slot = tb->where[key];
	if (slot)
		memcpy((void *)out, tb->val + (uint64_t)(slot - 1) * VALUE, VALUE);
	pthread_mutex_unlock(&sh->mu);
	return slot != 0;
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
	struct tb *tb = arg;

	for (;;) {
		struct tb_client *cl;
		struct timespec ts;

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
		/* the backing store fetch: one nanosleep (peers count them) */
		if (tb->slow_ns) {
			struct timespec d = { tb->slow_ns / 1000000000, tb->slow_ns % 1000000000 };

			nanosleep(&d, NULL);
		}
		store(tb, cl->key);
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
		if (lookup(tb, key)) {
			atomic_fetch_add(&tb->hits, 1);
		} else {
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
}

static void tb_fill(const struct ws_bench_mark *d, struct ws_bench *out)
{
	static const double p[4] = { 0.50, 0.90, 0.99, 0.999 };
	uint64_t *f = out->f;

	f[WS_TB_requests] = d->cnt[0];
	f[WS_TB_hits] = d->cnt[1];
	f[WS_TB_misses] = d->cnt[2];
	f[WS_TB_late] = d->cnt[3];
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
		pthread_join(tb->slow[tb->nslow_started - 1], NULL);
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
	free(tb->slot_key);
	free(tb->val);
}

/* Every slot of every shard holds a distinct key of that shard. */
static void prefill(struct tb *tb, uint64_t rng)
{
	uint64_t keys_per_shard = tb->keys / SHARDS;

	for (uint64_t s = 0; s < SHARDS; s++)
		for (uint64_t i = 0; i < tb->per_shard; i++) {
			uint64_t key;

			do
				key = xorshift(&rng) % keys_per_shard * SHARDS + s;
			while (tb->where[key]);
			store(tb, key);
		}
}

static unsigned allowed_cpus(void)
{
	cpu_set_t set;

	return !sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0 ?
	       CPU_COUNT(&set) : 1;
}

static int tb_setup(struct tb *tb, const struct ws_group *g, uint64_t seed)
{
	uint64_t objects;

	for (unsigned s = 0; s < SHARDS; s++)
		pthread_mutex_init(&tb->shard[s].mu, NULL);
	pthread_mutex_init(&tb->qmu, NULL);
	pthread_cond_init(&tb->qcv, NULL);
	tb->qtail = &tb->qhead;
	tb->per_shard = (g->p_cache_mib << 20) / VALUE / SHARDS;
	tb->per_shard = tb->per_shard ? tb->per_shard : 1;
	objects = tb->per_shard * SHARDS;
	tb->keys = objects * 100 / g->p_hit_pct / SHARDS * SHARDS;
	tb->slow_ns = g->p_slow_us * 1000;
	tb->ncl = g->p_clients ? g->p_clients : allowed_cpus();
	tb->nslow = g->p_threads ? g->p_threads : (tb->ncl / 3 ? tb->ncl / 3 : 1);
	tb->period_ns = g->p_rate ? 1000000000ULL * tb->ncl / g->p_rate : 0;
	if (g->p_rate && !tb->period_ns)
		tb->period_ns = 1;
	tb->where = calloc(tb->keys, sizeof(*tb->where));
	tb->slot_key = malloc(objects * sizeof(*tb->slot_key));
	tb->val = malloc(objects * VALUE);
	tb->cl = calloc(tb->ncl, sizeof(*tb->cl));
	tb->slow = calloc(tb->nslow, sizeof(*tb->slow));
	if (!tb->where || !tb->slot_key || !tb->val || !tb->cl || !tb->slow)
		return -ENOMEM;
	memset(tb->slot_key, 0xff, objects * sizeof(*tb->slot_key));
	prefill(tb, seed | 1);
	return 0;
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
		if (!(err = ws_thread_start(&tb->slow[tb->nslow_started], slow_main, tb)))
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
		for (uint32_t i = 0; i < c->rep.nbench; i++)
			c->rep.bench[i].f[WS_TB_open_loop] = c->g->p_rate != 0;
		c->rep.bench[c->rep.nbench - 1].f[WS_TB_serve_max] = atomic_load(&tb->b.hist[0].max);
	}
	return err;
}
