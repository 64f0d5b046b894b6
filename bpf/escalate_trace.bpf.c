// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * escalate_trace.bpf.c — syscount-style per-syscall count, errors and wall
 * time for every thread of one process (tgid), on raw_syscalls sys_enter/
 * sys_exit through tp_btf (no tracefs).  Calls are counted at entry (so
 * exit_group and calls still blocked when the window closes are counted);
 * time and errors at exit, only for calls entered in the current window
 * (generation `gen`).  `threads` keeps, per thread seen, when it entered the
 * window and when it exited, so user space can compute thread-time.  With
 * `follow`, processes forked by a traced process are traced too (strace -f).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "escalate_agg.h"

#define ESC_MAX_THREADS 16384
#define ESC_MAX_PROCS 4096

/* Per task: the syscall in flight and the window this task was last seen in. */
struct esc_start {
	__u64 ts;
	__u32 id;
	__u32 gen;
	__u32 seen_gen;
	__u32 pad;
};

struct esc_thread {
	__u64 first_ns;   /* max(window start, thread start) */
	__u64 exit_ns;    /* 0 while alive */
};

/* Written by user space through the mmap'd .bss. */
__u32 target_tgid = 0;
__u32 follow = 0;        /* also trace processes forked by traced ones */
__u32 gen = 0;
__u64 win_start_ns = 0;
__u64 lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct esc_start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ESC_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct esc_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ESC_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u8);
} tgids SEC(".maps");

static __always_inline bool is_target(__u32 tgid)
{
	if (!target_tgid)
		return false;
	if (tgid == target_tgid)
		return true;
	return follow && bpf_map_lookup_elem(&tgids, &tgid);
}

static __always_inline void note_thread(__u32 tid, __u64 task_start, __u64 exit_ns)
{
	struct esc_thread *t = bpf_map_lookup_elem(&threads, &tid);
	struct esc_thread nt = {};

	if (t) {
		if (exit_ns)
			t->exit_ns = exit_ns;
		return;
	}
	nt.first_ns = task_start > win_start_ns ? task_start : win_start_ns;
	nt.exit_ns = exit_ns;
	if (bpf_map_update_elem(&threads, &tid, &nt, BPF_NOEXIST))
		__sync_fetch_and_add(&lost, 1);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(esc_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct esc_start *s;
	__u32 key;

	if (!is_target(pid_tgid >> 32))
		return 0;
	task = bpf_get_current_task_btf();
	s = bpf_task_storage_get(&start, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	if (s->seen_gen != gen) {
		s->seen_gen = gen;
		note_thread((__u32)pid_tgid, task->start_time, 0);
	}
	key = ((__u64)id < ESC_AGG_COMPAT ? (__u32)id : ESC_AGG_BADID) | esc_agg_abi(task);
	esc_agg_enter(key, pid_tgid);
	s->id = key;
	s->gen = gen;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(esc_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct esc_start *s;

	if (!is_target(pid_tgid >> 32))
		return 0;
	s = bpf_task_storage_get(&start, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts)
		return 0;
	if (s->gen == gen)
		esc_agg_exit(s->id, pid_tgid, bpf_ktime_get_ns() - s->ts, ret);
	s->ts = 0;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(esc_task_exit, struct task_struct *p, bool group_dead)
{
	if (!is_target(p->tgid))
		return 0;
	note_thread(p->pid, p->start_time, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(esc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!follow || ptgid == ctgid || !is_target(ptgid))
		return 0;
	if (bpf_map_update_elem(&tgids, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&lost, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
