/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * baseline.h — baselines across runs (baselinefile.c: the file;
 * baseline.c: the comparison and the run's ends): --save-baseline writes
 * each brick's whole-run statistics (detect.c's esc_bricks_stats()) to a
 * JSON file; --baseline reads one (hostile input: bounded, validated) and
 * holds this run's bricks against it with Welch's test (robust.h) and a
 * noise threshold, one `comparison` record per brick.
 *
 * File: {"format":"telkit-escalate-trace-baseline","version":1,"unit":"us",
 *        "bricks":[{"name","n","mean_us","sd_us","min_us","max_us"},...]}
 */
#ifndef ESCALATE_BASELINE_H
#define ESCALATE_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "escalate.h"

#define ESC_BASELINE_MAX_BYTES (64u << 20)

struct esc_baseline;

/*
 * Read and validate @path (at most @max_bricks bricks).  0, or -errno with
 * a sentence in @err saying what is wrong and where (nothing printed).
 */
int esc_baseline_load(const char *path, size_t max_bricks, struct esc_baseline **out,
		      char *err, size_t errsz);
/* The same on @len bytes of text (need not be NUL-terminated).  Pure. */
int esc_baseline_parse(const char *text, size_t len, size_t max_bricks,
		       struct esc_baseline **out, char *err, size_t errsz);
void esc_baseline_free(struct esc_baseline *bl);
/* Its bricks, sorted by name, names unique. */
const struct esc_brick_stats *esc_baseline_bricks(const struct esc_baseline *bl, size_t *n);

/* Write @n bricks to @path through a temporary file + rename.  0 or -errno. */
int esc_baseline_save(const char *path, const struct esc_brick_stats *st, size_t n);

enum esc_cmp_verdict { ESC_CMP_INSUFFICIENT, ESC_CMP_UNCHANGED, ESC_CMP_REGRESSED,
		       ESC_CMP_IMPROVED, ESC_CMP_NR };
const char *esc_cmp_name(enum esc_cmp_verdict v);  /* "insufficient_data" ... */

struct esc_cmp_opts {
	double noise_pct;        /* changes within +-noise % of the baseline mean are noise */
	double alpha;            /* the confidence interval is (1 - alpha) */
	size_t min_samples;      /* fewer samples on either side: insufficient data */
};
/*
 * One `comparison` record per brick of either side, in name order; adds
 * each verdict to @counts (all of them, even when a record cannot be
 * written).  0, or the first error of tk_emit() (-EPIPE).
 */
int esc_baseline_compare(const struct esc_baseline *bl, const struct esc_brick_stats *st,
			 size_t n, const struct esc_cmp_opts *o, uint64_t counts[ESC_CMP_NR]);

/*
 * The run's ends (mode functions in the errors.h sense: they print).
 * esc_baseline_begin: load --baseline; a bad file exits 2 naming it.
 * esc_baseline_end: the comparison records, then --save-baseline; returns
 * the exit code (1 when the file could not be written).
 */
struct esc_run;
void esc_baseline_begin(struct esc_run *r);
int esc_baseline_end(struct esc_run *r);

#endif
