/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bench.h — issue 15: bench.  What the benchmark work types share
 * (work_bench.c: schbench, work_taobench.c: taobench; bench.c): a latency
 * histogram many threads add to at once (relaxed atomics, no lock), thread
 * and futex helpers for their own threads, and the watcher the worker's
 * thread runs while they work.
 *
 * Buckets are log-linear: values below 64 ns exactly, above that 32 buckets
 * per power of two, so a percentile read from it is the lower edge of its
 * bucket, at most 1/32 (3.1%) below the true sample.  The run's minimum and
 * maximum are kept exactly.  A phase's figures are the difference of two
 * snapshots.
 */
#ifndef WS_BENCH_H
#define WS_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "worker.h"

#define WS_HIST_BUCKETS 1920

struct ws_hist {
	_Atomic uint64_t b[WS_HIST_BUCKETS];
	_Atomic uint64_t min, max;        /* exact; min starts at UINT64_MAX */
};

/* A copy of the bucket counts at one moment. */
struct ws_hist_snap {
	uint64_t b[WS_HIST_BUCKETS];
	uint64_t n;
};

void ws_hist_init(struct ws_hist *h);
void ws_hist_add(struct ws_hist *h, uint64_t ns);
void ws_hist_snap(const struct ws_hist *h, struct ws_hist_snap *s);
/* @now minus @then, into @d (counts only move up). */
void ws_hist_diff(const struct ws_hist_snap *now, const struct ws_hist_snap *then,
		  struct ws_hist_snap *d);
/* The @p (0..1] quantile of @s: a bucket's lower edge; 0 when empty. */
uint64_t ws_hist_pct(const struct ws_hist_snap *s, double p);
/* Lower edge of the lowest / highest non-empty bucket; 0 when empty. */
uint64_t ws_hist_low(const struct ws_hist_snap *s);
uint64_t ws_hist_high(const struct ws_hist_snap *s);

/*
 * Start @fn(@arg) on a new thread with every signal blocked, so SIGUSR1,
 * SIGINT and SIGTERM stay the worker's own.  0 or -errno.
 */
int ws_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

/*
 * FUTEX_WAIT (process-private) while *@w == @val, in 100 ms steps that
 * re-check *@stop: 0 when it changed, -EINTR when stopped.
 */
int ws_futex_wait_stop(_Atomic uint32_t *w, uint32_t val, _Atomic int *stop);
void ws_futex_wake_private(_Atomic uint32_t *w, int n);

/* --- the watcher ------------------------------------------------------------- */
#define WS_BENCH_CNT 6

#define WS_BENCH_HISTS 3

/* What the watcher reads at one moment: the histograms and some counters. */
struct ws_bench_mark {
	struct ws_hist_snap h[WS_BENCH_HISTS];
	uint64_t cnt[WS_BENCH_CNT];      /* cnt[0]: work units (loops, requests) */
	uint64_t lvl[2];                 /* levels: a record takes its end's, not a difference */
	uint64_t t_ns;
};

/* One benchmark as the watcher drives it (embedded first in its state). */
struct ws_bench_run {
	uint8_t kind;                    /* enum ws_bench_kind */
	_Atomic int stop;
	int err;                         /* a thread's failure (-errno) */
	struct ws_hist hist[WS_BENCH_HISTS];   /* hist[2]: schbench's per-second rps */
	/* fill cnt[] now (threads may still run, or be gone) */
	void (*take)(struct ws_bench_run *b, struct ws_bench_mark *m);
	/* set stop, join every thread */
	void (*halt)(struct ws_bench_run *b);
	/* a record's f[] from the difference @d of two marks */
	void (*fill)(const struct ws_bench_mark *d, struct ws_bench *out);
};

/*
 * Watch @b from the worker's thread until it is told to stop: every 10 ms
 * tick the work units on (cnt[0]) and, when the phase epoch moves, append
 * the ending phase's record to c->rep.bench.  At the end halt the threads,
 * then append the last phase's record (when the run had phases) and the
 * whole run's (WS_BENCH_WHOLE), counted from zero at @t0.  0 or -errno.
 */
int ws_bench_watch(struct ws_ctx *c, struct ws_bench_run *b, uint64_t t0);

/* Sleep @ns in <= 100 ms steps that re-check *@stop. */
void ws_bench_nap(uint64_t ns, _Atomic int *stop);

#endif
