// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test programs for tests/10-progstats.bats (loaded by
 * tests/helpers/progstats_load.c):
 *   tpstat_count   raw_tp/sys_enter, counts every one of its runs in `counter`,
 *                  the reference for progstats' cnt;
 *   progstats_test_long_program_name
 *                  tp_btf/sched_switch whose name the kernel truncates to
 *                  15 bytes; progstats must print the full BTF name.
 * tpstat_key puts a .bss in the object: libbpf names that map
 * "test_pro.bss" (8 bytes of the skeleton's object name), the name
 * progstats --group obj gives the object.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

__u32 tpstat_key;   /* always 0 */

SEC("raw_tp/sys_enter")
int tpstat_count(void *ctx)
{
	__u32 key = tpstat_key;
	__u64 *v = bpf_map_lookup_elem(&counter, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(progstats_test_long_program_name, bool preempt,
	     struct task_struct *prev, struct task_struct *next)
{
	return 0;
}
