// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz escalate-trace's baseline file parser (cmd/escalate-trace/
 * baselinefile.c, --baseline FILE): any bytes, passed without a NUL.
 * Invariants: no crash or leak; a refusal explains itself; an accepted file
 * holds at most the brick cap, every brick named by 1..255 bytes without
 * NUL, n in 1..2^53, finite non-negative figures with min <= mean <= max,
 * names strictly ascending (sorted, no duplicates).
 */
// FUZZ_SOURCES: cmd/escalate-trace/baselinefile.c
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "../cmd/escalate-trace/baseline.h"

#define MAX_BRICKS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esc_baseline *bl = NULL;
	const struct esc_brick_stats *b;
	char err[160] = "";
	char *text = malloc(size ? size : 1);
	size_t n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (esc_baseline_parse(text, size, MAX_BRICKS, &bl, err, sizeof(err))) {
		FUZZ_CHECK(err[0] && !bl);
		free(text);
		return 0;
	}
	b = esc_baseline_bricks(bl, &n);
	FUZZ_CHECK(n <= MAX_BRICKS);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(b[i].name);

		FUZZ_CHECK(len >= 1 && len < ESC_NAME_MAX);
		FUZZ_CHECK(b[i].n >= 1 && b[i].n <= (UINT64_C(1) << 53));
		FUZZ_CHECK(isfinite(b[i].mean) && isfinite(b[i].sd) && b[i].sd >= 0);
		FUZZ_CHECK(b[i].min >= 0 && b[i].min <= b[i].mean && b[i].mean <= b[i].max);
		FUZZ_CHECK(isfinite(b[i].max));
		FUZZ_CHECK(!i || strcmp(b[i - 1].name, b[i].name) < 0);
	}
	esc_baseline_free(bl);
	free(text);
	return 0;
}
