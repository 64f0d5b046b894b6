// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test program for real recursion misses (tests/11-progstats-misses.bats,
 * loaded by tests/helpers/progstats_recur.c).  One raw_tp program attached to
 * two tracepoints: sys_enter, where it busy-waits spin_ns for the target
 * process's syscalls, and local_timer_entry.  A timer interrupt landing while
 * it spins re-enters it on the same CPU: the kernel skips that run and counts
 * it in the program's recursion_misses (__bpf_trace_run, prog->active).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u32 target_tgid = 0;
__u64 spin_ns = 0;
__u64 spins = 0;       /* sys_enter runs that spun */

static long spin_step(__u32 i, void *ctx)
{
	return bpf_ktime_get_ns() >= *(__u64 *)ctx;
}

SEC("raw_tp")
int psrecur_spin(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 deadline;

	/* local_timer_entry's only argument is the vector; sys_enter's first
	 * one is a struct pt_regs pointer */
	if (ctx->args[0] < 4096 || !target_tgid ||
	    bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	deadline = bpf_ktime_get_ns() + spin_ns;
	bpf_loop(1 << 23, spin_step, &deadline, 0);
	__sync_fetch_and_add(&spins, 1);
	return 0;
}
