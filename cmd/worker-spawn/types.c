// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* types.c — the work type table: CLI name, reservoirs filled, hooks, k=v keys. */
#include <errno.h>
#include <string.h>

#include "worker.h"

/* The reservoirs each type fills (WS_FILL_*), short for the table. */
#define WAKE  WS_FILL_WAKE
#define ITER  WS_FILL_ITER
#define TIMER WS_FILL_TIMER

const struct ws_type_info ws_types[WS_NTYPES] = {
	[WS_SPIN_WAIT] = { "spin-wait", 0, ws_spin_wait, NULL, NULL, "",
		"tight PAUSE spin, 1024 per cycle" },
	[WS_YIELD_HEAVY] = { "yield-heavy", 0, ws_yield_heavy, NULL, NULL, "",
		"sched_yield loop" },
	[WS_MIXED] = { "mixed", 0, ws_mixed, NULL, NULL, "", "spin cycle then sched_yield" },
	[WS_BURSTY] = { "bursty", WAKE, ws_bursty, NULL, NULL, "burst,sleep",
		"spin burst ms, then sleep ms" },
	[WS_PIPE_IO] = { "pipe-io", WAKE, ws_pipe_io, NULL, NULL, "burst",
		"pair: burst spins, then 8-byte pipe exchange" },
	[WS_FUTEX_PING_PONG] = { "futex-ping-pong", WAKE, ws_futex_ping_pong, NULL, NULL, "burst",
		"pair: futex wait/wake turn passing" },
	[WS_FUTEX_FAN_OUT] = { "futex-fan-out", WAKE, ws_futex_fan_out, NULL, NULL, "fanout,burst",
		"messenger wakes fanout receivers (FUTEX_WAKE all), waits for acks" },
	[WS_FAN_OUT_COMPUTE] = { "fan-out-compute", WAKE, ws_fan_out_compute, ws_matrix_prep,
		ws_buf_fini, "fanout,burst,size,operations,sleep_usec,cache_footprint_kib",
		"futex-fan-out, then sleep_usec and operations size^3 matrix products per wake" },
	[WS_CACHE_PRESSURE] = { "cache-pressure", 0, ws_cache_pressure, ws_cache_prep,
		ws_buf_fini, "size,stride", "strided read-modify-write over an L1-sized buffer" },
	[WS_CACHE_YIELD] = { "cache-yield", WAKE, ws_cache_yield, ws_cache_prep, ws_buf_fini,
		"size,stride", "cache-pressure pass then sched_yield" },
	[WS_CACHE_PIPE] = { "cache-pipe", WAKE, ws_cache_pipe, ws_cache_prep, ws_buf_fini,
		"size,stride,burst", "pair: cache pass (or burst RMW steps) then pipe exchange" },
	[WS_IO_SYNC_WRITE] = { "io-sync-write", WAKE, ws_io_sync_write, ws_io_prep, ws_io_fini,
		"blocks,size,file", "blocks x 4 KiB striped pwrite, then fdatasync" },
	[WS_IO_RAND_READ] = { "io-rand-read", WAKE, ws_io_rand_read, ws_io_direct_prep, ws_io_fini,
		"size,file", "random aligned 4 KiB O_DIRECT pread" },
	[WS_IO_CONVOY] = { "io-convoy", WAKE, ws_io_convoy, ws_io_prep, ws_io_fini, "size,file",
		"sequential pwrite + random pread, fdatasync every 16" },
	[WS_NICE_SWEEP] = { "nice-sweep", WAKE, ws_nice_sweep, NULL, NULL, "spin",
		"spin, setpriority -20..19, yield" },
	[WS_AFFINITY_CHURN] = { "affinity-churn", WAKE, ws_affinity_churn, NULL, NULL, "spin",
		"spin, sched_setaffinity to a random CPU, yield" },
	[WS_POLICY_CHURN] = { "policy-churn", WAKE, ws_policy_churn, NULL, NULL, "spin,rt",
		"spin, OTHER->BATCH->IDLE(->FIFO->RR), yield" },
	[WS_MUTEX_CONTENTION] = { "mutex-contention", WAKE, ws_mutex_contention, NULL, NULL,
		"contenders,burst,spin", "futex mutex: hold burst spins, then spin outside" },
	[WS_FORK_EXIT] = { "fork-exit", WAKE, ws_fork_exit, NULL, NULL, "",
		"fork, child _exit, waitpid (fork mode only)" },
	[WS_ALU_HOT] = { "alu-hot", ITER, ws_alu_hot, NULL, NULL, "width,spin",
		"4 independent multiply chains per iteration" },
	[WS_SMT_SIBLING_SPIN] = { "smt-sibling-spin", ITER, ws_smt_sibling_spin, ws_smt_prep, NULL,
		"", "pair pinned to SMT siblings, PAUSE spin" },
	[WS_IPC_VARIANCE] = { "ipc-variance", ITER, ws_ipc_variance, ws_cache_prep, ws_buf_fini,
		"hot,cold,period,size", "alternate ALU and random cache-line phases" },
	[WS_TIMER_LATENCY] = { "timer-latency", TIMER, ws_timer_latency, NULL, NULL, "interval_us",
		"clock_nanosleep TIMER_ABSTIME every interval_us" },
	[WS_IDLE_CHURN] = { "idle-churn", WAKE, ws_idle_churn, NULL, NULL,
		"burst,sleep,precise_timing", "spin burst us, nanosleep sleep us" },
	[WS_SEQUENCE] = { "sequence", WAKE | ITER, ws_sequence, ws_sequence_prep, ws_io_fini,
		"spin,sleep,yield,io,alu-hot,file", "loop of spin/sleep/yield/io/alu-hot steps (ms)" },
	/* issue 15: wake */
	[WS_WAKE_CHAIN] = { "wake-chain", WAKE, ws_wake_chain, NULL, NULL,
		"depth,wake,work_per_hop", "ring of depth stages: wait, spin work_per_hop, wake the next" },
	[WS_THUNDERING_HERD] = { "thundering-herd", WAKE, ws_thundering_herd, NULL, NULL,
		"waiters,batches,inter_batch_ms", "one futex word: role 0 wakes all waiters per batch" },
	[WS_EPOLL_STORM] = { "epoll-storm", WAKE, ws_epoll_storm, ws_epoll_prep, ws_epoll_fini,
		"producers,consumers,events_per_burst,gap_us",
		"eventfd writes by producers, epoll_wait(1) + read by consumers" },
	[WS_ASYMMETRIC_WAKER] = { "asymmetric-waker", WAKE, ws_asymmetric_waker, ws_asym_prep,
		NULL, "waker_class,wakee_class,burst_iters",
		"pair in two scheduling classes: waker spins and wakes, wakee waits" },
	[WS_PRODUCER_CONSUMER] = { "producer-consumer-imbalance", WAKE, ws_producer_consumer, NULL,
		NULL, "producers,consumers,produce_rate_hz,consume_iters,queue_depth_target",
		"MPMC ring in shared memory: paced producers, spinning consumers" },
	/* issue 15: mem */
	[WS_CROSS_AFFINITY_CHURN] = { "cross-affinity-churn", WAKE, ws_cross_affinity_churn,
		ws_mem_prep, ws_mem_fini, "spin_iters,spin",
		"spin, set the group siblings' affinity (masks one CPU apart), yield" },
	[WS_NUMA_MIGRATION_CHURN] = { "numa-migration-churn", 0, ws_numa_migration_churn,
		ws_mem_prep, ws_mem_fini, "period_ms", "spin period_ms, then pin to the next node's CPUs" },
	[WS_NUMA_WORKING_SET_SWEEP] = { "numa-working-set-sweep", WAKE, ws_numa_working_set_sweep,
		ws_mem_prep, ws_mem_fini, "region_kib,sweep_period_ms,target_nodes",
		"mbind(MPOL_BIND, MF_MOVE) to the next node, touch every page, sleep" },
	[WS_PAGE_FAULT_CHURN] = { "page-fault-churn", 0, ws_page_fault_churn, ws_mem_prep,
		ws_mem_fini, "region_kib,touches_per_cycle,spin_iters,spin",
		"write-fault random pages, then MADV_DONTNEED" },
	[WS_CGROUP_CHURN] = { "cgroup-churn", 0, ws_cgroup_churn, ws_mem_prep, ws_mem_fini,
		"groups,cycle_ms", "move itself through groups cgroups, one per cycle_ms" },
	[WS_CGROUP_ATTACH_STORM] = { "cgroup-attach-storm", WAKE, ws_cgroup_attach_storm,
		ws_mem_prep, ws_mem_fini, "dest,reap", "fork, move the exiting child to dest" },
	/* issue 15: rt */
	[WS_PRIORITY_INVERSION] = { "priority-inversion", WAKE, ws_priority_inversion, NULL, NULL,
		"high_count,medium_count,low_count,hold_iters,work_iters,pi_mode,window_ms,"
		"high,medium,low,hold,work", "FIFO 70/50/30 tiers over a plain or FUTEX_LOCK_PI lock" },
	[WS_RT_STARVATION] = { "rt-starvation", 0, ws_rt_starvation, NULL, NULL,
		"rt_workers,cfs_workers,rt_priority,burst_iters", "FIFO spinners vs normal spinners" },
	[WS_PREEMPT_STORM] = { "preempt-storm", 0, ws_preempt_storm, NULL, NULL,
		"cfs_workers,rt_burst_iters,rt_sleep_us", "FIFO 1 bursts + sleeps vs normal spinners" },
	[WS_SIGNAL_STORM] = { "signal-storm", WAKE, ws_signal_storm, NULL, NULL,
		"signals_per_iter,work_iters", "pair: tgkill SIGUSR2 bursts at the partner thread" },
	/* issue 15: net, bench */
	[WS_NET_TRAFFIC] = { "net-traffic", 0, ws_net_traffic, ws_net_prep, ws_net_fini,
		"interval_us,frame_bytes", "frames over loopback in a network namespace of its own" },
	[WS_IRQ_WAKE] = { "irq-wake", WAKE, ws_irq_wake, ws_net_prep, ws_net_fini,
		"interval_us,frame_bytes", "receiver woken from NET_RX by a sender thread's frames" },
	[WS_SCHBENCH] = { "schbench", 0, ws_schbench, NULL, NULL,
		"message_threads,worker_threads,cache_footprint_kib,operations,sleep_usec,"
		"requests_per_sec,auto_rps,split_percent,skip_locking",
		"message threads wake worker threads; wakeup and request latency" },
	[WS_TAOBENCH] = { "taobench", 0, ws_taobench, ws_taobench_prep, ws_taobench_fini,
		"client_threads,slow_threads,cache_capacity_mib,target_hit_pct,slow_path_sleep_us,"
		"arrival_rate,slow_path_p99_us,warm_start", "KV cache: clients, miss dispatchers; closed or open loop" },
	[WS_EXEC] = { "exec", 0, NULL, NULL, NULL, "", "run CMD with /bin/sh -c as the worker" },
};

#undef WAKE
#undef ITER
#undef TIMER

int ws_type_lookup(const char *name, enum ws_type *t)
{
	for (int i = 0; i < WS_NTYPES; i++)
		if (!strcmp(ws_types[i].name, name)) {
			*t = i;
			return 0;
		}
	return -ENOENT;
}

bool ws_type_handoff(enum ws_type t)
{
	return t == WS_PIPE_IO || t == WS_CACHE_PIPE || t == WS_FUTEX_PING_PONG ||
	       t == WS_FUTEX_FAN_OUT || t == WS_FAN_OUT_COMPUTE || t == WS_MUTEX_CONTENTION;
}

int ws_group_fills(const struct ws_group *g)
{
	int f = 0;

	if (g->type == WS_CGROUP_ATTACH_STORM)   /* issue 15: mem */
		return g->p_reap_wait ? WS_FILL_WAKE : 0;
	if (g->type != WS_SEQUENCE)
		return ws_types[g->type].fills;
	for (unsigned i = 0; i < g->nseq; i++)
		if (g->seq[i].kind == WS_STEP_ALU)
			f |= WS_FILL_ITER;
		else if (g->seq[i].kind != WS_STEP_SPIN)
			f |= WS_FILL_WAKE;
	return f;
}
