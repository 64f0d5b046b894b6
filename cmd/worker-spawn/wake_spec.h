/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * wake_spec.h — issue 15: wake.  What spec.c asks of the wake-topology types
 * (spec_wake.c): their defaults, their k=v parameters, their group size.
 */
#ifndef WS_WAKE_SPEC_H
#define WS_WAKE_SPEC_H

#include "ws.h"

/* Set g->wk (and p_burst for asymmetric-waker) to the reference's defaults. */
void ws_wake_defaults(struct ws_group *g);
/* Parse one k=v of a wake type: true when @k is one of ours (bad @v exits 2). */
bool ws_wake_param(struct ws_group *g, const char *arg, const char *k, const char *v);
/* Workers per unit of a wake type; 0 for any other type. */
unsigned ws_wake_unit(const struct ws_group *g);

#endif
