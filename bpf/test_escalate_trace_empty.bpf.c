// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_escalate_trace_empty.bpf.c — two EMPTY tp_btf programs on
 * raw_syscalls sys_enter/sys_exit, for bench/escalate: the cost of the
 * kernel's syscall-tracepoint slow path and BPF dispatch alone, the floor
 * under escalate_trace.bpf.c's own cost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sys_enter")
int BPF_PROG(esc_empty_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(esc_empty_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
