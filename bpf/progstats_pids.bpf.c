// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_pids — iter/task_file: emit (prog id, tgid, comm) for every file
 * that is a BPF program fd.  bpftool and bpftop compare f_op with
 * &bpf_prog_fops, which needs a data symbol in kallsyms (CONFIG_KALLSYMS_ALL);
 * the anon inode name "bpf-prog" that bpf_prog_new_fd() gives every program
 * fd identifies them without it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "progstats_pids.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static const char prog_name[] = "bpf-prog";

SEC("iter/task_file")
int progstats_pids(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct progstats_pid_entry e;
	char name[sizeof(prog_name)];
	struct bpf_prog *prog;
	const unsigned char *dname;

	if (!file || !task)
		return 0;
	dname = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), dname) != sizeof(name))
		return 0;
	for (int i = 0; i < (int)sizeof(name); i++)
		if (name[i] != prog_name[i])
			return 0;
	prog = BPF_CORE_READ(file, private_data);
	__builtin_memset(&e, 0, sizeof(e));
	e.prog_id = BPF_CORE_READ(prog, aux, id);
	e.pid = task->tgid;
	bpf_probe_read_kernel_str(e.comm, sizeof(e.comm), BPF_CORE_READ(task, group_leader, comm));
	bpf_seq_write(ctx->meta->seq, &e, sizeof(e));
	return 0;
}
