/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* engine.h — parent-side bookkeeping shared by run.c and collect.c. */
#ifndef WS_ENGINE_H
#define WS_ENGINE_H

#include <pthread.h>

#include "telemetry.h"

struct ws_proc {
	pid_t pid;                 /* fork: the worker's pid (= its pgid) */
	_Atomic pid_t tid;         /* thread mode: set by the thread */
	pthread_t th;
	bool th_started, spawned, timed_out, joined;
	int report_rd, report_wr;
	uint8_t *buf;
	size_t len, cap;
	bool done;                 /* EOF or a complete frame */
	struct ws_ctx ctx;
	struct tk_cpuset set;
	bool set_valid;
	uint64_t t_start;          /* exec workers: parent-side figures */
	struct ws_schedstat sched0, sched1;
	bool sched_ok;
	char *pol_err;             /* --policy-delay: the parent's sched_setattr failure */
	int32_t eff_policy;        /* read back before the stop; -1 = not read */
	int8_t ext_enabled;
};

struct ws_engine {
	struct ws_opts *o;
	struct ws_proc *p;
	unsigned n;
	int start_rd, start_wr, ready_rd, ready_wr;
	int *pair_fds;             /* 4 per unit, -1 when unused */
	unsigned nunits;
	struct ws_unit_res *ures;        /* issue 15: wake — one per unit (unitres.c) */
	struct ws_shared *sh;
	size_t shsize;
	char cg_abs[WS_MAX_GROUPS][320];
	int cg_made[WS_MAX_GROUPS];      /* directory levels this run made */
	bool pol_applied;                /* --policy-delay has passed */
};

/* Stop every worker, collect reports under one 5 s deadline, reap. */
void ws_collect(struct ws_engine *e, struct ws_run *run);

#endif
