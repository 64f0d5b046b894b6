// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stats_holder — test peer for tests/12-progstats-more.bats: holds a
 * BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) fd, as bpftop or Cilium do, prints
 * "ready pid=PID", and waits for SIGTERM/SIGINT (or SECONDS, default 300).
 *   stats_holder [SECONDS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned secs = argc > 1 ? (unsigned)atoi(argv[1]) : 300;
	int fd;

	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0) {
		perror("stats_holder: BPF_ENABLE_STATS");
		return 1;
	}
	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	for (unsigned i = 0; !stop && i < secs * 10; i++)
		usleep(100000);
	close(fd);
	return 0;
}
