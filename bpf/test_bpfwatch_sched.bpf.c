// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test object for bpfwatch: global state shaped like a sched_ext scheduler's
 * (.bss struct with nested struct, union, array, bool, enum, bitfields; a
 * per-CPU array cpu_ctx_stor), updated on every context switch unless the
 * loader set `paused` to freeze known values.  Keyed maps for SPEC's [KEY]:
 * tw_stats (scx_simple's stats: no BTF), tw_arr (u64 values), tw_hash (u32
 * keys), tw_hkey (struct keys), tw_raw (24-byte value without BTF) and
 * tw_user (no program uses it).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "test_bpfwatch_sched.h"
#include "test_bpfwatch_maps.bpf.h"

/* Declared like scx_simple's stats: key_size/value_size only, so no BTF. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
	__uint(max_entries, 2);
} tw_stats SEC(".maps");

/* An mmapable array of plain u64 (BTF value type u64). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TW_ARR_N);
	__type(key, __u32);
	__type(value, __u64);
} tw_arr SEC(".maps");

/* Integer-keyed hash, filled by the loader (no program uses it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} tw_hash SEC(".maps");

/* A hash with a struct key (no program uses it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, struct tw_hkey);
	__type(value, __u64);
} tw_hkey SEC(".maps");

/* A 24-byte value without BTF, mmapable. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct tw_raw));
	__uint(max_entries, TW_RAW_N);
} tw_raw SEC(".maps");

/* A named map no program references: only the loader writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} tw_user SEC(".maps");

struct tw_sys_stat sys_stat;
__u64 lat_headroom;
volatile int paused = 0;
__u32 data_magic = 0xC0FFEE;
const volatile __u32 cfg_version = 1;

/* The keyed maps: stats[0] always, stats[1] on odd ns, one tw_arr slot, tw_raw[3].cnt. */
static __always_inline void tw_count(__u64 now)
{
	__u32 k = TW_STATS_LOCAL, slot = now & (TW_ARR_N - 1), three = 3;
	struct tw_raw *r;
	__u64 *v;

	v = bpf_map_lookup_elem(&tw_stats, &k);
	if (v)
		(*v)++;
	k = TW_STATS_GLOBAL;
	v = (now & 1) ? bpf_map_lookup_elem(&tw_stats, &k) : NULL;
	if (v)
		(*v)++;
	v = bpf_map_lookup_elem(&tw_arr, &slot);
	if (v)
		__sync_fetch_and_add(v, 1);
	r = bpf_map_lookup_elem(&tw_raw, &three);
	if (r)
		__sync_fetch_and_add(&r->cnt, 1);
}

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
	tw_count(now);
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
