// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ingest_spans — feed nvme-gpu-ingest's span union (spans.c, the H2D busy
 * time) with "start end" lines from stdin; print the union's length.
 * tests/42-ingest-cuda.bats compares it with Python's.
 */
#include <stdio.h>

#include "../../cmd/nvme-gpu-ingest/spans.c"

int main(void)
{
	struct spans s = { 0 };
	double a, b;

	while (scanf("%lf %lf", &a, &b) == 2)
		if (spans_add(&s, a, b))
			return 1;
	printf("%.6f %zu\n", spans_union(&s), s.cap);
	spans_free(&s);
	return 0;
}
