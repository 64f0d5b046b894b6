// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ingest_ops — run a command and report, from BPF on the io_uring
 * tracepoints, which opcodes it submitted and how many bytes its READ_FIXED
 * completions carried.  The kernel's view, independent of the command's own
 * counters.  Prints one JSON line on stderr:
 *   {"status":N,"ops":{"READ_FIXED":n,...},"read_fixed_bytes":n,"read_fixed_cqes":n,
 *    "read_fixed_eagain":n}
 * Usage: ingest_ops CMD [ARGS...]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "test_nvme_gpu_ingest_ops.skel.h"

static const char *op_name(int op)
{
	static const char *names[] = {
		[0] = "NOP", [1] = "READV", [2] = "WRITEV", [3] = "FSYNC", [4] = "READ_FIXED",
		[5] = "WRITE_FIXED", [22] = "READ", [23] = "WRITE", [46] = "URING_CMD",
	};

	if (op < (int)TK_ARRAY_SIZE(names) && names[op])
		return names[op];
	return NULL;
}

int main(int argc, char **argv)
{
	struct test_nvme_gpu_ingest_ops_bpf *skel;
	int go[2], status = 0, first = 1;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: ingest_ops CMD [ARGS...]\n");
		return 2;
	}
	libbpf_set_print(NULL);
	skel = test_nvme_gpu_ingest_ops_bpf__open_and_load();
	if (!skel || test_nvme_gpu_ingest_ops_bpf__attach(skel)) {
		fprintf(stderr, "ingest_ops: cannot load/attach BPF: %s\n", strerror(errno));
		test_nvme_gpu_ingest_ops_bpf__destroy(skel);
		return 77;
	}
	if (pipe(go))
		return 1;
	pid = fork();
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(go[0]);
	skel->bss->target_tgid = pid;
	if (write(go[1], "g", 1) != 1)
		return 1;
	close(go[1]);
	waitpid(pid, &status, 0);
	fprintf(stderr, "{\"status\":%d,\"ops\":{", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	for (int op = 0; op < 64; op++) {
		const char *n = op_name(op);

		if (!skel->bss->ops[op])
			continue;
		if (n)
			fprintf(stderr, "%s\"%s\":%llu", first ? "" : ",", n, (unsigned long long)skel->bss->ops[op]);
		else
			fprintf(stderr, "%s\"op%d\":%llu", first ? "" : ",", op, (unsigned long long)skel->bss->ops[op]);
		first = 0;
	}
	fprintf(stderr, "},\"read_fixed_bytes\":%llu,\"read_fixed_cqes\":%llu,\"read_fixed_eagain\":%llu}\n",
		(unsigned long long)skel->bss->read_fixed_bytes,
		(unsigned long long)skel->bss->read_fixed_cqes,
		(unsigned long long)skel->bss->read_fixed_eagain);
	test_nvme_gpu_ingest_ops_bpf__destroy(skel);
	return 0;
}
