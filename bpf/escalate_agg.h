/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * escalate_agg.h — in-kernel per-syscall figures for escalate_trace.bpf.c
 * (issue 21 §3): count, errors, total, min, max and sum of squares of the
 * wall time, a log2 histogram (with `agg_hist`), a per-errno count, per
 * thread keys (with `agg_per_thread`), and the 32-bit compat ABI.
 *
 * Keys carry the syscall id with ESC_AGG_COMPAT (bit 31) set for compat
 * (ia32) calls, so an i386 number is never read as an x86_64 one.  Ids below
 * ESC_AGG_IDS of the whole-process table land in the per-CPU array `agg`
 * (no hash on the hot path); larger ids (x32's bit 30, a future kernel's)
 * and per-thread rows go to the per-CPU hash `agg_over`: no id is dropped;
 * what a full map refuses is counted in `agg_lost`.
 *
 * `agg_slot` (0/1, written by user space) selects the half being filled, so
 * user space can flip it, wait for running programs (an RCU grace period),
 * and drain the other half without losing updates (interval summaries).
 *
 * Per-CPU values take atomic adds although each CPU writes its own: the
 * programs run with migration, not preemption, disabled (escalate-trace(8),
 * OVERHEAD); plain adds measured no faster (bench/escalate/README).
 *
 * Include once, from the program that owns the sys_enter/sys_exit hooks;
 * call esc_agg_enter() where a call is counted and esc_agg_exit() where its
 * time is known.  User space mirrors the layouts in cmd/escalate-trace/agg.c.
 */
#ifndef ESCALATE_AGG_H
#define ESCALATE_AGG_H

#define ESC_AGG_IDS 512           /* ids per ABI in the array */
#define ESC_AGG_COMPAT 0x80000000u
#define ESC_AGG_BADID 0x7fffffffu   /* ids outside [0, 2^31) are counted here */
#define ESC_AGG_HIST 64           /* log2(ns) buckets: [2^i, 2^(i+1)) */
#define ESC_AGG_OVER 65536
#define ESC_AGG_ERRS 16384

struct esc_agg_key {
	__u32 id;        /* syscall number | ESC_AGG_COMPAT */
	__u32 tid;       /* 0 unless agg_per_thread */
	__u32 slot;
	__u32 err;       /* errno (agg_errs only), else 0 */
};

struct esc_agg_val {
	__u64 count;     /* calls entered */
	__u64 returned;  /* calls that returned (time known) */
	__u64 errors;    /* returns in [-4095, -1] */
	__u64 time_ns;   /* sum of entry-to-exit wall time */
	__u64 min_inv;   /* ~min time: 0 = none yet, so zeroed entries need no init */
	__u64 max_ns;
	__u64 sq_lo, sq_hi;  /* 128-bit sum of time_ns^2 */
};

struct esc_agg_hist {
	__u64 b[ESC_AGG_HIST];
};

/* Written by user space through the mmap'd .bss. */
__u32 agg_slot = 0;
__u32 agg_per_thread = 0;
__u32 agg_hist = 0;
__u64 agg_lost = 0;
/* All zeros: the first value of a histogram (too big for the BPF stack). */
const volatile __u64 agg_zero_hist[ESC_AGG_HIST] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * 2 * ESC_AGG_IDS);   /* slot x ABI x id */
	__type(key, __u32);
	__type(value, struct esc_agg_val);
} agg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ESC_AGG_OVER);
	__type(key, struct esc_agg_key);
	__type(value, struct esc_agg_val);
} agg_over SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ESC_AGG_OVER);
	__type(key, struct esc_agg_key);
	__type(value, struct esc_agg_hist);
} agg_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ESC_AGG_ERRS);
	__type(key, struct esc_agg_key);
	__type(value, __u64);
} agg_errs SEC(".maps");

/* ESC_AGG_COMPAT when the current syscall entered through the ia32 ABI. */
static __always_inline __u32 esc_agg_abi(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	/* TS_COMPAT: set by the 32-bit entry, cleared on return to user mode;
	 * a plain load from the trusted task pointer (no probe-read call) */
	if (bpf_core_field_exists(task->thread_info.status) &&
	    (task->thread_info.status & 0x0002))
		return ESC_AGG_COMPAT;
#endif
	return 0;
}

