// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_recur — makes real recursion misses for tests/11-progstats-misses.
 * Loads bpf/test_progstats_recur.bpf.c, attaches psrecur_spin to sys_enter and
 * local_timer_entry, makes N getppid() calls that each spin SPIN_US inside the
 * program (timer ticks during the spin are recursion misses), detaches, and
 * prints "done id=ID spins=S", then holds the program until SIGTERM/SIGINT.
 *   progstats_recur [N=100] [SPIN_US=2000]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test_progstats_recur.skel.h"

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100, spin_us = argc > 2 ? atol(argv[2]) : 2000;
	struct test_progstats_recur_bpf *skel = test_progstats_recur_bpf__open_and_load();
	struct bpf_link *sys = NULL, *tick = NULL;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int rc = 1;

	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	if (!skel) {
		fprintf(stderr, "progstats_recur: load: %s\n", strerror(errno));
		return 1;
	}
	sys = bpf_program__attach_raw_tracepoint(skel->progs.psrecur_spin, "sys_enter");
	tick = bpf_program__attach_raw_tracepoint(skel->progs.psrecur_spin, "local_timer_entry");
	if (!sys || !tick) {
		fprintf(stderr, "progstats_recur: attach: %s\n", strerror(errno));
		goto out;
	}
	skel->bss->spin_ns = (__u64)spin_us * 1000;
	__atomic_store_n(&skel->bss->target_tgid, (__u32)getpid(), __ATOMIC_SEQ_CST);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	__atomic_store_n(&skel->bss->target_tgid, 0, __ATOMIC_SEQ_CST);
	bpf_link__destroy(tick);
	bpf_link__destroy(sys);
	tick = sys = NULL;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.psrecur_spin), &info, &len))
		goto out;
	printf("done id=%u spins=%llu\n", info.id, (unsigned long long)skel->bss->spins);
	fflush(stdout);
	while (!stop)
		pause();
	rc = 0;
out:
	bpf_link__destroy(tick);
	bpf_link__destroy(sys);
	test_progstats_recur_bpf__destroy(skel);
	return rc;
}
