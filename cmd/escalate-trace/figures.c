// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * figures.c — per-syscall rows of a trace as JSON and as text tables in the
 * manner of perf trace -s: count, errors, total, min, mean, max, stddev,
 * the errno breakdown of the failures (perf trace --errno-summary), the log2
 * latency histogram (--hist), per-thread rows (--per-thread).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "array.h"
#include "escalate.h"
#include "figures.h"
#include "output.h"
#include "stats.h"
#include "table.h"

/* "EBADF", or "E<n>" for a number glibc has no name for. */
static const char *errno_name(uint32_t err, char *buf, size_t size)
{
	const char *n = err < 4096 ? strerrorname_np((int)err) : NULL;

	if (n)
		return n;
	snprintf(buf, size, "E%" PRIu32, err);
	return buf;
}

/* Does errno row @e belong to row @s (any thread when @s->tid is 0)? */
static bool errno_of(const struct esc_sc_errno *e, const struct esc_sc_stat *s)
{
	return e->nr == s->nr && (!s->tid || e->tid == s->tid);
}

static struct json_object *errnos_json(const struct esc_sc_stat *s, const struct esc_sc_table *t)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	for (size_t i = 0; i < t->nerr; i++) {
		const char *k;
		struct json_object *old;

		if (!errno_of(&t->errs[i], s))
			continue;
		k = errno_name(t->errs[i].err, buf, sizeof(buf));
		if (json_object_object_get_ex(o, k, &old))  /* several threads */
			tk_rec_u64(o, k, json_object_get_uint64(old) + t->errs[i].count);
		else
			tk_rec_u64(o, k, t->errs[i].count);
	}
	return o;
}

/* Bucket @b holds [bucket_ge, bucket_lt) ns (bucket 0 also holds 0). */
static uint64_t bucket_ge(int b)
{
	return b ? (uint64_t)1 << b : 0;
}

static uint64_t bucket_lt(int b)
{
	return b < 63 ? (uint64_t)1 << (b + 1) : UINT64_MAX;
}

static struct json_object *hist_json(const struct esc_sc_stat *s)
{
	struct json_object *a = json_object_new_array();

	for (int b = 0; b < ESC_HIST_BUCKETS; b++) {
		struct json_object *o;

		if (!s->hist[b])
			continue;
		o = json_object_new_object();
		tk_rec_u64(o, "ge_ns", bucket_ge(b));
		tk_rec_u64(o, "lt_ns", bucket_lt(b));
		tk_rec_u64(o, "count", s->hist[b]);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *row_json(const struct esc_sc_stat *s, const struct esc_sc_table *t,
				    const struct esc_figs *f)
{
	struct json_object *o = json_object_new_object();
	char buf[32];

	tk_rec_str(o, "name", esc_syscall_name(s->nr, buf, sizeof(buf)));
	tk_rec_u64(o, "nr", s->nr & ~ESC_SC_COMPAT);
	tk_rec_u64(o, "count", s->count);
	tk_rec_u64(o, "errors", s->errors);
	tk_rec_dbl(o, "time_us", (double)s->time_ns / 1000.0);
	if (!f)
		return o;
	if (s->tid)
		tk_rec_u64(o, "tid", s->tid);
	tk_rec_str(o, "abi", esc_syscall_abi(s->nr));
	tk_rec_u64(o, "returned", s->returned);
	tk_rec_dbl(o, "min_us", (double)esc_sc_min_ns(s) / 1000.0);
	tk_rec_dbl(o, "mean_us", esc_sc_mean_ns(s) / 1000.0);
	tk_rec_dbl(o, "max_us", (double)s->max_ns / 1000.0);
	tk_rec_dbl(o, "stddev_us", esc_sc_stddev_ns(s) / 1000.0);
	json_object_object_add(o, "errnos", errnos_json(s, t));
	if (f->hist)
		json_object_object_add(o, "hist", hist_json(s));
	return o;
}

/* Rows of one thread group (equal tid) from @i; returns the group's end. */
static size_t group_end(const struct esc_sc_stat *rows, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && rows[j].tid == rows[i].tid)
		j++;
	return j;
}

struct json_object *esc_figs_json(const struct esc_sc_stat *rows, size_t n,
				  const struct esc_sc_table *t, const struct esc_figs *f,
				  unsigned top)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i = group_end(rows, n, i))
		for (size_t j = i; j < group_end(rows, n, i) && j - i < top; j++)
			json_object_array_add(a, row_json(&rows[j], t, f));
	return a;
}

/* "write" or "write [i386]" for a compat call. */
static void display_name(const struct esc_sc_stat *s, char *out, size_t size)
{
	char buf[32];
	const char *n = esc_syscall_name(s->nr, buf, sizeof(buf));

	if (s->nr & ESC_SC_COMPAT)
		snprintf(out, size, "%s [%s]", n, esc_syscall_abi(s->nr));
	else
		snprintf(out, size, "%s", n);
}

