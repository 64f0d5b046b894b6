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

static struct json_object *syscalls_json(const struct esc_trace_result *tr, unsigned top)
{
	struct json_object *a = json_object_new_array();
	char buf[32];

	for (size_t i = 0; i < tr->nsc && i < top; i++) {
		struct json_object *o = json_object_new_object();

		tk_rec_str(o, "name", esc_syscall_name(tr->sc[i].nr, buf, sizeof(buf)));
		tk_rec_u64(o, "nr", tr->sc[i].nr);
		tk_rec_u64(o, "count", tr->sc[i].count);
		tk_rec_u64(o, "errors", tr->sc[i].errors);
		tk_rec_dbl(o, "time_us", (double)tr->sc[i].time_ns / 1000.0);
		json_object_array_add(a, o);
	}
	return a;
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
	json_object_object_add(rec, "syscalls", syscalls_json(tr, top));
	json_object_object_add(rec, "otlp", esc_otlp_attrs(e));
	return tk_emit(rec);
}

static void print_syscall_table(FILE *f, const struct esc_trace_result *tr, unsigned top)
{
	static const struct tk_table_col cols[] = {
		{ "SYSCALL", false, 24 }, { "COUNT", true, 0 }, { "ERRORS", true, 0 },
		{ "TIME_US", true, 0 }, { "AVG_US", true, 0 },
	};
	struct tk_table *t = tk_table_new(cols, TK_ARRAY_SIZE(cols));
	char buf[32];

	if (!t)
		return;
	for (size_t i = 0; i < tr->nsc && i < top; i++) {
		const struct esc_sc_stat *s = &tr->sc[i];

		tk_table_row(t);
		tk_table_cell(t, 0, "%s", esc_syscall_name(s->nr, buf, sizeof(buf)));
		tk_table_cell(t, 1, "%" PRIu64, s->count);
		tk_table_cell(t, 2, "%" PRIu64, s->errors);
		tk_table_cell(t, 3, "%.1f", (double)s->time_ns / 1000.0);
		tk_table_cell(t, 4, "%.3f", tk_ratio((double)s->time_ns / 1000.0, (double)s->count));
	}
	tk_table_print(t, f, true);
	tk_table_free(t);
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
	print_syscall_table(f, tr, top);
	return tk_flush();
}

int esc_report_event(const struct esc_event *e, unsigned top)
{
	if (tk_out.fmt == TK_FMT_JSON)
		return report_event_json(e, top);
	return report_event_plain(e, top);
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
