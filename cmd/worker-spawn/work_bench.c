// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_bench.c — issue 15: bench.  schbench, our own code after schbench's
 * default (message-thread) mode, run by ONE worker with threads of its own
 * while the worker's thread watches (bench.c).
 *
 * message_threads message threads, each with worker_threads worker threads
 * (0: the worker's allowed CPUs divided over the message threads, rounded
 * up).  A worker marks itself waiting, posts its message thread and blocks
 * on its own futex word.  A message thread wakes every waiting worker of its
 * own: it reads the clock ONCE, stamps each with that time and posts it
 * (FUTEX_WAKE), then blocks until one of them posts it back.  A worker's
 * wakeup latency runs from that stamp to the worker running; it then sleeps
 * sleep_usec (the think time), makes `operations` multiplications of two
 * matrices sized so the three fill cache_footprint_kib, and its request
 * latency runs from the end of the wakeup to the end of that work.  A loop
 * (a work unit) is one request.  The scheduling delays are the mean run
 * delay per timeslice (schedstat: run delay / timeslices) of the message
 * threads and of the worker threads.
 *
 * Every post a worker receives is served, even past the stop, so the
 * FUTEX_WAKE_PRIVATE calls are exactly 2 x loops + the workers' first posts.
 *
 * The reference's other knobs (schbench -L, --split, -R, -A): unless
 * skip_locking, the matrix work runs under the per-CPU lock (sb_aux.h).
 * split_percent=P gives each worker a private footprint of P% and all of them
 * ONE shared matrix set of the rest, P% of the operations on the private
 * matrices and the rest on the shared ones (every product stored into the
 * shared C at each step, so the workers contend for its lines).
 * requests_per_sec=R (R / message_threads per message thread; 0 there: the
 * default mode) turns each message thread into an injector that queues its
 * share of R each second, evenly spaced, round-robin over its workers (none
 * to a worker more than SB_BATCH behind), stamping and posting each; a worker
 * takes its whole queue, serves it request by request, and waits for a post
 * only when the queue is empty (one wakeup sample per such wait).  auto_rps=T
 * starts the rate at 10 (when R is 0) and a control thread steps it once a
 * second toward T% host busy (sb_rps_step); that thread also takes each
 * second's loops as a sample of the achieved rate (schbench's rps stats).
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "sb_aux.h"
#include "telemetry.h"

#define SB_BATCH 128                    /* schbench's queue depth cap per worker */
#define SB_SEC   1000000000ULL

/* A schbench thread as the watcher sees it: its tid, then its schedstat at exit. */
struct sb_thread {
	_Atomic pid_t tid;
	_Atomic int exited;
	_Atomic uint64_t exit_delay, exit_slices;
	pthread_t th;
	bool started;
};

struct sb;
struct sb_msg;
struct sb_worker {
	struct sb_thread t;
	_Atomic uint32_t go;             /* posts received */
	_Atomic uint32_t waiting;        /* on its message thread's wait list */
	_Atomic uint64_t wake_time;      /* the message thread's stamp */
	_Atomic uint32_t queued;         /* requests_per_sec: requests not yet taken */
	struct sb_msg *m;
	uint64_t *mat;                   /* three n x n matrices (private) */
};

struct sb_msg {
	struct sb_thread t;
	_Atomic uint32_t posts;          /* posts from its workers */
	struct sb *sb;
	struct sb_worker *w;
	unsigned nw;
};

struct sb {
	struct ws_bench_run b;           /* hist[0] wakeup, hist[1] request */
	_Atomic uint64_t loops;
	uint64_t ops, sleep_ns;
	size_t n;                        /* private matrix dimension (0: none) */
	uint64_t ops_sh;                 /* of ops, on the shared matrices */
	size_t nsh;                      /* shared matrix dimension (0: none) */
	uint64_t *shared;                /* split_percent: three nsh x nsh matrices */
	struct sb_locks *locks;          /* NULL: skip_locking */
	_Atomic uint64_t rate;           /* requests per second per message thread */
	_Atomic uint64_t hit;            /* auto_rps: the target was reached */
	uint64_t auto_pct;
	bool rps;                        /* the injector mode */
	struct sb_thread ctl;            /* per-second rps samples, auto_rps steps */
	struct sb_msg *msg;
	struct sb_worker *wk;
	unsigned nmsg, nwk;
};

