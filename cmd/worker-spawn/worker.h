/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * worker.h — what a running worker sees: its context, the stop flag, and
 * blocking helpers that re-check the stop flag at least every 100 ms.  The
 * telemetry hooks its work loop calls (ws_tick, ws_wake, ...) are in
 * telemetry.h, which sits on this header.
 *
 * Files: lifecycle.c (place, ready, start, run, report), telemetry.c,
 * util.c (blocking helpers, compute kernels), work_*.c (the work loops),
 * types.c (the work type table).
 */
#ifndef WS_WORKER_H
#define WS_WORKER_H

#include <stdatomic.h>
#include <time.h>

#include "ws.h"

/* Set by SIGUSR1 (and SIGINT/SIGTERM in a worker); per thread. */
extern __thread volatile sig_atomic_t ws_stop_flag;
static inline bool ws_stopping(void) { return ws_stop_flag; }

/* Shared (MAP_SHARED) state of one unit: a pair, a fan-out group, ... */
struct ws_unit {
	_Atomic uint32_t word[4];        /* futex words */
	_Atomic uint64_t stamp;          /* waker's CLOCK_MONOTONIC at wake */
	_Atomic uint32_t waiters;
	uint8_t pad[64 - 4 * 4 - 8 - 4];
};

/* Process-shared run state (MAP_SHARED). */
struct ws_shared {
	_Atomic uint32_t epoch;          /* phase epoch, bumped by the parent */
	uint32_t pad[15];
	struct ws_unit units[];
};

/*
 * issue 15: wake — what the parent makes for one unit before any worker
 * starts, when the unit's members need more than struct ws_unit: the pipe
 * ring of wake-chain (wake=pipe), the eventfd of epoll-storm, the MAP_SHARED
 * ring of producer-consumer-imbalance (unitres.c).  Forked workers inherit
 * it; the parent closes and unmaps it after the run.
 */
struct ws_unit_res {
	int *fds;                /* nfds descriptors, -1 once closed */
	unsigned nfds;
	void *mem;               /* MAP_SHARED, memsz bytes, or NULL */
	size_t memsz;
};
/* producer-consumer-imbalance: the ring header; slot[queue_depth] follows. */
struct ws_pc_ring {
	_Atomic uint64_t head;           /* producers reserve (CAS) */
	_Atomic uint64_t pub;            /* published, in reservation order */
	_Atomic uint64_t tail;           /* consumers take (CAS) */
	_Atomic uint32_t not_full;       /* futex: bumped when a slot frees */
	_Atomic uint32_t not_empty;      /* futex: bumped when an item lands */
	_Atomic uint64_t slot[];        /* relaxed: pub and tail order them */
};
/* Make what a unit of group @g needs (nothing for most types): 0 or -errno. */
int ws_unit_res_open(const struct ws_group *g, struct ws_unit_res *r);
/* Close the descriptors (a forked worker of another unit calls this). */
void ws_unit_res_close_fds(struct ws_unit_res *r);
/* Close and unmap everything; @r is left empty. */
void ws_unit_res_free(struct ws_unit_res *r);

/* One read of /proc/.../schedstat. */
struct ws_schedstat {
	uint64_t cpu_ns, run_delay_ns, run_count;
};

/* The telemetry state of one worker (telemetry.c owns it). */
struct ws_tel {
	uint64_t t0, cpu0, last_cp, next_cp;
	int last_cpu;
	struct tk_cpuset used;
	struct ws_migration *migr;
	struct ws_schedstat sched0;      /* at ws_tel_begin() */
	uint64_t vm0;
	bool sched_ok;
	struct tk_reservoir wake, iter, timer;
	uint32_t epoch;
	struct ws_phase_slice cur;       /* running totals at the phase start */
	struct tk_cpuset phase_used;     /* CPUs of the current phase */
	struct tk_reservoir pwake, piter, ptimer;   /* the current phase's samples */
	struct tk_reservoir handoff;     /* issue 15: handoff, in step with wake */
};

struct ws_ctx {
	const struct ws_group *g;
	unsigned gidx;           /* index within the group */
	unsigned widx;           /* global worker index */
	unsigned role;           /* index within the unit (0 = leader/messenger) */
	struct ws_unit *unit;
	struct ws_shared *sh;
	int rfd, wfd;            /* pipe to/from the unit partner */
	uint64_t rng;
	int iofd;                /* io types: the temp file */
	uint8_t *buf;            /* cache/io buffer */
	size_t bufsz;
	struct tk_cpuset allowed; /* CPUs affinity-churn may pick */
	struct ws_unit_res *ures; /* issue 15: wake — the unit's pipes, eventfd, ring */
	int efd;                  /* issue 15: wake — epoll-storm consumer's epoll fd */
	struct ws_report rep;
	struct ws_tel tel;
	char fail_msg[256];      /* the body's failure (thread mode: read by the parent) */
	struct ws_net *net;      /* issue 15: net — its namespace and sockets (work_net.c) */
	void *bench;             /* issue 15: bench — a benchmark's state from prep to fini */
};

static inline uint64_t ws_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The worker body: place, wait for start, run, report.  Returns exit code. */
int ws_worker_main(struct ws_ctx *c, int start_fd, int ready_fd, int report_fd,
		   const struct tk_cpuset *set);

