/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The per-CPU map both bpfwatch test objects carry (test_bpfwatch_sched and
 * its re-laid-out twin test_bpfwatch_alt): one struct tw_cpu_ctx per CPU,
 * whose layout each object's own header defines.  Include after it.
 */
#ifndef TELKIT_TEST_BPFWATCH_MAPS_BPF_H
#define TELKIT_TEST_BPFWATCH_MAPS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_cpu_ctx);
} cpu_ctx_stor SEC(".maps");

/* This CPU's slot, or NULL. */
static __always_inline struct tw_cpu_ctx *tw_cpu_ctx(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_ctx_stor, &zero);
}

#endif