static void thread_enter(struct sb_thread *t)
{
	atomic_store(&t->tid, gettid());
}

static void thread_exit(struct sb_thread *t)
{
	struct ws_schedstat s;

	if (ws_schedstat_read(0, &s)) {
		atomic_store(&t->exit_delay, s.run_delay_ns);
		atomic_store(&t->exit_slices, s.run_count);
	}
	atomic_store(&t->exited, 1);
}

/* Add its run delay and timeslices so far to @delay and @slices. */
static void thread_sched(struct sb_thread *t, uint64_t *delay, uint64_t *slices)
{
	struct ws_schedstat s;

	if (atomic_load(&t->exited)) {
		*delay += atomic_load(&t->exit_delay);
		*slices += atomic_load(&t->exit_slices);
	} else if (atomic_load(&t->tid) > 0 && ws_schedstat_read(atomic_load(&t->tid), &s)) {
		*delay += s.run_delay_ns;
		*slices += s.run_count;
	}
}

/* C = A x B, u64 multiply-accumulate (schbench's matrix work). */
static void matmul(uint64_t *m, size_t n)
{
	uint64_t *a = m, *b = m + n * n, *c = m + 2 * n * n;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			uint64_t sum = 0;

			for (size_t k = 0; k < n; k++)
				sum += a[i * n + k] * b[k * n + j];
			c[i * n + j] = sum;
		}
}

/* matmul on the shared matrices: C's cell stored at every step (relaxed). */
static void matmul_shared(uint64_t *m, size_t n)
{
	const uint64_t *a = m, *b = m + n * n;
	uint64_t *c = m + 2 * n * n;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			uint64_t sum = 0;

			for (size_t k = 0; k < n; k++) {
				sum += a[i * n + k] * b[k * n + j];
				__atomic_store_n(&c[i * n + j], sum, __ATOMIC_RELAXED);
			}
		}
}

/* One request's matrix work, under this CPU's lock unless skip_locking. */
static void do_work(struct sb *sb, struct sb_worker *w)
{
	pthread_mutex_t *lk = sb->locks ? sb_lock_this_cpu(sb->locks) : NULL;

	for (uint64_t k = 0; sb->nsh && k < sb->ops_sh; k++)
		matmul_shared(sb->shared, sb->nsh);
	for (uint64_t k = sb->ops_sh; sb->n && k < sb->ops; k++)
		matmul(w->mat, sb->n);
	if (lk)
		sb_unlock(lk);
}

/* The think time, the work, its request sample and the loop. */
static void request(struct sb *sb, struct sb_worker *w, uint64_t t)
{
	ws_bench_nap(sb->sleep_ns, &sb->b.stop);
	do_work(sb, w);
	ws_hist_add(&sb->b.hist[1], tk_sat_sub_u64(ws_now(), t));
	atomic_fetch_add(&sb->loops, 1);
}

static void post(_Atomic uint32_t *w)
{
	atomic_fetch_add(w, 1);
	ws_futex_wake_private(w, 1);
}

static void *worker_main(void *arg)
{
	struct sb_worker *w = arg;
	struct sb *sb = w->m->sb;
	uint32_t seen = 0;

	thread_enter(&w->t);
	for (;;) {
		uint64_t t;

		atomic_store(&w->waiting, 1);
		post(&w->m->posts);
		/* a post made before the stop is still served: posts and loops match */
		if (ws_futex_wait_stop(&w->go, seen, &sb->b.stop))
			break;
		seen = atomic_load(&w->go);
		t = ws_now();
		ws_hist_add(&sb->b.hist[0], tk_sat_sub_u64(t, atomic_load(&w->wake_time)));
		request(sb, w, t);
	}
	thread_exit(&w->t);
	return NULL;
}

