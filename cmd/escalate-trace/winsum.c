// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * winsum.c — the window's running sums and the test that their worst case
 * keeps the CV and efficiency rules quiet.
 *
 * Error model (u = 2^-53, round to nearest; x_i >= 0 finite; with or
 * without fused multiply-add, which only removes roundings):
 *  - fl(a op b) = (a op b)(1 + e), |e| <= u, for + and -; a product may
 *    also underflow, off by at most 2^-1074 in absolute terms.
 *  - The sums: each update's rounding is at most u |result|; we add
 *    2u |result| to ea / eb / ec (the factor 2 covers the rounding of the
 *    bound itself).  A value removed subtracts the very d and d*d it added (same
 *    k, same operations), so only the additions' rounding remains.
 *  - d_i = fl(x_i - k) is (x_i - k)(1 + e): the sums are of slightly
 *    different numbers than x_i - k, off by at most u sum |d_i| (the third
 *    running sum, c, with its own bound ec).
 *  - detect.c's two-pass figures (tk_mean; sum of (x - mean)^2; sqrt;
 *    100 sd / mean; 100 budget / mean): the mean is mu (1 + r_m) with
 *    |r_m| <= (n + 1) 1.01u; the sum of squared deviations from that mean
 *    is SS + n (mean - mu)^2, computed within a relative (n + 6) 1.02u plus
 *    n 2^-1074 of underflow; sqrt and the divisions add a few u.
 * The bounds' own rounding: where they subtract (the mean, SS = C - A^2/n)
 * an absolute slack of 8-16u of the operands is added; elsewhere they only
 * multiply, divide and add positive terms (a few dozen u), covered by
 * widening the final bounds by 1e-9 relative.  And the mean must lie in
 * [1e-100, 1e100] (else the answer is false), so that nothing overflows
 * and underflow stays negligible (TINY below).
 */
#include <float.h>
#include <math.h>

#include "winsum.h"

#define U (DBL_EPSILON / 2)
#define TINY 1e-300             /* >= n * 2^-1074 for any window */
#define SAFE 1e-9               /* relative widening of the final bounds */
#define LO_LIMIT 1e-100
#define HI_LIMIT 1e100

static void add(double *s, double *e, double t)
{
	*s += t;
	*e += 2 * U * fabs(*s);
}

void esc_winsum_rebuild(struct esc_winsum *w, const double *v, size_t n, double k)
{
	*w = (struct esc_winsum){ .k = k, .n = n, .inv_n = n ? 1 / (double)n : 0 };
	for (size_t i = 0; i < n; i++) {
		double d = v[i] - k;

		add(&w->a, &w->ea, d);
		add(&w->b, &w->eb, d * d);
		add(&w->c, &w->ec, fabs(d));
	}
}

void esc_winsum_update(struct esc_winsum *w, bool evict, double old, double x)
{
	double d;

	if (evict) {
		d = old - w->k;
		add(&w->a, &w->ea, -d);
		add(&w->b, &w->eb, -(d * d));
		add(&w->c, &w->ec, -fabs(d));
	}
	d = x - w->k;
	add(&w->a, &w->ea, d);
	add(&w->b, &w->eb, d * d);
	add(&w->c, &w->ec, fabs(d));
	w->ops++;
	if (!evict) {
		w->n++;
		w->inv_n = 1 / (double)w->n;
	}
}

/* Bounds on the true mean and on SS = sum (x_i - mu)^2 of the window. */
struct truth {
	double mu_lo, mu_hi, ss_hi;
};

static bool true_bounds(const struct esc_winsum *w, double inv_n, struct truth *t)
{
	/* C = sum (x_i - k)^2 */
	double c_hi = (w->b + w->eb + TINY) * (1 + 4 * U);
	/* A = sum (x_i - k) */
	double a_err = w->ea + 2 * U * (w->c + w->ec);
	double a_lo = w->a - a_err, a_hi = w->a + a_err;
	double a2_lo = a_lo > 0 ? a_lo * a_lo : a_hi < 0 ? a_hi * a_hi : 0;
	double a2_hi = fmax(a_lo * a_lo, a_hi * a_hi);
	double mu_slack = 8 * U * (fabs(w->k) + (fabs(w->a) + a_err) * inv_n);

	if (!isfinite(c_hi) || !isfinite(a2_hi) || !isfinite(mu_slack))
		return false;
	t->mu_lo = w->k + a_lo * inv_n - mu_slack;
	t->mu_hi = w->k + a_hi * inv_n + mu_slack;
	/* SS = C - A^2 / n; the subtraction may cancel: absolute slack */
	t->ss_hi = c_hi - a2_lo * inv_n + 16 * U * (c_hi + a2_hi * inv_n);
	return t->mu_lo >= LO_LIMIT && t->mu_hi <= HI_LIMIT && isfinite(t->ss_hi);
}

/*
 * cv = 100 sqrt(var) / mean < cv_max is tested squared (no sqrt): var's
 * upper bound times 1e4 against (cv_max * the mean's lower bound)^2.
 */
bool esc_winsum_quiet(const struct esc_winsum *w, size_t n, double cv_max,
		      bool have_budget, double budget, double eff_min)
{
	double dn = (double)n, inv_n = w->inv_n, r_m = (double)(n + 1) * 1.01 * U;
	double r_s = (double)(n + 6) * 1.02 * U;
	double dev, var_hi, den;
	struct truth t;

	if (n < 2 || n != w->n || !true_bounds(w, inv_n, &t))
		return false;
	/* the two-pass mean is off by at most r_m mu: its deviations sum higher */
	dev = r_m * t.mu_hi;
	var_hi = ((fmax(t.ss_hi, 0) + dn * dev * dev) * (1 + r_s) + TINY) * inv_n;
	den = cv_max * t.mu_lo * (1 - r_m);
	if (!(1e4 * var_hi * (1 + SAFE) < den * den))
		return false;
	if (!have_budget)
		return true;
	if (!(budget >= 0 && budget <= HI_LIMIT))
		return false;
	return 100 * budget * (1 - SAFE) >= eff_min * t.mu_hi * (1 + r_m);
}
