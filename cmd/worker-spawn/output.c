// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output.c — paired printers: `report` records per worker and `summary`
 * records per group and for the run (JSON/prom), or an aligned per-worker
 * table followed by key=value summary lines (text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "errors.h"
#include "output.h"
#include "table.h"
#include "ws.h"

static const char *type_name(const struct ws_result *res)
{
	return res->group ? ws_types[res->group->type].name : "?";
}

static struct json_object *u64_array(const uint64_t *v, uint32_t n)
{
	struct json_object *a = json_object_new_array_ext(n);

	for (uint32_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_uint64(v[i]));
	return a;
}

static void add_opt_str(struct json_object *rec, const char *key, const char *s)
{
	json_object_object_add(rec, key, s ? tk_json_str(s) : NULL);
}

/* <prefix>_sample_total plus p50/p99/p999/max (and the vector with --samples). */
static void add_samples(struct json_object *rec, const char *vec, const char *prefix,
			const struct ws_samples *s, const struct tk_summary *sum, bool samples)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_sample_total", prefix);
	tk_rec_u64(rec, key, s->total);
	if (samples)
		json_object_object_add(rec, vec, u64_array(s->v, s->n));
#define P(name, val) snprintf(key, sizeof(key), "%s_" name, prefix), tk_rec_dbl(rec, key, val)
	P("p50_ns", sum->p50);
	P("p99_ns", sum->p99);
	P("p999_ns", sum->p999);
	P("max_ns", sum->max);
#undef P
}

/* The kernel's view read back at the end: sched_policy, sched_ext_enabled. */
static void add_policy(struct json_object *rec, const struct ws_report *r)
{
	const char *name = ws_policy_name(r->eff_policy);
	char num[16];

	snprintf(num, sizeof(num), "%d", r->eff_policy);
	add_opt_str(rec, "sched_policy", r->eff_policy < 0 ? NULL : name ? name : num);
	json_object_object_add(rec, "sched_ext_enabled", r->ext_enabled < 0 ? NULL :
			       json_object_new_boolean(r->ext_enabled));
}

/* exit_info as ktstr's WorkerExitInfo: {kind, code|signal|errno|message}, or null. */
static struct json_object *exit_info_json(const struct ws_report *r)
{
	static const char *const kinds[] = { NULL, "exited", "signaled", "timed_out",
					     "wait_failed", "panicked" };
	static const char *const keys[] = { NULL, "code", "signal", NULL, "errno", NULL };
	struct json_object *o;

	if (r->exit_kind == WS_EXIT_NONE || r->exit_kind >= TK_ARRAY_SIZE(kinds))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(kinds[r->exit_kind]));
	if (keys[r->exit_kind])
		json_object_object_add(o, keys[r->exit_kind], json_object_new_int(r->exit_code));
	if (r->exit_kind == WS_EXIT_PANICKED)
		json_object_object_add(o, "message", tk_json_str(r->exit_message ? r->exit_message :
								  ""));
	return o;
}

static struct json_object *cpus_json(const uint32_t *cpus, uint32_t n)
{
	struct json_object *a = json_object_new_array_ext(n);

	for (uint32_t k = 0; k < n; k++)
		json_object_array_add(a, json_object_new_int(cpus[k]));
	return a;
}

static struct json_object *numa_json(const struct ws_numa *numa, uint32_t n)
{
	struct json_object *o = json_object_new_object();

	for (uint32_t k = 0; k < n; k++) {
		char node[16];

		snprintf(node, sizeof(node), "%u", numa[k].node);
		json_object_object_add(o, node, json_object_new_uint64(numa[k].pages));
	}
	return o;
}

/* issue 15: a slice's CPUs, NUMA pages, per-phase percentiles (and vectors). */
static void slice_extras(struct json_object *o, const struct ws_phase_slice *s,
			 const struct tk_summary *sum, bool samples)
{
	static const char *const prefix[WS_NRES] = { "wake", "iter", "timer" };
	static const char *const vec[WS_NRES] = { "wake_latencies_ns", "iteration_costs_ns",
						  "timer_latencies_ns" };

	json_object_object_add(o, "cpus_used", cpus_json(s->cpus_used, s->ncpus));
	json_object_object_add(o, "numa_pages", numa_json(s->numa, s->nnuma));
	for (int k = 0; k < WS_NRES; k++) {
		const struct ws_samples *sm = ws_slice_samples(s, k);
		char key[64];

#define P(name, val) snprintf(key, sizeof(key), "%s_" name, prefix[k]), tk_rec_dbl(o, key, val)
		P("p50_ns", sum[k].p50);
		P("p99_ns", sum[k].p99);
		P("p999_ns", sum[k].p999);
#undef P
		if (samples)
			json_object_object_add(o, vec[k], u64_array(sm->v, sm->n));
	}
}

