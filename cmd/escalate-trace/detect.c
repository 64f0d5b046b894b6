// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * detect.c — per-brick sliding windows and the escalation rules: the
 * seed's, the --min-samples floor, the robust detectors of --detect
 * (robust.c), then per-brick --for and --cooldown; and the whole-run
 * statistics of each brick that baselines are made of.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "escalate.h"
#include "robust.h"
#include "stats.h"
#include "winsum.h"

struct brick {
	char name[ESC_NAME_MAX];
	double *val;          /* ring of the last `window` values (µs) */
	double *cliff;        /* ring of the last `window` cliff-field values */
	size_t nval, ival;    /* filled slots, next slot */
	size_t ncliff, icliff;
	struct esc_sorted cliff_sorted;  /* the cliff ring's values in order (first use) */
	struct esc_sorted sorted;  /* --detect outlier: the ring's values in order */
	struct esc_winsum sums;    /* the ring's running sums: quiet windows in O(1) */
	uint64_t streak;      /* consecutive samples whose condition held (--for) */
	uint64_t fired_ns;    /* CLOCK_MONOTONIC of the last escalation (--cooldown) */
	bool fired;
	uint64_t n;           /* whole run: value samples (Welford) */
	double mean, m2, min, max;
};

struct esc_bricks {
	struct esc_thresholds t;
	struct brick **slot;  /* open addressing, power of two */
	size_t nslots, count, max;
	double *scratch;      /* median sort buffer (t->exact) */
	uint64_t suppressed;
};

static const char *const reason_names[] = {
	"none", "cv_exceeded", "efficiency_low", "both", "memory_cliff",
	"gpu_transfer_overhead", "manual", "outlier", "change_point",
};
static const char *const reason_desc[] = {
	"No escalation",
	"CV exceeded threshold (unstable performance)",
	"Efficiency below threshold",
	"Both CV exceeded and efficiency low",
	"Memory cliff detected (sudden drop)",
	"GPU transfer overhead exceeded threshold",
	"Manual escalation requested",
	"Sample far above the median of its window (modified z-score)",
	"Significant mean shift within the window (change point)",
};

const char *esc_reason_name(enum esc_reason r)
{
	return (unsigned)r < ESC_REASON_NR ? reason_names[r] : "none";
}

const char *esc_reason_description(enum esc_reason r)
{
	return (unsigned)r < ESC_REASON_NR ? reason_desc[r] : reason_desc[0];
}

struct esc_bricks *esc_bricks_new(const struct esc_thresholds *t, size_t max_bricks)
{
	struct esc_bricks *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->t = *t;
	b->max = max_bricks;
	b->nslots = 64;
	while (b->nslots < max_bricks * 2)
		b->nslots <<= 1;
	b->slot = calloc(b->nslots, sizeof(*b->slot));
	b->scratch = calloc(t->window, sizeof(double));
	if (!b->slot || !b->scratch) {
		esc_bricks_free(b);
		return NULL;
	}
	return b;
}

void esc_bricks_free(struct esc_bricks *b)
{
	if (!b)
		return;
	for (size_t i = 0; b->slot && i < b->nslots; i++) {
		if (!b->slot[i])
			continue;
		free(b->slot[i]->val);
		free(b->slot[i]->cliff);
		esc_sorted_free(&b->slot[i]->sorted);
		esc_sorted_free(&b->slot[i]->cliff_sorted);
		free(b->slot[i]);
	}
	free(b->slot);
	free(b->scratch);
	free(b);
}

