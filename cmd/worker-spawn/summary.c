// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * summary.c — per-group and whole-run reductions (ktstr cgroup_stats) and
 * the --assert checks.  Each failed check is one error line naming the
 * worker (tid, group) and the figure; ws_check() returns how many failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ws.h"

/* Is worker @i in @group (-1: every group)? */
static bool in_scope(const struct ws_run *run, unsigned i, int group)
{
	return group < 0 || run->reports[i].group_idx == (unsigned)group;
}

/* Pool one reservoir kind over the selected workers and summarise it. */
static int pool_samples(const struct ws_run *run, int group, size_t off, struct tk_summary *s,
		uint64_t *total)
{
	size_t n = 0, k = 0;
	uint64_t *v;
	int err;

	*total = 0;
	for (unsigned i = 0; i < run->nworkers; i++)
		if (in_scope(run, i, group)) {
			const struct ws_samples *sm = (const void *)((const char *)&run->reports[i] + off);

			n += sm->n;
			*total = tk_sat_add_u64(*total, sm->total);
		}
	memset(s, 0, sizeof(*s));
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (unsigned i = 0; i < run->nworkers; i++)
		if (in_scope(run, i, group)) {
			const struct ws_samples *sm = (const void *)((const char *)&run->reports[i] + off);

			if (sm->n)
				memcpy(v + k, sm->v, sm->n * sizeof(*v));
			k += sm->n;
		}
	err = tk_summarize_u64(v, n, s);
	free(v);
	return err;
}

int ws_summarize(const struct ws_run *run, int group, struct ws_sum *s)
{
	uint64_t sched_cpu = 0, numa = 0, vm_max = 0, rd_sum = 0;
	unsigned measured = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->offcpu_min = 100;
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_report *r = &run->reports[i];

		if (!in_scope(run, i, group))
			continue;
		s->workers++;
		s->completed += r->completed;
		s->sentinels += r->exit_kind != WS_EXIT_NONE;
		s->work_units = tk_sat_add_u64(s->work_units, r->work_units);
		s->iterations = tk_sat_add_u64(s->iterations, r->iterations);
		s->migrations = tk_sat_add_u64(s->migrations, r->migration_count);
		sched_cpu = tk_sat_add_u64(sched_cpu, r->sched_cpu_ns);
		rd_sum = tk_sat_add_u64(rd_sum, r->run_delay_ns);
		if (r->run_delay_ns > s->run_delay_worst_ns)
			s->run_delay_worst_ns = r->run_delay_ns;
		for (uint32_t k = 0; k < r->nnuma; k++)
			numa = tk_sat_add_u64(numa, r->numa[k].pages);
		if (r->vmstat_migrated > vm_max)
			vm_max = r->vmstat_migrated;
		if (r->max_gap_ms >= s->worst_gap_ms && r->wall_time_ns) {
			s->worst_gap_ms = r->max_gap_ms;
			s->worst_gap_cpu = r->max_gap_cpu;
			s->worst_gap_tid = r->tid;
		}
		if (r->wall_time_ns) {
			double pct = 100.0 * r->off_cpu_ns / r->wall_time_ns;

			measured++;
			s->offcpu_avg += pct;
			if (pct < s->offcpu_min)
				s->offcpu_min = pct;
			if (pct > s->offcpu_max)
				s->offcpu_max = pct;
		}
	}
	if (measured) {
		s->offcpu_avg /= measured;
		s->offcpu_spread = s->offcpu_max - s->offcpu_min;
	} else {
		s->offcpu_min = 0;
	}
	s->run_delay_mean_ns = tk_ratio(rd_sum, s->workers);
	s->migration_ratio = tk_ratio(s->migrations, s->iterations);
	s->iterations_per_worker = tk_ratio(s->iterations, s->workers);
	s->iterations_per_cpu_sec = tk_ratio(s->iterations, sched_cpu / 1e9);
	s->cross_node = tk_ratio(vm_max, numa);
	if ((err = pool_samples(run, group, offsetof(struct ws_report, wake), &s->wake,
				&s->wake_total)) ||
	    (err = pool_samples(run, group, offsetof(struct ws_report, timer), &s->timer,
				&s->timer_total)) ||
	    (err = pool_samples(run, group, offsetof(struct ws_report, iter), &s->iter,
				&s->iter_total)))
		return err;
	s->wake_tail_ratio = tk_ratio(s->wake.p99, s->wake.p50);
	return 0;
}

/* --- checks ---------------------------------------------------------------- */

/* One --assert check over one group: its name and how many failed so far. */
struct verdict {
	const char *check;
	unsigned fails;
};

/* A failure of @who ("worker TID (group G)" or "group G"): one error line. */
static void __attribute__((format(printf, 3, 4)))
fail(struct verdict *v, const char *who, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tk_error(NULL, "assert %s: %s: %s", v->check, who, what);
	v->fails++;
}

