// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * account.c — one stdin line accounted: field problems counted and reported
 * once per field, detection per brick, escalation.
 */
#include <errno.h>

#include "account.h"
#include "errors.h"
#include "proc.h"

static const char *const problem_text[] = {
	[ESC_FS_MISSING] = "missing", [ESC_FS_BAD] = "not a finite non-negative number",
};

/*
 * Count field problems; warn once per field.  --strict makes them fatal:
 * the error is printed and -EBADMSG returned, so that the caller stops its
 * threads before exiting 2.
 */
static int note_fields(struct esc_run *r, const struct esc_sample *s)
{
	for (int f = 0; f < ESC_F_NR; f++) {
		enum esc_field_status st = s->st[f];
		const char *key = r->env->fields.key[f];
		uint64_t *cnt;

		if (st != ESC_FS_MISSING && st != ESC_FS_BAD)
			continue;
		cnt = st == ESC_FS_MISSING ? &r->c.missing[f] : &r->c.bad[f];
		if (r->env->strict) {
			tk_error("fix the input or drop --strict",
				 "stdin line %llu: field '%s' (%s) %s",
				 (unsigned long long)r->c.lines, key, esc_field_opt(f),
				 f == ESC_F_NAME && st == ESC_FS_BAD ?
				 "is not a non-empty string or integer" : problem_text[st]);
			return -EBADMSG;
		}
		if (!r->c.missing[f] && !r->c.bad[f])
			tk_warn("stdin line %llu: field '%s' (%s) %s; further problems "
				"with this field are only counted (see the summary)",
				(unsigned long long)r->c.lines, key, esc_field_opt(f),
				problem_text[st]);
		(*cnt)++;
	}
	return 0;
}

static int note_malformed(struct esc_run *r, bool too_long)
{
	if (r->env->strict) {
		tk_error("fix the input or drop --strict",
			 "stdin line %llu: %s", (unsigned long long)r->c.lines,
			 too_long ? "line longer than --max-line" : "not one JSON object");
		return -EBADMSG;
	}
	if (!r->c.malformed)
		tk_warn("stdin line %llu: %s; further malformed lines are only counted",
			(unsigned long long)r->c.lines,
			too_long ? "line longer than --max-line" : "not one JSON object");
	r->c.malformed++;
	return 0;
}

int esc_line_done(struct esc_run *r, bool too_long, enum esc_line_status ls,
		  struct esc_sample *s, uint64_t read_boot)
{
	struct esc_env *env = r->env;
	struct esc_verdict v;
	int err;

	r->c.lines++;
	if (too_long || ls == ESC_LINE_MALFORMED)
		return note_malformed(r, too_long);
	if (ls == ESC_LINE_SKIPPED) {
		r->c.skipped_type++;
		return 0;
	}
	r->c.records++;
	if (note_fields(r, s))
		return -EBADMSG;
	if (s->st[ESC_F_NAME] != ESC_FS_OK ||
	    (s->st[ESC_F_VALUE] != ESC_FS_OK && s->st[ESC_F_CLIFF] != ESC_FS_OK &&
	     s->st[ESC_F_GPU] != ESC_FS_OK)) {
		r->c.skipped_samples++;
		return 0;
	}
	if (env->have_budget_us) {
		s->budget_us = env->budget_us;
		s->st[ESC_F_BUDGET] = ESC_FS_OK;
	}
	err = esc_detect(r->bricks, s, &v);
	if (err == -ENOSPC) {
		if (!r->c.bricks_dropped++)
			tk_warn("more than %zu bricks: samples of new bricks are dropped "
				"(raise --max-bricks)", env->max_bricks);
		return 0;
	}
	if (err)
		return err;
	if (v.reason == ESC_NONE)
		return 0;
	if (s->st[ESC_F_PID] == ESC_FS_OK)
		return esc_escalate(r, s->name, &v, v.reason, (pid_t)s->pid,
				    tk_record_boot_ns(s->ts_ns, read_boot), -1);
	return esc_escalate(r, s->name, &v, v.reason, env->pid, env->start_boot_ns, -1);
}
