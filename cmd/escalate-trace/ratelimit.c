// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ratelimit.c — fixed-window escalation limiter (cbtop's should_allow()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "escalate.h"
#include "parse.h"

void esc_rl_init(struct esc_ratelimit *rl, uint64_t max, uint64_t interval_ns)
{
	memset(rl, 0, sizeof(*rl));
	rl->max = max;
	rl->interval_ns = interval_ns;
}

bool esc_rl_allow(struct esc_ratelimit *rl, uint64_t now_ns)
{
	if (!rl->start_ns || now_ns - rl->start_ns >= rl->interval_ns) {
		rl->start_ns = now_ns ? now_ns : 1;
		rl->count = 0;
	}
	if (rl->count < rl->max) {
		rl->count++;
		return true;
	}
	rl->denied++;
	return false;
}

int esc_rl_parse(const char *s, uint64_t *max, uint64_t *interval_ns)
{
	const char *slash = strchr(s, '/');
	char num[32];
	size_t n;

	if (!slash || slash == s || (n = (size_t)(slash - s)) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (tk_parse_u64(num, 0, UINT32_MAX, max))
		return -EINVAL;
	if (tk_parse_duration(slash + 1, 0, interval_ns))
		return -EINVAL;
	return 0;
}
