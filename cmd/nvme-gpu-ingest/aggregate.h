/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * aggregate.h — views of a run over several sources and workers
 * (aggregate.c) and their records (report_multi.c).
 */
#ifndef NVME_GPU_INGEST_AGGREGATE_H
#define NVME_GPU_INGEST_AGGREGATE_H

#include "ingest.h"

/* One device's view: its sources' counters, its workers' latency and span. */
struct dev_view {
	struct telemetry tel;
	struct tk_reservoir lat;   /* pooled samples (own array: tk_reservoir_free) */
	uint64_t cpu_ns, expected, t_start, t_end;
};

/* The run's totals as one engine for report_summary(); free t->lat after. */
int workers_total(const struct run *r, struct engine *t);
/* Give every source its share (by bytes) of its worker thread's CPU time. */
void aggr_cpu_shares(struct run *r);
/* Device @d's view; 0 or -ENOMEM. */
int aggr_device(const struct run *r, unsigned d, struct dev_view *v);
/* 0 when the per-source counters add up to @total, else 1 with @why filled. */
int aggr_parts_check(const struct run *r, const struct telemetry *total,
		     char *why, size_t len);

/* One "source" record per source, one "device" record per device. */
void report_sources(const struct run *r);
int report_devices(const struct run *r);

#endif
