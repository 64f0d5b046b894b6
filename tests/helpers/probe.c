// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe — tells the test suite what this host can do, so tests skip with a
 * reason instead of failing or passing silently.  Exit 0 = available.
 *   probe bpf | io_uring | nvme | gpu
 */
#include <dlfcn.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <liburing.h>

static int probe_bpf(void)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },  /* r0 = 0 */
		{ .code = 0x95 },                           /* exit */
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "probe", "GPL", insns, 2, NULL);

	if (fd < 0) {
		fprintf(stderr, "bpf_prog_load: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

static int probe_io_uring(void)
{
	struct io_uring ring;
	int err = io_uring_queue_init(4, &ring, 0);

	if (err) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-err));
		return 1;
	}
	io_uring_queue_exit(&ring);
	return 0;
}

static int probe_nvme(void)
{
	glob_t g;
	int found = glob("/dev/ng*n*", 0, NULL, &g) == 0 && g.gl_pathc > 0;

	if (found)
		printf("%s\n", g.gl_pathv[0]);
	globfree(&g);
	return !found;
}

static int probe_gpu(void)
{
	int (*cu_init)(unsigned), (*cu_count)(int *), n = 0;
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "libcuda.so.1 not loadable (%s)\n", dlerror());
		return 1;
	}
	cu_init = (int (*)(unsigned))dlsym(h, "cuInit");
	cu_count = (int (*)(int *))dlsym(h, "cuDeviceGetCount");
	if (!cu_init || !cu_count || cu_init(0) || cu_count(&n) || n < 1) {
		fprintf(stderr, "libcuda present but no usable device\n");
		dlclose(h);
		return 1;
	}
	printf("%d device(s)\n", n);
	dlclose(h);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bpf"))
		return probe_bpf();
	if (argc == 2 && !strcmp(argv[1], "io_uring"))
		return probe_io_uring();
	if (argc == 2 && !strcmp(argv[1], "nvme"))
		return probe_nvme();
	if (argc == 2 && !strcmp(argv[1], "gpu"))
		return probe_gpu();
	fprintf(stderr, "usage: probe bpf|io_uring|nvme|gpu\n");
	return 2;
}
