// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * detect.c — per-brick sliding windows and the escalation rules.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalate.h"
#include "stats.h"

struct brick {
	char name[ESC_NAME_MAX];
	double *val;          /* ring of the last `window` values (µs) */
	double *cliff;        /* ring of the last `window` cliff-field values */
	size_t nval, ival;    /* filled slots, next slot */
	size_t ncliff, icliff;
};

struct esc_bricks {
	struct esc_thresholds t;
	struct brick **slot;  /* open addressing, power of two */
	size_t nslots, count, max;
	double *scratch;      /* median sort buffer */
};

static const char *const reason_names[] = {
	"none", "cv_exceeded", "efficiency_low", "both", "memory_cliff",
	"gpu_transfer_overhead", "manual",
};
static const char *const reason_desc[] = {
	"No escalation",
	"CV exceeded threshold (unstable performance)",
	"Efficiency below threshold",
	"Both CV exceeded and efficiency low",
	"Memory cliff detected (sudden drop)",
	"GPU transfer overhead exceeded threshold",
	"Manual escalation requested",
};

const char *esc_reason_name(enum esc_reason r)
{
	return (unsigned)r <= ESC_MANUAL ? reason_names[r] : "none";
}

const char *esc_reason_description(enum esc_reason r)
{
	return (unsigned)r <= ESC_MANUAL ? reason_desc[r] : reason_desc[0];
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
	if (!k->val || !k->cliff) {
		free(k->val);
		free(k->cliff);
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
	*i = (*i + 1) % cap;
	if (*n < cap)
		(*n)++;
}

/* Median of @n values (mean of the two middle ones when n is even). */
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
	bool cv = v->cv_valid && v->cv > t->cv;
	bool eff = v->eff_valid && v->efficiency < t->efficiency;

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

int esc_detect(struct esc_bricks *b, const struct esc_sample *s, struct esc_verdict *v)
{
	const struct esc_thresholds *t = &b->t;
	struct brick *k;
	double sd;
	int err;

	memset(v, 0, sizeof(*v));
	err = find_brick(b, s->name, &k);
	if (err)
		return err;

	if (s->st[ESC_F_VALUE] == ESC_FS_OK) {
		ring_push(k->val, t->window, &k->nval, &k->ival, s->value_us);
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
	if (s->st[ESC_F_CLIFF] == ESC_FS_OK) {
		if (k->ncliff >= 2) {
			v->cliff_median = median(b->scratch, k->cliff, k->ncliff);
			if (v->cliff_median > 0) {
				v->cliff_drop = tk_ratio(100.0 * (v->cliff_median - s->cliff),
							 v->cliff_median);
				v->cliff_valid = true;
			}
		}
		ring_push(k->cliff, t->window, &k->ncliff, &k->icliff, s->cliff);
	}
	if (s->st[ESC_F_GPU] == ESC_FS_OK) {
		v->gpu_pct = s->gpu_pct;
		v->gpu_valid = true;
	}
	v->reason = classify(t, v);
	return 0;
}
