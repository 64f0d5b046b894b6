/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* engine.h — parent-side bookkeeping shared by run.c and collect.c. */
#ifndef WS_ENGINE_H
#define WS_ENGINE_H

#include <pthread.h>
#include <unistd.h>

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
	/* --mode pcomm (pcomm.c): the leader and its worker threads' tids (MAP_SHARED) */
	pid_t leader;
	_Atomic pid_t *tids;
	int leader_kind, leader_code;    /* how the leader ended (WS_EXIT_*), for sentinels */
};

/* The thread (or process) id of worker @i, 0 while unknown. */
static inline pid_t ws_engine_tid(const struct ws_engine *e, unsigned i)
{
	if (e->o->pcomm)
		return e->tids ? atomic_load(&e->tids[i]) : 0;
	return e->o->thread_mode ? atomic_load(&e->p[i].tid) : e->p[i].pid;
}
/* The process worker @i's thread belongs to. */
static inline pid_t ws_engine_tgid(const struct ws_engine *e, unsigned i)
{
	return e->o->pcomm ? e->leader : e->o->thread_mode ? getpid() : e->p[i].pid;
}

/*
 * --mode pcomm (pcomm.c): fork one leader (its own process group, killed
 * with the parent) whose threads are the workers, each running
 * ws_worker_main() and writing its tid to e->tids[].  0 or -errno.
 */
int ws_pcomm_spawn(struct ws_engine *e);
/* Wait for the leader until @deadline (ns, monotonic), then SIGKILL its group and reap it. */
void ws_pcomm_reap(struct ws_engine *e, uint64_t deadline);
/* Unmap e->tids. */
void ws_pcomm_free(struct ws_engine *e);

/* Stop every worker, collect reports under one 5 s deadline, reap. */
void ws_collect(struct ws_engine *e, struct ws_run *run);

#endif
