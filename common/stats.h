/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * stats.h — descriptive statistics and sampling.
 *
 * Conventions: population stddev; CV % = stddev / mean * 100; nearest-rank
 * percentiles (rank = ceil(p/100 * n), 1-based, p in (0,100]); every derived
 * ratio is guarded: a zero, negative or non-finite denominator yields 0,
 * never NaN or Inf.
 */
#ifndef TELKIT_STATS_H
#define TELKIT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* a + b, clamped at UINT64_MAX. */
static inline uint64_t tk_sat_add_u64(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;
	return r < a ? UINT64_MAX : r;
}

/* a - b, clamped at 0 (counter deltas across a reset). */
static inline uint64_t tk_sat_sub_u64(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* num / den, or 0 when den is 0 or the result is not finite. */
double tk_ratio(double num, double den);
/* x, or 0 when x is NaN or +-Inf. */
double tk_finite_or_zero(double x);

/* Summary of a sample. All fields 0 for n == 0. */
struct tk_summary {
	size_t n;
	double mean, stddev, cv_pct;
	double min, max;
	double p50, p90, p99, p999;
};

/* Over doubles / u64s.  @v is not modified (a sorted copy is made). -ENOMEM or 0. */
int tk_summarize(const double *v, size_t n, struct tk_summary *s);
int tk_summarize_u64(const uint64_t *v, size_t n, struct tk_summary *s);

double tk_mean(const double *v, size_t n);
double tk_stddev_pop(const double *v, size_t n);
/* CV %; 0 when n < 2 or the mean is not finite and positive. */
double tk_cv_pct(const double *v, size_t n);
/* Nearest-rank percentile of an ascending-sorted array; 0 when n == 0. */
double tk_percentile_sorted(const double *sorted, size_t n, double p);
void tk_sort_double(double *v, size_t n);

/*
 * Algorithm-R reservoir sampling of u64 values: keeps a uniform sample of at
 * most @cap of everything offered, and the true count offered (@total,
 * saturating) and sum.
 */
#define TK_RESERVOIR_DEFAULT_CAP 100000
struct tk_reservoir {
	uint64_t *v;
	size_t cap, len;
	uint64_t total;     /* values offered, saturating */
	uint64_t sum;       /* sum of values offered, saturating */
	uint64_t rng;       /* xorshift64* state, never 0 */
};
/* @cap 0 means TK_RESERVOIR_DEFAULT_CAP; @seed 0 picks a fixed default. */
int tk_reservoir_init(struct tk_reservoir *r, size_t cap, uint64_t seed);
void tk_reservoir_add(struct tk_reservoir *r, uint64_t x);
void tk_reservoir_reset(struct tk_reservoir *r);
void tk_reservoir_free(struct tk_reservoir *r);

/* Uniform integer in [0, bound) from a xorshift64* state (bound > 0). */
uint64_t tk_rand_below(uint64_t *state, uint64_t bound);

#endif
