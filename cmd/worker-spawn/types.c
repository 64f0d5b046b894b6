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
		ws_buf_fini, "fanout,burst,size", "futex-fan-out plus a size^3 matrix product per wake" },
	[WS_CACHE_PRESSURE] = { "cache-pressure", 0, ws_cache_pressure, ws_cache_prep,
		ws_buf_fini, "size,stride", "strided read-modify-write over an L1-sized buffer" },
	[WS_CACHE_YIELD] = { "cache-yield", WAKE, ws_cache_yield, ws_cache_prep, ws_buf_fini,
		"size,stride", "cache-pressure pass then sched_yield" },
	[WS_CACHE_PIPE] = { "cache-pipe", WAKE, ws_cache_pipe, ws_cache_prep, ws_buf_fini,
		"size,stride", "pair: cache pass then pipe exchange" },
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
	[WS_IDLE_CHURN] = { "idle-churn", WAKE, ws_idle_churn, NULL, NULL, "burst,sleep",
		"spin burst us, nanosleep sleep us" },
	[WS_SEQUENCE] = { "sequence", WAKE, ws_sequence, ws_sequence_prep, ws_io_fini,
		"spin,sleep,yield,io,alu-hot,file", "loop of spin/sleep/yield/io/alu-hot steps" },
	/* issue 15: net, bench */
	[WS_NET_TRAFFIC] = { "net-traffic", 0, ws_net_traffic, ws_net_prep, ws_net_fini,
		"interval_us,frame_bytes", "frames over loopback in a network namespace of its own" },
	[WS_IRQ_WAKE] = { "irq-wake", WAKE, ws_irq_wake, ws_net_prep, ws_net_fini,
		"interval_us,frame_bytes", "receiver woken from NET_RX by a sender thread's frames" },
	[WS_SCHBENCH] = { "schbench", 0, ws_schbench, NULL, NULL,
		"message_threads,worker_threads,cache_footprint_kib,operations,sleep_usec",
		"message threads wake worker threads; wakeup and request latency" },
	[WS_TAOBENCH] = { "taobench", 0, ws_taobench, ws_taobench_prep, ws_taobench_fini,
		"client_threads,slow_threads,cache_capacity_mib,target_hit_pct,slow_path_sleep_us,"
		"arrival_rate", "KV cache: clients, miss dispatchers; closed or open loop" },
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

int ws_group_fills(const struct ws_group *g)
{
	int f = 0;

	if (g->type != WS_SEQUENCE)
		return ws_types[g->type].fills;
	for (unsigned i = 0; i < g->nseq; i++)
		if (g->seq[i].kind == WS_STEP_SLEEP || g->seq[i].kind == WS_STEP_YIELD ||
		    g->seq[i].kind == WS_STEP_IO)
			f = WS_FILL_WAKE;
	return f;
}
