// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpfwatch_alt_loader — loads and attaches bpf/test_bpfwatch_alt.bpf.c (same
 * map names as the bpfwatch test object, different .bss layout) for
 * tests/82-faults-bpfwatch.bats, prints "ready BSS_ID PERCPU_ID" (flushed)
 * and holds it until SIGINT/SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "../../bpf/test_bpfwatch_alt.h"

#include "test_bpfwatch_alt.skel.h"

static volatile sig_atomic_t got_stop;

static void on_sig(int sig)
{
	got_stop = 1;
}

static unsigned map_id(const struct bpf_map *m)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len) ? 0 : info.id;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sig };
	struct test_bpfwatch_alt_bpf *skel;
	sigset_t none;
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = test_bpfwatch_alt_bpf__open();
	if (!skel) {
		fprintf(stderr, "open: %s\n", strerror(errno));
		return 1;
	}
	err = test_bpfwatch_alt_bpf__load(skel);
	if (!err)
		err = test_bpfwatch_alt_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "load: %s\n", strerror(-err));
		test_bpfwatch_alt_bpf__destroy(skel);
		return 1;
	}
	printf("ready %u %u\n", map_id(skel->maps.bss), map_id(skel->maps.cpu_ctx_stor));
	fflush(stdout);
	sigemptyset(&none);
	while (!got_stop)
		sigsuspend(&none);
	test_bpfwatch_alt_bpf__destroy(skel);
	return 0;
}