/* requests_per_sec: take the whole queue, wait for a post only when it is empty. */
static void *rps_worker_main(void *arg)
{
	struct sb_worker *w = arg;
	struct sb *sb = w->m->sb;

	thread_enter(&w->t);
	while (!atomic_load(&sb->b.stop)) {
		uint32_t seen = atomic_load(&w->go), n = atomic_exchange(&w->queued, 0);

		if (!n) {
			if (ws_futex_wait_stop(&w->go, seen, &sb->b.stop))
				break;
			ws_hist_add(&sb->b.hist[0],
				    tk_sat_sub_u64(ws_now(), atomic_load(&w->wake_time)));
			n = atomic_exchange(&w->queued, 0);
		}
		/* on the stop the requests still queued are dropped */
		for (; n && !atomic_load(&sb->b.stop); n--)
			request(sb, w, ws_now());
	}
	thread_exit(&w->t);
	return NULL;
}

/* Wake every waiting worker of @m, all stamped with one clock read. */
static void wake_all(struct sb_msg *m)
{
	uint64_t now = ws_now();

	for (unsigned i = 0; i < m->nw; i++) {
		struct sb_worker *w = &m->w[i];

		if (!atomic_exchange(&w->waiting, 0))
			continue;
		atomic_store(&w->wake_time, now);
		post(&w->go);
	}
}

/* Queue one request to the next worker of @m unless it is SB_BATCH behind. */
static void inject(struct sb_msg *m, unsigned *next)
{
	struct sb_worker *w = &m->w[(*next)++ % m->nw];

	if (atomic_load(&w->queued) > SB_BATCH) {
		ws_bench_nap(100000, &m->sb->b.stop);
		return;
	}
	atomic_fetch_add(&w->queued, 1);
	atomic_store(&w->wake_time, ws_now());
	post(&w->go);
}

/* requests_per_sec: each second, the current rate's requests evenly spaced. */
static void rps_msg(struct sb_msg *m)
{
	_Atomic int *stop = &m->sb->b.stop;
	unsigned next = 0;

	while (!atomic_load(stop)) {
		uint64_t r = atomic_load(&m->sb->rate), t0 = ws_now(), due = t0;

		for (uint64_t i = 0; i < r && !atomic_load(stop); i++) {
			uint64_t now = ws_now();

			due += SB_SEC / r;
			if (now < due)
				ws_bench_nap(due - now, stop);
			inject(m, &next);
		}
		if (ws_now() < t0 + SB_SEC)
			ws_bench_nap(t0 + SB_SEC - ws_now(), stop);
	}
}

/*
 * Once a second: the loops of that second into hist[2] (with auto_rps only
 * once the target was reached; a second the stop cut short is not taken),
 * then, with auto_rps in the injector mode, the rate stepped toward the busy
 * target.
 */
static void *ctl_main(void *arg)
{
	struct sb *sb = arg;
	struct sb_busy busy = { 0, 0 };
	uint64_t t = ws_now(), l = atomic_load(&sb->loops);
	double pct;

	thread_enter(&sb->ctl);
	sb_busy_read(&busy, &pct);
	while (!atomic_load(&sb->b.stop)) {
		bool hit = atomic_load(&sb->hit);
		uint64_t now, loops;

		ws_bench_nap(SB_SEC, &sb->b.stop);
		if (atomic_load(&sb->b.stop))
			break;
		now = ws_now();
		loops = atomic_load(&sb->loops);
		if (!sb->auto_pct || hit)
			ws_hist_add(&sb->b.hist[2], (loops - l) * SB_SEC / (now - t));
		t = now;
		l = loops;
		if (!sb->auto_pct || !sb->rps || sb_busy_read(&busy, &pct))
			continue;
		atomic_store(&sb->rate, sb_rps_step(atomic_load(&sb->rate), pct,
						    (double)sb->auto_pct, &hit));
		atomic_store(&sb->hit, hit);
	}
	thread_exit(&sb->ctl);
	return NULL;
}

static void *msg_main(void *arg)
{
	struct sb_msg *m = arg;

	thread_enter(&m->t);
	if (m->sb->rps) {
		rps_msg(m);
		thread_exit(&m->t);
		return NULL;
	}
	while (!atomic_load(&m->sb->b.stop)) {
		uint32_t p = atomic_load(&m->posts);

		wake_all(m);
		if (ws_futex_wait_stop(&m->posts, p, &m->sb->b.stop))
			break;
	}
	thread_exit(&m->t);
	return NULL;
}

