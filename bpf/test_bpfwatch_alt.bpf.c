// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test object for bpfwatch fault tests: the same map names as
 * test_bpfwatch_sched (test_bpf.bss, cpu_ctx_stor) but a different .bss
 * layout — sys_stat lost nr_sched and moved avg_lat — as after a scheduler
 * upgrade.  cpu_ctx_stor keeps its layout.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "test_bpfwatch_alt.h"
#include "test_bpfwatch_maps.bpf.h"

struct tw_sys_stat_v2 sys_stat;

SEC("tp_btf/sched_switch")
int BPF_PROG(tw_switch_v2, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	struct tw_cpu_ctx *c;

	c = tw_cpu_ctx();
	if (c)
		c->nr_switch++;
	sys_stat.version = 2;
	sys_stat.hist[now & 7]++;
	sys_stat.avg_lat = (sys_stat.avg_lat * 7 + (now & 0xffff)) / 8;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
