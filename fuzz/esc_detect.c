// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz escalate-trace's detection (cmd/escalate-trace/detect.c): the
 * running-sum fast path (winsum.c) against the two-pass computation on every
 * sample (esc_thresholds.exact) on the same samples.  Bytes 0-1 pick the
 * configuration (window, --min-samples, --detect, --for, thresholds, a
 * budget); then each 9 bytes are one sample: a brick (of 4, and whether
 * the sample carries a cliff field, or only that) and a double's
 * bits (NaN and infinities skipped, negatives made positive, -0 kept: what
 * esc_extract() can hand on).  Invariant: the same verdicts, and every
 * number of a reported escalation bit for bit (fuzz/esc_detect.h).
 */
// FUZZ_SOURCES: cmd/escalate-trace/detect.c cmd/escalate-trace/robust.c cmd/escalate-trace/winsum.c
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "esc_detect.h"

static void config(const uint8_t *c, struct esc_thresholds *t, double *budget)
{
	static const size_t windows[] = { 2, 3, 4, 5, 10, 16, 100, 101 };
	static const double cvs[] = { 15, 0, 1, 5, 25, 100, 1e9, 15.000000000000002 };
	static const double effs[] = { 25, 0, 100, 150 };

	memset(t, 0, sizeof(*t));
	t->window = windows[c[0] & 7];
	t->min_samples = 1 + ((c[0] >> 3) & 7);
	if (t->min_samples > t->window)
		t->min_samples = t->window;
	t->detect = (c[0] >> 6) & 3;
	t->cv = cvs[c[1] & 7];
	t->efficiency = effs[(c[1] >> 3) & 3];
	t->hold = 1 + ((c[1] >> 5) & 1);
	t->cliff = 30;
	t->gpu = 50;
	t->outlier_z = 6;
	t->alpha = 1e-4;
	*budget = c[1] & 0x40 ? (c[1] & 0x80 ? 25 : 1e-3) : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esc_bricks *fast = NULL, *oracle = NULL;
	struct esc_thresholds t;
	double budget;

	if (size < 2)
		return 0;
	config(data, &t, &budget);
	fast = esc_bricks_new(&t, 4);
	t.exact = true;
	oracle = esc_bricks_new(&t, 4);
	if (!fast || !oracle)
		goto out;
	for (size_t i = 2; i + 9 <= size; i += 9) {
		struct esc_sample s = { 0 };
		struct esc_verdict vf, vo;
		const char *what;
		double x;

		memcpy(&x, data + i + 1, sizeof(x));
		if (!isfinite(x))
			continue;
		if (x < 0)
			x = -x;
		snprintf(s.name, sizeof(s.name), "b%u", data[i] & 3);
		s.st[ESC_F_NAME] = s.st[ESC_F_VALUE] = ESC_FS_OK;
		s.value_us = x;
		if (data[i] & 4) {       /* a cliff field, maybe alone */
			s.st[ESC_F_CLIFF] = ESC_FS_OK;
			s.cliff = x;
			if (data[i] & 8)
				s.st[ESC_F_VALUE] = ESC_FS_MISSING;
		}
		if (budget >= 0) {
			s.st[ESC_F_BUDGET] = ESC_FS_OK;
			s.budget_us = budget;
		}
		FUZZ_CHECK(esc_detect(fast, &s, &vf) == esc_detect(oracle, &s, &vo));
		what = esc_verdict_diff(&vf, &vo);
		if (what)
			fprintf(stderr, "sample %zu value %a: %s differs\n", (i - 2) / 9, x, what);
		FUZZ_CHECK(!what);
	}
out:
	esc_bricks_free(fast);
	esc_bricks_free(oracle);
	return 0;
}
