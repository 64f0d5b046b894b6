// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check.c — the --assert checks, over the reduced run (ws_reduce): they only
 * read it.  Each failed check is one error line naming the worker (tid,
 * group) or the group and the figure; ws_check() returns how many failed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errors.h"
#include "ws.h"

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

static bool is_exec(const struct ws_result *res)
{
	return res->group && res->group->type == WS_EXEC;
}

/* Check @a over the workers of group @g: how many failed. */
static unsigned check_group(const struct ws_run *run, const struct ws_assert *a, unsigned g)
{
	struct verdict v = { ws_assert_names[a->kind], 0 };
	char who[64];
	double rates[WS_MAX_WORKERS], minpct = 1e300, maxpct = -1;
	const struct ws_report *rmin = NULL, *rmax = NULL;
	const struct tk_summary *pooled_wake = &run->sums[g].res[WS_RES_WAKE];
	unsigned nr = 0, nmeas = 0;

	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_result *res = &run->results[i];
		const struct ws_report *r = &res->rep;
		double cpu_s = r->cpu_time_ns / 1e9;

		if (r->group_idx != g || is_exec(res))
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
			if (res->offcpu_measured) {
				double pct = res->offcpu_pct;

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
			if (a->p99_ns >= 0 && r->wake.n && res->res[WS_RES_WAKE].p99 > a->p99_ns)
				fail(&v, who, "wake p99=%.0f ns > %g", res->res[WS_RES_WAKE].p99,
				     a->p99_ns);
			break;
		case WS_A_TIMER:
			if (a->p99_ns >= 0 && r->timer.n && res->res[WS_RES_TIMER].p99 > a->p99_ns)
				fail(&v, who, "timer p99=%.0f ns > %g", res->res[WS_RES_TIMER].p99,
				     a->p99_ns);
			break;
		case WS_A_ISOLATION:
			if (!res->set_valid)
				break;
			for (uint32_t k = 0; k < r->ncpus; k++)
				if (!tk_cpuset_isset(&res->set, r->cpus_used[k])) {
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
		case WS_A_PAGE_LOCALITY: case WS_A_CROSS_NODE:   /* issue 15: mem_check.c */
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
	if (a->kind == WS_A_WAKE && a->cv >= 0 && pooled_wake->n && pooled_wake->cv_pct > a->cv)
		fail(&v, who, "pooled wake CV %.1f%% > %g%%", pooled_wake->cv_pct, a->cv);
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
		if (a->kind == WS_A_PAGE_LOCALITY || a->kind == WS_A_CROSS_NODE) {   /* issue 15: mem */
			fails += ws_mem_check(run, a, unrun);
			continue;
		}
		for (unsigned g = 0; g < run->o->ngroups; g++)
			fails += check_group(run, a, g);
	}
	return fails;
}
