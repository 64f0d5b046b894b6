// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_progs — iter/bpf_prog: one progstats_prog_rec per loaded program,
 * with run_cnt/run_time_ns/recursion_misses summed over the possible CPUs as
 * bpf_prog_get_stats() does for OBJ_GET_INFO_BY_FD.
 *
 * prog->stats is a per-CPU pointer, but this kernel's BTF carries no percpu
 * type tag, so bpf_per_cpu_ptr() will not take it, and percpu symbols are not
 * in kallsyms (no typed percpu ksyms).  Each CPU's per-CPU offset is found
 * from a per-CPU array of our own instead: the address the kernel hands out
 * for CPU c's element minus the array's percpu pointer (pptrs[0], read once
 * per CPU and kept in that CPU's element).
 *
 * slim (set by user space between passes, in every CPU's element of the
 * per-CPU array: a global would cost another map to load): a running sample's
 * records carry identity and counters only, not the name, BTF id and
 * func_info count, whose reads are cache misses in three more lines of
 * bpf_prog_aux and one of struct btf per program; user space takes those
 * from its previous pass (GET_INFO for a program new since then).
 *
 * Built without CO-RE (field offsets are the build kernel's, from its own
 * vmlinux.h) so that loading needs no parse of the kernel BTF; user space
 * checks the records of a program it knows before trusting the walk.
 */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "progstats_progs.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 nr_cpus = 1;

/* One element: per CPU the offset probe, a pointer-to-number slot, the mode. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct progstats_pcpu_slot);
} progstats_pcpu SEC(".maps");

/* A pointer as a number (root may leak pointers into map memory). */
static __always_inline __u64 addr_of(struct progstats_pcpu_slot *slot, const void *p)
{
	*(volatile __u64 *)&slot->num = (__u64)p;
	return *(volatile __u64 *)&slot->num;
}

/*
 * prog->stats summed over the CPUs into @r; nonzero when a read failed.
 * Before the slim/full branch, so that the verifier walks this loop once.
 */
static __always_inline int sum_stats(struct progstats_pcpu_slot *slot, __u64 stats,
				     struct progstats_prog_rec *r)
{
	__u64 st[3];
	__u32 zero = 0;

	if (!slot->base &&
	    bpf_probe_read_kernel(&slot->base, sizeof(slot->base),
				  (void *)(addr_of(slot, &progstats_pcpu) +
					   __builtin_offsetof(struct bpf_array, pptrs))))
		return 1;
	for (__u32 cpu = 0; cpu < PROGSTATS_MAX_CPUS && cpu < nr_cpus; cpu++) {
		void *mine = bpf_map_lookup_percpu_elem(&progstats_pcpu, &zero, cpu);

		if (!mine)
			break;
		if (bpf_probe_read_kernel(st, sizeof(st),
					  (void *)(stats + (addr_of(slot, mine) - slot->base))))
			return 1;
		r->cnt += st[0];
		r->nsecs += st[1];
		r->misses += st[2];
	}
	return 0;
}

SEC("iter/bpf_prog")
int progstats_progs(struct bpf_iter__bpf_prog *ctx)
{
	struct bpf_prog *prog = ctx->prog;
	struct progstats_prog_rec r;
	struct progstats_pcpu_slot *slot;
	struct bpf_prog_aux *aux;
	struct btf *btf;
	__u32 zero = 0;

	if (!prog)
		return 0;
	slot = bpf_map_lookup_elem(&progstats_pcpu, &zero);
	if (!slot)
		return 0;
	__builtin_memset(&r, 0, sizeof(r));
	aux = prog->aux;
	r.id = aux->id;
	r.type = prog->type;
	bpf_probe_read_kernel(r.tag, sizeof(r.tag), prog->tag);
	if (sum_stats(slot, addr_of(slot, prog->stats), &r))
		r.flags |= PROGSTATS_REC_STATS_ERR;
	if (slot->slim) {
		r.flags |= PROGSTATS_REC_SLIM;
	} else {
		bpf_probe_read_kernel(r.name, sizeof(r.name), aux->name);
		btf = aux->btf;
		if (btf)
			r.btf_id = btf->id;
		r.nr_func_info = aux->func_info ? (__u16)aux->func_info_cnt : 0;
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
