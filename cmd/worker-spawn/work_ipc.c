// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_ipc.c — partnered work types.  A wake sample is the blocked interval,
 * as the reference measures it: from just before the blocking call (poll and
 * read, FUTEX_WAIT) to running again after it (issue 15).  fan-out-compute
 * alone keeps the waker's timestamp (taken just before FUTEX_WAKE) to the
 * receiver running, as the reference's FanOutCompute does.  Beside each wake
 * sample every type here takes the handoff (ws_wake_handoff): the waker's
 * timestamp, carried in the pipe message or the unit's stamp, to running.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry.h"

static void burst(struct ws_ctx *c, bool cache)
{
	if (cache && c->g->p_burst)   /* cache-pipe burst_iters: RMW steps */
		ws_tick(c, ws_cache_steps(c->buf, c->bufsz, c->g->p_stride, c->g->p_burst));
	else if (cache)
		ws_tick(c, ws_cache_pass(c->buf, c->bufsz, c->g->p_stride));
	else if (c->g->p_burst)
		ws_spin(c, c->g->p_burst);
}

/* 8-byte messages over a pipe pair; role 0 serves first. */
static int pipe_pingpong(struct ws_ctx *c, bool cache)
{
	uint64_t msg = 0;
	int err = 0;

	if (c->role == 0) {
		msg = ws_now();
		err = ws_write_full(c->wfd, &msg, sizeof(msg));
	}
	while (!err && !ws_stopping()) {
		uint64_t t0 = ws_now(), now;

		err = ws_read_full(c->rfd, &msg, sizeof(msg));
		if (err)
			break;
		now = ws_now();
		ws_wake_handoff(c, t0, msg, now, now - t0);   /* msg: the writer's stamp */
		burst(c, cache);
		if (!cache && !c->g->p_burst)
			ws_tick(c, 1);
		ws_iter(c);
		msg = ws_now();
		err = ws_write_full(c->wfd, &msg, sizeof(msg));
	}
	return err;
}

int ws_pipe_io(struct ws_ctx *c)
{
	return pipe_pingpong(c, false);
}

int ws_cache_pipe(struct ws_ctx *c)
{
	return pipe_pingpong(c, true);
}

/* word[0] = whose turn (0/1). */
int ws_futex_ping_pong(struct ws_ctx *c)
{
	struct ws_unit *u = c->unit;
	uint32_t me = c->role & 1;

	for (bool first = true; !ws_stopping(); first = false) {
		uint64_t t0 = ws_now();
		uint32_t turn;

		while ((turn = atomic_load(&u->word[0])) != me)
			if (ws_futex_wait(&u->word[0], turn))
				goto out;
		if (!(first && me == 0)) {   /* role 0's very first turn had no waker */
			uint64_t now = ws_now();

			ws_wake_handoff(c, t0, atomic_load(&u->stamp), now, now - t0);
		}
		if (c->g->p_burst)
			ws_spin(c, c->g->p_burst);
		else
			ws_tick(c, 1);
		ws_iter(c);
		atomic_store(&u->stamp, ws_now());
		atomic_store(&u->word[0], 1 - me);
		ws_futex_wake(&u->word[0], 1);
	}
out:
	/* hand the turn over so a partner still waiting sees a change */
	atomic_store(&u->word[0], 1 - me);
	ws_futex_wake(&u->word[0], 1);
	return 0;
}

/* One size^3 product of the two matrices in c->buf into the third. */
static void matrix_product(struct ws_ctx *c)
{
	size_t n = c->g->p_size;
	uint64_t *m = (uint64_t *)c->buf, *a = m, *b = m + n * n, *r = m + 2 * n * n;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			uint64_t s = 0;

			for (size_t k = 0; k < n; k++)
				s += a[i * n + k] * b[k * n + j];
			r[i * n + j] = s;
		}
	ws_tick(c, n * n * n);
}