static struct json_object *slices_json(const struct ws_result *res, bool samples)
{
	const struct ws_report *r = &res->rep;
	struct json_object *a = json_object_new_array_ext(r->nslices);

	for (uint32_t i = 0; i < r->nslices; i++) {
		const struct ws_phase_slice *s = &r->slices[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "phase", json_object_new_uint64(s->phase));
#define J_FIELD(name, how) json_object_object_add(o, #name, json_object_new_uint64(s->name));
		WS_SLICE_FIELDS(J_FIELD)
#undef J_FIELD
		if (res->slice_res)
			slice_extras(o, s, res->slice_res[i], samples);
		ws_bench_slice_json(o, r, s->phase);   /* issue 15: bench */
		json_object_array_add(a, o);
	}
	return a;
}

static void report_json(const struct ws_run *run, const struct ws_result *res)
{
	const struct ws_report *r = &res->rep;
	struct json_object *rec = tk_record_new("report");
	bool samples = run->o->samples;

	tk_rec_u64(rec, "group_idx", r->group_idx);
	tk_rec_str(rec, "work_type", type_name(res));
	tk_rec_i64(rec, "tid", r->tid);
	tk_rec_u64(rec, "work_units", r->work_units);
	tk_rec_u64(rec, "iterations", r->iterations);
	tk_rec_u64(rec, "cpu_time_ns", r->cpu_time_ns);
	tk_rec_u64(rec, "wall_time_ns", r->wall_time_ns);
	tk_rec_u64(rec, "off_cpu_ns", r->off_cpu_ns);
	tk_rec_u64(rec, "migration_count", r->migration_count);
	json_object_object_add(rec, "cpus_used", cpus_json(r->cpus_used, r->ncpus));
	if (samples) {
		struct json_object *m = json_object_new_array_ext(r->nmigr);

		for (uint32_t k = 0; k < r->nmigr; k++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "at_ns", json_object_new_uint64(r->migrations[k].at_ns));
			json_object_object_add(o, "from_cpu",
					       json_object_new_int(r->migrations[k].from));
			json_object_object_add(o, "to_cpu", json_object_new_int(r->migrations[k].to));
			json_object_array_add(m, o);
		}
		json_object_object_add(rec, "migrations", m);
	}
	tk_rec_u64(rec, "max_gap_ms", r->max_gap_ms);
	tk_rec_u64(rec, "max_gap_cpu", r->max_gap_cpu);
	tk_rec_u64(rec, "max_gap_at_ms", r->max_gap_at_ms);
	add_samples(rec, "wake_latencies_ns", "wake", &r->wake, &res->res[WS_RES_WAKE], samples);
	add_samples(rec, "iteration_costs_ns", "iteration_cost", &r->iter, &res->res[WS_RES_ITER],
		    samples);
	add_samples(rec, "timer_latencies_ns", "timer", &r->timer, &res->res[WS_RES_TIMER],
		    samples);
	tk_rec_u64(rec, "schedstat_run_delay_ns", r->run_delay_ns);
	tk_rec_u64(rec, "schedstat_run_count", r->run_count);
	tk_rec_u64(rec, "schedstat_cpu_time_ns", r->sched_cpu_ns);
	tk_rec_bool(rec, "completed", r->completed);
	json_object_object_add(rec, "numa_pages", numa_json(r->numa, r->nnuma));
	tk_rec_u64(rec, "vmstat_numa_pages_migrated", r->vmstat_migrated);
	json_object_object_add(rec, "exit_info", exit_info_json(r));
	tk_rec_bool(rec, "is_messenger", r->is_messenger);
	add_opt_str(rec, "affinity_error", r->affinity_error);
	add_opt_str(rec, "sched_policy_error", r->sched_policy_error);
	json_object_object_add(rec, "phase_slices", slices_json(res, samples));
	ws_bench_report_json(rec, r);   /* issue 15: bench */
	if (r->group_idx < run->o->ngroups && ws_type_handoff(run->o->groups[r->group_idx].type))
		add_samples(rec, "handoff_latencies_ns", "handoff", &r->handoff, &res->handoff,
			    samples);   /* issue 15: handoff */
	add_policy(rec, r);
	tk_emit(rec);
}

