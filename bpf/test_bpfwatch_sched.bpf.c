// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test object for bpfwatch: global state shaped like a sched_ext scheduler's
 * (.bss struct with nested struct, union, array, bool, enum, bitfields; a
 * per-CPU array cpu_ctx_stor), updated on every context switch unless the
 * loader set `paused` to freeze known values.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "test_bpfwatch_sched.h"
#include "test_bpfwatch_maps.bpf.h"

struct tw_sys_stat sys_stat;
__u64 lat_headroom;
volatile int paused = 0;
__u32 data_magic = 0xC0FFEE;
const volatile __u32 cfg_version = 1;

SEC("tp_btf/sched_switch")
int BPF_PROG(tw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	struct tw_cpu_ctx *c;

	if (paused)
		return 0;
	c = tw_cpu_ctx();
	if (c) {
		c->nr_switch++;
		c->util = (now >> 10) & 1023;
		c->slack = (__s32)(now & 0xff) - 128;
	}
	__sync_fetch_and_add(&sys_stat.nr_sched, 1);
	sys_stat.avg_lat = (sys_stat.avg_lat * 7 + (now & 0xffff)) / 8;
	sys_stat.hist[now & 7]++;
	sys_stat.enabled = true;
	sys_stat.mode = (now & 1) ? TW_BUSY : TW_BOOST;
	sys_stat.prio = now & 7;
	lat_headroom = now;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