static void sb_take(struct ws_bench_run *b, struct ws_bench_mark *m)
{
	struct sb *sb = (struct sb *)b;

	memset(m->cnt, 0, sizeof(m->cnt));
	m->cnt[0] = atomic_load(&sb->loops);
	for (unsigned i = 0; i < sb->nmsg; i++)
		thread_sched(&sb->msg[i].t, &m->cnt[1], &m->cnt[2]);
	for (unsigned i = 0; i < sb->nwk; i++)
		thread_sched(&sb->wk[i].t, &m->cnt[3], &m->cnt[4]);
	m->lvl[0] = sb->rps ? atomic_load(&sb->rate) * sb->nmsg : 0;
	m->lvl[1] = atomic_load(&sb->hit);
}

static void sb_fill(const struct ws_bench_mark *d, struct ws_bench *out)
{
	static const double p[4] = { 0.50, 0.90, 0.99, 0.999 };
	uint64_t *f = out->f;

	for (int k = 0; k < 4; k++) {
		f[WS_SB_wakeup_p50 + k] = ws_hist_pct(&d->h[0], p[k]);
		f[WS_SB_request_p50 + k] = ws_hist_pct(&d->h[1], p[k]);
	}
	f[WS_SB_wakeup_min] = ws_hist_low(&d->h[0]);
	f[WS_SB_wakeup_max] = ws_hist_high(&d->h[0]);
	f[WS_SB_wakeup_samples] = d->h[0].n;
	f[WS_SB_request_min] = ws_hist_low(&d->h[1]);
	f[WS_SB_request_max] = ws_hist_high(&d->h[1]);
	f[WS_SB_request_samples] = d->h[1].n;
	f[WS_SB_loop_count] = d->cnt[0];
	f[WS_SB_sched_delay_msg] = d->cnt[2] ? d->cnt[1] / d->cnt[2] : 0;
	f[WS_SB_sched_delay_worker] = d->cnt[4] ? d->cnt[3] / d->cnt[4] : 0;
	f[WS_SB_wall_ns] = d->t_ns;
	f[WS_SB_rps_goal] = d->lvl[0];
	f[WS_SB_rps_target_hit] = d->lvl[1];
	f[WS_SB_rps_p50] = ws_hist_pct(&d->h[2], 0.50);
	f[WS_SB_rps_p90] = ws_hist_pct(&d->h[2], 0.90);
	f[WS_SB_rps_p99] = ws_hist_pct(&d->h[2], 0.99);
	f[WS_SB_rps_samples] = d->h[2].n;
}

static void sb_halt(struct ws_bench_run *b)
{
	struct sb *sb = (struct sb *)b;

	atomic_store(&sb->b.stop, 1);
	if (sb->ctl.started)
		pthread_join(sb->ctl.th, NULL), sb->ctl.started = false;
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
		free(sb->wk[i].mat);
	free(sb->wk);
	free(sb->msg);
	free(sb->shared);
	sb_locks_free(sb->locks);
}

/* @k u64 (0: NULL) filled with a known pattern; false on ENOMEM. */
static bool matrices(uint64_t **m, size_t k)
{
	*m = k ? malloc(k * sizeof(**m)) : NULL;
	for (size_t i = 0; *m && i < k; i++)
		(*m)[i] = i * 2654435761u;
	return *m || !k;
}

/* Matrices filled with a known pattern, then every thread started. */
static int sb_start(struct sb *sb, unsigned per_msg)
{
	size_t nn = sb->n * sb->n;
	int err = 0;

	if (!matrices(&sb->shared, 3 * sb->nsh * sb->nsh))
		return -ENOMEM;

	for (unsigned i = 0; i < sb->nmsg; i++) {
		sb->msg[i].sb = sb;
		sb->msg[i].nw = per_msg;
		sb->msg[i].w = &sb->wk[i * per_msg];
	}
	for (unsigned i = 0; i < sb->nwk && !err; i++) {
		struct sb_worker *w = &sb->wk[i];

		w->m = &sb->msg[i / per_msg];
		if (!matrices(&w->mat, 3 * nn))
			return -ENOMEM;
		err = ws_thread_start(&w->t.th, sb->rps ? rps_worker_main : worker_main, w);
		w->t.started = !err;
	}
	if (!err) {
		err = ws_thread_start(&sb->ctl.th, ctl_main, sb);
		sb->ctl.started = !err;
	}
	for (unsigned i = 0; i < sb->nmsg && !err; i++) {
		err = ws_thread_start(&sb->msg[i].t.th, msg_main, &sb->msg[i]);
		sb->msg[i].t.started = !err;
	}
	return err;
}

