// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test object for tests/10-progstats.bats (loaded by
 * tests/helpers/progstats_load.c -o): a TCP congestion control as
 * struct_ops, the kind of object a sched_ext scheduler is.  Its programs'
 * names are longer than the kernel's 15 bytes; each counts its own runs in
 * `ops_calls` (.bss), the reference for progstats' cnt and for the sums of
 * --group obj.  The ops map is named pstest_ops; the congestion control
 * registers as "pstest_ca".  cwnd stays at its initial value, so every ACK
 * of a bulk transfer reaches the cong_avoid program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 ops_calls[4];   /* init, ssthresh, cong_avoid, undo_cwnd */

SEC("struct_ops/progstats_ca_init_connection")
void BPF_PROG(progstats_ca_init_connection, struct sock *sk)
{
	__sync_fetch_and_add(&ops_calls[0], 1);
}

SEC("struct_ops/progstats_ca_slow_start_threshold")
__u32 BPF_PROG(progstats_ca_slow_start_threshold, struct sock *sk)
{
	__sync_fetch_and_add(&ops_calls[1], 1);
	return 10;
}

SEC("struct_ops/progstats_ca_congestion_avoid")
void BPF_PROG(progstats_ca_congestion_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	__sync_fetch_and_add(&ops_calls[2], 1);
}

SEC("struct_ops/progstats_ca_undo_cwnd")
__u32 BPF_PROG(progstats_ca_undo_cwnd, struct sock *sk)
{
	__sync_fetch_and_add(&ops_calls[3], 1);
	return 10;
}

SEC(".struct_ops")
struct tcp_congestion_ops pstest_ops = {
	.init = (void *)progstats_ca_init_connection,
	.ssthresh = (void *)progstats_ca_slow_start_threshold,
	.cong_avoid = (void *)progstats_ca_congestion_avoid,
	.undo_cwnd = (void *)progstats_ca_undo_cwnd,
	.name = "pstest_ca",
};
