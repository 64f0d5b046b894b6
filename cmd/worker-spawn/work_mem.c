// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_mem.c — issue 15, placement and memory churn: cross-affinity-churn,
 * numa-migration-churn, numa-working-set-sweep, page-fault-churn,
 * cgroup-churn and cgroup-attach-storm.  What each counts as a work unit is
 * in the man page (WORK TYPES); the cgroups they move tasks through are made
 * and removed by the parent (mem_place.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "telemetry.h"

#define MEM_MAX_FDS 64

/* One mem worker's state (c->buf). */
struct mem_state {
	uint8_t *region;          /* mmap'd, page-fault-churn and the sweep */
	size_t len, page;
	uint64_t *touched;        /* page-fault-churn: pages faulted this cycle */
	int fds[MEM_MAX_FDS];     /* cgroup.procs files (cgroup types) */
	unsigned nfds;
	cpu_set_t own;            /* the affinity at prep */
	unsigned nsets;
	struct tk_cpuset sets[];  /* numa-migration-churn: node CPUs; sweep: one bit each */
};

static struct mem_state *state_new(struct ws_ctx *c, unsigned nsets)
{
	struct mem_state *s = calloc(1, sizeof(*s) + nsets * sizeof(s->sets[0]));

	if (!s)
		return NULL;
	for (unsigned i = 0; i < MEM_MAX_FDS; i++)
		s->fds[i] = -1;
	s->page = sysconf(_SC_PAGESIZE);
	sched_getaffinity(0, sizeof(s->own), &s->own);
	c->buf = (uint8_t *)s;
	return s;
}

static int map_region(struct mem_state *s, size_t len)
{
	s->len = (len + s->page - 1) / s->page * s->page;
	s->region = mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->region == MAP_FAILED) {
		s->region = NULL;
		return -errno;
	}
	madvise(s->region, s->len, MADV_NOHUGEPAGE);   /* 4 KiB pages: one fault each */
	return 0;
}

static int open_procs(struct mem_state *s, const char *dir)
{
	char f[400];

	if (s->nfds >= MEM_MAX_FDS)
		return -E2BIG;
	if (snprintf(f, sizeof(f), "%s/cgroup.procs", dir) >= (int)sizeof(f))
		return -ENAMETOOLONG;
	s->fds[s->nfds] = open(f, O_WRONLY | O_CLOEXEC);
	if (s->fds[s->nfds] < 0)
		return -errno;
	s->nfds++;
	return 0;
}

/* Every mem type's prep: its state, then what the type needs. */
int ws_mem_prep(struct ws_ctx *c)
{
	const struct ws_group *g = c->g;
	struct tk_cpuset nodes;
	struct mem_state *s;
	unsigned nn = 0;
	char dir[400];
	int err = 0;

	ws_online_nodes(&nodes);
	if (!(s = state_new(c, tk_cpuset_count(&nodes) + tk_cpuset_count(&g->p_nodes))))
		return -ENOMEM;
	switch (g->type) {
	case WS_CROSS_AFFINITY_CHURN:   /* siblings find this worker's tid in its unit */
		atomic_store(&c->unit->word[0], (uint32_t)c->rep.tid);
		break;
	case WS_NUMA_MIGRATION_CHURN:
		for (unsigned n = 0; n < TK_CPUSET_MAX; n++)
			if (tk_cpuset_isset(&nodes, n) && !ws_node_cpus(n, &s->sets[nn]) &&
			    tk_cpuset_count(&s->sets[nn]))
				nn++;
		s->nsets = nn;
		break;
	case WS_NUMA_WORKING_SET_SWEEP:
		for (unsigned n = 0; n < TK_CPUSET_MAX; n++)
			if (tk_cpuset_isset(&g->p_nodes, n))
				tk_cpuset_set(&s->sets[s->nsets++], n);
		err = map_region(s, g->p_region);
		break;
	case WS_PAGE_FAULT_CHURN:
		if (!(err = map_region(s, g->p_region))) {
			s->touched = calloc((s->len / s->page + 63) / 64, sizeof(uint64_t));
			err = s->touched ? 0 : -ENOMEM;
		}
		break;
	case WS_CGROUP_CHURN:
		for (unsigned i = 0; !err && i < g->p_groups; i++) {
			snprintf(dir, sizeof(dir), "%s/wt-cgroup-churn-%u", g->mem_cg, i);
			err = open_procs(s, dir);
		}
		break;
	case WS_CGROUP_ATTACH_STORM:
		snprintf(dir, sizeof(dir), "%s/%s", g->mem_cg, g->p_dest);
		err = open_procs(s, dir);
		if (!err && !g->p_reap_wait)
			signal(SIGCHLD, SIG_IGN);   /* children reap themselves: the race */
		break;
	default:
		break;
	}
	return err;
}

