// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spec_rt.c — the parameters of the priority and RT work types
 * (priority-inversion, rt-starvation, preempt-storm, signal-storm; issue 15)
 * with the reference's names and defaults, their group sizes, and the checks
 * made before any worker starts (RT permitted, RT throttling on, CPUs).
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "ws.h"

#define RFIX "see the work types in 'man worker-spawn'"

void ws_rt_defaults(struct ws_group *g)
{
	g->rt.high = g->rt.medium = g->rt.low = 1;
	g->rt.hold_iters = 4096;
	g->rt.work_iters = 1024;
	g->rt.window_ms = 5;
	g->rt.pi = false;
	g->rt.rt_workers = 1;
	g->rt.cfs_workers = g->type == WS_PREEMPT_STORM ? 2 : 1;
	g->rt.rt_priority = 50;
	g->rt.burst_iters = 1024;
	g->rt.rt_burst_iters = 1024;
	g->rt.rt_sleep_us = 1000;
	g->rt.signals_per_iter = 16;
}

/* key (and its short alias from the reference's table) -> field, bounds */
struct rt_key {
	const char *name, *alias;
	size_t off;
	uint64_t min, max;
};
#define RT_OFF(f) offsetof(struct ws_group, rt.f)
static const struct rt_key rt_keys[] = {
	{ "high_count", "high", RT_OFF(high), 0, 64 },
	{ "medium_count", "medium", RT_OFF(medium), 0, 64 },
	{ "low_count", "low", RT_OFF(low), 0, 64 },
	{ "hold_iters", "hold", RT_OFF(hold_iters), 0, 1ULL << 32 },
	{ "work_iters", "work", RT_OFF(work_iters), 0, 1ULL << 32 },
	{ "window_ms", NULL, RT_OFF(window_ms), 1, 10000 },
	{ "rt_workers", NULL, RT_OFF(rt_workers), 0, 1024 },
	{ "cfs_workers", NULL, RT_OFF(cfs_workers), 0, 1024 },
	{ "rt_priority", NULL, RT_OFF(rt_priority), 1, 99 },
	{ "burst_iters", NULL, RT_OFF(burst_iters), 1, 1ULL << 32 },
	{ "rt_burst_iters", NULL, RT_OFF(rt_burst_iters), 1, 1ULL << 32 },
	{ "rt_sleep_us", NULL, RT_OFF(rt_sleep_us), 1, 10000000 },
	{ "signals_per_iter", NULL, RT_OFF(signals_per_iter), 0, 65536 },
};

bool ws_rt_param(struct ws_group *g, const char *arg, const char *k, const char *v)
{
	if (!strcmp(k, "pi_mode")) {
		if (!v || (strcmp(v, "pi") && strcmp(v, "plain")))
			tk_usage_error("write pi_mode=pi or pi_mode=plain", "-w '%s': pi_mode=%s is "
				       "neither pi nor plain", arg, v ? v : "");
		g->rt.pi = !strcmp(v, "pi");
		return true;
	}
	for (size_t i = 0; i < sizeof(rt_keys) / sizeof(rt_keys[0]); i++) {
		const struct rt_key *r = &rt_keys[i];

		if (strcmp(k, r->name) && (!r->alias || strcmp(k, r->alias)))
			continue;
		*(uint64_t *)((char *)g + r->off) = ws_param_u64(arg, k, v, r->min, r->max);
		return true;
	}
	return false;
}

unsigned ws_rt_unit(const struct ws_group *g)
{
	switch (g->type) {
	case WS_PRIORITY_INVERSION:
		if (!g->rt.high || !g->rt.low)
			tk_usage_error("give high_count>=1 and low_count>=1", "-w '%s': priority-"
				       "inversion needs a high and a low tier", g->spec);
		return g->rt.high + g->rt.medium + g->rt.low;
	case WS_RT_STARVATION:
		if (!g->rt.rt_workers || g->rt.rt_workers + g->rt.cfs_workers > 1024)
			tk_usage_error("give rt_workers>=1", "-w '%s': rt-starvation needs an RT "
				       "worker (and at most 1024 in a group)", g->spec);
		return g->rt.rt_workers + g->rt.cfs_workers;
	case WS_PREEMPT_STORM:
		return g->rt.cfs_workers + 1;
	case WS_SIGNAL_STORM:
		return 2;
	default:
		return 0;
	}
}

/* Whether a child of ours may take SCHED_FIFO @prio: 0 or the errno it met. */
static int fifo_probe(int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	int st = 0;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(sched_setscheduler(0, SCHED_FIFO, &sp) ? (errno & 0x7f) : 0);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

/* sched_rt_runtime_us, or 0 when it cannot be read (then nothing is refused). */
static long long rt_runtime_us(void)
{
	long long v = 0;
	FILE *f = fopen("/proc/sys/kernel/sched_rt_runtime_us", "re");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The highest FIFO priority group @g asks for; 0 for a type without RT. */
static int top_prio(const struct ws_group *g)
{
	switch (g->type) {
	case WS_PRIORITY_INVERSION:
		return 70;
	case WS_RT_STARVATION:
		return (int)g->rt.rt_priority;
	case WS_PREEMPT_STORM:
		return 1;
	default:
		return 0;
	}
}

void ws_rt_preflight(struct ws_opts *o)
{
	uint64_t run = o->duration_ns;
	cpu_set_t own;
	int ncpu = 0;

	if (!sched_getaffinity(0, sizeof(own), &own))
		ncpu = CPU_COUNT(&own);
	if (o->nphases)
		for (unsigned i = run = 0; i < o->nphases; i++)
			run += o->phases[i];
	for (unsigned i = 0; i < o->ngroups; i++) {
		struct ws_group *g = &o->groups[i];
		int prio = top_prio(g), err;

		if (!prio)
			continue;
		g->rt.rttime_us = (run + WS_RT_GRACE_NS) / 1000;
		/* FIFO workers that never block: one CPU must stay for the rest */
		if (g->type != WS_PREEMPT_STORM && ncpu < 2)
			tk_usage_error("run it where two CPUs are allowed; pin the group with "
				       "--affinity to one of them", "-w '%s': %s needs two CPUs "
				       "(its FIFO workers never block; %d allowed)", g->spec,
				       ws_types[g->type].name, ncpu);
		if (rt_runtime_us() < 0)
			tk_usage_error("turn RT throttling on: sysctl kernel.sched_rt_runtime_us="
				       "950000", "-w '%s': %s refused: sched_rt_runtime_us is -1, "
				       "nothing would bound its FIFO workers", g->spec,
				       ws_types[g->type].name);
		err = fifo_probe(prio);
		if (err) {
			char fix[128];

			snprintf(fix, sizeof(fix), "run with CAP_SYS_NICE (root), or with "
				 "RLIMIT_RTPRIO (ulimit -r) at least %d", prio);
			tk_usage_error(fix, "-w '%s': %s needs SCHED_FIFO %d, which is not "
				       "permitted here: %s", g->spec, ws_types[g->type].name, prio,
				       strerror(err));
		}
	}
}
