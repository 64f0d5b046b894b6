// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * breakdown.c — per-syscall totals -> the seed's SyscallBreakdown.
 *
 * Categories are summed in ns and converted to µs once, so rounding does not
 * grow with the number of syscalls.  compute_us and overhead_percent follow
 * the seed (total - sum, saturating; sum / total * 100, 0 when total is 0);
 * total_us is the traced thread-time (see tracer.c and the man page).
 * Also a row's derived figures: mean, population stddev, min.
 */
#include <math.h>
#include <string.h>

#include "escalate.h"
#include "stats.h"

void esc_breakdown_build(const struct esc_sc_stat *st, size_t n, uint64_t total_ns,
			 struct esc_breakdown *b)
{
	uint64_t cat_ns[ESC_CAT_NR] = { 0 }, best = 0;
	char buf[32];

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		enum esc_cat c = esc_syscall_cat(esc_syscall_name(st[i].nr, buf, sizeof(buf)));

		cat_ns[c] = tk_sat_add_u64(cat_ns[c], st[i].time_ns);
		b->calls = tk_sat_add_u64(b->calls, st[i].count);
		b->errors = tk_sat_add_u64(b->errors, st[i].errors);
	}
	b->dominant = "none";
	for (int c = 0; c < ESC_CAT_NR; c++) {
		b->cat_us[c] = cat_ns[c] / 1000;
		b->syscall_us = tk_sat_add_u64(b->syscall_us, b->cat_us[c]);
		/* >= : the last maximum wins on ties, as the seed's max_by_key */
		if (b->cat_us[c] && b->cat_us[c] >= best) {
			best = b->cat_us[c];
			b->dominant = esc_cat_name(c);
		}
	}
	b->total_us = total_ns / 1000;
	b->compute_us = tk_sat_sub_u64(b->total_us, b->syscall_us);
	b->overhead_pct = tk_ratio((double)b->syscall_us * 100.0, (double)b->total_us);
}

double esc_sc_mean_ns(const struct esc_sc_stat *s)
{
	return tk_ratio((double)s->time_ns, (double)s->returned);
}

/* sqrt(E[x^2] - E[x]^2), in long double: sq_ns holds up to 128 bits. */
double esc_sc_stddev_ns(const struct esc_sc_stat *s)
{
	long double n = (long double)s->returned, mean, var;

	if (!s->returned)
		return 0;
	mean = (long double)s->time_ns / n;
	var = (long double)s->sq_ns / n - mean * mean;
	return var > 0 ? (double)sqrtl(var) : 0;
}

uint64_t esc_sc_min_ns(const struct esc_sc_stat *s)
{
	return s->min_ns == UINT64_MAX ? 0 : s->min_ns;
}
