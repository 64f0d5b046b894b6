// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_load — test peer for tests/10-progstats.bats and bench/progstats.
 * Loads bpf/test_progstats_count.bpf.c (and/or N trivial socket filters),
 * prints one "ready ..." line, then holds the programs until SIGTERM/SIGINT
 * or the -t timeout.
 *   -b N   also load N socket filters named pstest_<i>
 *   -s     do not load the test skeleton (bulk only)
 *   -a     attach tpstat_count now and keep it attached (1 ms nanosleep loop)
 *   -n N   syscalls per burst (default 1000)
 *   -t S   exit after S seconds (default 300)
 * SIGUSR1: one burst — attach tpstat_count, make N getppid() calls, detach,
 * print "burst counter=C" with the program's own in-map run counter.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"
#include "test_progstats_count.skel.h"

static volatile sig_atomic_t stop, burst;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		burst = 1;
	else
		stop = 1;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int load_trivial(unsigned i)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },  /* r0 = 0 */
		{ .code = 0x95 },                           /* exit */
	};
	char name[16];

	snprintf(name, sizeof(name), "pstest_%u", i);
	return bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, name, "GPL", insns, 2, NULL);
}

static int do_burst(struct test_progstats_count_bpf *skel, long n)
{
	struct bpf_link *link = bpf_program__attach(skel->progs.tpstat_count);
	__u32 key = 0;
	__u64 val = 0;

	if (!link) {
		fprintf(stderr, "attach tpstat_count: %s\n", strerror(errno));
		return -1;
	}
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	bpf_link__destroy(link);
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.counter), &key, &val);
	printf("burst counter=%llu\n", (unsigned long long)val);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct test_progstats_count_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	long nbulk = 0, nsys = 1000, timeout = 300;
	bool no_skel = false, attach = false;
	int *bulk = NULL, opt, err = 1;
	struct sigaction sa;
	time_t end;

	while ((opt = getopt(argc, argv, "b:san:t:")) != -1) {
		switch (opt) {
		case 'b': nbulk = strtol(optarg, NULL, 0); break;
		case 's': no_skel = true; break;
		case 'a': attach = true; break;
		case 'n': nsys = strtol(optarg, NULL, 0); break;
		case 't': timeout = strtol(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-b N] [-s] [-a] [-n N] [-t SEC]\n", argv[0]);
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	tk_bump_memlock();
	tk_libbpf_quiet(0);

	if (nbulk > 0 && !(bulk = calloc(nbulk, sizeof(*bulk))))
		return 1;
	for (long i = 0; i < nbulk; i++) {
		bulk[i] = load_trivial(i);
		if (bulk[i] < 0) {
			fprintf(stderr, "load pstest_%ld: %s\n", i, strerror(errno));
			goto cleanup;
		}
	}
	if (!no_skel) {
		skel = test_progstats_count_bpf__open_and_load();
		if (!skel) {
			fprintf(stderr, "load test_progstats_count: %s\n", strerror(errno));
			goto cleanup;
		}
		if (attach && !(link = bpf_program__attach(skel->progs.tpstat_count))) {
			fprintf(stderr, "attach tpstat_count: %s\n", strerror(errno));
			goto cleanup;
		}
	}
	printf("ready pid=%d count_id=%u long_id=%u bulk_first=%u bulk_last=%u\n", getpid(),
	       skel ? prog_id(bpf_program__fd(skel->progs.tpstat_count)) : 0,
	       skel ? prog_id(bpf_program__fd(skel->progs.progstats_test_long_program_name)) : 0,
	       nbulk ? prog_id(bulk[0]) : 0, nbulk ? prog_id(bulk[nbulk - 1]) : 0);
	fflush(stdout);

	end = time(NULL) + timeout;
	while (!stop && time(NULL) < end) {
		struct timespec ts = { 0, attach ? 1000000 : 50000000 };

		if (burst) {
			burst = 0;
			if (skel && !link && do_burst(skel, nsys))
				goto cleanup;
		}
		nanosleep(&ts, NULL);
	}
	err = 0;
cleanup:
	bpf_link__destroy(link);
	test_progstats_count_bpf__destroy(skel);
	for (long i = 0; bulk && i < nbulk; i++)
		if (bulk[i] >= 0)
			close(bulk[i]);
	free(bulk);
	return err;
}
