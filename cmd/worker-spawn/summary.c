// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * summary.c — the reduce step: each result's reservoir summaries and
 * off-CPU %, then the per-group and whole-run reductions (ktstr
 * cgroup_stats), computed once before anything is printed or checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

/* Is worker @i in @group (-1: every group)? */
static bool in_scope(const struct ws_run *run, unsigned i, int group)
{
	return group < 0 || run->results[i].rep.group_idx == (unsigned)group;
}

/* Worker @i's samples of reservoir @res (WS_NRES: issue 15's handoff). */
static const struct ws_samples *samples_of(const struct ws_run *run, unsigned i, int res)
{
	const struct ws_report *r = &run->results[i].rep;

	return res == WS_NRES ? &r->handoff : ws_samples_of(r, res);
}

/* Pool reservoir @res (WS_NRES: handoff) over the selected workers and summarise it. */
static int pool_samples(const struct ws_run *run, int group, int res,
			struct tk_summary *s, uint64_t *total)
{
	size_t n = 0, k = 0;
	uint64_t *v;
	int err;

	*total = 0;
	for (unsigned i = 0; i < run->nworkers; i++)
		if (in_scope(run, i, group)) {
			const struct ws_samples *sm = samples_of(run, i, res);

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
			const struct ws_samples *sm = samples_of(run, i, res);

			if (sm->n)
				memcpy(v + k, sm->v, sm->n * sizeof(*v));
			k += sm->n;
		}
	err = tk_summarize_u64(v, n, s);
	free(v);
	return err;
}

static int summarize(const struct ws_run *run, int group, struct ws_sum *s)
{
	uint64_t sched_cpu = 0, numa = 0, vm_max = 0, rd_sum = 0;
	unsigned measured = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->offcpu_min = 100;
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_result *res = &run->results[i];
		const struct ws_report *r = &res->rep;

		if (!in_scope(run, i, group))
			continue;
		s->workers++;
		s->completed += r->completed;
		s->sentinels += r->exit_kind != WS_EXIT_NONE && r->exit_kind != WS_EXIT_PANICKED;
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
		if (res->offcpu_measured) {
			double pct = res->offcpu_pct;

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
	for (int k = 0; k < WS_NRES; k++)
		if ((err = pool_samples(run, group, k, &s->res[k], &s->res_total[k])))
			return err;
	s->wake_tail_ratio = tk_ratio(s->res[WS_RES_WAKE].p99, s->res[WS_RES_WAKE].p50);
	for (unsigned i = 0; i < run->nworkers; i++)   /* issue 15: handoff */
		if (in_scope(run, i, group) && run->results[i].rep.group_idx < run->o->ngroups &&
		    ws_type_handoff(run->o->groups[run->results[i].rep.group_idx].type))
			s->has_handoff = true;
	return pool_samples(run, group, WS_NRES, &s->handoff, &s->handoff_total);
}

/* One result's own figures: its reservoirs summarised, its off-CPU %. */
static int reduce_result(struct ws_result *res)
{
	const struct ws_report *r = &res->rep;
	int err = 0;

	for (int k = 0; k < WS_NRES && !err; k++) {
		const struct ws_samples *sm = ws_samples_of(r, k);

		err = tk_summarize_u64(sm->v, sm->n, &res->res[k]);
	}
	if (!err)   /* issue 15: handoff */
		err = tk_summarize_u64(r->handoff.v, r->handoff.n, &res->handoff);
	/* issue 15: each phase slice's own percentiles */
	if (!err && r->nslices && !(res->slice_res = calloc(r->nslices, sizeof(*res->slice_res))))
		err = -ENOMEM;
	for (uint32_t i = 0; i < r->nslices && !err; i++)
		for (int k = 0; k < WS_NRES && !err; k++) {
			const struct ws_samples *sm = ws_slice_samples(&r->slices[i], k);

			err = tk_summarize_u64(sm->v, sm->n, &res->slice_res[i][k]);
		}
	res->offcpu_measured = r->wall_time_ns != 0;
	res->offcpu_pct = res->offcpu_measured ? 100.0 * r->off_cpu_ns / r->wall_time_ns : 0;
	return err;
}

int ws_reduce(struct ws_run *run)
{
	unsigned ngroups = run->o->ngroups;
	int err = 0;

	run->sums = calloc(ngroups + 1, sizeof(*run->sums));
	if (!run->sums)
		return -ENOMEM;
	for (unsigned i = 0; i < run->nworkers && !err; i++)
		err = reduce_result(&run->results[i]);
	for (unsigned g = 0; g <= ngroups && !err; g++)
		err = summarize(run, g < ngroups ? (int)g : -1, &run->sums[g]);
	return err;
}
