// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_escalate_trace_empty.bpf.c — EMPTY programs on each syscall hook
 * escalate_trace.bpf.c can use, for bench/escalate: the cost of the hook
 * and BPF dispatch alone, the floor under escalate_trace.bpf.c's own cost.
 *   tp_btf, raw_tp  raw_syscalls sys_enter/sys_exit (every task on the
 *                   syscall slow path while attached)
 *   fentry, fexit   templates: tests/helpers/escalate_empty.c loads a copy
 *                   per syscall function (common/fnclone.h)
 * Nothing is loaded unless the helper asks ('?').
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("?tp_btf/sys_enter")
int BPF_PROG(esc_empty_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("?tp_btf/sys_exit")
int BPF_PROG(esc_empty_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

SEC("?raw_tp/sys_enter")
int esc_empty_raw_enter(void *ctx)
{
	return 0;
}

SEC("?raw_tp/sys_exit")
int esc_empty_raw_exit(void *ctx)
{
	return 0;
}

SEC("?fentry/__x64_sys_read")
int esc_empty_fentry(void *ctx)
{
	return 0;
}

SEC("?fexit/__x64_sys_read")
int esc_empty_fexit(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
