// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sb_aux.c — issue 15: schbench's per-CPU lock and auto-RPS step.  See sb_aux.h. */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "sb_aux.h"

/* One mutex per slot, each slot 16-aligned as schbench's per_cpu_lock. */
struct sb_slot {
	pthread_mutex_t m;
} __attribute__((aligned(16)));

struct sb_locks {
	unsigned n;
	struct sb_slot slot[];
};

struct sb_locks *sb_locks_new(void)
{
	cpu_set_t set;
	unsigned n = 1;
	struct sb_locks *l;

	if (!sched_getaffinity(0, sizeof(set), &set))
		for (unsigned c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				n = c + 1;
	l = calloc(1, sizeof(*l) + n * sizeof(l->slot[0]));
	if (!l)
		return NULL;
	l->n = n;
	for (unsigned i = 0; i < n; i++)
		pthread_mutex_init(&l->slot[i].m, NULL);
	return l;
}

void sb_locks_free(struct sb_locks *l)
{
	for (unsigned i = 0; l && i < l->n; i++)
		pthread_mutex_destroy(&l->slot[i].m);
	free(l);
}

/* The busy-wait hint between two tries (PAUSE on x86). */
static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static unsigned this_cpu(const struct sb_locks *l)
{
	int c = sched_getcpu();

	return c < 0 ? 0 : (unsigned)c < l->n ? (unsigned)c : l->n - 1;
}

pthread_mutex_t *sb_lock_this_cpu(struct sb_locks *l)
{
	for (;;) {
		unsigned c = this_cpu(l);
		pthread_mutex_t *m = &l->slot[c].m;

		while (pthread_mutex_trylock(m))
			relax();
		if (this_cpu(l) == c)
			return m;
		pthread_mutex_unlock(m);
	}
}

void sb_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

int sb_busy_read(struct sb_busy *b, double *pct)
{
	unsigned long long v[10] = { 0 }, total = 0, dt, di;
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	fclose(f);
	if (n < 4)
		return -EIO;
	for (int i = 0; i < n; i++)
		total += v[i];
	dt = total - b->total;
	di = v[3] - b->idle;
	if (!b->total || total <= b->total || v[3] < b->idle) {
		b->total = total;
		b->idle = v[3];
		return -EAGAIN;
	}
	b->total = total;
	b->idle = v[3];
	*pct = 100.0 - 100.0 * (double)di / (double)dt;
	return 0;
}

uint64_t sb_rps_step(uint64_t rate, double busy, double target, bool *hit)
{
	double d = busy > 0 ? target / busy : 3.0, next;

	if (busy < target) {
		if (d > 3.0) {
			d = 3.0;
		} else if (d < 1.2) {
			d = 1.0 + (d - 1.0) / 8;
			*hit = *hit || d < 1.05;
		} else if (d < 1.5) {
			d = 1.0 + (d - 1.0) / 4;
		}
		next = ceil((double)rate * d);
		return next >= 2147483648.0 ? rate : (uint64_t)next;   /* no capacity: hold */
	}
	if (busy > target) {
		if (d < 0.3) {
			d = 0.3;
		} else if (d > 0.9) {
			d += (1.0 - d) / 8;
			*hit = *hit || d > 0.95;
		} else if (d > 0.8) {
			d += (1.0 - d) / 4;
		}
		return (uint64_t)floor((double)rate * d);
	}
	*hit = true;
	return rate;
}
