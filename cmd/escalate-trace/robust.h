/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * robust.h — the statistics behind --detect and --baseline (robust.c):
 * a sorted window giving median and MAD in O(log n), the modified z-score,
 * a change-point test over a window, and Welch's two-sample t-test on
 * summary statistics.  Pure: no I/O, no clock, no globals.
 */
#ifndef ESCALATE_ROBUST_H
#define ESCALATE_ROBUST_H

#include <stdbool.h>
#include <stddef.h>

/* The values of a window kept in ascending order (same multiset as the ring). */
struct esc_sorted {
	double *v;
	size_t n, cap;
};
int esc_sorted_init(struct esc_sorted *s, size_t cap);   /* 0 or -ENOMEM */
void esc_sorted_free(struct esc_sorted *s);
/* Insert @x; with @evict first remove one value equal to @old (must be held). */
void esc_sorted_push(struct esc_sorted *s, bool evict, double old, double x);
/* Median of @s's n >= 1 values (the mean of the two middle ones when n is even). */
double esc_sorted_median(const struct esc_sorted *s);

/*
 * Modified z-score of @x against the values of @s (Iglewicz & Hoaglin):
 * M = 0.6745 (x - median) / MAD.  When MAD is 0 the mean absolute deviation
 * around the median stands in: M = (x - median) / (1.253314 MeanAD).
 * Returns 0, or -EDOM when @s is empty or all its values are equal.
 */
int esc_modified_z(const struct esc_sorted *s, double x, double *median,
		   double *mad, double *z);

/* Welch's test of two samples given by count, mean and standard deviation. */
struct esc_welch {
	double diff;   /* mean2 - mean1 */
	double se;     /* standard error of diff */
	double df;     /* Welch-Satterthwaite degrees of freedom */
	double t;      /* diff / se (0 when se is 0) */
	double p;      /* two-sided p of diff == 0 */
};
/* n1, n2 >= 2.  se == 0: p is 1 when diff == 0, else 0. */
void esc_welch(size_t n1, double mean1, double sd1, size_t n2, double mean2, double sd2,
	       struct esc_welch *w);
/* Half-width of the two-sided (1 - alpha) confidence interval of w->diff. */
double esc_welch_half_ci(const struct esc_welch *w, double alpha);

/*
 * One mean shift in a window, @n values in time order: ring[(start + i) %
 * cap] for i < n, with mean @mean.  The split is the CUSUM's argmax over
 * splits that leave at least @min_seg values on each side; its two
 * segments are held to Welch's test, p multiplied by the number of splits
 * tried (Bonferroni).
 */
struct esc_change {
	size_t split;            /* values before the change (= its index in the window) */
	size_t n1, n2;           /* segment sizes */
	double mean1, mean2;
	double p;                /* Bonferroni-adjusted, at most 1 */
	bool at_edge;            /* split is the last one allowed: it may still move */
};
/* 0, or -EDOM when n < 2 * min_seg (nothing tried). */
int esc_change_point(const double *ring, size_t cap, size_t start, size_t n, double mean,
		     size_t min_seg, struct esc_change *c);

#endif
