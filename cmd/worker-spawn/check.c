// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check.c — the --assert checks, over the reduced run (ws_reduce): they only
 * read it.  Each failed check is one error line naming the worker (tid,
 * group) or the group and the figure; ws_check() returns how many failed.
 * A check with nothing to measure in a group that should have given it
 * something (no samples, all-zero CPU time), or in no group at all, is one
 * "inconclusive" error line and counted apart: never a pass.  A check this
 * machine cannot evaluate (issue 15: the NUMA checks on one node) is
 * skipped: a "check" record with the reason, and a warning.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errors.h"
#include "output.h"
#include "ws.h"

/*
 * One --assert check over one group: its name, how many failed so far, how
 * many were inconclusive, and whether the group could be measured by it at
 * all (a group whose type fills no wake samples does not apply to wake).
 */
struct verdict {
	const char *check;
	unsigned fails, inconcl;
	bool applies;
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

static void inconclusive(struct verdict *v, const char *who, const char *why)
{
	tk_error(NULL, "assert %s: %s: inconclusive: %s", v->check, who, why);
	v->inconcl++;
}

static bool is_exec(const struct ws_result *res)
{
	return res->group && res->group->type == WS_EXEC;
}

/* The reservoir a check reads (WS_NRES: none). */
static enum ws_res check_res(enum ws_assert_kind k)
{
	return k == WS_A_WAKE || k == WS_A_WAKE_WORKER ? WS_RES_WAKE :
	       k == WS_A_ITER_COST ? WS_RES_ITER : k == WS_A_TIMER ? WS_RES_TIMER : WS_NRES;
}

/* issue 15: a p99 bound over the group's pooled samples (ktstr cgroup_stats). */
static void check_pooled(struct verdict *v, const struct ws_sum *s, enum ws_res res,
			 double limit, const char *who)
{
	static const char *const what[WS_NRES] = { "wake", "iteration cost", "timer" };

	if (!s->res[res].n)
		inconclusive(v, who, res == WS_RES_WAKE ? "no wake samples" :
			     res == WS_RES_ITER ? "no iteration-cost samples" : "no timer samples");
	else if (s->res[res].p99 > limit)
		fail(v, who, "pooled %s p99=%.0f ns > %.0f over %llu samples", what[res],
		     s->res[res].p99, limit, (unsigned long long)s->res[res].n);
}

/* Check @a over the workers of group @g. */
static struct verdict check_group(const struct ws_run *run, const struct ws_assert *a,
				  unsigned g)
{
	struct verdict v = { ws_assert_names[a->kind], 0, 0, true };
	enum ws_res rk = check_res(a->kind);
	char who[64];
	double rates[WS_MAX_WORKERS], minpct = 1e300, maxpct = -1;
	const struct ws_report *rmin = NULL, *rmax = NULL;
	const struct tk_summary *pooled_wake = &run->sums[g].res[WS_RES_WAKE];
	unsigned nr = 0, nmeas = 0, nworkers = 0;

	if (run->o->groups[g].type == WS_EXEC ||
	    (rk != WS_NRES && !(ws_group_fills(&run->o->groups[g]) & (1 << rk)))) {
		v.applies = false;
		return v;
	}
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_result *res = &run->results[i];
		const struct ws_report *r = &res->rep;
		double cpu_s = r->cpu_time_ns / 1e9;

		if (r->group_idx != g || is_exec(res))
			continue;
		nworkers++;
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
		case WS_A_WAKE_WORKER:
			nmeas += r->wake.n > 0;
			if (a->p99_ns >= 0 && r->wake.n && res->res[WS_RES_WAKE].p99 > a->p99_ns)
				fail(&v, who, "wake p99=%.0f ns > %g", res->res[WS_RES_WAKE].p99,
				     a->p99_ns);
			break;
		case WS_A_TIMER:
			nmeas += r->timer.n > 0;
			if (a->p99_ns >= 0 && r->timer.n && res->res[WS_RES_TIMER].p99 > a->p99_ns)
				fail(&v, who, "timer p99=%.0f ns > %g", res->res[WS_RES_TIMER].p99,
				     a->p99_ns);
			break;
		case WS_A_MIN_ITER_RATE:
			if (r->wall_time_ns) {
				double rate = r->iterations / (r->wall_time_ns / 1e9);

				nmeas++;
				if (rate < a->min_iter_rate)
					fail(&v, who, "iteration rate %.3f/s < %g", rate,
					     a->min_iter_rate);
			}
			break;
		case WS_A_WAKE: case WS_A_ITER_COST:   /* pooled over the group: below */
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
	/* issue 15: pooled p99 bounds, and nothing measured is inconclusive */
	if ((a->kind == WS_A_WAKE && a->p99_ns >= 0) || a->kind == WS_A_ITER_COST)
		check_pooled(&v, &run->sums[g], rk, a->p99_ns, who);
	if (!nworkers)
		v.applies = false;
	else if (a->kind == WS_A_PARITY && !nr)
		inconclusive(&v, who, "all-zero CPU time: no work rate to compare");
	else if ((a->kind == WS_A_MIN_ITER_RATE || a->kind == WS_A_WAKE_WORKER ||
		  a->kind == WS_A_TIMER) && !nmeas)
		inconclusive(&v, who, a->kind == WS_A_MIN_ITER_RATE ? "no worker has a wall time" :
			     a->kind == WS_A_TIMER ? "no timer samples" : "no wake samples");
	return v;
}

/* issue 15: @name cannot be evaluated here: a "check" record and a warning. */
static void skipped(const char *name, const char *why)
{
	struct json_object *rec = tk_record_new("check");

	tk_warn("assert %s: skipped: %s", name, why);
	if (!rec)
		return;
	tk_rec_str(rec, "check", name);
	tk_rec_str(rec, "outcome", "skipped");
	tk_rec_str(rec, "reason", why);
	tk_emit(rec);
}

int ws_check(const struct ws_run *run, unsigned *unrun, unsigned *inconcl, unsigned *nskip)
{
	unsigned fails = 0;

	*unrun = *inconcl = *nskip = 0;
	for (unsigned k = 0; k < run->o->nasserts; k++) {
		const struct ws_assert *a = &run->o->asserts[k];
		unsigned applied = 0;

		if (a->kind == WS_A_SCX_EVENTS) {   /* one per run, not per group */
			fails += ws_scx_check(&run->scx, a, unrun);
			continue;
		}
		if (a->kind == WS_A_PAGE_LOCALITY || a->kind == WS_A_CROSS_NODE) {   /* issue 15: mem */
			const char *why;

			fails += ws_mem_check(run, a, unrun, &why);
			if (why) {
				skipped(ws_assert_names[a->kind], why);
				(*nskip)++;
			}
			continue;
		}
		for (unsigned g = 0; g < run->o->ngroups; g++) {
			struct verdict v = check_group(run, a, g);

			fails += v.fails;
			*inconcl += v.inconcl;
			applied += v.applies;
		}
		if (!applied) {   /* no group can give this check anything to measure */
			struct verdict v = { ws_assert_names[a->kind], 0, 0, false };

			inconclusive(&v, "run", "no group measures it (their work types fill "
				     "no such samples)");
			*inconcl += v.inconcl;
		}
	}
	return fails;
}
