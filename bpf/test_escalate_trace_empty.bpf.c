// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_escalate_trace_empty.bpf.c — EMPTY programs on each syscall hook
 * escalate_trace.bpf.c can use, for bench/escalate: the cost of the hook
 * and BPF dispatch alone, the floor under escalate_trace.bpf.c's own cost.
 *   tp_btf, raw_tp  raw_syscalls sys_enter/sys_exit (every task on the
 *                   syscall slow path while attached)
 *   fentry, fexit   templates: tests/helpers/escalate_empty.c loads a copy
 *                   per syscall function (common/fnclone.h)
 * Nothing is loaded unless the helper asks ('?').  With `read_clock` set
 * (the helper's "clock" argument) each program reads the clock once
 * (bpf_ktime_get_ns()) and drops it: the floor of any tracer that times a
 * call, which needs one read at entry and one at exit.  Unset, the verifier
 * removes the dead branch and the programs stay empty.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

const volatile __u32 read_clock = 0;

static __always_inline int body(void)
{
	if (read_clock)
		bpf_ktime_get_ns();
	return 0;
}

SEC("?tp_btf/sys_enter")
int BPF_PROG(esc_empty_enter, struct pt_regs *regs, long id)
{
	return body();
}

SEC("?tp_btf/sys_exit")
int BPF_PROG(esc_empty_exit, struct pt_regs *regs, long ret)
{
	return body();
}

SEC("?raw_tp/sys_enter")
int esc_empty_raw_enter(void *ctx)
{
	return body();
}

SEC("?raw_tp/sys_exit")
int esc_empty_raw_exit(void *ctx)
{
	return body();
}

SEC("?fentry/__x64_sys_read")
int esc_empty_fentry(void *ctx)
{
	return body();
}

SEC("?fexit/__x64_sys_read")
int esc_empty_fexit(void *ctx)
{
	return body();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
