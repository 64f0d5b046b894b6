// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t stop_sig;

static uint64_t now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * TK_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t tk_now_mono_ns(void)
{
	return now(CLOCK_MONOTONIC);
}

uint64_t tk_now_real_ns(void)
{
	return now(CLOCK_REALTIME);
}

uint64_t tk_now_boot_ns(void)
{
	return now(CLOCK_BOOTTIME);
}

static void on_stop(int sig)
{
	stop_sig = sig;
	stop_flag = 1;
}

void tk_stop_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;  /* no SA_RESTART: blocking calls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool tk_stop_requested(void)
{
	return stop_flag;
}

int tk_stop_signal(void)
{
	return stop_sig;
}

void tk_stop_request(void)
{
	stop_flag = 1;
}

static bool sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / TK_NSEC_PER_SEC),
		.tv_nsec = (long)(deadline_ns % TK_NSEC_PER_SEC),
	};

	while (!stop_flag) {
		int err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (!err)
			return !stop_flag;
		if (err != EINTR)
			return false;
	}
	return false;
}

bool tk_sleep_ns(uint64_t ns)
{
	return sleep_until(tk_now_mono_ns() + ns);
}

void tk_loop_start(struct tk_loop *l, uint64_t interval_ns, uint64_t count,
		   uint64_t duration_ns)
{
	memset(l, 0, sizeof(*l));
	l->interval_ns = interval_ns ? interval_ns : TK_NSEC_PER_SEC;
	l->count = count;
	l->duration_ns = duration_ns;
	l->start_ns = tk_now_mono_ns();
	l->last_ns = l->start_ns;
}

bool tk_loop_next(struct tk_loop *l)
{
	uint64_t deadline, end, t;

	if (stop_flag || (l->count && l->ticks >= l->count))
		return false;
	end = l->duration_ns ? l->start_ns + l->duration_ns : UINT64_MAX;
	if (l->last_ns >= end)
		return false;
	/* Absolute schedule on the start + k*interval grid: no drift. */
	if (!l->next_ns)
		l->next_ns = l->start_ns + l->interval_ns;
	deadline = l->next_ns < end ? l->next_ns : end;
	if (!sleep_until(deadline))
		return false;
	t = tk_now_mono_ns();
	l->period_ns = t - l->last_ns;
	l->last_ns = t;
	l->ticks++;
	/* Overslept past whole intervals: skip those grid points, no burst. */
	do
		l->next_ns += l->interval_ns;
	while (l->next_ns <= t);
	return true;
}

uint64_t tk_loop_period_ns(const struct tk_loop *l)
{
	return l->period_ns;
}
