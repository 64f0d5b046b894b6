// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* work_sched.c — work types that poke the scheduler, timers and fork. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "telemetry.h"

int ws_nice_sweep(struct ws_ctx *c)
{
	for (uint64_t i = 0; !ws_stopping(); i++) {
		ws_spin(c, c->g->p_spin);
		setpriority(PRIO_PROCESS, c->rep.tid, -20 + (int)(i % 40));
		ws_yield_sampled(c);
		ws_iter(c);
	}
	return 0;
}

int ws_affinity_churn(struct ws_ctx *c)
{
	unsigned cpus[WS_MAX_CPUS], n = 0;

	for (unsigned i = 0; i < WS_MAX_CPUS; i++)
		if (tk_cpuset_isset(&c->allowed, i))
			cpus[n++] = i;
	if (!n)
		return -ENOENT;
	while (!ws_stopping()) {
		cpu_set_t set;

		ws_spin(c, c->g->p_spin);
		CPU_ZERO(&set);
		CPU_SET(cpus[tk_rand_below(&c->rng, n)], &set);
		sched_setaffinity(0, sizeof(set), &set);
		ws_yield_sampled(c);
		ws_iter(c);
	}
	return 0;
}

/* OTHER -> BATCH -> IDLE (-> FIFO 1 -> RR 1 with rt=1). */
int ws_policy_churn(struct ws_ctx *c)
{
	static const int pols[] = { SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR };
	unsigned npol = c->g->p_hot ? 5 : 3;
	struct sched_param sp;

	for (uint64_t i = 0; !ws_stopping(); i++) {
		int pol = pols[i % npol];

		ws_spin(c, c->g->p_spin);
		sp.sched_priority = (pol == SCHED_FIFO || pol == SCHED_RR) ? 1 : 0;
		sched_setscheduler(0, pol, &sp);
		ws_yield_sampled(c);
		ws_iter(c);
	}
	sp.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &sp);
	return 0;
}

/* fork -> child _exit -> waitpid; the waitpid wait is the wake sample. */
int ws_fork_exit(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		uint64_t t;
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		t = ws_now();
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		ws_wake(c, ws_now() - t);
		ws_tick(c, 1);
		ws_iter(c);
	}
	return 0;
}

/* cyclictest-style: absolute CLOCK_MONOTONIC deadlines every @interval_us. */
int ws_timer_latency(struct ws_ctx *c)
{
	uint64_t ival = c->g->p_interval_us * 1000ULL;
	uint64_t next = ws_now() + ival;

	while (!ws_stopping()) {
		uint64_t now = ws_now(), lat;
		struct timespec ts;

		/* long intervals are slept in <= 100 ms steps to re-check the stop flag */
		if (next > now + WS_POLL_NS) {
			ws_sleep(next - now - WS_POLL_NS / 2);
			continue;
		}
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			continue;
		now = ws_now();
		lat = now > next ? now - next : 0;
		ws_timer(c, lat);
		ws_tick(c, 1);
		ws_iter(c);
		next += ival;
		if (next <= now)   /* overrun: skip missed periods, keep the grid */
			next += ((now - next) / ival + 1) * ival;
	}
	return 0;
}
