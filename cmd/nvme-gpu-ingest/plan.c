// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * plan.c — which worker (ring, thread) reads which source.
 *
 * Sources are grouped by the device they live on (devinfo.c).  The number
 * of workers is --threads, or one per device capped by the CPUs this process
 * may run on (and by --cpus), never more than the sources.  With no more
 * workers than devices, device d goes to worker d mod N, whole: each device
 * gets its own ring when N >= devices.  With more workers than devices, each
 * device first gets one, the rest go one by one to the device with the most
 * sources per worker, and a device's sources are dealt round robin over its
 * workers.  run->src is then sorted (stably) by worker, so each engine reads
 * a contiguous slice.  --rw randread also draws each source's permutation.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "errors.h"
#include "parse.h"
#include "stats.h"
#include "ingest.h"

static int find_or_add_dev(struct run *r, const struct device *d)
{
	struct device *p;

	for (unsigned k = 0; k < r->ndev; k++)
		if (r->dev[k].key == d->key)
			return (int)k;
	p = realloc(r->dev, (r->ndev + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->dev = p;
	p[r->ndev] = *d;
	return (int)r->ndev++;
}

static unsigned usable_cpus(const struct ingest_args *args)
{
	cpu_set_t set;
	struct tk_cpuset cs;
	unsigned n = 1;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		n = (unsigned)CPU_COUNT(&set);
	if (args->cpus && !tk_parse_cpulist(args->cpus, &cs) && tk_cpuset_count(&cs) < n)
		n = tk_cpuset_count(&cs);
	return n;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* A random permutation k -> (a*k+b) mod n of a source's chunks. */
static void draw_perm(struct source *s, uint64_t *rng)
{
	uint64_t n = s->nchunks;

	s->perm_a = 1;
	s->perm_b = 0;
	if (n < 2)
		return;
	s->perm_b = tk_rand_below(rng, n);
	do
		s->perm_a = 1 + tk_rand_below(rng, n - 1);
	while (gcd(s->perm_a, n) != 1);
}

/* Worker of each device's sources when there are more workers than devices. */
static int spread(struct run *r)
{
	unsigned *wd = calloc(r->ndev, sizeof(*wd)), *base = calloc(r->ndev, sizeof(*base));
	unsigned *next = calloc(r->ndev, sizeof(*next));
	int err = 0;

	if (!wd || !base || !next) {
		err = -ENOMEM;
		goto out;
	}
	for (unsigned d = 0; d < r->ndev; d++)
		wd[d] = 1;
	for (unsigned extra = r->nw - r->ndev; extra; extra--) {
		unsigned best = 0;

		for (unsigned d = 1; d < r->ndev; d++)
			if ((double)r->dev[d].nsrc / wd[d] > (double)r->dev[best].nsrc / wd[best])
				best = d;
		wd[best]++;
	}
	for (unsigned d = 1; d < r->ndev; d++)
		base[d] = base[d - 1] + wd[d - 1];
	for (unsigned k = 0; k < r->nsrc; k++) {
		unsigned d = r->src[k].devi;

		r->src[k].worker = base[d] + next[d]++ % wd[d];
	}
	for (unsigned d = 0; d < r->ndev; d++)
		r->dev[d].nworkers = wd[d];
out:
	free(wd);
	free(base);
	free(next);
	return err;
}

/* Stable sort of run->src by worker (a counting pass per worker). */
static int sort_by_worker(struct run *r)
{
	struct source *out = malloc(r->nsrc * sizeof(*out));
	unsigned n = 0;

	if (!out)
		return -ENOMEM;
	for (unsigned w = 0; w < r->nw; w++)
		for (unsigned k = 0; k < r->nsrc; k++)
			if (r->src[k].worker == w)
				out[n++] = r->src[k];
	memcpy(r->src, out, r->nsrc * sizeof(*out));
	free(out);
	return 0;
}

int workers_plan(struct run *r)
{
	const struct ingest_args *args = r->args;
	uint64_t rng = tk_now_mono_ns() | 1;
	unsigned ncpu = usable_cpus(args);

	for (unsigned k = 0; k < r->nsrc; k++) {
		struct device d;
		int di;

		devinfo_get(r->src[k].fd, &d);
		di = find_or_add_dev(r, &d);
		if (di < 0)
			return di;
		r->src[k].devi = (unsigned)di;
		r->dev[di].nsrc++;
		if (args->rw == RW_RANDREAD)
			draw_perm(&r->src[k], &rng);
	}
	r->nw = args->threads ? args->threads : (r->ndev < ncpu ? r->ndev : ncpu);
	if (r->nw > r->nsrc)
		r->nw = r->nsrc;
	if (!r->nw)
		r->nw = 1;
	if (args->target != TARGET_HOST) /* cuda targets: one worker (options.c refuses more) */
		r->nw = 1;
	if (r->nw > r->ndev) {
		int err = spread(r);

		if (err)
			return err;
	} else {
		for (unsigned d = 0; d < r->ndev; d++)
			r->dev[d].nworkers = 1;
		for (unsigned k = 0; k < r->nsrc; k++)
			r->src[k].worker = r->src[k].devi % r->nw;
	}
	return sort_by_worker(r);
}
