// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report_multi.c — "source" and "device" records of a run over several
 * sources or workers, emitted before the run's summary (telkit-json(7)).
 * Their counters are the seed's eight (plus inflight_reads and
 * path_submissions) over that part; summed over all sources, or over all
 * devices, they equal the summary's.
 */
#include "output.h"
#include "stats.h"
#include "aggregate.h"

static double mb_s(uint64_t bytes, uint64_t ns)
{
	return tk_ratio((double)bytes * 1e3, (double)ns);
}

void report_sources(const struct run *r)
{
	for (unsigned k = 0; k < r->nsrc; k++) {
		const struct source *s = &r->src[k];
		struct json_object *rec = tk_record_new("source");
		uint64_t el = r->w[s->worker].t_end - r->w[s->worker].t_start;

		tk_rec_str(rec, "source", s->name);
		tk_rec_str(rec, "device", r->dev[s->devi].name);
		tk_rec_u64(rec, "worker", s->worker);
		tk_rec_i64(rec, "slot_numa_node", r->w[s->worker].node);
		tk_rec_i64(rec, "cpu", r->w[s->worker].cpu);
		tk_rec_u64(rec, "expected_bytes", (s->end - s->start) * r->args->loops);
		tk_rec_dbl(rec, "mb_s", mb_s(s->tel.completed_bytes, el));
		report_counters(rec, &s->tel, r->ops->path);
		report_retries(rec, &s->tel);
		tk_rec_dbl(rec, "cpu_s_per_gib", tk_ratio(s->cpu_ns / 1e9,
			   (double)s->tel.completed_bytes / (1ULL << 30)));
		tk_emit(rec);
	}
}

static void device_record(const struct run *r, unsigned d, struct dev_view *v)
{
	struct json_object *rec = tk_record_new("device");
	const struct device *dev = &r->dev[d];
	uint64_t el = v->t_end - v->t_start;
	struct tk_summary lat = { 0 };

	tk_summarize_u64(v->lat.v, v->lat.len, &lat);
	lat.mean = v->lat.total ? (double)v->lat.sum / v->lat.total : 0;
	tk_rec_str(rec, "device", dev->name);
	tk_rec_i64(rec, "numa_node", dev->node);
	tk_rec_u64(rec, "sources", dev->nsrc);
	tk_rec_u64(rec, "threads", dev->nworkers);
	tk_rec_u64(rec, "expected_bytes", v->expected * r->args->loops);
	tk_rec_dbl(rec, "elapsed_s", el / 1e9);
	tk_rec_dbl(rec, "mb_s", mb_s(v->tel.completed_bytes, el));
	report_counters(rec, &v->tel, r->ops->path);
	report_retries_lat(rec, &v->tel, &lat);
	report_perf(rec, v->tel.completed_reads, v->tel.completed_bytes, el, v->cpu_ns, &lat);
	tk_emit(rec);
}

int report_devices(const struct run *r)
{
	for (unsigned d = 0; d < r->ndev; d++) {
		struct dev_view v;
		int err = aggr_device(r, d, &v);

		if (!err)
			device_record(r, d, &v);
		tk_reservoir_free(&v.lat);
		if (err)
			return err;
	}
	return 0;
}