/* word[0] = generation, word[1] = acks.  Role 0 is the messenger. */
static int fan_out(struct ws_ctx *c, bool compute)
{
	struct ws_unit *u = c->unit;
	uint32_t fan = c->g->unit - 1;

	if (c->role == 0) {
		while (!ws_stopping()) {
			uint32_t gen = atomic_load(&u->word[0]) + 1;

			if (c->g->p_burst)
				ws_spin(c, c->g->p_burst);
			atomic_store(&u->word[1], 0);
			atomic_store(&u->stamp, ws_now());
			atomic_store(&u->word[0], gen);
			ws_futex_wake(&u->word[0], INT_MAX);
			for (;;) {
				uint32_t acks = atomic_load(&u->word[1]);

				if (acks >= fan || ws_futex_wait(&u->word[1], acks))
					break;
			}
			ws_tick(c, 1);
			ws_iter(c);
		}
		atomic_store(&u->word[0], atomic_load(&u->word[0]) + 1);
		ws_futex_wake(&u->word[0], INT_MAX);
		return 0;
	}
	/* generations start at 0 for everyone, so a wake sent before we got here counts */
	for (uint32_t seen = 0; !ws_stopping();) {
		uint64_t t0 = ws_now(), now, stamp;

		if (ws_futex_wait(&u->word[0], seen))
			break;
		seen = atomic_load(&u->word[0]);
		now = ws_now();
		stamp = atomic_load(&u->stamp);
		/* FanOutCompute's wake sample: the messenger's timestamp */
		ws_wake_handoff(c, t0, stamp, now, tk_sat_sub_u64(now, compute ? stamp : t0));
		if (compute && c->g->p_sleep && !ws_sleep(c->g->p_sleep * 1000))
			break;   /* FanOutCompute: sleep_usec after the wake, then the work */
		if (compute && c->g->p_operations)
			for (uint64_t op = 0; op < c->g->p_operations; op++)
				matrix_product(c);
		else
			ws_tick(c, 1);
		ws_iter(c);
		atomic_fetch_add(&u->word[1], 1);
		ws_futex_wake(&u->word[1], 1);
	}
	return 0;
}

int ws_futex_fan_out(struct ws_ctx *c)
{
	return fan_out(c, false);
}

int ws_fan_out_compute(struct ws_ctx *c)
{
	return fan_out(c, true);
}

int ws_matrix_prep(struct ws_ctx *c)
{
	size_t n = c->g->p_size;

	c->bufsz = 3 * n * n * sizeof(uint64_t);
	c->buf = malloc(c->bufsz);
	if (!c->buf)
		return -ENOMEM;
	for (size_t i = 0; i < 3 * n * n; i++)
		((uint64_t *)c->buf)[i] = i * 2654435761u;
	return 0;
}

/* Drepper's futex mutex: 0 free, 1 locked, 2 locked with waiters. */
static bool lock(struct ws_ctx *c, _Atomic uint32_t *w)
{
	uint32_t v = 0;
	uint64_t t0 = ws_now();
	bool waited = false;

	if (atomic_compare_exchange_strong(w, &v, 1))
		return true;
	if (v != 2)
		v = atomic_exchange(w, 2);
	while (v != 0) {
		if (ws_futex_wait(w, 2))
			return false;
		waited = true;
		v = atomic_exchange(w, 2);
	}
	if (waited) {
		uint64_t now = ws_now();

		ws_wake_handoff(c, t0, atomic_load(&c->unit->stamp), now, now - t0);
	}
	return true;
}

/* With waiters: stamp the unit (the handoff's start), then wake one. */
static void unlock(struct ws_ctx *c, _Atomic uint32_t *w)
{
	if (atomic_fetch_sub(w, 1) != 1) {
		atomic_store(w, 0);
		atomic_store(&c->unit->stamp, ws_now());
		ws_futex_wake(w, 1);
	}
}

int ws_mutex_contention(struct ws_ctx *c)
{
	_Atomic uint32_t *w = &c->unit->word[0];

	while (!ws_stopping()) {
		if (!lock(c, w))
			break;
		ws_spin(c, c->g->p_burst);        /* hold */
		unlock(c, w);
		ws_spin(c, c->g->p_spin);         /* outside */
		ws_iter(c);
	}
	return 0;
}
