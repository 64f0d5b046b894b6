// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * workers.c — set up one engine per worker and run them.
 *
 * Setup happens in the main thread, so every error is printed once, in
 * order: for each worker its slot memory (allocated under a preferred-node
 * memory policy when --numa asks for one: the pages are faulted in by
 * target_init(), so they land on that node), its ring, its registered
 * buffers and its registered files.  With several workers a ring is created
 * disabled (IORING_SETUP_R_DISABLED) and enabled by its worker thread, which
 * makes that thread the ring's single issuer, and registers its ring fd.
 *
 * One worker runs in the main thread, as before.  Several run in threads
 * with SIGINT/SIGTERM blocked (the main thread takes them and the stop flag
 * is global); the main thread emits samples and progress from the sum of
 * their counters, read with relaxed atomic loads, then joins them.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "clock.h"
#include "cli.h"
#include "errors.h"
#include "output.h"
#include "parse.h"
#include "ingest.h"

#ifndef IORING_SETUP_R_DISABLED
#define IORING_SETUP_R_DISABLED (1U << 6)
#endif
#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define NODE_BITS 1024

static uint64_t rusage_ns(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * TK_NSEC_PER_SEC +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* A thread's memory policy, as get_mempolicy(2) gives it. */
struct mem_policy {
	int mode;   /* with its MPOL_F_* flags */
	unsigned long mask[NODE_BITS / (8 * sizeof(unsigned long))];
};

/*
 * Make @node the preferred node for pages this thread faults in next,
 * keeping the policy it had (numactl's, say) in @saved for restore_policy().
 */
static int prefer_node(int node, struct mem_policy *saved)
{
	unsigned long mask[NODE_BITS / (8 * sizeof(unsigned long))] = { 0 };

	if (syscall(SYS_get_mempolicy, &saved->mode, saved->mask, NODE_BITS, NULL, 0UL))
		return -errno;
	mask[node / (8 * sizeof(long))] = 1UL << (node % (8 * sizeof(long)));
	return syscall(SYS_set_mempolicy, MPOL_PREFERRED, mask, NODE_BITS + 1) ? -errno : 0;
}

/* Put back the policy prefer_node() found. */
static void restore_policy(const struct mem_policy *saved)
{
	if (syscall(SYS_set_mempolicy, saved->mode, saved->mask, NODE_BITS + 1))
		tk_warn("cannot restore the memory policy (mode %d): %s", saved->mode, strerror(errno));
}

/* CAP_IPC_LOCK in the effective set: io_uring then accounts no pinned memory. */
static bool cap_ipc_lock(void)
{
	char line[128];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << 14);
}

/* io_uring_register_buffers charges RLIMIT_MEMLOCK: refuse a shortfall before trying. */
static int check_memlock(const struct run *r)
{
	uint64_t need = 0;
	struct rlimit rl;

	for (unsigned k = 0; k < r->nw; k++)
		need += (uint64_t)r->w[k].nslots * r->chunk;
	if (cap_ipc_lock() || getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    need <= rl.rlim_cur)
		return 0;
	tk_error("raise the limit (ulimit -l unlimited, or LimitMEMLOCK= in the unit) or lower --slots/--chunk/--threads",
		 "registered buffers need %llu KiB locked (%u ring(s), %u slots of %llu bytes in the first); RLIMIT_MEMLOCK is %llu KiB",
		 (unsigned long long)(need >> 10), r->nw, r->w[0].nslots, (unsigned long long)r->chunk,
		 (unsigned long long)(rl.rlim_cur >> 10));
	return -ENOMEM;
}

/* The k-th CPU of --cpus, round robin; -1 without --cpus. */
static int pick_cpu(const char *list, unsigned k)
{
	struct tk_cpuset set;
	unsigned n, seen = 0;

	if (!list || tk_parse_cpulist(list, &set) || !(n = tk_cpuset_count(&set)))
		return -1;
	k %= n;
	for (unsigned c = 0; c < TK_CPUSET_MAX; c++)
		if (tk_cpuset_isset(&set, c) && seen++ == k)
			return (int)c;
	return -1;
}

/* Polled completions: asked for, or passthrough to namespaces that all have poll queues. */
static bool want_iopoll(const struct engine *e)
{
	if (e->args->hipri)
		return true;
	if (!e->ops->uring_cmd)
		return false;
	for (unsigned k = 0; k < e->nsrc; k++)
		if (!e->src[k].io_poll)
			return false;
	return true;
}