size_t esc_bricks_count(const struct esc_bricks *b)
{
	return b->count;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int find_brick(struct esc_bricks *b, const char *name, struct brick **out)
{
	size_t i = fnv1a(name) & (b->nslots - 1);
	struct brick *k;

	for (; b->slot[i]; i = (i + 1) & (b->nslots - 1)) {
		if (!strcmp(b->slot[i]->name, name)) {
			*out = b->slot[i];
			return 0;
		}
	}
	if (b->count >= b->max)
		return -ENOSPC;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->val = calloc(b->t.window, sizeof(double));
	k->cliff = calloc(b->t.window, sizeof(double));
	if (!k->val || !k->cliff ||
	    ((b->t.detect & ESC_DETECT_OUTLIER) && esc_sorted_init(&k->sorted, b->t.window))) {
		free(k->val);
		free(k->cliff);
		esc_sorted_free(&k->sorted);
		free(k);
		return -ENOMEM;
	}
	snprintf(k->name, sizeof(k->name), "%s", name);
	b->slot[i] = k;
	b->count++;
	*out = k;
	return 0;
}

static void ring_push(double *ring, size_t cap, size_t *n, size_t *i, double x)
{
	ring[*i] = x;
	if (++*i == cap)
		*i = 0;
	if (*n < cap)
		(*n)++;
}

/*
 * Median of @n values (mean of the two middle ones when n is even), sorting
 * a copy: the cliff rule's computation with t->exact (the differential
 * test's oracle); otherwise the ring's sorted copy gives it in O(1).  Both
 * sort the same values, so they differ at most in the sign of a zero
 * median, which the rule neither uses (it needs a median > 0) nor reports.
 */
static double median(double *scratch, const double *v, size_t n)
{
	memcpy(scratch, v, n * sizeof(double));
	tk_sort_double(scratch, n);
	return n % 2 ? scratch[n / 2] : (scratch[n / 2 - 1] + scratch[n / 2]) / 2;
}

/* tk_stddev_pop() given the mean already computed (one pass less per sample). */
static double pop_sd(const double *v, size_t n, double mean)
{
	double ss = 0;

	for (size_t i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	return tk_finite_or_zero(sqrt(tk_ratio(ss, (double)n)));
}

/* The rule on plain numbers: which thresholds @v crosses. */
static enum esc_reason classify(const struct esc_thresholds *t, const struct esc_verdict *v)
{
	bool enough = v->n >= t->min_samples;   /* computed and shown, but no verdict below */
	bool cv = enough && v->cv_valid && v->cv > t->cv;
	bool eff = enough && v->eff_valid && v->efficiency < t->efficiency;

	if (cv && eff)
		return ESC_BOTH;
	if (cv)
		return ESC_CV_EXCEEDED;
	if (eff)
		return ESC_EFFICIENCY_LOW;
	if (v->cliff_valid && v->cliff_drop > t->cliff)
		return ESC_MEMORY_CLIFF;
	if (v->gpu_valid && v->gpu_pct > t->gpu)
		return ESC_GPU_TRANSFER;
	return ESC_NONE;
}

/* Whole-run mean and variance (Welford), minimum and maximum. */
static void run_stats_add(struct brick *k, double x)
{
	double d = x - k->mean;

	k->n++;
	k->mean += d / (double)k->n;
	k->m2 += d * (x - k->mean);
	if (k->n == 1 || x < k->min)
		k->min = x;
	if (k->n == 1 || x > k->max)
		k->max = x;
}

/* The seed's CV and efficiency on the window (the new sample included). */
static void value_rules(const struct esc_thresholds *t, struct brick *k,
			const struct esc_sample *s, struct esc_verdict *v)
{
	double sd;

	v->n = k->nval;
	v->mean_us = tk_mean(k->val, k->nval);
	sd = pop_sd(k->val, k->nval, v->mean_us);
	/* 100*sd/mean, not sd/mean*100: keeps 15/100 at exactly 15.0 */
	if (k->nval >= 2 && isfinite(v->mean_us) && v->mean_us > 0) {
		v->cv = tk_ratio(100.0 * sd, v->mean_us);
		v->cv_valid = true;
	}
	if (s->st[ESC_F_BUDGET] == ESC_FS_OK && isfinite(v->mean_us)) {
		v->budget_us = s->budget_us;
		v->efficiency = v->mean_us > 0 ?
			tk_ratio(100.0 * s->budget_us, v->mean_us) : 100.0;
		v->eff_valid = true;
	}
}

/*
 * The ring's running sums after @x was pushed (@old evicted when @evict);
 * rebuilt from the ring, shifted by @x, every `window` updates (O(1)
 * amortised, and the drift bound stays small).
 */
static void sums_update(const struct esc_thresholds *t, struct brick *k, bool evict,
			double old, double x)
{
	if (k->nval == 1 || k->sums.ops >= t->window)
		esc_winsum_rebuild(&k->sums, k->val, k->nval, x);
	else
		esc_winsum_update(&k->sums, evict, old, x);
}

/*
 * True when value_rules() could be skipped: neither the CV nor the
 * efficiency rule can fire on this window (too few samples, or the running
 * sums prove it, winsum.h).  Never with t->exact.
 */
static bool value_quiet(const struct esc_thresholds *t, const struct brick *k,
			const struct esc_sample *s)
{
	if (t->exact)
		return false;
	if (k->nval < t->min_samples)
		return true;
	return esc_winsum_quiet(&k->sums, k->nval, t->cv, s->st[ESC_F_BUDGET] == ESC_FS_OK,
				s->budget_us, t->efficiency);
}

/* The cliff ring's sorted copy, made at the brick's first cliff sample. */
static int cliff_sorted(const struct esc_thresholds *t, struct brick *k)
{
	if (t->exact || k->cliff_sorted.v)
		return 0;
	return esc_sorted_init(&k->cliff_sorted, t->window);
}

/* --detect outlier: @x against the window before it (the sorted copy). */
static void outlier_rule(const struct esc_thresholds *t, struct brick *k, double x,
			 struct esc_verdict *v)
{
	bool evict = k->nval == t->window;
	/* a MAD of few values varies too much: twice the floor of the others */
	size_t need = 2 * t->min_samples < t->window ? 2 * t->min_samples : t->window;

	if (k->nval >= need && k->nval >= 2)
		v->out_valid = !esc_modified_z(&k->sorted, x, &v->out_median, &v->out_mad,
					       &v->out_z);
	esc_sorted_push(&k->sorted, evict, evict ? k->val[k->ival] : 0, x);
}

static size_t change_min_seg(const struct esc_thresholds *t)
{
	return t->min_samples > 2 ? t->min_samples : 2;
}

/* Does change_rule() test this sample (it needs the exact window mean)? */
static bool change_due(const struct esc_thresholds *t, const struct brick *k)
{
	return (t->detect & ESC_DETECT_CHANGE) && !(k->n % (change_min_seg(t) / 2));
}

/*
 * --detect change_point over the window, current sample included.  One
 * O(window) pass, so it runs on every (min_seg / 2)-th sample of the brick:
 * the split found is the same, a shift is reported a few samples later.
 */
static void change_rule(const struct esc_thresholds *t, struct brick *k, struct esc_verdict *v)
{
	size_t min_seg = change_min_seg(t);
	size_t start = k->nval == t->window ? k->ival : 0;
	struct esc_change c;

	if (esc_change_point(k->val, t->window, start, k->nval, v->mean_us, min_seg, &c) ||
	    c.at_edge)
		return;
	v->cp_index = k->n - k->nval + c.split;
	v->cp_n1 = c.n1;
	v->cp_n2 = c.n2;
	v->cp_mean1 = c.mean1;
	v->cp_mean2 = c.mean2;
	v->cp_p = c.p;
	v->cp_valid = true;
}

/* The seed's rules first; the robust ones (when on) only if none of them fires. */
static enum esc_reason robust_classify(const struct esc_thresholds *t,
				       const struct esc_verdict *v)
{
	enum esc_reason r = classify(t, v);

	if (r != ESC_NONE)
		return r;
	if (v->out_valid && v->out_z > t->outlier_z)
		return ESC_OUTLIER;
	if (v->cp_valid && v->cp_p < t->alpha && v->cp_mean2 > v->cp_mean1)
		return ESC_CHANGE_POINT;
	return ESC_NONE;
}

/* --for and --cooldown: does the brick's firing condition escalate now? */
static void gate(struct esc_bricks *b, struct brick *k, struct esc_verdict *v)
{
	uint64_t now;

	if (v->reason == ESC_NONE) {
		k->streak = 0;
		return;
	}
	if (k->streak < UINT64_MAX)
		k->streak++;
	if (k->streak < b->t.hold) {
		v->pending = true;
		v->reason = ESC_NONE;
		return;
	}
	if (!b->t.cooldown_ns)
		return;
	now = tk_now_mono_ns();
	if (k->fired && now - k->fired_ns < b->t.cooldown_ns) {
		b->suppressed++;
		v->suppressed = true;
		v->reason = ESC_NONE;
		return;
	}
	k->fired = true;
	k->fired_ns = now;
}

int esc_detect(struct esc_bricks *b, const struct esc_sample *s, struct esc_verdict *v)
{
	const struct esc_thresholds *t = &b->t;
	size_t min_prev = t->min_samples > 3 ? t->min_samples - 1 : 2;
	bool deferred = false;   /* value_rules() skipped: the window is quiet */
	struct brick *k;
	int err;

	memset(v, 0, sizeof(*v));
	err = find_brick(b, s->name, &k);
	if (!err && s->st[ESC_F_CLIFF] == ESC_FS_OK)
		err = cliff_sorted(t, k);
	if (err)
		return err;

	if (s->st[ESC_F_VALUE] == ESC_FS_OK) {
		bool evict = k->nval == t->window;
		double old = k->val[k->ival];

		if (t->detect & ESC_DETECT_OUTLIER)
			outlier_rule(t, k, s->value_us, v);
		ring_push(k->val, t->window, &k->nval, &k->ival, s->value_us);
		run_stats_add(k, s->value_us);
		sums_update(t, k, evict, old, s->value_us);
		v->n = k->nval;
		deferred = value_quiet(t, k, s);
		if (!deferred)
			value_rules(t, k, s, v);
		if (change_due(t, k)) {
			if (deferred)   /* the change point needs the mean: value_rules()'s */
				v->mean_us = tk_mean(k->val, k->nval);
			change_rule(t, k, v);
		}
	}
	if (s->st[ESC_F_CLIFF] == ESC_FS_OK) {
		if (k->ncliff >= min_prev) {
			v->cliff_median = t->exact ? median(b->scratch, k->cliff, k->ncliff) :
				esc_sorted_median(&k->cliff_sorted);
			if (v->cliff_median > 0) {
				v->cliff_drop = tk_ratio(100.0 * (v->cliff_median - s->cliff),
							 v->cliff_median);
				v->cliff_valid = true;
			}
		}
		if (!t->exact)
			esc_sorted_push(&k->cliff_sorted, k->ncliff == t->window,
					k->cliff[k->icliff], s->cliff);
		ring_push(k->cliff, t->window, &k->ncliff, &k->icliff, s->cliff);
	}
	if (s->st[ESC_F_GPU] == ESC_FS_OK) {
		v->gpu_pct = s->gpu_pct;
		v->gpu_valid = true;
	}
	v->reason = robust_classify(t, v);
	gate(b, k, v);
	/* the record reports the window's figures: the same two-pass ones */
	if (deferred && v->reason != ESC_NONE)
		value_rules(t, k, s, v);
	return 0;
}

uint64_t esc_bricks_suppressed(const struct esc_bricks *b)
{
	return b->suppressed;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct esc_brick_stats *)a)->name,
		      ((const struct esc_brick_stats *)b)->name);
}

int esc_bricks_stats(const struct esc_bricks *b, struct esc_brick_stats **out, size_t *n)
{
	struct esc_brick_stats *st = calloc(b->count ? b->count : 1, sizeof(*st));
	size_t j = 0;

	if (!st)
		return -ENOMEM;
	for (size_t i = 0; i < b->nslots; i++) {
		const struct brick *k = b->slot[i];

		if (!k)
			continue;
		st[j] = (struct esc_brick_stats){
			.name = k->name, .n = k->n, .mean = k->mean, .min = k->min, .max = k->max,
			.sd = k->n > 1 ? sqrt(k->m2 / (double)(k->n - 1)) : 0,
		};
		j++;
	}
	qsort(st, j, sizeof(*st), by_name);
	*out = st;
	*n = j;
	return 0;
}
