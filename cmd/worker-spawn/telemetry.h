/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * telemetry.h — the measurements a worker's own loop feeds (telemetry.c):
 * checkpoints, reservoirs, phase slices, and the /proc readers both sides
 * use.
 *
 * Work loops call ws_tick(c, n) after n work units (a checkpoint runs every
 * 1024 units: migration and gap tracking), ws_iter(c) once per outer-loop
 * iteration, and ws_wake()/ws_iter_cost()/ws_timer() to add samples.
 */
#ifndef WS_TELEMETRY_H
#define WS_TELEMETRY_H

#include "worker.h"

/* Note the CPU (migrations, used set) and the gap since the last checkpoint. */
void ws_checkpoint(struct ws_ctx *c);
/* The phase epoch moved to @epoch: close the current slice, open the next. */
void ws_phase_roll(struct ws_ctx *c, uint32_t epoch);

static inline void ws_tick(struct ws_ctx *c, uint64_t n)
{
	c->rep.work_units += n;
	if (c->rep.work_units >= c->tel.next_cp)
		ws_checkpoint(c);
	if (c->sh) {
		uint32_t e = atomic_load_explicit(&c->sh->epoch, memory_order_relaxed);

		if (e != c->tel.epoch)
			ws_phase_roll(c, e);
	}
}
static inline void ws_iter(struct ws_ctx *c) { c->rep.iterations++; }
void ws_wake(struct ws_ctx *c, uint64_t ns);
/* issue 15: wake — a blocked interval: @t0 was taken just before the blocking call. */
static inline void ws_wake_since(struct ws_ctx *c, uint64_t t0)
{
	ws_wake(c, tk_sat_sub_u64(ws_now(), t0));
}
/*
 * issue 15: handoff — a wake sample @wake_ns and, beside it, the handoff:
 * from the waker's timestamp @stamp (taken just before it woke us; one
 * older than @t0, our block, counts as @t0) to now, so never above the
 * blocked interval.  Both reservoirs take the same samples.
 */
void ws_handoff(struct ws_ctx *c, uint64_t ns);
static inline void ws_wake_handoff(struct ws_ctx *c, uint64_t t0, uint64_t stamp,
				   uint64_t now, uint64_t wake_ns)
{
	ws_wake(c, wake_ns);
	ws_handoff(c, tk_sat_sub_u64(now, stamp > t0 ? stamp : t0));
}
void ws_iter_cost(struct ws_ctx *c, uint64_t ns);
void ws_timer(struct ws_ctx *c, uint64_t ns);

/* Allocate the reservoirs and take the start figures: 0 or -ENOMEM. */
int ws_tel_begin(struct ws_ctx *c);
/* Take the end figures into c->rep (reservoirs and migrations move there). */
void ws_tel_end(struct ws_ctx *c);
void ws_tel_free(struct ws_ctx *c);

/*
 * /proc/PID/schedstat (@pid 0: /proc/thread-self/schedstat): cpu time, run
 * delay, timeslices.  False when it cannot be read.
 */
bool ws_schedstat_read(pid_t pid, struct ws_schedstat *s);

#endif