static int setup_ring(struct engine *e, bool disabled)
{
	unsigned req = e->ops->ring_flags | (disabled ? IORING_SETUP_R_DISABLED : 0);
	int err = -EINVAL, *fds;

	if (want_iopoll(e)) {
		err = ring_init(&e->r, e->qd, req | IORING_SETUP_IOPOLL, e->args->sqpoll);
		if (err == -EINVAL && !e->id)
			tk_warn("io_uring refused IOPOLL (%s); completions by interrupt", strerror(-err));
		e->iopoll = !err;
	}
	if (err == -EINVAL)
		err = ring_init(&e->r, e->qd, req, e->args->sqpoll);
	if (err) {
		tk_error(err == -EPERM ? "run as root or allow io_uring (sysctl kernel.io_uring_disabled=0)" :
			 e->args->sqpoll ? "drop --sqpoll" : "use a kernel with io_uring (5.19+ for passthrough)",
			 "io_uring setup failed: %s", strerror(-err));
		return err;
	}
	err = ring_register(&e->r, &e->tgt);
	if (err) {
		tk_error(err == -ENOMEM ? "raise RLIMIT_MEMLOCK (ulimit -l) or lower --slots/--chunk" : NULL,
			 "io_uring_register_buffers (%u x %zu bytes): %s", e->tgt.nslots,
			 e->tgt.slot_size, strerror(-err));
		return err;
	}
	fds = calloc(e->nsrc, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (unsigned k = 0; k < e->nsrc; k++)
		fds[k] = e->src[k].fd;
	/* optional: an -EMFILE/-ENOMEM here only costs an fdget per read */
	e->files_registered = !io_uring_register_files(&e->r.ring, fds, e->nsrc);
	free(fds);
	return 0;
}

static int setup_one(struct run *r, struct engine *e)
{
	const struct ingest_args *args = r->args;
	int node = args->numa == NUMA_OFF ? -1 :
		   args->numa == NUMA_AUTO ? r->dev[e->src[0].devi].node : args->numa;
	struct mem_policy saved;
	int err;

	e->cpu = pick_cpu(args->cpus, e->id);
	e->node = node >= 0 && !prefer_node(node, &saved) ? node : -1;
	err = target_init(&e->tgt, args->target, e->nslots, r->chunk, args->device);
	if (e->node >= 0)
		restore_policy(&saved);
	if (err) {
		if (args->target == TARGET_HOST)
			tk_error("lower --slots or --chunk", "cannot map %u x %llu bytes: %s",
				 e->nslots, (unsigned long long)r->chunk, strerror(-err));
		return err;
	}
	if (tk_reservoir_init(&e->lat, 0, 0))
		return -ENOMEM;
	e->dlat = calloc(r->ndev, sizeof(*e->dlat));
	if (!e->dlat)
		return -ENOMEM;
	for (unsigned k = 0; k < e->nsrc; k++)
		if (!e->dlat[e->src[k].devi].v && tk_reservoir_init(&e->dlat[e->src[k].devi], 0, e->id + 1))
			return -ENOMEM;
	err = setup_ring(e, r->nw > 1);
	if (!err)
		e->cmd_fixed = e->ops->uring_cmd;
	return err;
}

/*
 * --qd and --slots are per device: a ring reading several devices gets them
 * times its devices (as fio's iodepth is per job), within io_uring's 16384
 * registered buffers.
 */
static void ring_depth(const struct run *r, struct engine *e)
{
	unsigned ndev = 0, mult;

	for (unsigned d = 0; d < r->ndev; d++)
		for (unsigned k = 0; k < e->nsrc; k++)
			if (e->src[k].devi == d) {
				ndev++;
				break;
			}
	mult = ndev ? ndev : 1;
	if ((uint64_t)r->args->slots * mult > URING_MAX_REG_BUFFERS)
		mult = URING_MAX_REG_BUFFERS / r->args->slots;
	e->qd = r->args->qd * mult;
	e->nslots = r->args->slots * mult;
}

int workers_setup(struct run *r)
{
	unsigned first = 0;
	int err;

	r->w = calloc(r->nw, sizeof(*r->w));
	if (!r->w)
		return -ENOMEM;
	for (unsigned k = 0; k < r->nw; k++) {
		struct engine *e = &r->w[k];

		e->args = r->args;
		e->ops = r->ops;
		e->chunk = r->chunk;
		e->id = k;
		e->threaded = r->nw > 1;
		e->src = &r->src[first];
		while (first < r->nsrc && r->src[first].worker == k) {
			e->total_bytes += (r->src[first].end - r->src[first].start) * r->args->loops;
			first++;
		}
		e->nsrc = (unsigned)(&r->src[first] - e->src);
		e->run_threads = r->nw;
		e->run_devices = r->ndev;
		ring_depth(r, e);
	}
	err = check_memlock(r);
	for (unsigned k = 0; k < r->nw && !err; k++)
		err = setup_one(r, &r->w[k]);
	return err;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		tk_warn("cannot pin a worker to CPU %d", cpu);
}

static unsigned finished;

static void *worker_main(void *arg)
{
	struct engine *e = arg;
	int err;

	pin(e->cpu);
	/* liburing before 2.4 has no io_uring_enable_rings() */
	err = syscall(__NR_io_uring_register, e->r.ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) ? -errno : 0;
	if (err) {
		e->first_err = err;
		snprintf(e->err_msg, sizeof(e->err_msg), "enabling the ring of worker %u: %s", e->id, strerror(-err));
	} else {
		io_uring_register_ring_fd(&e->r.ring); /* optional: saves an fdget */
		engine_run(e);
	}
	e->cpu_ns = rusage_ns(RUSAGE_THREAD);
	__atomic_add_fetch(&finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Sum of every worker's counters, read while they run. */
static void tel_snapshot(const struct run *r, struct telemetry *sum)
{
	uint64_t *d = (uint64_t *)sum;

	memset(sum, 0, sizeof(*sum));
	for (unsigned k = 0; k < r->nw; k++) {
		const uint64_t *s = (const uint64_t *)&r->w[k].tel;

		for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
			d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
	}
}

/* The main thread while workers run: samples and progress of the sum. */
static void watch(struct run *r)
{
	struct engine view = r->w[0];
	bool progress = isatty(STDERR_FILENO) && !tk_out.quiet;
	uint64_t next_sample = r->t_start + tk_cli.interval_ns, last_t = r->t_start, last_b = 0;
	uint64_t next_progress = r->t_start, samples = 0;

	view.t_start = r->t_start;
	view.total_bytes = r->total_bytes;
	while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < r->nw) {
		struct timespec ts = { 0, 20 * TK_NSEC_PER_MSEC };
		uint64_t now;

		nanosleep(&ts, NULL);
		now = tk_now_mono_ns();
		tel_snapshot(r, &view.tel);
		if (r->args->samples && now >= next_sample) {
			if (report_sample(&view, now - last_t, view.tel.completed_bytes - last_b) < 0)
				tk_stop_request();
			last_b = view.tel.completed_bytes;
			last_t = now;
			next_sample = now + tk_cli.interval_ns;
			if (tk_cli.count && ++samples >= tk_cli.count)
				tk_stop_request();
		}
		if (progress && now >= next_progress) {
			report_progress(&view, false);
			next_progress = now + 250 * TK_NSEC_PER_MSEC;
		}
	}
	if (progress) {
		view.t_end = tk_now_mono_ns();
		report_progress(&view, true);
	}
}

static int run_threads(struct run *r)
{
	pthread_t *th = calloc(r->nw, sizeof(*th));
	sigset_t block, old;
	unsigned started = 0;
	int err = 0;

	if (!th)
		return -ENOMEM;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (; started < r->nw; started++) {
		err = -pthread_create(&th[started], NULL, worker_main, &r->w[started]);
		if (err)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		tk_stop_request();
		__atomic_add_fetch(&finished, r->nw - started, __ATOMIC_RELEASE);
	}
	watch(r);
	for (unsigned k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	free(th);
	return err;
}

int workers_run(struct run *r)
{
	uint64_t cpu0 = rusage_ns(RUSAGE_SELF);
	int err = 0;

	r->t_start = tk_now_mono_ns();
	if (r->nw == 1) {
		pin(r->w[0].cpu);
		err = engine_run(&r->w[0]);
	} else {
		err = run_threads(r);
	}
	r->cpu_ns = rusage_ns(RUSAGE_SELF) - cpu0;
	/* the run's span: first ring started to last ring drained (not the main thread's wake-ups) */
	r->t_start = r->w[0].t_start;
	r->t_end = r->w[0].t_end;
	for (unsigned k = 1; k < r->nw; k++) {
		if (r->w[k].t_start && r->w[k].t_start < r->t_start)
			r->t_start = r->w[k].t_start;
		if (r->w[k].t_end > r->t_end)
			r->t_end = r->w[k].t_end;
	}
	if (r->nw == 1)
		r->w[0].cpu_ns = r->cpu_ns;
	for (unsigned k = 0; k < r->nw && !err; k++)
		err = r->w[k].first_err;
	return err;
}

void workers_fini(struct run *r)
{
	for (unsigned k = 0; r->w && k < r->nw; k++) {
		struct engine *e = &r->w[k];

		ring_fini(&e->r);
		target_fini(&e->tgt);
		free(e->slots);
		tk_reservoir_free(&e->lat);
		for (unsigned d = 0; e->dlat && d < r->ndev; d++)
			tk_reservoir_free(&e->dlat[d]);
		free(e->dlat);
	}
	free(r->w);
	r->w = NULL;
}
