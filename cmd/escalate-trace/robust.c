// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * robust.c — median/MAD over a sorted window, the modified z-score, a
 * CUSUM change point held to Welch's t-test, and Welch's test itself
 * (t distribution from GSL).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "robust.h"

int esc_sorted_init(struct esc_sorted *s, size_t cap)
{
	s->v = calloc(cap, sizeof(double));
	s->n = 0;
	s->cap = cap;
	return s->v ? 0 : -ENOMEM;
}

void esc_sorted_free(struct esc_sorted *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* First index whose value is >= x. */
static size_t lower_bound(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void esc_sorted_push(struct esc_sorted *s, bool evict, double old, double x)
{
	size_t i;

	if (evict && s->n) {
		i = lower_bound(s->v, s->n, old);
		if (i == s->n)
			i--;
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(double));
		s->n--;
	}
	if (s->n == s->cap)
		return;
	i = lower_bound(s->v, s->n, x);
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(double));
	s->v[i] = x;
	s->n++;
}

static double median_sorted(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double esc_sorted_median(const struct esc_sorted *s)
{
	return median_sorted(s->v, s->n);
}

/*
 * The absolute deviations from the median m form two ascending runs:
 * A(j) = m - v[lo - j] (j <= lo) and B(j) = v[lo + 1 + j] - m.  Their k-th
 * smallest (0-based) element is found by bisection in O(log n).
 */
struct devs {
	const double *v;
	size_t lo, a, b;
	double m;
};

static double dev_a(const struct devs *d, size_t j) { return d->m - d->v[d->lo - j]; }
static double dev_b(const struct devs *d, size_t j) { return d->v[d->lo + 1 + j] - d->m; }

static double dev_kth(const struct devs *d, size_t k)
{
	size_t need = k + 1;
	size_t ilo = need > d->b ? need - d->b : 0, ihi = need < d->a ? need : d->a;
	size_t i, j;
	double x = -INFINITY;

	while (ilo < ihi) {
		i = ilo + (ihi - ilo) / 2;
		j = need - i;
		if (j > 0 && dev_a(d, i) < dev_b(d, j - 1))
			ilo = i + 1;
		else
			ihi = i;
	}
	i = ilo;
	j = need - i;
	if (i > 0)
		x = dev_a(d, i - 1);
	if (j > 0 && dev_b(d, j - 1) > x)
		x = dev_b(d, j - 1);
	return x;
}

int esc_modified_z(const struct esc_sorted *s, double x, double *median,
		   double *mad, double *z)
{
	size_t n = s->n;
	struct devs d;
	double mean_ad = 0;

	if (!n)
		return -EDOM;
	d.v = s->v;
	d.m = median_sorted(s->v, n);
	d.lo = (n - 1) / 2;
	d.a = d.lo + 1;
	d.b = n - d.a;
	*median = d.m;
	*mad = n % 2 ? dev_kth(&d, n / 2) : (dev_kth(&d, n / 2 - 1) + dev_kth(&d, n / 2)) / 2;
	if (*mad > 0) {
		*z = 0.6745 * (x - d.m) / *mad;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		mean_ad += fabs(s->v[i] - d.m);
	mean_ad /= (double)n;
	if (!(mean_ad > 0))
		return -EDOM;
	*z = (x - d.m) / (1.253314 * mean_ad);
	return 0;
}

/* diff, se, df and t of Welch's test; false when se is 0 (p then needs no tail). */
static bool welch_t(size_t n1, double mean1, double sd1, size_t n2, double mean2, double sd2,
		    struct esc_welch *w)
{
	double v1 = sd1 * sd1 / (double)n1, v2 = sd2 * sd2 / (double)n2;
	double den = v1 * v1 / (double)(n1 - 1) + v2 * v2 / (double)(n2 - 1);

	w->diff = mean2 - mean1;
	w->se = sqrt(v1 + v2);
	w->df = den > 0 ? (v1 + v2) * (v1 + v2) / den : (double)(n1 + n2 - 2);
	if (!isfinite(w->df) || w->df < 1)
		w->df = 1;
	if (!(w->se > 0) || !isfinite(w->se)) {
		w->se = 0;
		w->t = 0;
		w->p = w->diff == 0 ? 1 : 0;
		return false;
	}
	w->t = w->diff / w->se;
	return true;
}

static double t_two_sided(const struct esc_welch *w)
{
	double p;

	gsl_set_error_handler_off();
	p = 2 * gsl_cdf_tdist_Q(fabs(w->t), w->df);
	return p <= 1 ? p : 1;
}

void esc_welch(size_t n1, double mean1, double sd1, size_t n2, double mean2, double sd2,
	       struct esc_welch *w)
{
	if (welch_t(n1, mean1, sd1, n2, mean2, sd2, w))
		w->p = t_two_sided(w);
}

double esc_welch_half_ci(const struct esc_welch *w, double alpha)
{
	gsl_set_error_handler_off();
	return w->se * gsl_cdf_tdist_Qinv(alpha / 2, w->df);
}

/* Running CUSUM state over the window; the best split so far. */
struct cusum {
	double cs, q, best, cs_best, q_best;
	size_t i, k_best, first, last;
};

static void cusum_run(struct cusum *u, const double *v, size_t n, double mean)
{
	for (size_t j = 0; j < n; j++, u->i++) {
		double x = v[j] - mean;

		if (u->i >= u->first && u->i <= u->last && fabs(u->cs) > u->best) {
			u->best = fabs(u->cs);
			u->k_best = u->i;
			u->cs_best = u->cs;
			u->q_best = u->q;
		}
		u->cs += x;
		u->q += x * x;
	}
}

int esc_change_point(const double *ring, size_t cap, size_t start, size_t n, double mean,
		     size_t min_seg, struct esc_change *c)
{
	struct cusum u = { .best = -1 };
	size_t head = cap - start < n ? cap - start : n, tried;
	double m1, m2, s1, s2, sum2;
	struct esc_welch w;

	memset(c, 0, sizeof(*c));
	if (min_seg < 2 || n < 2 * min_seg)
		return -EDOM;
	u.first = min_seg;
	u.last = n - min_seg;
	/* the ring in time order: two contiguous runs, no modulo per value */
	cusum_run(&u, ring + start, head, mean);
	cusum_run(&u, ring, n - head, mean);
	tried = u.last - u.first + 1;
	c->split = c->n1 = u.k_best;
	c->n2 = n - u.k_best;
	c->at_edge = u.k_best == u.last;
	m1 = u.cs_best / (double)c->n1;
	sum2 = u.cs - u.cs_best;
	m2 = sum2 / (double)c->n2;
	s1 = sqrt(fmax(0, (u.q_best - u.cs_best * m1) / (double)(c->n1 - 1)));
	s2 = sqrt(fmax(0, (u.q - u.q_best - sum2 * m2) / (double)(c->n2 - 1)));
	c->mean1 = mean + m1;
	c->mean2 = mean + m2;
	/*
	 * The t tail is heavier than the normal one: when even the normal
	 * bound times the splits tried reaches 1, the adjusted p is 1 exactly
	 * and the (costlier) t distribution is not needed.
	 */
	if (welch_t(c->n1, m1, s1, c->n2, m2, s2, &w) &&
	    (double)tried * erfc(fabs(w.t) / M_SQRT2) < 1)
		w.p = t_two_sided(&w);
	else if (w.se > 0)
		w.p = 1;
	c->p = fmin(1, w.p * (double)tried);
	return 0;
}
