// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* spans.c — union of time spans (spans.h). */
#include <errno.h>
#include <stdlib.h>

#include "spans.h"

#define SPANS_MIN 1024

static int by_start(const void *x, const void *y)
{
	const struct span *p = x, *q = y;

	return (p->a > q->a) - (p->a < q->a);
}

/* Sort and merge overlapping spans in place. */
static void merge(struct spans *s)
{
	size_t k = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), by_start);
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[i].a <= s->v[k].b) {
			if (s->v[i].b > s->v[k].b)
				s->v[k].b = s->v[i].b;
		} else {
			s->v[++k] = s->v[i];
		}
	}
	s->n = k + 1;
}

int spans_add(struct spans *s, double a, double b)
{
	if (b < a)
		b = a;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap : SPANS_MIN;
		struct span *v;

		merge(s);
		if (s->n > cap / 2)
			cap *= 2;
		if (cap != s->cap) {
			v = realloc(s->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			s->v = v;
			s->cap = cap;
		}
	}
	s->v[s->n++] = (struct span){ a, b };
	return 0;
}

double spans_union(struct spans *s)
{
	double t = 0;

	merge(s);
	for (size_t i = 0; i < s->n; i++)
		t += s->v[i].b - s->v[i].a;
	return t;
}

void spans_free(struct spans *s)
{
	free(s->v);
	*s = (struct spans){ 0 };
}
