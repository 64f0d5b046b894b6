/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * agg.h — user-space side of bpf/escalate_agg.h (agg.c): empty its maps,
 * drain one slot of them into a table of per-syscall figures, and wait for
 * programs still filling a slot just switched away from.
 */
#ifndef ESCALATE_AGG_H_USER
#define ESCALATE_AGG_H_USER

#include "escalate.h"

/* The maps' fds and the number of possible CPUs (per-CPU values). */
struct esc_agg_maps {
	int arr, over, hists, errs;
	int ncpus;
};

/* Empty both slots.  0 or -errno. */
int esc_agg_reset(const struct esc_agg_maps *m);
/*
 * Move slot @slot's figures into @t (appended, not folded), leaving the
 * slot empty.  Call only while no program fills @slot (detached, or after
 * esc_agg_quiesce()).  0 or -errno.
 */
int esc_agg_drain(const struct esc_agg_maps *m, unsigned slot, struct esc_sc_table *t);
/* Wait until programs that read the old slot number have finished. */
void esc_agg_quiesce(void);

#endif
