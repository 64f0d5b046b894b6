// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_load — test peer for tests/10-progstats.bats and bench/progstats.
 * Loads bpf/test_progstats_count.bpf.c (and/or N trivial socket filters),
 * prints one "ready ..." line, then holds the programs until SIGTERM/SIGINT
 * or the -t timeout.
 *   -b N   also load N socket filters named pstest_<i>
 *   -s     do not load the test skeleton (bulk only)
 *   -a     attach tpstat_count now and keep it attached (1 ms nanosleep loop)
 *   -o     also register bpf/test_progstats_ops.bpf.c, a struct_ops TCP
 *          congestion control "pstest_ca" (exit 4 when the kernel refuses it)
 *   -n N   syscalls per burst (default 1000)
 *   -t S   exit after S seconds (default 300)
 * SIGUSR1: one burst — attach tpstat_count, make N getppid() calls, detach,
 * print "burst counter=C" with the program's own in-map run counter.  With -o
 * the burst also sends -n KiB over a loopback TCP connection that uses
 * pstest_ca, closes it, waits 200 ms and prints "ops calls=I,S,C,U": the
 * struct_ops programs' own run counts (init, ssthresh, cong_avoid, undo_cwnd).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"
#include "test_progstats_count.skel.h"
#include "test_progstats_ops.skel.h"

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

static __u32 prog_btf_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.btf_id;
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

/* A TCP socket on pstest_ca. */
static int ca_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "pstest_ca", 9)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* @kib KiB from a client to a server over loopback, both on pstest_ca. */
static int tcp_transfer(long kib)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd = ca_socket(), cfd = ca_socket(), sfd = -1, err = -1;
	static char buf[1024];
	ssize_t n;

	if (lfd < 0 || cfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) ||
	    connect(cfd, (struct sockaddr *)&a, sizeof(a)) || (sfd = accept(lfd, NULL, NULL)) < 0)
		goto out;
	/* one process, no threads: send what fits, drain the receiver, repeat */
	for (long sent = 0; sent < kib * (long)sizeof(buf); sent += n > 0 ? n : 0) {
		n = send(cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			goto out;
		while (recv(sfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	if (shutdown(cfd, SHUT_WR))
		goto out;
	while ((n = recv(sfd, buf, sizeof(buf), 0)) > 0)
		;
	if (n < 0)
		goto out;
	err = 0;
out:
	if (err)
		fprintf(stderr, "tcp transfer: %s\n", strerror(errno));
	if (lfd >= 0)
		close(lfd);
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	return err;
}

/*
 * Register pstest_ca through a BPF link (BPF_F_LINK map), so that the
 * registration ends with this process however it ends.  This libbpf (1.1)
 * predates .struct_ops.link: the flag and the attach type are set by hand.
 */
#define PS_BPF_F_LINK (1U << 13)
#define PS_BPF_STRUCT_OPS 44
static int load_ops(struct test_progstats_ops_bpf **ops, int *link_fd)
{
	struct bpf_link *l;

	*ops = test_progstats_ops_bpf__open();
	if (!*ops)
		return -errno;
	if (bpf_map__set_map_flags((*ops)->maps.pstest_ops, PS_BPF_F_LINK) ||
	    test_progstats_ops_bpf__load(*ops))
		return -errno;
	/* stores the ops in the map; with BPF_F_LINK registers nothing yet */
	l = bpf_map__attach_struct_ops((*ops)->maps.pstest_ops);
	if (!l)
		return -errno;
	bpf_link__disconnect(l);
	bpf_link__destroy(l);
	*link_fd = bpf_link_create(bpf_map__fd((*ops)->maps.pstest_ops), 0,
				   (enum bpf_attach_type)PS_BPF_STRUCT_OPS, NULL);
	return *link_fd < 0 ? -errno : 0;
}

static int ops_burst(struct test_progstats_ops_bpf *ops, long kib)
{
	const __u64 *c = ops->bss->ops_calls;
	struct timespec ts = { 0, 200000000 };

	if (tcp_transfer(kib))
		return -1;
	nanosleep(&ts, NULL);
	printf("ops calls=%llu,%llu,%llu,%llu\n", (unsigned long long)c[0],
	       (unsigned long long)c[1], (unsigned long long)c[2], (unsigned long long)c[3]);
	fflush(stdout);
	return 0;
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
	struct test_progstats_ops_bpf *ops = NULL;
	struct bpf_link *link = NULL;
	int ops_link_fd = -1;
	long nbulk = 0, nsys = 1000, timeout = 300;
	bool no_skel = false, attach = false, want_ops = false;
	int *bulk = NULL, opt, err = 1;
	struct sigaction sa;
	time_t end;

	while ((opt = getopt(argc, argv, "b:saon:t:")) != -1) {
		switch (opt) {
		case 'b': nbulk = strtol(optarg, NULL, 0); break;
		case 's': no_skel = true; break;
		case 'a': attach = true; break;
		case 'o': want_ops = true; break;
		case 'n': nsys = strtol(optarg, NULL, 0); break;
		case 't': timeout = strtol(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-b N] [-s] [-a] [-o] [-n N] [-t SEC]\n", argv[0]);
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
	if (want_ops && (err = load_ops(&ops, &ops_link_fd))) {
		fprintf(stderr, "ops unavailable: struct_ops tcp_congestion_ops: %s\n", strerror(-err));
		err = 4;
		goto cleanup;
	}
	err = 1;
	printf("ready pid=%d count_id=%u long_id=%u bulk_first=%u bulk_last=%u ops_btf=%u\n",
	       getpid(),
	       skel ? prog_id(bpf_program__fd(skel->progs.tpstat_count)) : 0,
	       skel ? prog_id(bpf_program__fd(skel->progs.progstats_test_long_program_name)) : 0,
	       nbulk ? prog_id(bulk[0]) : 0, nbulk ? prog_id(bulk[nbulk - 1]) : 0,
	       ops ? prog_btf_id(bpf_program__fd(ops->progs.progstats_ca_init_connection)) : 0);
	fflush(stdout);

	end = time(NULL) + timeout;
	while (!stop && time(NULL) < end) {
		struct timespec ts = { 0, attach ? 1000000 : 50000000 };

		if (burst) {
			burst = 0;
			if (skel && !link && do_burst(skel, nsys))
				goto cleanup;
			if (ops && ops_burst(ops, nsys))
				goto cleanup;
		}
		nanosleep(&ts, NULL);
	}
	err = 0;
cleanup:
	if (ops_link_fd >= 0)
		close(ops_link_fd);
	test_progstats_ops_bpf__destroy(ops);
	bpf_link__destroy(link);
	test_progstats_count_bpf__destroy(skel);
	for (long i = 0; bulk && i < nbulk; i++)
		if (bulk[i] >= 0)
			close(bulk[i]);
	free(bulk);
	return err;
}
