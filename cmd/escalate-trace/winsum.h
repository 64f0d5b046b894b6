/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * winsum.h — running sums of a sliding window with a bound on their error,
 * so that detection can tell in O(1) when the seed's CV and efficiency rules
 * certainly do not fire (winsum.c).  Pure: no I/O, no globals.
 *
 * The sums drift as values come and go; each update adds a bound on its
 * own rounding, and esc_winsum_quiet() answers true only when even the
 * worst case of the drift AND of the two-pass computation that detect.c
 * runs otherwise (tk_mean, then the squared deviations) stays on the quiet
 * side of both thresholds.  When it answers false the caller runs the
 * two-pass computation, so verdicts and reported numbers never change.
 */
#ifndef ESCALATE_WINSUM_H
#define ESCALATE_WINSUM_H

#include <stdbool.h>
#include <stddef.h>

struct esc_winsum {
	double k;          /* shift: the sums are over fl(x - k) */
	double a, b, c;    /* sums of d = fl(x - k), of fl(d * d), of |d| */
	double ea, eb, ec; /* bounds on the rounding accumulated in a, b and c */
	size_t ops;        /* updates since the last rebuild */
	size_t n;          /* values summed */
	double inv_n;      /* 1 / n, rounded */
};

/*
 * Start over from the window's @n values in @v (any order), shifted by
 * @k (a value of the window: the smaller the deviations from it, the
 * tighter the bounds).
 */
void esc_winsum_rebuild(struct esc_winsum *w, const double *v, size_t n, double k);
/* Add @x; with @evict first remove @old (a value the sums hold, same k). */
void esc_winsum_update(struct esc_winsum *w, bool evict, double old, double x);

/*
 * For the @n >= 2 non-negative finite values summed in @w (false when
 * @w did not count @n of them): true only when
 * detect.c's two-pass CV over them is certainly <= @cv_max and, when
 * @have_budget, its efficiency 100 * @budget / mean is certainly >=
 * @eff_min.  False means "not certain" (the caller computes exactly).
 */
bool esc_winsum_quiet(const struct esc_winsum *w, size_t n, double cv_max,
		      bool have_budget, double budget, double eff_min);

#endif
