// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * aggregate.c — the views of a run with several sources or workers: the
 * run total (as one engine, for report_summary), per device and per source.
 * Every view is a sum of the per-source counters the engines kept beside
 * their own (engine.c TEL_ADD), so the parts add up to the total exactly;
 * aggr_parts_check() proves it for --validate.
 *
 * Latency is sampled per worker and device (reservoirs of up to
 * TK_RESERVOIR_DEFAULT_CAP each); a device's percentiles pool the samples of
 * its workers, its mean is exact (sum / count).  CPU time is the whole
 * process's (RUSAGE_SELF, kernel io-wq and SQPOLL threads included) for the
 * total; a source gets its worker thread's CPU time in proportion to its
 * bytes, a device the sum of its sources'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "aggregate.h"

static void tel_add(struct telemetry *dst, const struct telemetry *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

/* Pool @n reservoirs' samples into @out (its own array); exact sum and count. */
static int pool(const struct tk_reservoir *const *in, unsigned n, struct tk_reservoir *out)
{
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < n; k++)
		len += in[k]->len;
	out->v = malloc((len ? len : 1) * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	out->cap = len;
	out->rng = 1;
	for (unsigned k = 0; k < n; k++) {
		if (in[k]->len)
			memcpy(out->v + out->len, in[k]->v, in[k]->len * sizeof(*out->v));
		out->len += in[k]->len;
		out->total += in[k]->total;
		out->sum += in[k]->sum;
	}
	return 0;
}

int workers_total(const struct run *r, struct engine *t)
{
	const struct tk_reservoir **in = calloc(r->nw, sizeof(*in));
	int err;

	if (!in)
		return -ENOMEM;
	*t = r->w[0];
	memset(&t->tel, 0, sizeof(t->tel));
	t->stopped = false;
	for (unsigned k = 0; k < r->nw; k++) {
		tel_add(&t->tel, &r->w[k].tel);
		t->stopped |= r->w[k].stopped;
		t->files_registered &= r->w[k].files_registered;
		if (!t->first_err)
			t->first_err = r->w[k].first_err;
		in[k] = &r->w[k].lat;
	}
	err = pool(in, r->nw, &t->lat);
	free(in);
	t->src = r->src;
	t->nsrc = r->nsrc;
	t->t_start = r->t_start;
	t->t_end = r->t_end;
	t->cpu_ns = r->cpu_ns;
	t->total_bytes = r->total_bytes;
	t->slots = NULL;
	t->dlat = NULL;
	return err;
}

void aggr_cpu_shares(struct run *r)
{
	for (unsigned k = 0; k < r->nsrc; k++) {
		struct source *s = &r->src[k];
		const struct engine *w = &r->w[s->worker];

		s->cpu_ns = w->tel.completed_bytes ?
			    (uint64_t)((double)w->cpu_ns * s->tel.completed_bytes / w->tel.completed_bytes) : 0;
	}
}

int aggr_device(const struct run *r, unsigned d, struct dev_view *v)
{
	const struct tk_reservoir **in;
	unsigned n = 0;
	int err;

	memset(v, 0, sizeof(*v));
	in = calloc(r->nw, sizeof(*in));
	if (!in)
		return -ENOMEM;
	v->t_start = UINT64_MAX;
	for (unsigned k = 0; k < r->nsrc; k++) {
		if (r->src[k].devi != d)
			continue;
		tel_add(&v->tel, &r->src[k].tel);
		v->cpu_ns += r->src[k].cpu_ns;
		v->expected += r->src[k].end - r->src[k].start;
	}
	for (unsigned k = 0; k < r->nw; k++) {
		const struct engine *w = &r->w[k];

		if (!w->dlat || !w->dlat[d].v)
			continue;
		in[n++] = &w->dlat[d];
		if (w->t_start < v->t_start)
			v->t_start = w->t_start;
		if (w->t_end > v->t_end)
			v->t_end = w->t_end;
	}
	err = pool(in, n, &v->lat);
	free(in);
	if (v->t_start == UINT64_MAX)
		v->t_start = v->t_end = 0;
	return err;
}

int aggr_parts_check(const struct run *r, const struct telemetry *total,
		     char *why, size_t len)
{
	struct telemetry sum = { 0 };

	for (unsigned k = 0; k < r->nsrc; k++)
		tel_add(&sum, &r->src[k].tel);
	if (!memcmp(&sum, total, sizeof(sum)))
		return 0;
	snprintf(why, len, "per-source completed_bytes sum %llu, submitted_reads sum %llu; total %llu, %llu",
		 (unsigned long long)sum.completed_bytes, (unsigned long long)sum.submitted_reads,
		 (unsigned long long)total->completed_bytes, (unsigned long long)total->submitted_reads);
	return 1;
}
