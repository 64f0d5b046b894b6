// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_rt.c — priority and RT work types (issue 15): priority-inversion,
 * rt-starvation, preempt-storm, signal-storm.  Each worker sets its own tier's
 * policy when its loop starts; ws_rt_preflight() (spec_rt.c) has already
 * made sure SCHED_FIFO is permitted and RT throttling is on.  Every FIFO
 * loop re-checks the stop flag between bursts of at most a few ms.
 */
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "telemetry.h"

/* The tier priorities of priority-inversion (the reference's 70/50/30). */
enum { PI_HIGH_PRIO = 70, PI_MEDIUM_PRIO = 50, PI_LOW_PRIO = 30 };

/*
 * SCHED_FIFO @prio for the calling thread; the refusal goes into the report.
 * First RLIMIT_RTTIME: a FIFO worker that runs rttime_us of CPU without
 * blocking (the parent could not stop it) gets SIGKILL from the kernel; in
 * thread mode that ends the whole process.
 */
static int set_fifo(struct ws_ctx *c, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	struct rlimit rl = { c->g->rt.rttime_us, c->g->rt.rttime_us };
	char buf[128];
	int err;

	if (rl.rlim_cur && setrlimit(RLIMIT_RTTIME, &rl)) {
		err = -errno;
		snprintf(buf, sizeof(buf), "setrlimit(RLIMIT_RTTIME): %s", strerror(-err));
		if (!c->rep.sched_policy_error)
			c->rep.sched_policy_error = strdup(buf);
		return err;
	}
	if (!sched_setscheduler(0, SCHED_FIFO, &sp))
		return 0;
	err = -errno;
	if (!c->rep.sched_policy_error) {
		snprintf(buf, sizeof(buf), "sched_setscheduler(SCHED_FIFO %d): %s", prio,
			 strerror(-err));
		c->rep.sched_policy_error = strdup(buf);
	}
	return err;
}

static long futex_op(_Atomic uint32_t *w, int op, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)w, op, 0, ts, NULL, 0);
}

/*
 * The lock of priority-inversion in word[0].  Plain: Drepper's futex mutex
 * (0 free, 1 locked, 2 contended).  PI: the futex word holds the owner's tid;
 * contention goes to FUTEX_LOCK_PI, which boosts the owner (rt_mutex).  The
 * blocked interval (first failed attempt to the lock held) is a wake sample.
 * False when the run stopped while waiting.
 */
static bool rt_lock(struct ws_ctx *c, _Atomic uint32_t *w)
{
	uint32_t v = 0, tid = (uint32_t)c->rep.tid;
	uint64_t t0;

	if (atomic_compare_exchange_strong(w, &v, c->g->rt.pi ? tid : 1))
		return true;
	t0 = ws_now();
	if (c->g->rt.pi) {
		for (;;) {
			struct timespec ts;

			if (ws_stopping())
				return false;
			/* FUTEX_LOCK_PI takes a CLOCK_REALTIME deadline */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += WS_POLL_NS;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (!futex_op(w, FUTEX_LOCK_PI, &ts))
				break;
			if (errno != ETIMEDOUT && errno != EINTR && errno != EAGAIN)
				return false;
		}
	} else {
		if (v != 2)
			v = atomic_exchange(w, 2);
		while (v != 0) {
			if (ws_futex_wait(w, 2))
				return false;
			v = atomic_exchange(w, 2);
		}
	}
	ws_wake(c, ws_now() - t0);
	return true;
}

static void rt_unlock(struct ws_ctx *c, _Atomic uint32_t *w)
{
	uint32_t tid = (uint32_t)c->rep.tid;

	if (c->g->rt.pi) {
		if (!atomic_compare_exchange_strong(w, &tid, 0))
			futex_op(w, FUTEX_UNLOCK_PI, NULL);
	} else if (atomic_fetch_sub(w, 1) != 1) {
		atomic_store(w, 0);
		ws_futex_wake(w, 1);
	}
}

/*
 * One cycle: a low worker sleeps window_ms (the CPU is free for the rest),
 * takes the lock, bumps the generation in word[1] (waking the high and medium
 * tiers), spins hold_iters and unlocks.  A high worker waits for a new
 * generation, then for the lock (its wake sample), spins work_iters while
 * holding it.  A medium worker waits for a new generation, then spins
 * work_iters bursts for window_ms without touching the lock.  Pinned to one
 * CPU, plain: the medium preempts the low holder and the high waits at least
 * window_ms; PI: the low holder runs boosted and the high waits about
 * hold_iters.
 */
