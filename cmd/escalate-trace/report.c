// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report.c — the TraceResult `event` record (paired _json/_plain printers)
 * and its `otlp` attribute object with the seed's keys and formats.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "array.h"
#include "clock.h"
#include "escalate.h"
#include "escape.h"
#include "figures.h"
#include "output.h"
#include "stats.h"
#include "table.h"

static const char *const bd_keys[ESC_CAT_NR] = {
	"mmap_us", "futex_us", "ioctl_us", "read_us", "write_us", "other_us",
};

static uint64_t round_u64(double x)
{
	x = tk_finite_or_zero(x);
	if (x <= 0)
		return 0;
	return x >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)llround(x);
}

void esc_event_finish(struct esc_event *e)
{
	e->budget_us = round_u64(e->v.budget_us);
	e->actual_us = round_u64(e->v.mean_us);
	esc_breakdown_build(e->tr.sc, e->tr.nsc, e->tr.thread_ns, &e->bd);
}

/* Detection's efficiency when a budget was known, else the seed's formula. */
static double event_efficiency(const struct esc_event *e)
{
	if (e->v.eff_valid)
		return e->v.efficiency;
	return e->actual_us ? (double)e->budget_us / (double)e->actual_us * 100.0 : 100.0;
}

static bool over_budget(const struct esc_event *e)
{
	return e->actual_us > e->budget_us;
}