static struct json_object *summary_rec(const struct ws_run *run, int g, const struct ws_sum *s)
{
	const struct tk_summary *wake = &s->res[WS_RES_WAKE], *timer = &s->res[WS_RES_TIMER];
	const struct tk_summary *iter = &s->res[WS_RES_ITER];
	struct json_object *rec = tk_record_new("summary"), *scx;

	tk_rec_str(rec, "scope", g < 0 ? "run" : "group");
	if (g >= 0) {
		tk_rec_u64(rec, "group_idx", g);
		tk_rec_str(rec, "work_type", ws_types[run->o->groups[g].type].name);
		tk_rec_str(rec, "spec", run->o->groups[g].spec);
	}
	tk_rec_u64(rec, "workers", s->workers);
	tk_rec_u64(rec, "completed", s->completed);
	tk_rec_u64(rec, "sentinels", s->sentinels);
	tk_rec_u64(rec, "work_units", s->work_units);
	tk_rec_u64(rec, "iterations", s->iterations);
	tk_rec_dbl(rec, "offcpu_pct_avg", s->offcpu_avg);
	tk_rec_dbl(rec, "offcpu_pct_min", s->offcpu_min);
	tk_rec_dbl(rec, "offcpu_pct_max", s->offcpu_max);
	tk_rec_dbl(rec, "offcpu_pct_spread", s->offcpu_spread);
	tk_rec_u64(rec, "worst_gap_ms", s->worst_gap_ms);
	tk_rec_u64(rec, "worst_gap_cpu", s->worst_gap_cpu);
	tk_rec_i64(rec, "worst_gap_tid", s->worst_gap_tid);
	tk_rec_u64(rec, "wake_samples", s->res_total[WS_RES_WAKE]);
	tk_rec_dbl(rec, "wake_p50_ns", wake->p50);
	tk_rec_dbl(rec, "wake_p99_ns", wake->p99);
	tk_rec_dbl(rec, "wake_p999_ns", wake->p999);
	tk_rec_dbl(rec, "wake_max_ns", wake->max);
	tk_rec_dbl(rec, "wake_cv_pct", wake->cv_pct);
	tk_rec_dbl(rec, "wake_tail_ratio", s->wake_tail_ratio);
	tk_rec_u64(rec, "timer_samples", s->res_total[WS_RES_TIMER]);
	tk_rec_dbl(rec, "timer_p50_ns", timer->p50);
	tk_rec_dbl(rec, "timer_p99_ns", timer->p99);
	tk_rec_dbl(rec, "timer_p999_ns", timer->p999);
	tk_rec_dbl(rec, "timer_max_ns", timer->max);
	tk_rec_u64(rec, "iteration_cost_samples", s->res_total[WS_RES_ITER]);
	tk_rec_dbl(rec, "iteration_cost_p50_ns", iter->p50);
	tk_rec_dbl(rec, "iteration_cost_p99_ns", iter->p99);
	tk_rec_dbl(rec, "run_delay_mean_ns", s->run_delay_mean_ns);
	tk_rec_u64(rec, "run_delay_worst_ns", s->run_delay_worst_ns);
	tk_rec_dbl(rec, "migration_ratio", s->migration_ratio);
	tk_rec_dbl(rec, "iterations_per_worker", s->iterations_per_worker);
	tk_rec_dbl(rec, "iterations_per_cpu_sec", s->iterations_per_cpu_sec);
	tk_rec_dbl(rec, "cross_node_migration_ratio", s->cross_node);
	if (g >= 0 && ws_mem_numa_type(&run->o->groups[g]))   /* issue 15: mem */
		tk_rec_u64(rec, "numa_nodes_online", ws_mem_numa_nodes());
	if (s->has_handoff) {   /* issue 15: handoff */
		tk_rec_u64(rec, "handoff_samples", s->handoff_total);
		tk_rec_dbl(rec, "handoff_p50_ns", s->handoff.p50);
		tk_rec_dbl(rec, "handoff_p99_ns", s->handoff.p99);
		tk_rec_dbl(rec, "handoff_p999_ns", s->handoff.p999);
		tk_rec_dbl(rec, "handoff_max_ns", s->handoff.max);
	}
	if (g >= 0)   /* issue 15: bench */
		ws_bench_group_json(rec, run, g);
	if (g < 0 && (scx = ws_scx_json(&run->scx)))
		json_object_object_add(rec, "scx", scx);
	return rec;
}

