/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * clock.h — clocks, the shared stop flag and the sampling loop.
 *
 * Every command calls tk_stop_install() once; SIGINT and SIGTERM then only set
 * a flag (no SA_RESTART, so blocking calls return EINTR) and the command's
 * loop ends through its normal cleanup path.  tk_loop_* runs an interval loop
 * with -c COUNT / -d DURATION limits whose ticks do not drift: each wait
 * sleeps until the next absolute deadline (start + k * interval), bpftop-like.
 */
#ifndef TELKIT_CLOCK_H
#define TELKIT_CLOCK_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define TK_NSEC_PER_SEC  1000000000ULL
#define TK_NSEC_PER_MSEC 1000000ULL
#define TK_NSEC_PER_USEC 1000ULL

uint64_t tk_now_mono_ns(void);   /* CLOCK_MONOTONIC */
uint64_t tk_now_real_ns(void);   /* CLOCK_REALTIME (record timestamps) */
uint64_t tk_now_boot_ns(void);   /* CLOCK_BOOTTIME (process start times, proc.h) */

/* Install SIGINT/SIGTERM handlers that set the stop flag; ignore SIGPIPE. */
void tk_stop_install(void);
/* True once a stop was requested (signal, tk_stop_request(), or EPIPE). */
bool tk_stop_requested(void);
/* The signal that requested the stop, or 0. */
int tk_stop_signal(void);
void tk_stop_request(void);

/* Sleep for @ns or until a stop is requested.  Returns false if stopped. */
bool tk_sleep_ns(uint64_t ns);

/* Interval loop with count/duration limits (0 = unlimited). */
struct tk_loop {
	uint64_t interval_ns;
	uint64_t count;         /* ticks wanted, 0 = no limit */
	uint64_t duration_ns;   /* run length, 0 = no limit */
	uint64_t start_ns;      /* CLOCK_MONOTONIC at tk_loop_start() */
	uint64_t ticks;         /* ticks completed */
	uint64_t last_ns;       /* time of the previous tick (or start) */
	uint64_t period_ns;     /* measured length of the period just ended */
	uint64_t next_ns;       /* next deadline on the start + k*interval grid */
};
void tk_loop_start(struct tk_loop *l, uint64_t interval_ns, uint64_t count,
		   uint64_t duration_ns);
/*
 * Wait for the next tick.  Returns true when a tick is due (then
 * tk_loop_period_ns() gives the measured time since the previous tick), false
 * when the loop is over: count reached, duration elapsed (the final tick is
 * shortened to end exactly at the duration), or a stop was requested.
 */
bool tk_loop_next(struct tk_loop *l);
/* Measured length of the period that just ended, in ns. */
uint64_t tk_loop_period_ns(const struct tk_loop *l);

#endif
