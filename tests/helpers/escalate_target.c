// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * escalate_target — a process doing known numbers of syscalls, for the
 * escalate-trace tests and bench.  Every thread (-t) does, in order:
 *   -r N  N 1-byte read(2)s of /dev/zero
 *   -f N  N futex(FUTEX_WAKE_PRIVATE) calls on a word nobody waits on
 *   -m N  N anonymous 4 KiB mmap(2)s, then N munmap(2)s
 *   -e N  N read(2)s of fd -1 (each fails with EBADF)
 * -w waits for SIGUSR1 before starting (so a tracer can attach first);
 * -s MS sleeps MS ms after the work before exiting (0: exit at once);
 * -p prints "ready" on stdout once waiting;
 * -c prints "cpu_ns C wall_ns W" on stdout after the work: the process's
 *    CPU time (user + system, CLOCK_PROCESS_CPUTIME_ID) and the wall time
 *    the work took (bench/escalate: the cost of a tracer per syscall).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long reads, futexes, mmaps, errs;
static int zero_fd = -1;
static unsigned futex_word;

/* @arg: this thread's mmaps slots, allocated before the traced window opens */
static void *work(void *arg)
{
	void **maps = arg;
	char c;

	for (long i = 0; i < reads; i++)
		if (read(zero_fd, &c, 1) != 1)
			exit(2);
	for (long i = 0; i < futexes; i++)
		syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	for (long i = 0; i < mmaps; i++) {
		maps[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED)
			exit(2);
	}
	for (long i = 0; i < mmaps; i++)
		munmap(maps[i], 4096);
	for (long i = 0; i < errs; i++)
		if (read(-1, &c, 1) != -1)
			exit(2);
	return arg;
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 0) {
		fprintf(stderr, "escalate_target: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long threads = 1, sleep_ms = 0;
	int opt, wait_sig = 0, print_ready = 0, print_cpu = 0;
	struct timespec c0, c1, w0, w1;
	void **slots;
	pthread_t *tids;
	sigset_t set;

	while ((opt = getopt(argc, argv, "t:r:f:m:e:ws:pc")) != -1) {
		switch (opt) {
		case 't': threads = num(optarg); break;
		case 'r': reads = num(optarg); break;
		case 'f': futexes = num(optarg); break;
		case 'm': mmaps = num(optarg); break;
		case 'e': errs = num(optarg); break;
		case 'w': wait_sig = 1; break;
		case 's': sleep_ms = num(optarg); break;
		case 'p': print_ready = 1; break;
		case 'c': print_cpu = 1; break;
		default:
			fprintf(stderr, "usage: escalate_target [-t T] [-r N] [-f N] [-m N] "
				"[-e N] [-w] [-s MS] [-p] [-c]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 256)
		return 2;
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	tids = calloc((size_t)threads, sizeof(*tids));
	/* allocate before the wait: an allocator mmap inside the window would be counted */
	slots = calloc((size_t)threads * (size_t)(mmaps ? mmaps : 1), sizeof(*slots));
	if (zero_fd < 0 || !tids || !slots)
		return 1;
	if (wait_sig) {
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (print_ready) {
			printf("ready %d\n", (int)getpid());
			fflush(stdout);
		}
		sigwait(&set, &sig);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	clock_gettime(CLOCK_MONOTONIC, &w0);
	if (threads == 1) {
		work(slots);
	} else {
		for (long i = 0; i < threads; i++)
			if (pthread_create(&tids[i], NULL, work, slots + i * mmaps))
				return 1;
		for (long i = 0; i < threads; i++)
			pthread_join(tids[i], NULL);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	if (print_cpu) {
		printf("cpu_ns %lld wall_ns %lld\n",
		       (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec),
		       (w1.tv_sec - w0.tv_sec) * 1000000000LL + (w1.tv_nsec - w0.tv_nsec));
		fflush(stdout);
	}
	if (sleep_ms) {
		struct timespec ts = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	free(tids);
	free(slots);
	close(zero_fd);
	return 0;
}
