/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * spans.h — the length of a union of time spans: how long at least one H2D
 * copy was running (the copy engine's busy time), from spans that overlap
 * and arrive out of order.  Memory stays bounded by merging the spans held
 * whenever the array fills (the union is the same, merged or not).
 */
#ifndef NVME_GPU_INGEST_SPANS_H
#define NVME_GPU_INGEST_SPANS_H

#include <stddef.h>

struct span { double a, b; };
struct spans {
	struct span *v;
	size_t n, cap;
};
/* Add [@a, @b) (any unit); -ENOMEM when it cannot be held. */
int spans_add(struct spans *s, double a, double b);
/* Length of the union of every span added. */
double spans_union(struct spans *s);
void spans_free(struct spans *s);

#endif
