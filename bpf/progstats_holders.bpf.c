// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_holders — iter/task_file: one progstats_holder_rec per open file
 * whose dentry is named "bpf-stats" (BPF_ENABLE_STATS's anonymous inode file,
 * "anon_inode:bpf-stats" in /proc/PID/fd).  One in-kernel pass over every
 * process's files replaces a readlink of each of them.  CO-RE, loaded as a
 * light skeleton: the kernel applies the relocations.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "progstats_holders.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("iter/task_file")
int progstats_holders(struct bpf_iter__task_file *ctx)
{
	static const char want[] = "bpf-stats";
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct progstats_holder_rec r;
	const unsigned char *name;
	char buf[sizeof(want)];

	if (!task || !file)
		return 0;
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(buf, sizeof(buf), name) != sizeof(want))
		return 0;
	for (int i = 0; i < (int)sizeof(want); i++)
		if (buf[i] != want[i])
			return 0;
	__builtin_memset(&r, 0, sizeof(r));
	r.pid = BPF_CORE_READ(task, tgid);
	r.fd = ctx->fd;
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