static void print_rows(FILE *out, const struct esc_sc_stat *rows, size_t n,
		       const struct esc_figs *f, unsigned top)
{
	static const struct tk_table_col cols[] = {
		{ "SYSCALL", false, 32 }, { "COUNT", true, 0 }, { "ERRORS", true, 0 },
		{ "TIME_US", true, 0 }, { "AVG_US", true, 0 }, { "MIN_US", true, 0 },
		{ "MAX_US", true, 0 }, { "STDDEV%", true, 0 }, { "TID", true, 0 },
	};
	size_t ncols = f ? (n && rows[0].tid ? 9 : 8) : 5;
	struct tk_table *t = tk_table_new(cols, ncols);
	char name[48];

	if (!t)
		return;
	for (size_t i = 0; i < n; i = group_end(rows, n, i)) {
		for (size_t j = i; j < group_end(rows, n, i) && j - i < top; j++) {
			const struct esc_sc_stat *s = &rows[j];
			double mean = esc_sc_mean_ns(s);

			tk_table_row(t);
			display_name(s, name, sizeof(name));
			tk_table_cell(t, 0, "%s", name);
			tk_table_cell(t, 1, "%" PRIu64, s->count);
			tk_table_cell(t, 2, "%" PRIu64, s->errors);
			tk_table_cell(t, 3, "%.1f", (double)s->time_ns / 1000.0);
			tk_table_cell(t, 4, "%.3f", tk_ratio((double)s->time_ns / 1000.0,
							     (double)s->count));
			if (ncols < 8)
				continue;
			tk_table_cell(t, 5, "%.3f", (double)esc_sc_min_ns(s) / 1000.0);
			tk_table_cell(t, 6, "%.3f", (double)s->max_ns / 1000.0);
			tk_table_cell(t, 7, "%.2f", tk_ratio(esc_sc_stddev_ns(s) * 100.0, mean));
			if (ncols > 8)
				tk_table_cell(t, 8, "%" PRIu32, s->tid);
		}
	}
	tk_table_print(t, out, true);
	tk_table_free(t);
}

/* The errno rows of the listed syscalls, summed over threads. */
static void print_errnos(FILE *out, const struct esc_sc_stat *rows, size_t n,
			 const struct esc_sc_table *tab, unsigned top)
{
	static const struct tk_table_col cols[] = {
		{ "SYSCALL", false, 32 }, { "ERRNO", false, 0 }, { "COUNT", true, 0 },
	};
	struct esc_sc_table all = { 0 };
	struct tk_table *t = NULL;
	char name[48], buf[16];

	for (size_t i = 0; i < tab->nerr; i++)
		if (esc_sc_table_add_errno(&all, &tab->errs[i]))
			goto out;
	esc_sc_table_fold(&all, true);
	for (size_t j = 0; j < n && j < top; j++) {
		display_name(&rows[j], name, sizeof(name));
		for (size_t i = 0; i < all.nerr; i++) {
			if (all.errs[i].nr != rows[j].nr)
				continue;
			if (!t && !(t = tk_table_new(cols, TK_ARRAY_SIZE(cols))))
				goto out;
			tk_table_row(t);
			tk_table_cell(t, 0, "%s", name);
			tk_table_cell(t, 1, "%s", errno_name(all.errs[i].err, buf, sizeof(buf)));
			tk_table_cell(t, 2, "%" PRIu64, all.errs[i].count);
		}
	}
	if (t)
		tk_table_print(t, out, true);
out:
	tk_table_free(t);
	esc_sc_table_free(&all);
}

/* bpftrace-style log2 histogram of each listed syscall. */
static void print_hists(FILE *out, const struct esc_sc_stat *rows, size_t n, unsigned top)
{
	char name[48];

	for (size_t j = 0; j < n && j < top; j++) {
		const struct esc_sc_stat *s = &rows[j];
		uint64_t peak = 0;
		int lo = ESC_HIST_BUCKETS, hi = -1;

		for (int b = 0; b < ESC_HIST_BUCKETS; b++) {
			if (!s->hist[b])
				continue;
			lo = b < lo ? b : lo;
			hi = b;
			peak = s->hist[b] > peak ? s->hist[b] : peak;
		}
		if (hi < 0)
			continue;
		display_name(s, name, sizeof(name));
		fprintf(out, "  %s latency (ns):\n", name);
		for (int b = lo; b <= hi; b++) {
			int bar = (int)(s->hist[b] * 40 / peak);
			char range[48];

			snprintf(range, sizeof(range), "[%" PRIu64 ", %" PRIu64 ")",
				 bucket_ge(b), bucket_lt(b));
			fprintf(out, "    %-44s %10" PRIu64 " |%.*s%*s|\n", range, s->hist[b],
				bar, "########################################", 40 - bar, "");
		}
	}
}

void esc_figs_print(FILE *out, const struct esc_trace_result *tr, const struct esc_figs *f,
		    unsigned top)
{
	print_rows(out, tr->sc, tr->nsc, f, top);
	if (!f)
		return;
	print_errnos(out, tr->sc, tr->nsc, &tr->all, top);
	if (f->hist)
		print_hists(out, tr->sc, tr->nsc, top);
	if (f->per_thread && tr->all.n) {
		fprintf(out, "  per thread:\n");
		print_rows(out, tr->all.rows, tr->all.n, f, top);
	}
}