/* worker_threads=0: the allowed CPUs over the message threads, rounded up. */
static unsigned per_message(const struct ws_group *g)
{
	cpu_set_t set;
	unsigned cpus = 1;

	if (g->p_threads)
		return g->p_threads;
	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		cpus = CPU_COUNT(&set);
	return (cpus + g->p_messages - 1) / g->p_messages;
}

/* Matrix dimensions: sqrt(KiB x 1024 / 3 / 8) of the whole, or of each split part
 * (none without operations). */
static void sb_sizes(struct sb *sb, const struct ws_group *g)
{
	uint64_t kib = g->p_footprint >> 10;

	if (!g->p_operations)
		return;   /* no matrix work: no matrices */
	if (g->p_sb_split < 0) {
		sb->n = (size_t)sqrt((double)g->p_footprint / (3 * sizeof(uint64_t)));
		sb->n = sb->n ? sb->n : 1;
		return;
	}
	sb->n = (size_t)sqrt((double)(kib * g->p_sb_split / 100 * 1024 / 3 / sizeof(uint64_t)));
	sb->nsh = (size_t)sqrt((double)(kib * (100 - g->p_sb_split) / 100 * 1024 / 3 /
					sizeof(uint64_t)));
	sb->ops_sh = sb->ops - sb->ops * g->p_sb_split / 100;
}

int ws_schbench(struct ws_ctx *c)
{
	const struct ws_group *g = c->g;
	struct sb *sb = calloc(1, sizeof(*sb));
	unsigned per_msg = per_message(g);
	uint64_t t0, *f;
	int err;

	if (!sb)
		return -ENOMEM;
	sb->b.kind = WS_BENCH_SCHBENCH;
	sb->b.take = sb_take;
	sb->b.fill = sb_fill;
	sb->b.halt = sb_halt;
	ws_hist_init(&sb->b.hist[0]);
	ws_hist_init(&sb->b.hist[1]);
	ws_hist_init(&sb->b.hist[2]);
	sb->ops = g->p_operations;
	sb->sleep_ns = g->p_sleep * 1000;
	sb_sizes(sb, g);
	sb->nmsg = g->p_messages;
	sb->auto_pct = g->p_sb_auto;
	/* the auto_rps seed; a share of 0 per message thread is the default mode */
	sb->rate = (g->p_sb_rps ? g->p_sb_rps : g->p_sb_auto ? 10 : 0) / g->p_messages;
	sb->rps = sb->rate != 0;
	sb->locks = g->p_sb_nolock ? NULL : sb_locks_new();
	if (!g->p_sb_nolock && !sb->locks) {
		free(sb);
		return -ENOMEM;
	}
	sb->nwk = g->p_messages * per_msg;
	sb->msg = calloc(sb->nmsg, sizeof(*sb->msg));
	sb->wk = calloc(sb->nwk, sizeof(*sb->wk));
	t0 = ws_now();
	err = sb->msg && sb->wk ? sb_start(sb, per_msg) : -ENOMEM;
	if (!err)
		err = ws_bench_watch(c, &sb->b, t0);
	sb_release(sb);
	if (!err && c->rep.nbench) {
		/* the whole run's extremes are known exactly */
		f = c->rep.bench[c->rep.nbench - 1].f;
		f[WS_SB_wakeup_min] = f[WS_SB_wakeup_samples] ? atomic_load(&sb->b.hist[0].min) : 0;
		f[WS_SB_wakeup_max] = atomic_load(&sb->b.hist[0].max);
		f[WS_SB_request_min] = f[WS_SB_request_samples] ? atomic_load(&sb->b.hist[1].min) : 0;
		f[WS_SB_request_max] = atomic_load(&sb->b.hist[1].max);
	}
	free(sb);
	return err;
}