void ws_mem_fini(struct ws_ctx *c)
{
	struct mem_state *s = (struct mem_state *)c->buf;

	if (!s)
		return;
	if (s->region)
		munmap(s->region, s->len);
	for (unsigned i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	free(s->touched);
	free(s);
	c->buf = NULL;
}

/* spin, set each sibling's affinity (two masks one CPU apart), sampled yield. */
int ws_cross_affinity_churn(struct ws_ctx *c)
{
	struct mem_state *s = (struct mem_state *)c->buf;
	cpu_set_t less = s->own;
	bool flip = false;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &less)) {
			CPU_CLR(cpu, &less);
			break;
		}
	while (!ws_stopping()) {
		ws_spin(c, c->g->p_spin);
		flip = !flip;
		for (unsigned k = 0; k < c->g->n; k++) {
			struct ws_unit *u = c->unit + ((long)k - (long)c->gidx);
			pid_t tid = atomic_load(&u->word[0]);

			if (k != c->gidx && tid > 0)
				sched_setaffinity(tid, sizeof(cpu_set_t), flip ? &less : &s->own);
		}
		ws_yield_sampled(c);
		ws_iter(c);
	}
	return 0;
}

/* spin period_ms, then move to the next node's CPUs (within the own affinity). */
int ws_numa_migration_churn(struct ws_ctx *c)
{
	struct mem_state *s = (struct mem_state *)c->buf;
	unsigned i = c->gidx;

	while (!ws_stopping()) {
		cpu_set_t set;
		bool any = false;

		ws_spin_for(c, c->g->p_period_ms * 1000000ULL);
		if (ws_stopping())
			break;
		CPU_ZERO(&set);
		for (int cpu = 0; s->nsets && cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &s->own) && tk_cpuset_isset(&s->sets[i % s->nsets], cpu)) {
				CPU_SET(cpu, &set);
				any = true;
			}
		i++;
		if (any && sched_setaffinity(0, sizeof(set), &set))
			return -errno;
		ws_iter(c);
	}
	return 0;
}

/* mbind(MPOL_BIND, MF_MOVE) to the next target node, touch every page, sleep. */
int ws_numa_working_set_sweep(struct ws_ctx *c)
{
	struct mem_state *s = (struct mem_state *)c->buf;
	unsigned i = c->gidx;

	while (!ws_stopping()) {
		uint64_t t;

		if (s->nsets && syscall(SYS_mbind, s->region, s->len, MPOL_BIND,
					s->sets[i++ % s->nsets].bits, TK_CPUSET_MAX + 1,
					MPOL_MF_MOVE))
			return -errno;
		for (size_t off = 0; off < s->len; off += s->page)
			((volatile uint8_t *)s->region)[off]++;
		ws_tick(c, s->len / s->page);
		t = ws_now();
		if (ws_sleep(c->g->p_period_ms * 1000000ULL))
			ws_wake(c, ws_now() - t);   /* the full elapsed sleep */
		ws_iter(c);
	}
	return 0;
}

/* Write-fault touches_per_cycle random pages, CPU work, MADV_DONTNEED. */
int ws_page_fault_churn(struct ws_ctx *c)
{
	struct mem_state *s = (struct mem_state *)c->buf;
	size_t npages = s->len / s->page, words = (npages + 63) / 64;
	volatile uint64_t sink = 0;

	while (!ws_stopping()) {
		uint64_t faults = 0;

		for (uint64_t t = 0; t < c->g->p_touches; t++) {
			size_t p = tk_rand_below(&c->rng, npages);

			if (!(s->touched[p / 64] & (1ULL << (p % 64)))) {
				s->touched[p / 64] |= 1ULL << (p % 64);
				faults++;   /* the first write after the zap faults */
			}
			((volatile uint8_t *)s->region)[p * s->page] = (uint8_t)t;
		}
		ws_tick(c, faults);
		sink += ws_alu(c->g->p_spin);
		if (madvise(s->region, s->len, MADV_DONTNEED))
			return -errno;
		memset(s->touched, 0, words * sizeof(uint64_t));
		ws_iter(c);
	}
	(void)sink;
	return 0;
}

/* Write the own pid to the next rotation cgroup's cgroup.procs, sleep cycle_ms. */
int ws_cgroup_churn(struct ws_ctx *c)
{
	struct mem_state *s = (struct mem_state *)c->buf;
	unsigned i = c->gidx;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	while (!ws_stopping()) {
		if (write(s->fds[i++ % s->nfds], buf, n) == n)
			ws_tick(c, 1);
		else if (errno != EINTR)
			return -errno;
		ws_iter(c);
		ws_sleep(c->g->p_period_ms * 1000000ULL);
	}
	return 0;
}

/* fork a child that exits at once and move it to dest while it exits. */
int ws_cgroup_attach_storm(struct ws_ctx *c)
{
	struct mem_state *s = (struct mem_state *)c->buf;
	bool warned = false;

	while (!ws_stopping()) {
		char buf[32];
		pid_t pid = fork();
		int n;

		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
		if (write(s->fds[0], buf, n) == n) {
			ws_tick(c, 1);   /* attached before it was gone */
		} else if (errno != ESRCH && !warned) {
			tk_warn("worker %d: cgroup-attach-storm: moving %d: %s", c->rep.tid, pid,
				strerror(errno));
			warned = true;
		}
		if (c->g->p_reap_wait) {
			uint64_t t = ws_now();

			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			ws_wake(c, ws_now() - t);
		}
		ws_iter(c);
	}
	return 0;
}