static __always_inline struct esc_agg_val *esc_agg_get(__u32 id, __u32 tid, __u32 slot)
{
	struct esc_agg_key k = { .id = id, .tid = tid, .slot = slot };
	struct esc_agg_val zero = {}, *v;
	__u32 idx;

	if (!tid && (id & ~ESC_AGG_COMPAT) < ESC_AGG_IDS) {
		idx = ((k.slot << 1) | (id >> 31)) * ESC_AGG_IDS + (id & (ESC_AGG_IDS - 1));
		return bpf_map_lookup_elem(&agg, &idx);
	}
	v = bpf_map_lookup_elem(&agg_over, &k);
	if (v)
		return v;
	bpf_map_update_elem(&agg_over, &k, &zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&agg_over, &k);
	if (!v)
		__sync_fetch_and_add(&agg_lost, 1);
	return v;
}

static __always_inline __u32 esc_agg_tid(__u32 tid)
{
	return agg_per_thread ? tid : 0;
}

/* A call of @id (with its ABI bit) entered by thread @tid. */
static __always_inline void esc_agg_enter(__u32 id, __u32 tid)
{
	struct esc_agg_val *v = esc_agg_get(id, esc_agg_tid(tid), agg_slot & 1);

	if (v)
		__sync_fetch_and_add(&v->count, 1);
}

static __always_inline __u32 esc_agg_log2(__u64 x)
{
	__u32 r = 0;

	for (int s = 32; s; s >>= 1) {
		if (x >> s) {
			x >>= s;
			r += s;
		}
	}
	return r;
}

static __always_inline void esc_agg_note_errno(__u32 id, __u32 tid, __u32 slot, long ret)
{
	struct esc_agg_key k = { .id = id, .tid = tid, .slot = slot, .err = (__u32)-ret };
	__u64 zero = 0, *c = bpf_map_lookup_elem(&agg_errs, &k);

	if (!c) {
		bpf_map_update_elem(&agg_errs, &k, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&agg_errs, &k);
	}
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		__sync_fetch_and_add(&agg_lost, 1);
}

static __always_inline void esc_agg_note_hist(__u32 id, __u32 tid, __u32 slot, __u64 d)
{
	struct esc_agg_key k = { .id = id, .tid = tid, .slot = slot };
	struct esc_agg_hist *h = bpf_map_lookup_elem(&agg_hists, &k);
	__u32 b = esc_agg_log2(d);

	if (!h) {
		bpf_map_update_elem(&agg_hists, &k, (const void *)&agg_zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&agg_hists, &k);
	}
	if (!h) {
		__sync_fetch_and_add(&agg_lost, 1);
		return;
	}
	if (b < ESC_AGG_HIST)
		__sync_fetch_and_add(&h->b[b], 1);
}

/* d^2 as 128 bits (*lo, *hi) from 32-bit halves: hi1*2^64 + 2*mid*2^32 + lo */
static __always_inline void esc_agg_sq128(__u64 d, __u64 *lo, __u64 *hi)
{
	__u64 lo0 = d & 0xffffffff, hi0 = d >> 32;
	__u64 lo1 = lo0 * lo0, mid = lo0 * hi0, hi1 = hi0 * hi0 + (mid >> 31);

	mid <<= 33;
	if (lo1 + mid < lo1)
		hi1++;
	*lo = lo1 + mid;
	*hi = hi1;
}

/* A call of @id returned @ret after @d ns on thread @tid. */
static __always_inline void esc_agg_exit(__u32 id, __u32 tid, __u64 d, long ret)
{
	__u32 slot = agg_slot & 1;
	struct esc_agg_val *v;
	__u64 sq_lo, sq_hi = 0, old;

	tid = esc_agg_tid(tid);
	v = esc_agg_get(id, tid, slot);
	if (!v)
		return;
	__sync_fetch_and_add(&v->returned, 1);
	__sync_fetch_and_add(&v->time_ns, d);
	if (~d > v->min_inv)
		v->min_inv = ~d;
	if (d > v->max_ns)
		v->max_ns = d;
	if (d >> 32)              /* a call of 4.3 s or more */
		esc_agg_sq128(d, &sq_lo, &sq_hi);
	else
		sq_lo = d * d;
	old = __sync_fetch_and_add(&v->sq_lo, sq_lo);
	if (old + sq_lo < old)
		sq_hi++;
	if (sq_hi)
		__sync_fetch_and_add(&v->sq_hi, sq_hi);
	if (ret < 0 && ret >= -4095) {
		__sync_fetch_and_add(&v->errors, 1);
		esc_agg_note_errno(id, tid, slot, ret);
	}
	if (agg_hist)
		esc_agg_note_hist(id, tid, slot, d);
}

#endif
