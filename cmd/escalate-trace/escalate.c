// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * escalate.c — one escalation: rate limiter, tracer, report, OTLP export;
 * and the run's final summary record.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "clock.h"
#include "errors.h"
#include "output.h"
#include "run.h"

static int tracer_get(struct esc_run *r, struct esc_tracer **t)
{
	int err;

	if (r->tracer) {
		*t = r->tracer;
		return 0;
	}
	if (r->tracer_failed)
		return -ENOTSUP;
	err = esc_tracer_open(&r->tracer, r->env->hook, tk_out.verbose);
	if (err) {
		r->tracer_failed = true;
		snprintf(r->tracer_error, sizeof(r->tracer_error), "loading BPF tracer (hook %s): %s",
			 esc_hook_name(r->env->hook), strerror(-err));
		tk_warn("%s; escalations are reported untraced (needs root and BTF)",
			r->tracer_error);
		return err;
	}
	*t = r->tracer;
	return 0;
}

struct interval_ctx {
	const struct esc_event *e;
	unsigned top;
};

/* -i: an interval record while the trace goes on. */
static int on_interval(void *arg, const struct esc_trace_result *iv)
{
	const struct interval_ctx *c = arg;

	return esc_report_interval(c->e, iv, c->top);
}

int esc_escalate(struct esc_run *r, const char *brick, const struct esc_verdict *v,
		 enum esc_reason reason, pid_t pid, uint64_t born_by_boot_ns, int ready_fd)
{
	struct esc_event e;
	struct interval_ctx ic = { &e, r->env->top };
	struct esc_tracer *t;
	uint64_t now = tk_now_mono_ns();
	int err;

	r->c.escalations++;
	if (!esc_rl_allow(&r->rl, now)) {
		r->c.rate_limited++;
		return esc_report_rate_limited(brick, reason, &r->rl, now);
	}
	memset(&e, 0, sizeof(e));
	snprintf(e.brick, sizeof(e.brick), "%s", brick);
	e.reason = reason;
	e.v = *v;
	e.seq = r->c.escalations;
	e.tr.pid = pid;
	/* the OTLP resource: read before the trace, while the pid is surely its */
	if (r->otlp && pid > 0 && born_by_boot_ns != ESC_ANY_PROCESS)
		esc_proc_identity(pid, born_by_boot_ns, &e.proc);
	e.figs = &r->env->figs;
	if (pid <= 0) {
		snprintf(e.tr.error, sizeof(e.tr.error), "no target process (give --pid)");
	} else if (tracer_get(r, &t)) {
		snprintf(e.tr.error, sizeof(e.tr.error), "%s", r->tracer_error);
	} else {
		esc_tracer_figures(t, &r->env->figs,
				   r->env->figs.interval_ns ? on_interval : NULL, &ic);
		err = esc_trace_run(t, pid, born_by_boot_ns, r->env->trace_ns, r->env->follow,
				    ready_fd, &e.tr);
		if (err)
			tk_info(1, "trace of pid %d: %s", (int)pid, e.tr.error);
	}
	/* our own child: what it exec'd, read while we have not reaped it */
	if (r->otlp && pid > 0 && born_by_boot_ns == ESC_ANY_PROCESS)
		esc_proc_identity(pid, born_by_boot_ns, &e.proc);
	if (e.tr.pid_reused)
		e.proc.valid = false;
	r->c.pid_reused += e.tr.pid_reused;
	if (e.tr.traced)
		r->c.traced++;
	else
		r->c.trace_failed++;
	esc_event_finish(&e);
	err = esc_report_event(&e, r->env->top);
	if (r->otlp)
		esc_otlp_submit(r->otlp, &e);
	esc_trace_result_free(&e.tr);
	return err;
}

int esc_report_summary(const struct esc_run *r, const struct esc_otlp_stats *os)
{
	struct json_object *rec = tk_record_new("summary");
	const struct esc_counts *c = &r->c;
	char key[48];

	tk_rec_u64(rec, "lines", c->lines);
	tk_rec_u64(rec, "records", c->records);
	tk_rec_u64(rec, "malformed_lines", c->malformed);
	tk_rec_u64(rec, "skipped_type", c->skipped_type);
	tk_rec_u64(rec, "skipped_samples", c->skipped_samples);
	for (int f = 0; f < ESC_F_NR; f++) {
		const char *name = esc_field_opt(f) + 2;

		if (!r->env->fields.key[f])
			continue;
		snprintf(key, sizeof(key), "missing_%s", name);
		tk_rec_u64(rec, key, c->missing[f]);
		snprintf(key, sizeof(key), "bad_%s", name);
		tk_rec_u64(rec, key, c->bad[f]);
	}
	tk_rec_u64(rec, "bricks", r->bricks ? esc_bricks_count(r->bricks) : 0);
	tk_rec_u64(rec, "bricks_dropped", c->bricks_dropped);
	tk_rec_u64(rec, "escalations", c->escalations);
	tk_rec_u64(rec, "traced", c->traced);
	tk_rec_u64(rec, "untraced", c->trace_failed);
	tk_rec_u64(rec, "rate_limited", c->rate_limited);
	tk_rec_u64(rec, "suppressed", r->bricks ? esc_bricks_suppressed(r->bricks) : 0);
	tk_rec_u64(rec, "pid_reused", c->pid_reused);
	if (r->env->exec_cmd)
		tk_rec_u64(rec, "exec_failures", c->exec_failures);
	if (r->baseline) {
		static const enum esc_cmp_verdict order[] = { ESC_CMP_REGRESSED, ESC_CMP_IMPROVED,
			ESC_CMP_UNCHANGED, ESC_CMP_INSUFFICIENT };

		for (size_t i = 0; i < TK_ARRAY_SIZE(order); i++)
			tk_rec_u64(rec, esc_cmp_name(order[i]), r->cmp[order[i]]);
	}
	if (os) {
		tk_rec_u64(rec, "otlp_sent", os->sent);
		tk_rec_u64(rec, "otlp_retried", os->retried);
		tk_rec_u64(rec, "otlp_failed", os->failed);
		tk_rec_u64(rec, "otlp_dropped", os->dropped);
		tk_rec_u64(rec, "otlp_too_large", os->too_large);
		tk_rec_u64(rec, "otlp_rejected_spans", os->rejected_spans);
		tk_rec_u64(rec, "otlp_rejected_log_records", os->rejected_logs);
	}
	return tk_emit(rec);
}