/* --- blocking helpers (util.c), all stop-aware -------------------------- */
/* Sleep @ns in <= 100 ms steps; false when stopped early. */
bool ws_sleep(uint64_t ns);
/* FUTEX_WAIT while *@w == @val, 100 ms timeouts; 0 woken/changed, -EINTR stop. */
int ws_futex_wait(_Atomic uint32_t *w, uint32_t val);
void ws_futex_wake(_Atomic uint32_t *w, int n);
/* Read/write exactly @len bytes, polling 100 ms; 0, -EINTR stop, -EPIPE, -errno. */
int ws_read_full(int fd, void *buf, size_t len);
int ws_write_full(int fd, const void *buf, size_t len);
/* Spin @n inner iterations (the SpinWait cycle); counted as @n work units. */
void ws_spin(struct ws_ctx *c, uint64_t n);
/* Spin for @ns of wall time, ticking work units. */
void ws_spin_for(struct ws_ctx *c, uint64_t ns);
/* Strided RMW over @buf of @size bytes; returns work units done. */
uint64_t ws_cache_pass(uint8_t *buf, size_t size, size_t stride);
/* @n strided RMW steps from the start of @buf, wrapping (the reference's
 * cache_rmw_loop); returns @n. */
uint64_t ws_cache_steps(uint8_t *buf, size_t size, size_t stride, uint64_t n);
/* 4 independent multiply chains, @n rounds; returns a sink value. */
uint64_t ws_alu(uint64_t n);

/* Timed sched_yield(): the call's duration is a wake sample. */
void ws_yield_sampled(struct ws_ctx *c);

/* Work loops (work_*.c) and their prep/fini hooks (see types.c). */
int ws_spin_wait(struct ws_ctx *c);
int ws_yield_heavy(struct ws_ctx *c);
int ws_mixed(struct ws_ctx *c);
int ws_bursty(struct ws_ctx *c);
int ws_idle_churn(struct ws_ctx *c);
int ws_cache_pressure(struct ws_ctx *c);
int ws_cache_yield(struct ws_ctx *c);
int ws_alu_hot(struct ws_ctx *c);
int ws_smt_sibling_spin(struct ws_ctx *c);
int ws_ipc_variance(struct ws_ctx *c);
int ws_pipe_io(struct ws_ctx *c);
int ws_cache_pipe(struct ws_ctx *c);
int ws_futex_ping_pong(struct ws_ctx *c);
int ws_futex_fan_out(struct ws_ctx *c);
int ws_fan_out_compute(struct ws_ctx *c);
int ws_mutex_contention(struct ws_ctx *c);
int ws_nice_sweep(struct ws_ctx *c);
int ws_affinity_churn(struct ws_ctx *c);
int ws_policy_churn(struct ws_ctx *c);
int ws_fork_exit(struct ws_ctx *c);
int ws_timer_latency(struct ws_ctx *c);
int ws_io_sync_write(struct ws_ctx *c);
int ws_io_rand_read(struct ws_ctx *c);
int ws_io_convoy(struct ws_ctx *c);
int ws_sequence(struct ws_ctx *c);
/* issue 15: rt (work_rt.c) */
int ws_priority_inversion(struct ws_ctx *c);
int ws_rt_starvation(struct ws_ctx *c);
int ws_preempt_storm(struct ws_ctx *c);
int ws_signal_storm(struct ws_ctx *c);
int ws_cache_prep(struct ws_ctx *c);
int ws_matrix_prep(struct ws_ctx *c);
int ws_smt_prep(struct ws_ctx *c);
int ws_io_prep(struct ws_ctx *c);
int ws_io_direct_prep(struct ws_ctx *c);
int ws_sequence_prep(struct ws_ctx *c);
void ws_buf_fini(struct ws_ctx *c);
void ws_io_fini(struct ws_ctx *c);
/* issue 15: wake (work_wake.c) */
int ws_wake_chain(struct ws_ctx *c);
int ws_thundering_herd(struct ws_ctx *c);
int ws_epoll_storm(struct ws_ctx *c);
int ws_asymmetric_waker(struct ws_ctx *c);
int ws_producer_consumer(struct ws_ctx *c);
int ws_epoll_prep(struct ws_ctx *c);
int ws_asym_prep(struct ws_ctx *c);
void ws_epoll_fini(struct ws_ctx *c);
/* issue 15: mem (work_mem.c) */
int ws_cross_affinity_churn(struct ws_ctx *c);
int ws_numa_migration_churn(struct ws_ctx *c);
int ws_numa_working_set_sweep(struct ws_ctx *c);
int ws_page_fault_churn(struct ws_ctx *c);
int ws_cgroup_churn(struct ws_ctx *c);
int ws_cgroup_attach_storm(struct ws_ctx *c);
int ws_mem_prep(struct ws_ctx *c);
void ws_mem_fini(struct ws_ctx *c);
/* issue 15: net (work_net.c), bench (work_bench.c) */
int ws_net_traffic(struct ws_ctx *c);
int ws_irq_wake(struct ws_ctx *c);
int ws_net_prep(struct ws_ctx *c);
void ws_net_fini(struct ws_ctx *c);
int ws_schbench(struct ws_ctx *c);
int ws_taobench(struct ws_ctx *c);
int ws_taobench_prep(struct ws_ctx *c);
void ws_taobench_fini(struct ws_ctx *c);

#endif
