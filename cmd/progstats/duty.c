// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats --stats-duty ON/EVERY: run-time stats held only for the last ON
 * of every EVERY, the sample taken at the end of that window.  The kernel's
 * counters move only in the window, so a period's counts are the window's
 * scaled by EVERY/ON (rates and ns per call are the window's own).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "clock.h"
#include "parse.h"
#include "progstats.h"

int ps_duty_parse(const char *s, uint64_t *on_ns, uint64_t *every_ns)
{
	const char *slash = strchr(s, '/');
	char on[64];
	int err;

	if (!slash || (size_t)(slash - s) >= sizeof(on))
		return -EINVAL;
	memcpy(on, s, (size_t)(slash - s));
	on[slash - s] = '\0';
	err = tk_parse_duration(on, 0, on_ns);
	if (!err)
		err = tk_parse_duration(slash + 1, 0, every_ns);
	if (!err && *on_ns >= *every_ns)
		err = -ERANGE;
	return err;
}

uint64_t ps_loop_next_tick(const struct tk_loop *l)
{
	uint64_t tick = l->next_ns ? l->next_ns : l->start_ns + l->interval_ns;
	uint64_t end = l->duration_ns ? l->start_ns + l->duration_ns : UINT64_MAX;

	return tick < end ? tick : end;
}

bool ps_duty_wait_off(const struct tk_loop *l, uint64_t on_ns)
{
	uint64_t tick = ps_loop_next_tick(l);
	uint64_t end = l->duration_ns ? l->start_ns + l->duration_ns : UINT64_MAX;
	uint64_t wake, now;

	if (tk_stop_requested() || (l->count && l->ticks >= l->count) || l->last_ns >= end)
		return false;
	wake = tick > on_ns ? tick - on_ns : 0;
	now = tk_now_mono_ns();
	return wake <= now ? !tk_stop_requested() : tk_sleep_ns(wake - now);
}

static uint64_t scale(uint64_t v, double f)
{
	double s = round((double)v * f);

	return s >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)s;
}

void ps_duty_scale(struct ps_snap *cur, uint64_t period_ns)
{
	for (size_t i = 0; i < cur->n; i++) {
		struct ps_prog *p = &cur->v[i];
		double f;

		if (p->is_new || !p->period_ns)
			continue;  /* no window of its own yet */
		f = (double)period_ns / (double)p->period_ns;
		p->on_ns = p->period_ns;
		p->period_ns = period_ns;
		p->d_cnt = scale(p->d_cnt, f);
		p->d_nsecs = scale(p->d_nsecs, f);
		p->d_misses = scale(p->d_misses, f);
	}
}
