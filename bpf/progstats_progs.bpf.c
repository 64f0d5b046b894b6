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
 * for CPU c's element minus the array's percpu pointer (pptrs[0]).  Per-CPU
 * offsets are global values, so they are found once, on the first program
 * visited, and kept for all CPUs in progstats_offs: a program costs no helper
 * call per CPU.
 *
 * Kernel memory is read with direct loads (struct kmem), not with
 * bpf_probe_read_kernel(): a helper call is a real call, with the host's
 * retpoline and return-thunk costs.  Per program the only helper call left
 * is bpf_seq_write() (a slim pass made 2 + 2 per CPU more; on a 2-CPU VM
 * dropping them cut a slim pass over 1000 programs from about 0.32 to 0.20
 * ms of CPU).
 *
 * slim (set by user space between passes, in every CPU's element of the
 * per-CPU array): a running sample's records carry identity and counters
 * only, not the name, BTF id and func_info count, whose reads are cache
 * misses in three more lines of bpf_prog_aux and one of struct btf per
 * program; user space takes those from its previous pass (GET_INFO for a
 * program new since then).
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

/* Each CPU's per-CPU offset, found on the first program visited. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct progstats_pcpu_offs);
} progstats_offs SEC(".maps");

/* A pointer as a number (root may leak pointers into map memory). */
static __always_inline __u64 addr_of(struct progstats_pcpu_slot *slot, const void *p)
{
	*(volatile __u64 *)&slot->num = (__u64)p;
	return *(volatile __u64 *)&slot->num;
}

/*
 * Kernel memory by address, as direct loads.  A pointer to a type that is
 * not a struct (prog->active, an int *) loads as read-only untrusted memory
 * on this kernel (6.18): a load at any offset from it is a plain load that
 * the kernel's exception table turns into 0 on a fault, with no helper call
 * and no typed pointer load for the verifier to check against the kernel's
 * BTF.  (A kernel whose verifier does not allow it refuses the program, and
 * --walk auto takes the system-call walk.)
 */
struct kmem {
	const char *p;   /* read-only untrusted memory */
	__u64 at;        /* its address */
};

/* @addr as a pointer into @km.  The pointer is the destination of the sum:
 * the verifier keeps its type only that way round. */
static __always_inline const void *kaddr(const struct kmem *km, __u64 addr)
{
	const char *q = km->p;

	asm volatile("%[q] += %[off]" : [q] "+r"(q) : [off] "r"(addr - km->at));
	return q;
}

#define KREAD(km, type, addr) (*(const type *)kaddr(km, addr))
/* Field @f of the struct @s at address @base. */
#define FIELD(km, type, base, s, f) KREAD(km, type, (base) + __builtin_offsetof(struct s, f))

/* @o->off[]: each CPU's per-CPU offset (see the top).  0, or 1 if not found. */
static __always_inline int fill_offsets(struct progstats_pcpu_slot *slot, const struct kmem *km,
					struct progstats_pcpu_offs *o)
{
	__u64 base = FIELD(km, __u64, addr_of(slot, &progstats_pcpu), bpf_array, pptrs);
	__u32 zero = 0, cpu;

	for (cpu = 0; cpu < PROGSTATS_MAX_CPUS && cpu < nr_cpus; cpu++) {
		void *mine = bpf_map_lookup_percpu_elem(&progstats_pcpu, &zero, cpu);

		if (!mine || !base)
			return 1;
		o->off[cpu] = addr_of(slot, mine) - base;
	}
	o->n = cpu;
	return 0;
}

/* The per-CPU counters at @stats (a bpf_prog's) summed over the CPUs into
 * @r; nonzero when they cannot be. */
static __always_inline int sum_stats(struct progstats_pcpu_slot *slot, const struct kmem *km,
				     __u64 stats, struct progstats_prog_rec *r)
{
	__u32 zero = 0;
	struct progstats_pcpu_offs *o = bpf_map_lookup_elem(&progstats_offs, &zero);

	if (!o || !stats || (o->n != nr_cpus && fill_offsets(slot, km, o)))
		return 1;
	for (__u32 cpu = 0; cpu < PROGSTATS_MAX_CPUS && cpu < nr_cpus; cpu++) {
		__u64 st = stats + o->off[cpu];

		r->cnt += FIELD(km, __u64, st, bpf_prog_stats, cnt);
		r->nsecs += FIELD(km, __u64, st, bpf_prog_stats, nsecs);
		r->misses += FIELD(km, __u64, st, bpf_prog_stats, misses);
	}
	return 0;
}

SEC("iter/bpf_prog")
int progstats_progs(struct bpf_iter__bpf_prog *ctx)
{
	struct bpf_prog *prog = ctx->prog;
	struct progstats_prog_rec r;
	struct progstats_pcpu_slot *slot;
	__u64 p, aux, btf;
	struct kmem km;
	__u32 zero = 0;

	if (!prog)
		return 0;
	slot = bpf_map_lookup_elem(&progstats_pcpu, &zero);
	if (!slot)
		return 0;
	__builtin_memset(&r, 0, sizeof(r));
	/* prog's own scalars load from it directly, pointers are followed in km */
	km.p = (const char *)prog->active;
	km.at = addr_of(slot, km.p);
	p = addr_of(slot, prog);
	aux = FIELD(&km, __u64, p, bpf_prog, aux);
	r.id = FIELD(&km, __u32, aux, bpf_prog_aux, id);
	r.type = prog->type;
	__builtin_memcpy(r.tag, prog->tag, sizeof(r.tag));
	if (sum_stats(slot, &km, FIELD(&km, __u64, p, bpf_prog, stats), &r))
		r.flags |= PROGSTATS_REC_STATS_ERR;
	if (slot->slim) {
		r.flags |= PROGSTATS_REC_SLIM;
	} else {
		__u64 name[2] = { FIELD(&km, __u64, aux, bpf_prog_aux, name),
				  FIELD(&km, __u64, aux, bpf_prog_aux, name[8]) };

		__builtin_memcpy(r.name, name, sizeof(r.name));
		btf = FIELD(&km, __u64, aux, bpf_prog_aux, btf);
		if (btf)
			r.btf_id = FIELD(&km, __u32, btf, btf, id);
		if (FIELD(&km, __u64, aux, bpf_prog_aux, func_info))
			r.nr_func_info = (__u16)FIELD(&km, __u32, aux, bpf_prog_aux, func_info_cnt);
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
