// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * escalate_empty — attach bpf/test_escalate_trace_empty.bpf.c (empty
 * sys_enter/sys_exit programs), print "attached", and keep them attached
 * until stdin reaches EOF or SIGINT/SIGTERM.  bench/escalate's floor.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpfutil.h"
#include "clock.h"
#include "test_escalate_trace_empty.skel.h"

int main(void)
{
	struct test_escalate_trace_empty_bpf *skel;
	char c;
	int err;

	tk_stop_install();
	tk_libbpf_quiet(0);
	tk_bump_memlock();
	skel = test_escalate_trace_empty_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "escalate_empty: load: %s\n", strerror(errno));
		return 1;
	}
	err = test_escalate_trace_empty_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "escalate_empty: attach: %s\n", strerror(-err));
		test_escalate_trace_empty_bpf__destroy(skel);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while (!tk_stop_requested()) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && read(STDIN_FILENO, &c, 1) <= 0)
			break;
	}
	test_escalate_trace_empty_bpf__destroy(skel);
	return 0;
}
