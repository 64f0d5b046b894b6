/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sb_aux.h — issue 15: schbench's per-CPU lock and its auto-RPS control
 * (work_bench.c uses them), our own code after the ktstr port of schbench.
 *
 * The per-CPU lock: one default (NORMAL) pthread mutex per CPU id the
 * process may run on.  A worker reads its CPU, spins on pthread_mutex_trylock
 * of that CPU's mutex (PAUSE between tries), then reads its CPU again and
 * starts over on the new CPU's mutex if it moved; it holds the lock across
 * its matrix work.  Workers that land on a CPU whose lock holder was
 * preempted spin (schbench's lock-holder preemption).
 *
 * Auto-RPS: the host's busy share from the aggregate "cpu" line of
 * /proc/stat over the last interval, and the step that moves a request rate
 * toward a target busy percentage (schbench -A).
 */
#ifndef WS_SB_AUX_H
#define WS_SB_AUX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct sb_locks;

/* Locks for every CPU id up to the highest the process may run on; NULL on ENOMEM. */
struct sb_locks *sb_locks_new(void);
void sb_locks_free(struct sb_locks *l);
/* Take this CPU's lock (see above); the lock taken, for sb_unlock. */
pthread_mutex_t *sb_lock_this_cpu(struct sb_locks *l);
void sb_unlock(pthread_mutex_t *m);

/* /proc/stat totals of the last reading (both 0 before the first). */
struct sb_busy {
	uint64_t total, idle;
};

/*
 * The busy percentage (0..100) since the last call into *@pct: 0, or -EAGAIN
 * on the first call (it only takes the baseline) and when no jiffy passed,
 * or -errno when /proc/stat cannot be read.
 */
int sb_busy_read(struct sb_busy *b, double *pct);

/*
 * The next rate from @rate at @busy percent toward @target percent, as
 * schbench's auto_scale_rps steps it: under the target grow by target/busy
 * (at most 3x, damped near 1), over it shrink (at least 0.3x, damped near 1).
 * *@hit is set when the step lands within 5% of the target (it stays set).
 */
uint64_t sb_rps_step(uint64_t rate, double busy, double target, bool *hit);

#endif
