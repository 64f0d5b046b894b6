// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sctable.c — tables of per-syscall figures: rows keyed by (syscall, tid)
 * and errno rows keyed by (syscall, tid, errno).  Rows are appended as the
 * maps are drained, then folded: counts, times, squares and histograms
 * add, min and max combine, so the figures of several drains (interval
 * summaries) merge into exactly those of one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "escalate.h"
#include "stats.h"

int esc_sc_table_add(struct esc_sc_table *t, const struct esc_sc_stat *s)
{
	if (tk_grow((void **)&t->rows, &t->cap, (t->n + 1) * sizeof(*t->rows),
		    64 * sizeof(*t->rows)))
		return -ENOMEM;
	t->rows[t->n++] = *s;
	return 0;
}

int esc_sc_table_add_errno(struct esc_sc_table *t, const struct esc_sc_errno *e)
{
	if (tk_grow((void **)&t->errs, &t->cap_err, (t->nerr + 1) * sizeof(*t->errs),
		    64 * sizeof(*t->errs)))
		return -ENOMEM;
	t->errs[t->nerr++] = *e;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct esc_sc_stat *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int cmp_err_key(const void *a, const void *b)
{
	const struct esc_sc_errno *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return x->err < y->err ? -1 : x->err > y->err;
}

static void add_row(struct esc_sc_stat *d, const struct esc_sc_stat *s)
{
	d->count = tk_sat_add_u64(d->count, s->count);
	d->returned = tk_sat_add_u64(d->returned, s->returned);
	d->errors = tk_sat_add_u64(d->errors, s->errors);
	d->time_ns = tk_sat_add_u64(d->time_ns, s->time_ns);
	if (s->min_ns < d->min_ns)
		d->min_ns = s->min_ns;
	if (s->max_ns > d->max_ns)
		d->max_ns = s->max_ns;
	d->sq_ns += s->sq_ns;
	for (int b = 0; b < ESC_HIST_BUCKETS; b++)
		d->hist[b] = tk_sat_add_u64(d->hist[b], s->hist[b]);
}

void esc_sc_table_fold(struct esc_sc_table *t, bool all_threads)
{
	size_t w = 0;

	for (size_t i = 0; all_threads && i < t->n; i++)
		t->rows[i].tid = 0;
	for (size_t i = 0; all_threads && i < t->nerr; i++)
		t->errs[i].tid = 0;
	if (t->n)
		qsort(t->rows, t->n, sizeof(*t->rows), cmp_key);
	for (size_t i = 0; i < t->n; i++) {
		if (w && !cmp_key(&t->rows[w - 1], &t->rows[i]))
			add_row(&t->rows[w - 1], &t->rows[i]);
		else
			t->rows[w++] = t->rows[i];
	}
	t->n = w;
	w = 0;
	if (t->nerr)
		qsort(t->errs, t->nerr, sizeof(*t->errs), cmp_err_key);
	for (size_t i = 0; i < t->nerr; i++) {
		if (w && !cmp_err_key(&t->errs[w - 1], &t->errs[i]))
			t->errs[w - 1].count = tk_sat_add_u64(t->errs[w - 1].count, t->errs[i].count);
		else
			t->errs[w++] = t->errs[i];
	}
	t->nerr = w;
}

int esc_sc_table_merge(struct esc_sc_table *dst, const struct esc_sc_table *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (esc_sc_table_add(dst, &src->rows[i]))
			return -ENOMEM;
	for (size_t i = 0; i < src->nerr; i++)
		if (esc_sc_table_add_errno(dst, &src->errs[i]))
			return -ENOMEM;
	esc_sc_table_fold(dst, false);
	return 0;
}

static int cmp_report(const void *a, const void *b)
{
	const struct esc_sc_stat *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

void esc_sc_table_sort(struct esc_sc_table *t)
{
	if (t->n)
		qsort(t->rows, t->n, sizeof(*t->rows), cmp_report);
}

void esc_sc_table_free(struct esc_sc_table *t)
{
	free(t->rows);
	free(t->errs);
	memset(t, 0, sizeof(*t));
}

int esc_sc_table_totals(const struct esc_sc_table *t, struct esc_sc_stat **rows, size_t *n)
{
	struct esc_sc_table all = { 0 };

	*rows = NULL;
	*n = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (esc_sc_table_add(&all, &t->rows[i])) {
			esc_sc_table_free(&all);
			return -ENOMEM;
		}
	}
	esc_sc_table_fold(&all, true);
	esc_sc_table_sort(&all);
	*rows = all.rows;
	*n = all.n;
	return 0;
}