static const struct tk_table_col cols[] = {
	{ "GRP", true, 0 }, { "TYPE", false, 18 }, { "TID", true, 0 },
	{ "WORK_UNITS", true, 0 }, { "ITERS", true, 0 }, { "CPU_MS", true, 0 },
	{ "OFFCPU%", true, 0 }, { "MIGR", true, 0 }, { "CPUS", false, 16 },
	{ "GAP_MS", true, 0 }, { "WAKE_P99_US", true, 0 }, { "TIMER_P99_US", true, 0 },
	{ "RUNDELAY_MS", true, 0 }, { "STATUS", false, 24 },
};

static void table_plain(const struct ws_run *run)
{
	struct tk_table *t = tk_table_new(cols, TK_ARRAY_SIZE(cols));

	if (!t)
		return;
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_result *res = &run->results[i];
		const struct ws_report *r = &res->rep;
		struct tk_cpuset set;
		char cpus[64], st[64];

		memset(&set, 0, sizeof(set));
		for (uint32_t k = 0; k < r->ncpus; k++)
			tk_cpuset_set(&set, r->cpus_used[k]);
		tk_cpuset_format(&set, cpus, sizeof(cpus));
		ws_exit_info_str(r, st, sizeof(st));
		if (!*st)
			snprintf(st, sizeof(st), "%s", r->completed ? "ok" : "incomplete");
		tk_table_row(t);
		tk_table_cell(t, 0, "%u", r->group_idx);
		tk_table_cell(t, 1, "%s", type_name(res));
		tk_table_cell(t, 2, "%d", r->tid);
		tk_table_cell(t, 3, "%llu", (unsigned long long)r->work_units);
		tk_table_cell(t, 4, "%llu", (unsigned long long)r->iterations);
		tk_table_cell(t, 5, "%.1f", r->cpu_time_ns / 1e6);
		tk_table_cell(t, 6, "%.1f", res->offcpu_pct);
		tk_table_cell(t, 7, "%llu", (unsigned long long)r->migration_count);
		tk_table_cell(t, 8, "%s", *cpus ? cpus : "-");
		tk_table_cell(t, 9, "%llu", (unsigned long long)r->max_gap_ms);
		tk_table_cell(t, 10, r->wake.n ? "%.1f" : "-", res->res[WS_RES_WAKE].p99 / 1e3);
		tk_table_cell(t, 11, r->timer.n ? "%.1f" : "-", res->res[WS_RES_TIMER].p99 / 1e3);
		tk_table_cell(t, 12, "%.2f", r->run_delay_ns / 1e6);
		tk_table_cell(t, 13, "%s%s%s", st, r->affinity_error || r->sched_policy_error ?
			      " placement-error" : "", "");
	}
	tk_table_print(t, tk_out.out ? tk_out.out : stdout, true);
	tk_table_free(t);
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_report *r = &run->results[i].rep;

		if (r->affinity_error)
			tk_warn("worker %d: affinity_error: %s", r->tid, r->affinity_error);
		if (r->sched_policy_error)
			tk_warn("worker %d: sched_policy_error: %s", r->tid, r->sched_policy_error);
	}
}

/* Did the run ask for sched_ext (--policy ext, scx-events-clean)? */
static bool wants_scx(const struct ws_opts *o)
{
	for (unsigned g = 0; g < o->ngroups; g++)
		if (o->groups[g].pol.set && o->groups[g].pol.policy == WS_SCHED_EXT)
			return true;
	for (unsigned k = 0; k < o->nasserts; k++)
		if (o->asserts[k].kind == WS_A_SCX_EVENTS)
			return true;
	return false;
}

void ws_output(const struct ws_run *run)
{
	unsigned ngroups = run->o->ngroups;

	if (tk_out.fmt == TK_FMT_TEXT && !run->scx.t0.present && !run->scx.t1.present)
		tk_info(wants_scx(run->o) ? 0 : 1, "no sched_ext on this kernel (%s absent): the "
			"run summary has no scx fields", ws_scx_dir());
	if (tk_out.fmt == TK_FMT_TEXT)
		table_plain(run);
	else
		for (unsigned i = 0; i < run->nworkers && !tk_out.broken; i++)
			report_json(run, &run->results[i]);
	tk_output_hold();   /* the summaries: one pass (-o prom: one exposition) */
	for (unsigned g = 0; g < ngroups && !tk_out.broken; g++)
		tk_emit(summary_rec(run, g, &run->sums[g]));
	if (!tk_out.broken)
		tk_emit(summary_rec(run, -1, &run->sums[ngroups]));
	tk_output_release();
}
