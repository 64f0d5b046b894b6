// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * alias.c — the reference's (ktstr's) parameter names for the work types
 * worker-spawn already has, mapped onto ours: same value, a size in KiB, or
 * a duration (converted to the unit our key counts in).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "errors.h"
#include "parse.h"
#include "ws.h"

enum conv { SAME, KIB, DUR };

static const struct {
	enum ws_type type;
	const char *ref, *ours;
	enum conv conv;
	uint64_t unit_ns;        /* DUR: ns per unit of our key */
} aliases[] = {
	{ WS_BURSTY, "burst_duration", "burst", DUR, 1000000 },
	{ WS_BURSTY, "sleep_duration", "sleep", DUR, 1000000 },
	{ WS_IDLE_CHURN, "burst_duration", "burst", DUR, 1000 },
	{ WS_IDLE_CHURN, "sleep_duration", "sleep", DUR, 1000 },
	{ WS_PIPE_IO, "burst_iters", "burst", SAME, 0 },
	{ WS_FUTEX_PING_PONG, "spin_iters", "burst", SAME, 0 },
	{ WS_FUTEX_FAN_OUT, "fan_out", "fanout", SAME, 0 },
	{ WS_FUTEX_FAN_OUT, "spin_iters", "burst", SAME, 0 },
	{ WS_FAN_OUT_COMPUTE, "fan_out", "fanout", SAME, 0 },
	{ WS_CACHE_PRESSURE, "size_kib", "size", KIB, 0 },
	{ WS_CACHE_YIELD, "size_kib", "size", KIB, 0 },
	{ WS_CACHE_PIPE, "size_kib", "size", KIB, 0 },
	{ WS_CACHE_PIPE, "burst_iters", "burst", SAME, 0 },
	{ WS_MUTEX_CONTENTION, "hold_iters", "burst", SAME, 0 },
	{ WS_MUTEX_CONTENTION, "work_iters", "spin", SAME, 0 },
	{ WS_AFFINITY_CHURN, "spin_iters", "spin", SAME, 0 },
	{ WS_POLICY_CHURN, "spin_iters", "spin", SAME, 0 },
	{ WS_IPC_VARIANCE, "hot_iters", "hot", SAME, 0 },
	{ WS_IPC_VARIANCE, "cold_iters", "cold", SAME, 0 },
	{ WS_IPC_VARIANCE, "period_iters", "period", SAME, 0 },
};

int ws_param_alias(enum ws_type t, const char **key, const char **val, char *vbuf,
		   size_t vsize)
{
	for (size_t i = 0; i < TK_ARRAY_SIZE(aliases); i++) {
		uint64_t v;

		if (aliases[i].type != t || strcmp(aliases[i].ref, *key))
			continue;
		*key = aliases[i].ours;
		if (aliases[i].conv == SAME || !*val)
			return 0;
		if (aliases[i].conv == KIB) {
			if (tk_parse_u64(*val, 1, 1ULL << 24, &v))
				return -EINVAL;
			snprintf(vbuf, vsize, "%llu", (unsigned long long)v * 1024);
		} else {
			if (tk_parse_duration(*val, 0, &v) || v % aliases[i].unit_ns)
				return -EINVAL;
			snprintf(vbuf, vsize, "%llu", (unsigned long long)(v / aliases[i].unit_ns));
		}
		*val = vbuf;
		return 0;
	}
	return 0;
}

void ws_param_aliases_of(enum ws_type t, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < TK_ARRAY_SIZE(aliases) && off < size; i++)
		if (aliases[i].type == t)
			off += snprintf(buf + off, size - off, "%s%s", off ? "," : "", aliases[i].ref);
}

uint64_t ws_param_u64(const char *arg, const char *key, const char *val, uint64_t min,
		      uint64_t max)
{
	uint64_t v;

	if (!val || tk_parse_u64(val, min, max, &v))
		tk_usage_error("give an integer in range", "-w '%s': %s=%s must be an integer in "
			       "%llu..%llu", arg, key, val ? val : "", (unsigned long long)min,
			       (unsigned long long)max);
	return v;
}