static void add_str(struct json_object *o, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_str(struct json_object *o, const char *k, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_object_add(o, k, tk_json_str(buf));
}

struct json_object *esc_otlp_attrs(const struct esc_event *e)
{
	struct json_object *o = json_object_new_object();
	char key[32];

	json_object_object_add(o, "brick.name", tk_json_str(e->brick));
	add_str(o, "brick.budget_us", "%" PRIu64, e->budget_us);
	add_str(o, "brick.actual_us", "%" PRIu64, e->actual_us);
	add_str(o, "brick.efficiency", "%.1f", tk_finite_or_zero(event_efficiency(e)));
	add_str(o, "brick.over_budget", "%s", over_budget(e) ? "true" : "false");
	add_str(o, "escalation.reason", "%s", esc_reason_name(e->reason));
	add_str(o, "syscall.overhead_percent", "%.1f", e->bd.overhead_pct);
	add_str(o, "syscall.dominant", "%s", e->bd.dominant);
	for (int c = 0; c < ESC_CAT_NR; c++) {
		snprintf(key, sizeof(key), "syscall.%s", bd_keys[c]);
		tk_rec_u64(o, key, e->bd.cat_us[c]);
	}
	tk_rec_u64(o, "syscall.compute_us", e->bd.compute_us);
	tk_rec_u64(o, "syscall.total_us", e->bd.total_us);
	return o;
}

static struct json_object *breakdown_json(const struct esc_breakdown *b)
{
	struct json_object *o = json_object_new_object();

	for (int c = 0; c < ESC_CAT_NR; c++)
		tk_rec_u64(o, bd_keys[c], b->cat_us[c]);
	tk_rec_u64(o, "syscall_us", b->syscall_us);
	tk_rec_u64(o, "compute_us", b->compute_us);
	tk_rec_u64(o, "total_us", b->total_us);
	tk_rec_dbl(o, "overhead_percent", b->overhead_pct);
	tk_rec_u64(o, "calls", b->calls);
	tk_rec_u64(o, "errors", b->errors);
	return o;
}

/* What the --detect reasons were drawn from. */
static void robust_fields(struct json_object *rec, const struct esc_verdict *v,
			  enum esc_reason r)
{
	if (r == ESC_OUTLIER) {
		tk_rec_dbl(rec, "outlier_score", v->out_z);
		tk_rec_dbl(rec, "median_us", v->out_median);
		tk_rec_dbl(rec, "mad_us", v->out_mad);
	}
	if (r == ESC_CHANGE_POINT) {
		tk_rec_u64(rec, "change_index", v->cp_index);
		tk_rec_u64(rec, "segment_before", v->cp_n1);
		tk_rec_u64(rec, "segment_after", v->cp_n2);
		tk_rec_dbl(rec, "mean_before_us", v->cp_mean1);
		tk_rec_dbl(rec, "mean_after_us", v->cp_mean2);
		tk_rec_dbl(rec, "p_value", v->cp_p);
	}
}

static int report_event_json(const struct esc_event *e, unsigned top)
{
	struct json_object *rec = tk_record_new("event");
	const struct esc_trace_result *tr = &e->tr;
	char buf[32];

	tk_rec_str(rec, "event", "escalation");
	tk_rec_u64(rec, "seq", e->seq);
	tk_rec_str(rec, "brick_name", e->brick);
	tk_rec_str(rec, "reason", esc_reason_name(e->reason));
	tk_rec_str(rec, "reason_description", esc_reason_description(e->reason));
	tk_rec_u64(rec, "budget_us", e->budget_us);
	tk_rec_u64(rec, "actual_us", e->actual_us);
	tk_rec_dbl(rec, "mean_us", e->v.mean_us);
	tk_rec_dbl(rec, "cv", e->v.cv);
	tk_rec_dbl(rec, "efficiency", event_efficiency(e));
	tk_rec_bool(rec, "over_budget", over_budget(e));
	tk_rec_u64(rec, "samples", e->v.n);
	if (e->reason == ESC_MEMORY_CLIFF) {
		tk_rec_dbl(rec, "cliff_median", e->v.cliff_median);
		tk_rec_dbl(rec, "cliff_drop_percent", e->v.cliff_drop);
	}
	if (e->reason == ESC_GPU_TRANSFER)
		tk_rec_dbl(rec, "gpu_transfer_percent", e->v.gpu_pct);
	robust_fields(rec, &e->v, e->reason);
	tk_rec_i64(rec, "pid", tr->pid);
	tk_rec_bool(rec, "traced", tr->traced);
	tk_rec_bool(rec, "partial", tr->partial);
	if (tr->traced)
		tk_rec_str(rec, "hook", esc_hook_name(tr->hook));
	if (tr->error[0])
		tk_rec_str(rec, "trace_error", tr->error);
	tk_rec_u64(rec, "trace_start_ns", tr->start_real_ns);
	tk_rec_u64(rec, "window_us", tr->window_ns / 1000);
	tk_rec_u64(rec, "threads", tr->threads);
	tk_rec_u64(rec, "processes", tr->processes);
	tk_rec_u64(rec, "lost", tr->lost);
	tk_rec_u64(rec, "missed", tr->missed);
	json_object_object_add(rec, "breakdown", breakdown_json(&e->bd));
	tk_rec_str(rec, "dominant_syscall", e->bd.dominant);
	tk_rec_str(rec, "top_syscall", tr->nsc ?
		   esc_syscall_name(tr->sc[0].nr, buf, sizeof(buf)) : "none");
	json_object_object_add(rec, "syscalls", esc_figs_json(tr->sc, tr->nsc, &tr->all,
							      e->figs, top));
	if (e->figs) {
		tk_rec_u64(rec, "syscalls_lost", tr->sc_lost);
		if (e->figs->per_thread)
			json_object_object_add(rec, "thread_syscalls",
					       esc_figs_json(tr->all.rows, tr->all.n, &tr->all,
							     e->figs, top));
		if (e->figs->interval_ns)
			tk_rec_u64(rec, "intervals", tr->intervals);
	}
	json_object_object_add(rec, "otlp", esc_otlp_attrs(e));
	return tk_emit(rec);
}

static int report_event_plain(const struct esc_event *e, unsigned top)
{
	const struct esc_trace_result *tr = &e->tr;
	const struct esc_breakdown *b = &e->bd;
	FILE *f = tk_out.out ? tk_out.out : stdout;
	char name[ESC_NAME_MAX * 4 + 8], err[sizeof(tr->error) * 4];

	tk_escape_text(name, sizeof(name), e->brick);
	fprintf(f, "escalation #%" PRIu64 " brick=%s reason=%s pid=%d traced=%s partial=%s\n",
		e->seq, name, esc_reason_name(e->reason), (int)tr->pid,
		tr->traced ? "yes" : "no", tr->partial ? "yes" : "no");
	fprintf(f, "  cv=%.1f%% efficiency=%.1f%% budget_us=%" PRIu64 " actual_us=%" PRIu64
		" over_budget=%s samples=%zu\n", e->v.cv, tk_finite_or_zero(event_efficiency(e)),
		e->budget_us, e->actual_us, over_budget(e) ? "true" : "false", e->v.n);
	if (e->reason == ESC_OUTLIER)
		fprintf(f, "  outlier_score=%.2f median_us=%.3f mad_us=%.3f\n", e->v.out_z,
			e->v.out_median, e->v.out_mad);
	if (e->reason == ESC_CHANGE_POINT)
		fprintf(f, "  change_index=%" PRIu64 " segment_before=%zu segment_after=%zu "
			"mean_before_us=%.3f mean_after_us=%.3f p_value=%.3g\n", e->v.cp_index,
			e->v.cp_n1, e->v.cp_n2, e->v.cp_mean1, e->v.cp_mean2, e->v.cp_p);
	if (!tr->traced) {
		tk_escape_text(err, sizeof(err), tr->error);
		fprintf(f, "  not traced: %s\n", err);
		return tk_flush();
	}
	fprintf(f, "  window_us=%" PRIu64 " threads=%u total_us=%" PRIu64 " syscall_us=%" PRIu64
		" compute_us=%" PRIu64 " overhead=%.1f%% dominant=%s\n",
		tr->window_ns / 1000, tr->threads, b->total_us, b->syscall_us, b->compute_us,
		b->overhead_pct, b->dominant);
	fprintf(f, " ");
	for (int c = 0; c < ESC_CAT_NR; c++)
		fprintf(f, " %s=%" PRIu64, bd_keys[c], b->cat_us[c]);
	fputc('\n', f);
	esc_figs_print(f, tr, e->figs, top);
	return tk_flush();
}

int esc_report_event(const struct esc_event *e, unsigned top)
{
	if (tk_out.fmt != TK_FMT_TEXT)   /* -o prom: an event is not a metric, tk_emit drops it */
		return report_event_json(e, top);
	return report_event_plain(e, top);
}

static int report_interval_json(const struct esc_event *e, const struct esc_trace_result *iv,
				unsigned top)
{
	struct json_object *rec = tk_record_new("event");

	tk_rec_str(rec, "event", "interval");
	tk_rec_u64(rec, "seq", e->seq);
	tk_rec_str(rec, "brick_name", e->brick);
	tk_rec_i64(rec, "pid", iv->pid);
	tk_rec_u64(rec, "interval", iv->intervals);
	tk_rec_u64(rec, "interval_start_ns", iv->start_real_ns);
	tk_rec_u64(rec, "interval_us", iv->window_ns / 1000);
	tk_rec_u64(rec, "syscalls_lost", iv->sc_lost);
	json_object_object_add(rec, "syscalls", esc_figs_json(iv->sc, iv->nsc, &iv->all,
							      e->figs, top));
	if (e->figs && e->figs->per_thread)
		json_object_object_add(rec, "thread_syscalls",
				       esc_figs_json(iv->all.rows, iv->all.n, &iv->all, e->figs, top));
	return tk_emit(rec);
}

int esc_report_interval(const struct esc_event *e, const struct esc_trace_result *iv,
			unsigned top)
{
	FILE *f = tk_out.out ? tk_out.out : stdout;
	char name[ESC_NAME_MAX * 4 + 8];

	if (tk_out.fmt != TK_FMT_TEXT)
		return report_interval_json(e, iv, top);
	tk_escape_text(name, sizeof(name), e->brick);
	fprintf(f, "escalation #%" PRIu64 " brick=%s pid=%d interval %u (%.3fs)\n",
		e->seq, name, (int)iv->pid, iv->intervals, (double)iv->window_ns / 1e9);
	esc_figs_print(f, iv, e->figs, top);
	return tk_flush();
}

int esc_report_rate_limited(const char *brick, enum esc_reason r,
			    const struct esc_ratelimit *rl, uint64_t now_ns)
{
	struct json_object *rec = tk_record_new("event");
	uint64_t left = tk_sat_sub_u64(rl->start_ns + rl->interval_ns, now_ns);

	tk_rec_str(rec, "event", "rate_limited");
	tk_rec_str(rec, "brick_name", brick);
	tk_rec_str(rec, "reason", esc_reason_name(r));
	tk_rec_u64(rec, "limit", rl->max);
	tk_rec_u64(rec, "interval_ms", rl->interval_ns / TK_NSEC_PER_MSEC);
	tk_rec_u64(rec, "window_count", rl->count);
	tk_rec_u64(rec, "window_left_ms", left / TK_NSEC_PER_MSEC);
	tk_rec_u64(rec, "denied_total", rl->denied);
	return tk_emit(rec);
}
