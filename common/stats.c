// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

double tk_finite_or_zero(double x)
{
	return isfinite(x) ? x : 0.0;
}

double tk_ratio(double num, double den)
{
	if (!isfinite(den) || den == 0.0)
		return 0.0;
	return tk_finite_or_zero(num / den);
}

double tk_mean(const double *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return tk_ratio(sum, (double)n);
}

double tk_stddev_pop(const double *v, size_t n)
{
	double mean = tk_mean(v, n), ss = 0;

	for (size_t i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	return tk_finite_or_zero(sqrt(tk_ratio(ss, (double)n)));
}

double tk_cv_pct(const double *v, size_t n)
{
	double mean = tk_mean(v, n);

	if (n < 2 || !(mean > 0))
		return 0.0;
	/* 100*sd/mean, not (sd/mean)*100: exact thresholds (85,115 -> 15.0) stay exact */
	return tk_ratio(tk_stddev_pop(v, n) * 100.0, mean);
}

static size_t nearest_rank(size_t n, double p)
{
	double x = p / 100.0 * (double)n, r = ceil(x);

	/* 0.999 * 1000 is 999.0000000000001 in binary: do not round that up */
	if (r - x > 1 - 1e-9)
		r = floor(x);

	if (!(r >= 1))
		return 0;
	if (r > (double)n)
		return n - 1;
	return (size_t)r - 1;
}

double tk_percentile_sorted(const double *sorted, size_t n, double p)
{
	return n ? sorted[nearest_rank(n, p)] : 0.0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void tk_sort_double(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

int tk_summarize(const double *v, size_t n, struct tk_summary *s)
{
	double *sorted;

	memset(s, 0, sizeof(*s));
	if (!n)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, v, n * sizeof(*sorted));
	tk_sort_double(sorted, n);
	s->n = n;
	s->mean = tk_mean(sorted, n);
	s->stddev = tk_stddev_pop(sorted, n);
	s->cv_pct = tk_cv_pct(sorted, n);
	s->min = sorted[0];
	s->max = sorted[n - 1];
	s->p50 = tk_percentile_sorted(sorted, n, 50);
	s->p90 = tk_percentile_sorted(sorted, n, 90);
	s->p99 = tk_percentile_sorted(sorted, n, 99);
	s->p999 = tk_percentile_sorted(sorted, n, 99.9);
	free(sorted);
	return 0;
}

int tk_summarize_u64(const uint64_t *v, size_t n, struct tk_summary *s)
{
	double *d;
	int err;

	memset(s, 0, sizeof(*s));
	if (!n)
		return 0;
	d = malloc(n * sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		d[i] = (double)v[i];
	err = tk_summarize(d, n, s);
	free(d);
	return err;
}

static uint64_t xorshift64s(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

uint64_t tk_rand_below(uint64_t *state, uint64_t bound)
{
	/* Lemire-free rejection: discard the biased top slice. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound, x;

	do
		x = xorshift64s(state);
	while (x >= limit);
	return x % bound;
}

int tk_reservoir_init(struct tk_reservoir *r, size_t cap, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap ? cap : TK_RESERVOIR_DEFAULT_CAP;
	r->v = malloc(r->cap * sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	r->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
	return 0;
}

void tk_reservoir_add(struct tk_reservoir *r, uint64_t x)
{
	r->total = tk_sat_add_u64(r->total, 1);
	r->sum = tk_sat_add_u64(r->sum, x);
	if (r->len < r->cap) {
		r->v[r->len++] = x;
		return;
	}
	/* Algorithm R: keep item #total with probability cap/total. */
	uint64_t j = tk_rand_below(&r->rng, r->total);

	if (j < r->cap)
		r->v[j] = x;
}

void tk_reservoir_reset(struct tk_reservoir *r)
{
	r->len = 0;
	r->total = 0;
	r->sum = 0;
}

void tk_reservoir_free(struct tk_reservoir *r)
{
	free(r->v);
	r->v = NULL;
	r->cap = r->len = 0;
}
