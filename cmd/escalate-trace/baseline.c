// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * baseline.c — --baseline's per-brick comparison, and the run's two ends
 * (load at start, compare and --save-baseline at the end).  The file itself
 * is baselinefile.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "errors.h"
#include "output.h"
#include "robust.h"
#include "run.h"

static const char *const cmp_names[ESC_CMP_NR] = {
	"insufficient_data", "no_change", "regressed", "improved",
};

const char *esc_cmp_name(enum esc_cmp_verdict v)
{
	return (unsigned)v < ESC_CMP_NR ? cmp_names[v] : cmp_names[0];
}

/* The verdict of @cur against @base, and the record's comparison fields. */
static enum esc_cmp_verdict judge(const struct esc_brick_stats *base,
				  const struct esc_brick_stats *cur,
				  const struct esc_cmp_opts *o, struct json_object *rec)
{
	size_t min = o->min_samples > 2 ? o->min_samples : 2;
	double margin, half, lo, hi;
	struct esc_welch w;

	if (!base || !cur || base->n < min || cur->n < min || !(base->mean > 0))
		return ESC_CMP_INSUFFICIENT;
	esc_welch(base->n, base->mean, base->sd, cur->n, cur->mean, cur->sd, &w);
	half = w.se > 0 ? esc_welch_half_ci(&w, o->alpha) : 0;
	lo = 100.0 * (w.diff - half) / base->mean;
	hi = 100.0 * (w.diff + half) / base->mean;
	margin = o->noise_pct;
	tk_rec_dbl(rec, "change_percent", 100.0 * w.diff / base->mean);
	tk_rec_dbl(rec, "ci_low_percent", lo);
	tk_rec_dbl(rec, "ci_high_percent", hi);
	tk_rec_dbl(rec, "p_value", w.p);
	if (lo > margin)
		return ESC_CMP_REGRESSED;
	if (hi < -margin)
		return ESC_CMP_IMPROVED;
	return ESC_CMP_UNCHANGED;
}

static int emit_cmp(const struct esc_brick_stats *base, const struct esc_brick_stats *cur,
		    const struct esc_cmp_opts *o, uint64_t counts[ESC_CMP_NR])
{
	struct json_object *rec = tk_record_new("comparison");
	enum esc_cmp_verdict v;

	tk_rec_str(rec, "brick_name", cur ? cur->name : base->name);
	tk_rec_u64(rec, "n", cur ? cur->n : 0);
	tk_rec_dbl(rec, "mean_us", cur ? cur->mean : 0);
	tk_rec_dbl(rec, "sd_us", cur ? cur->sd : 0);
	tk_rec_u64(rec, "baseline_n", base ? base->n : 0);
	tk_rec_dbl(rec, "baseline_mean_us", base ? base->mean : 0);
	tk_rec_dbl(rec, "baseline_sd_us", base ? base->sd : 0);
	tk_rec_dbl(rec, "noise_percent", o->noise_pct);
	v = judge(base, cur, o, rec);
	/* the verdict last: after the figures it is drawn from */
	tk_rec_str(rec, "verdict", esc_cmp_name(v));
	counts[v]++;
	return tk_emit(rec);
}

int esc_baseline_compare(const struct esc_baseline *bl, const struct esc_brick_stats *st,
			 size_t n, const struct esc_cmp_opts *o, uint64_t counts[ESC_CMP_NR])
{
	size_t nb, i = 0, j = 0;
	const struct esc_brick_stats *b = esc_baseline_bricks(bl, &nb);
	int c, e, err = 0;

	/* every brick is judged and counted, even once stdout is gone */
	while (i < nb || j < n) {
		if (j < n && !st[j].n) {   /* no --value samples: not a brick to compare */
			j++;
			continue;
		}
		c = i == nb ? 1 : j == n ? -1 : strcmp(b[i].name, st[j].name);
		if (c < 0)
			e = emit_cmp(&b[i++], NULL, o, counts);
		else if (c > 0)
			e = emit_cmp(NULL, &st[j++], o, counts);
		else
			e = emit_cmp(&b[i++], &st[j++], o, counts);
		if (e && !err)
			err = e;
	}
	return err;
}

void esc_baseline_begin(struct esc_run *r)
{
	const char *path = r->env->baseline_path;
	char err[160];
	int e;

	if (!path)
		return;
	e = esc_baseline_load(path, r->env->max_bricks, &r->baseline, err, sizeof(err));
	if (e == -ENOMEM)
		tk_die(TK_EXIT_RUNTIME, NULL, "--baseline '%s': out of memory", path);
	if (e)
		tk_usage_error("give a file written by escalate-trace --save-baseline",
			       "--baseline '%s': %s", path, err);
}

int esc_baseline_end(struct esc_run *r)
{
	const struct esc_env *env = r->env;
	struct esc_cmp_opts o = { env->noise_pct, env->baseline_alpha, env->th.min_samples };
	struct esc_brick_stats *st = NULL;
	size_t n = 0;
	int e, rc = 0;

	if (!env->baseline_path && !env->save_baseline_path)
		return 0;
	if (esc_bricks_stats(r->bricks, &st, &n)) {
		tk_error(NULL, "out of memory");
		return TK_EXIT_RUNTIME;
	}
	if (r->baseline)
		esc_baseline_compare(r->baseline, st, n, &o, r->cmp);   /* -EPIPE: quiet */
	if (env->save_baseline_path) {
		e = esc_baseline_save(env->save_baseline_path, st, n);
		if (e) {
			tk_error("give a path in a writable directory",
				 "--save-baseline '%s': %s", env->save_baseline_path, strerror(-e));
			rc = TK_EXIT_RUNTIME;
		}
	}
	free(st);
	return rc;
}
