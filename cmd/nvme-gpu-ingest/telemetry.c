// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * telemetry.c — the seed's NvmeGpuIngestTelemetry semantics: derived
 * inflight/per-path counts and validate_completed_zero_copy(), whose seven
 * rules are checked in the seed's order, each with its fix.
 */
#include <stdio.h>

#include "ingest.h"

uint64_t tel_inflight_reads(const struct telemetry *t)
{
	uint64_t done = tk_sat_add_u64(t->completed_reads, t->failed_completions);

	return tk_sat_sub_u64(t->submitted_reads, done);
}

uint64_t *tel_path_counter(struct telemetry *t, enum ingest_path p)
{
	return p == PATH_PASSTHROUGH ? &t->gpudirect_nvme_submissions
				     : &t->registered_mapped_read_submissions;
}

uint64_t tel_path_submissions(const struct telemetry *t, enum ingest_path p)
{
	return *tel_path_counter((struct telemetry *)t, p);
}

#define VIOLATION(name, fixtext, ...)                                          \
	do {                                                                   \
		if (n < max) {                                                 \
			v[n].rule = name;                                      \
			v[n].fix = fixtext;                                    \
			snprintf(v[n].detail, sizeof(v[n].detail), __VA_ARGS__); \
		}                                                              \
		n++;                                                           \
	} while (0)

int tel_validate(const struct telemetry *t, enum ingest_path p,
		 struct tel_violation *v, int max)
{
	enum ingest_path other = p == PATH_PASSTHROUGH ? PATH_REGISTERED : PATH_PASSTHROUGH;
	unsigned long long sel = tel_path_submissions(t, p), oth = tel_path_submissions(t, other);
	int n = 0;

	if (t->cpu_bounce_bytes)
		VIOLATION("cpu_bounce_bytes", "route reads through registered GPU-visible slots or NVMe passthrough",
			  "%llu bytes were copied through a user-space bounce buffer",
			  (unsigned long long)t->cpu_bounce_bytes);
	if (t->failed_completions)
		VIOLATION("failed_completions", "inspect CQE status (read errors above) before publishing slots",
			  "%llu completions failed", (unsigned long long)t->failed_completions);
	if (tel_inflight_reads(t))
		VIOLATION("inflight_reads", "drain completions before taking the telemetry snapshot",
			  "%llu reads still in flight", (unsigned long long)tel_inflight_reads(t));
	if (t->submitted_bytes != t->completed_bytes)
		VIOLATION("byte_accounting", "account CQE byte counts exactly once",
			  "submitted_bytes %llu != completed_bytes %llu",
			  (unsigned long long)t->submitted_bytes, (unsigned long long)t->completed_bytes);
	if (t->submitted_reads != t->completed_reads)
		VIOLATION("read_accounting", "account every terminal CQE exactly once",
			  "submitted_reads %llu != completed_reads %llu",
			  (unsigned long long)t->submitted_reads, (unsigned long long)t->completed_reads);
	if (sel != t->submitted_reads)
		VIOLATION("wrong_path", "run with the --path the submissions were made on",
			  "%s submissions %llu != submitted_reads %llu", path_name(p), sel,
			  (unsigned long long)t->submitted_reads);
	if (oth)
		VIOLATION("mixed_path", "keep registered and passthrough runs (and their telemetry) separate",
			  "%llu %s submissions in a %s run", oth, path_name(other), path_name(p));
	return n;
}

int tel_validate_target(const struct telemetry *t, enum ingest_target k,
			struct tel_violation *v, int max)
{
	int n = 0;

	if (k == TARGET_CUDA_DEVICE && t->h2d_bytes != t->completed_bytes)
		VIOLATION("h2d_accounting", "copy every landed chunk to the GPU and wait for its event before the snapshot",
			  "h2d_bytes %llu != completed_bytes %llu",
			  (unsigned long long)t->h2d_bytes, (unsigned long long)t->completed_bytes);
	return n;
}
