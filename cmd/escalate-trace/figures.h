/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * figures.h — per-syscall rows as JSON and text (figures.c), for report.c.
 * @f NULL: the seed's columns only (name, nr, count, errors, time).
 */
#ifndef ESCALATE_FIGURES_H
#define ESCALATE_FIGURES_H

#include <stdio.h>

#include "escalate.h"

/* The first @top rows of each thread group of @rows; errnos from @t. */
struct json_object *esc_figs_json(const struct esc_sc_stat *rows, size_t n,
				  const struct esc_sc_table *t, const struct esc_figs *f,
				  unsigned top);
/* Tables of @tr: syscalls, errnos, histograms (--hist), per thread. */
void esc_figs_print(FILE *out, const struct esc_trace_result *tr, const struct esc_figs *f,
		    unsigned top);

#endif