static double p99_of(const struct ws_samples *s)
{
	struct tk_summary sum;

	if (!s->n || tk_summarize_u64(s->v, s->n, &sum))
		return 0;
	return sum.p99;
}

static bool is_exec(const struct ws_run *run, unsigned i)
{
	return run->wgroup[i] && run->wgroup[i]->type == WS_EXEC;
}

/* Check @a over the workers of group @g: how many failed. */
static unsigned check_group(const struct ws_run *run, const struct ws_assert *a, unsigned g)
{
	struct verdict v = { ws_assert_names[a->kind], 0 };
	char who[64];
	double rates[WS_MAX_WORKERS], minpct = 1e300, maxpct = -1;
	const struct ws_report *rmin = NULL, *rmax = NULL;
	unsigned nr = 0, nmeas = 0;

	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_report *r = &run->reports[i];
		double cpu_s = r->cpu_time_ns / 1e9;

		if (r->group_idx != g || is_exec(run, i))
			continue;
		snprintf(who, sizeof(who), "worker %d (group %u)", r->tid, r->group_idx);
		switch (a->kind) {
		case WS_A_NOT_STARVED:
			if (r->work_units == 0)
				fail(&v, who, "starved: work_units=0");
			if (r->max_gap_ms > a->gap_ms)
				fail(&v, who, "stuck: max_gap_ms=%llu > %g (cpu %u at %llu ms)",
				     (unsigned long long)r->max_gap_ms, a->gap_ms, r->max_gap_cpu,
				     (unsigned long long)r->max_gap_at_ms);
			if (r->wall_time_ns) {
				double pct = 100.0 * r->off_cpu_ns / r->wall_time_ns;

				nmeas++;
				if (pct < minpct)
					minpct = pct, rmin = r;
				if (pct > maxpct)
					maxpct = pct, rmax = r;
			}
			break;
		case WS_A_PARITY:
			if (cpu_s > 0) {
				rates[nr++] = r->work_units / cpu_s;
				if (r->work_units / cpu_s < a->min_rate)
					fail(&v, who, "work rate %.0f units/cpu-s < min_rate %g",
					     r->work_units / cpu_s, a->min_rate);
			}
			break;
		case WS_A_WAKE:
			if (a->p99_ns >= 0 && r->wake.n && p99_of(&r->wake) > a->p99_ns)
				fail(&v, who, "wake p99=%.0f ns > %g", p99_of(&r->wake), a->p99_ns);
			break;
		case WS_A_TIMER:
			if (a->p99_ns >= 0 && r->timer.n && p99_of(&r->timer) > a->p99_ns)
				fail(&v, who, "timer p99=%.0f ns > %g", p99_of(&r->timer), a->p99_ns);
			break;
		case WS_A_ISOLATION:
			if (!run->wset_valid[i])
				break;
			for (uint32_t k = 0; k < r->ncpus; k++)
				if (!tk_cpuset_isset(&run->wset[i], r->cpus_used[k])) {
					fail(&v, who, "ran on cpu %u outside its affinity", r->cpus_used[k]);
					break;
				}
			break;
		case WS_A_MAX_MIGR:
			if (r->migration_count > a->max)
				fail(&v, who, "migration_count=%llu > %llu",
				     (unsigned long long)r->migration_count, (unsigned long long)a->max);
			break;
		case WS_A_SCX_EVENTS:   /* run-level: ws_scx_check() */
			break;
		}
	}
	snprintf(who, sizeof(who), "group %u", g);
	if (a->kind == WS_A_NOT_STARVED && nmeas >= 2 && maxpct - minpct > a->spread)
		fail(&v, who, "unfair: off-CPU spread %.1f%% > %g%% (worker %d %.1f%%, worker %d "
		     "%.1f%%)", maxpct - minpct, a->spread, rmax->tid, maxpct, rmin->tid, minpct);
	if (a->kind == WS_A_PARITY && nr >= 2 && a->cv >= 0 && tk_cv_pct(rates, nr) > a->cv)
		fail(&v, who, "work-rate CV %.1f%% > %g%% over %u workers", tk_cv_pct(rates, nr),
		     a->cv, nr);
	if (a->kind == WS_A_WAKE && a->cv >= 0) {
		struct ws_sum s;

		if (!ws_summarize(run, g, &s) && s.wake.n && s.wake.cv_pct > a->cv)
			fail(&v, who, "pooled wake CV %.1f%% > %g%%", s.wake.cv_pct, a->cv);
	}
	return v.fails;
}

int ws_check(const struct ws_run *run, unsigned *unrun)
{
	unsigned fails = 0;

	*unrun = 0;
	for (unsigned k = 0; k < run->o->nasserts; k++) {
		const struct ws_assert *a = &run->o->asserts[k];

		if (a->kind == WS_A_SCX_EVENTS) {   /* one per run, not per group */
			fails += ws_scx_check(&run->scx, a, unrun);
			continue;
		}
		for (unsigned g = 0; g < run->o->ngroups; g++)
			fails += check_group(run, a, g);
	}
	return fails;
}
