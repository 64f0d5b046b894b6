// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test programs for progstats' attach points (tests/12-progstats-more.bats,
 * loaded by tests/helpers/progstats_links.c): each is attached through a
 * different kind of BPF link, or only pinned, and does nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} pslk_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} pslk_hash SEC(".maps");

static void touch(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&pslk_arr, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int pslk_xdp(struct xdp_md *ctx)
{
	touch(0);
	return XDP_PASS;
}

SEC("cgroup_skb/egress")
int pslk_cgroup(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u64 one = 1;

	bpf_map_update_elem(&pslk_hash, &k, &one, BPF_ANY);
	return 1;
}

SEC("uprobe")
int pslk_uprobe(void *ctx)
{
	touch(2);
	return 0;
}

SEC("socket")
int pslk_pinned(struct __sk_buff *skb)
{
	return 0;
}