int ws_priority_inversion(struct ws_ctx *c)
{
	const struct ws_group *g = c->g;
	_Atomic uint32_t *lock = &c->unit->word[0], *gen = &c->unit->word[1];
	bool high = c->role < g->rt.high, medium = !high && c->role < g->rt.high + g->rt.medium;
	uint32_t seen = 0;
	int err = set_fifo(c, high ? PI_HIGH_PRIO : medium ? PI_MEDIUM_PRIO : PI_LOW_PRIO);

	if (err)
		return err;
	while (!ws_stopping()) {
		if (!high && !medium) {
			ws_spin(c, g->rt.work_iters);
			if (!ws_sleep(g->rt.window_ms * 1000000ULL) || !rt_lock(c, lock))
				break;
			atomic_fetch_add(gen, 1);
			ws_futex_wake(gen, INT_MAX);
			ws_spin(c, g->rt.hold_iters);
			rt_unlock(c, lock);
			ws_iter(c);
			continue;
		}
		if (ws_futex_wait(gen, seen))
			break;
		seen = atomic_load(gen);
		if (medium) {
			ws_spin_for(c, g->rt.window_ms * 1000000ULL);
		} else {
			if (!rt_lock(c, lock))
				break;
			ws_spin(c, g->rt.work_iters);
			rt_unlock(c, lock);
		}
		ws_iter(c);
	}
	return 0;
}

/* rt_workers FIFO rt_priority spinners, then cfs_workers left as placed. */
int ws_rt_starvation(struct ws_ctx *c)
{
	if (c->role < c->g->rt.rt_workers) {
		int err = set_fifo(c, (int)c->g->rt.rt_priority);

		if (err)
			return err;
	}
	while (!ws_stopping()) {
		ws_spin(c, c->g->rt.burst_iters);
		ws_iter(c);
	}
	return 0;
}

/* Role 0: FIFO 1, rt_burst_iters then rt_sleep_us; the others spin. */
int ws_preempt_storm(struct ws_ctx *c)
{
	bool rt = c->role == 0;

	if (rt) {
		int err = set_fifo(c, 1);

		if (err)
			return err;
	}
	while (!ws_stopping()) {
		ws_spin(c, c->g->rt.rt_burst_iters);
		if (rt && !ws_sleep(c->g->rt.rt_sleep_us * 1000ULL))
			break;
		ws_iter(c);
	}
	return 0;
}

/*
 * signal-storm delivery latency: the sender of a burst stamps the low 32 bits
 * of CLOCK_MONOTONIC into word[2 + role] before its first tgkill; the
 * partner's handler takes the stamp and leaves the latency for its loop.
 */
static __thread _Atomic uint32_t *sig_stamp;
static __thread volatile uint32_t sig_lat;
static __thread volatile sig_atomic_t sig_have;

static uint32_t now32(void)
{
	return (uint32_t)ws_now() | 1;
}

static void sigusr2_handler(int sig)
{
	uint32_t st;

	(void)sig;
	if (!sig_stamp)
		return;
	st = atomic_exchange(sig_stamp, 0);
	if (st && !sig_have) {
		sig_lat = now32() - st;
		sig_have = 1;
	}
}

/*
 * Pairs: word[role] = tid, published before the loop.  Each iteration sends
 * signals_per_iter SIGUSR2 with tgkill to the partner thread (its process is
 * itself in fork mode, ours in thread mode), then spins work_iters.  Every
 * signal sent is a work unit; a stamped signal's delivery is a wake sample.
 */
int ws_signal_storm(struct ws_ctx *c)
{
	struct ws_unit *u = c->unit;
	unsigned me = c->role & 1, peer = me ^ 1;
	struct sigaction sa = { .sa_handler = sigusr2_handler, .sa_flags = SA_RESTART };
	pid_t ptid, ptgid;
	sigset_t set;

	sig_stamp = &u->word[2 + peer];
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR2, &sa, NULL))
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	atomic_store(&u->word[me], (uint32_t)c->rep.tid);
	ws_futex_wake(&u->word[me], 1);
	while (!atomic_load(&u->word[peer]))
		if (ws_futex_wait(&u->word[peer], 0))
			return 0;
	ptid = (pid_t)atomic_load(&u->word[peer]);
	ptgid = getpid() == c->rep.tid ? ptid : getpid();
	while (!ws_stopping()) {
		for (uint64_t i = 0; i < c->g->rt.signals_per_iter; i++) {
			if (i == 0 && !atomic_load(&u->word[2 + me]))
				atomic_store(&u->word[2 + me], now32());
			/* the partner may have ended first: ESRCH ends us too */
			if (syscall(SYS_tgkill, ptgid, ptid, SIGUSR2) && errno == ESRCH)
				return 0;
			ws_tick(c, 1);
		}
		ws_spin(c, c->g->rt.work_iters);
		if (sig_have) {
			ws_wake(c, sig_lat);
			sig_have = 0;
		}
		ws_iter(c);
	}
	return 0;
}
