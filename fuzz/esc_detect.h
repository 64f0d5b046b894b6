/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * esc_detect.h — the comparison of two detection verdicts shared by
 * fuzz/esc_detect.c and tests/unit/test_esc_detect.c: the running-sum fast
 * path against the two-pass oracle (esc_thresholds.exact).
 */
#ifndef TELKIT_FUZZ_ESC_DETECT_H
#define TELKIT_FUZZ_ESC_DETECT_H

#include <string.h>

#include "../cmd/escalate-trace/escalate.h"

static inline int esc_dbl_differ(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) != 0;
}

/*
 * NULL when @a and @b report the same: the same reason, pending and
 * suppressed, and, when an escalation is reported, every number bit for
 * bit (the record is made of them).  Else the first field that differs.
 */
static inline const char *esc_verdict_diff(const struct esc_verdict *a,
					   const struct esc_verdict *b)
{
#define D(f) if (esc_dbl_differ(a->f, b->f)) return #f
#define I(f) if (a->f != b->f) return #f
	I(reason); I(pending); I(suppressed);
	if (a->reason == ESC_NONE)
		return NULL;
	I(n); D(mean_us); D(cv); I(cv_valid); D(efficiency); I(eff_valid);
	I(cliff_valid);
	if (a->cliff_valid) {   /* else unused and not reported (a zero's sign may differ) */
		D(cliff_median); D(cliff_drop);
	} D(gpu_pct); I(gpu_valid);
	D(budget_us); D(out_median); D(out_mad); D(out_z); I(out_valid); I(cp_index);
	I(cp_n1); I(cp_n2); D(cp_mean1); D(cp_mean2); D(cp_p); I(cp_valid);
#undef D
#undef I
	return NULL;
}

#endif
