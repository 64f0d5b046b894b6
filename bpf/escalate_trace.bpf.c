// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * escalate_trace.bpf.c — syscount-style per-syscall count, errors and wall
 * time for every thread of one process (tgid), on raw_syscalls sys_enter/
 * sys_exit through tp_btf (no tracefs).  Calls are counted at entry (so
 * exit_group and calls still blocked when the window closes are counted);
 * time and errors at exit, only for calls entered in the current window
 * (generation `gen`).  `threads` keeps, per thread seen, when it entered the
 * window and when it exited, so user space can compute thread-time.  With
 * `follow`, processes forked by a traced process are traced too (strace -f):
 * the fork hook marks each such task in its task storage (`follow_gen`), so
 * other processes' syscalls cost no hash lookup.
 *
 * Three hooks carry the same entry/exit logic; user space (hook.c) attaches
 * the cheapest the kernel accepts:
 *   fentry/fexit  one program pair per syscall function (user space loads
 *                 copies of esc_fentry/esc_fexit for each; the id is the
 *                 task's orig_ax), no syscall tracepoint, so other tasks
 *                 stay off the syscall slow path
 *   tp_btf        raw_syscalls sys_enter/sys_exit through BTF
 *   raw_tp        the same tracepoints, raw
 * The sched_process_{fork,exit} hooks are tp_btf under all three.
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
	__u32 follow_gen;  /* == gen: forked by a traced task in this window */
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

/* Is @task (of @tgid) traced?  Other processes pay one compare, or with
 * follow one task-storage get (no hash lookup). */
static __always_inline bool is_target(struct task_struct *task, __u32 tgid)
{
	struct esc_start *s;

	if (!target_tgid)
		return false;
	if (tgid == target_tgid)
		return true;
	if (!follow)
		return false;
	s = bpf_task_storage_get(&start, task, 0, 0);
	return s && s->follow_gen == gen;
}

/*
 * The per-syscall path: @task's record if @task is traced, else NULL, with
 * one task-storage get (created for the target's threads at @create; a
 * followed task's record exists from its fork).  The filter reads the tgid
 * from the task itself: no bpf_get_current_pid_tgid() call, as every
 * helper call costs a call and a return (retpoline and return-thunk
 * mitigations make them tens of ns where they are on).
 */
static __always_inline struct esc_start *traced_start(struct task_struct *task, bool create)
{
	struct esc_start *s;

	if (!target_tgid)
		return NULL;
	if ((__u32)task->tgid == target_tgid) {
		s = bpf_task_storage_get(&start, task, 0,
					 create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
		if (!s && create)
			__sync_fetch_and_add(&lost, 1);
		return s;
	}
	if (!follow)
		return NULL;
	s = bpf_task_storage_get(&start, task, 0, 0);
	return s && s->follow_gen == gen ? s : NULL;
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

/* Per call: one helper for the task, one task-storage get, one clock read. */
static __always_inline int on_enter(struct task_struct *task, __u64 id)
{
	struct esc_start *s = traced_start(task, true);
	__u32 key, g = gen;

	if (!s)
		return 0;
	if (s->seen_gen != g) {
		s->seen_gen = g;
		note_thread(task->pid, task->start_time, 0);
	}
	key = (id < ESC_AGG_COMPAT ? (__u32)id : ESC_AGG_BADID) | esc_agg_abi(task);
	esc_agg_enter(key, task->pid);
	s->id = key;
	s->gen = g;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_exit(struct task_struct *task, long ret)
{
	struct esc_start *s = traced_start(task, false);

	if (!s || !s->ts)
		return 0;
	if (s->gen == gen)
		esc_agg_exit(s->id, task->pid, bpf_ktime_get_ns() - s->ts, ret);
	s->ts = 0;
	return 0;
}

/* '?': loaded only when user space asks for that hook (hook.c). */
SEC("?tp_btf/sys_enter")
int BPF_PROG(esc_sys_enter, struct pt_regs *regs, long id)
{
	return on_enter(bpf_get_current_task_btf(), id);
}

SEC("?tp_btf/sys_exit")
int BPF_PROG(esc_sys_exit, struct pt_regs *regs, long ret)
{
	return on_exit(bpf_get_current_task_btf(), ret);
}

SEC("?raw_tp/sys_enter")
int BPF_PROG(esc_raw_enter, struct pt_regs *regs, long id)
{
	return on_enter(bpf_get_current_task_btf(), id);
}

SEC("?raw_tp/sys_exit")
int BPF_PROG(esc_raw_exit, struct pt_regs *regs, long ret)
{
	return on_exit(bpf_get_current_task_btf(), ret);
}

/*
 * Templates: hook.c loads a copy of each per syscall function.  They read
 * no argument (the id from the task's user registers, the return value
 * with bpf_get_func_ret()), so a copy fits any prototype: __x64_sys_X(regs)
 * and the __do_sys_X(void) that BTF names for argument-less syscalls.
 */
SEC("?fentry/__x64_sys_read")
int esc_fentry(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return on_enter(task, regs->orig_ax);
}

SEC("?fexit/__x64_sys_read")
int esc_fexit(void *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return on_exit(bpf_get_current_task_btf(), (long)ret);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(esc_task_exit, struct task_struct *p, bool group_dead)
{
	if (!is_target(p, p->tgid))
		return 0;
	note_thread(p->pid, p->start_time, bpf_ktime_get_ns());
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(esc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct esc_start *s;
	__u8 one = 1;

	if (!follow || ctgid == target_tgid || !is_target(parent, ptgid))
		return 0;
	s = bpf_task_storage_get(&start, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	s->follow_gen = gen;
	/* a new process (not a thread): counted in `processes` */
	if (ptgid != ctgid && bpf_map_update_elem(&tgids, &ctgid, &one, BPF_ANY))
		__sync_fetch_and_add(&lost, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
