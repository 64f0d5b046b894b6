// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report.c — progress line (TTY only), sample and summary records, verify
 * events and validation failures.  Records go through output.h, so text,
 * JSON and Prometheus forms come from one place.  A run on the CUDA test
 * double says so in every record (driver="test double"): it is no GPU result.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "errors.h"
#include "output.h"
#include "ingest.h"

static double mb_s(uint64_t bytes, uint64_t ns)
{
	return tk_ratio((double)bytes * 1e3, (double)ns); /* 1e6 B/MB, 1e9 ns/s */
}

void report_progress(const struct engine *e, bool final)
{
	uint64_t now = final ? e->t_end : tk_now_mono_ns(), el = now - e->t_start;
	uint64_t b = e->tel.completed_bytes;
	double rate = mb_s(b, el), eta = 0;

	if (rate > 0 && e->total_bytes > b)
		eta = (double)(e->total_bytes - b) / (rate * 1e6);
	fprintf(stderr, "\r%s: %llu/%llu MiB  %.1f MB/s  ETA %.0fs  inflight %llu\033[K%s",
		TOOL, (unsigned long long)(b >> 20), (unsigned long long)(e->total_bytes >> 20),
		rate, eta, (unsigned long long)tel_inflight_reads(&e->tel), final ? "\n" : "");
	fflush(stderr);
}

void report_counters(struct json_object *r, const struct telemetry *t, enum ingest_path p)
{
#define ADD_COUNTER(f) tk_rec_u64(r, #f, t->f);
	TEL_SEED_COUNTERS(ADD_COUNTER)
#undef ADD_COUNTER
	tk_rec_u64(r, "inflight_reads", tel_inflight_reads(t));
	tk_rec_u64(r, "path_submissions", tel_path_submissions(t, p));
}

/* The path, the target and, on the test double, the driver. */
static void add_where(struct json_object *r, const struct engine *e)
{
	tk_rec_str(r, "path", path_name(e->ops->path));
	tk_rec_str(r, "target", target_name(e->tgt.kind));
	if (e->tgt.test_double)
		tk_rec_str(r, "driver", "test double");
}

int report_sample(const struct engine *e, uint64_t period_ns, uint64_t bytes)
{
	struct json_object *r = tk_record_new("sample");

	add_where(r, e);
	tk_rec_u64(r, "interval_ns", period_ns);
	tk_rec_u64(r, "bytes", bytes);
	tk_rec_dbl(r, "mb_s", mb_s(bytes, period_ns));
	report_counters(r, &e->tel, e->ops->path);
	return tk_emit(r);
}

void report_retries(struct json_object *r, const struct telemetry *t)
{
	tk_rec_u64(r, "eagain_retries", t->eagain_retries);
	tk_rec_u64(r, "short_reads", t->short_reads);
	tk_rec_u64(r, "h2d_bytes", t->h2d_bytes);
}

void report_retries_lat(struct json_object *r, const struct telemetry *t,
			const struct tk_summary *lat)
{
	report_retries(r, t);
	tk_rec_dbl(r, "lat_p50_us", lat->p50 / 1e3);
	tk_rec_dbl(r, "lat_p99_us", lat->p99 / 1e3);
	tk_rec_dbl(r, "lat_max_us", lat->max / 1e3);
}

void report_perf(struct json_object *r, uint64_t reads, uint64_t bytes, uint64_t ns,
		 uint64_t cpu_ns, const struct tk_summary *lat)
{
	tk_rec_dbl(r, "iops", tk_ratio((double)reads * 1e9, (double)ns));
	tk_rec_dbl(r, "lat_mean_us", lat->mean / 1e3);
	tk_rec_dbl(r, "lat_p90_us", lat->p90 / 1e3);
	tk_rec_dbl(r, "lat_p999_us", lat->p999 / 1e3);
	tk_rec_dbl(r, "cpu_s", cpu_ns / 1e9);
	tk_rec_dbl(r, "cpu_s_per_gib", tk_ratio(cpu_ns / 1e9, (double)bytes / (1ULL << 30)));
}

void report_summary(const struct engine *e)
{
	struct json_object *r = tk_record_new("summary");
	uint64_t el = e->t_end - e->t_start;
	struct tk_summary lat = { 0 };
	char flags[128];

	tk_summarize_u64(e->lat.v, e->lat.len, &lat);
	add_where(r, e);
	if (e->nsrc == 1)
		tk_rec_str(r, "source", e->src[0].name);
	tk_rec_u64(r, "sources", e->nsrc);
	tk_rec_bool(r, "direct", e->args->direct || e->ops->direct);
	tk_rec_bool(r, "nowait", e->args->nowait);
	tk_rec_u64(r, "qd", e->args->qd);
	tk_rec_u64(r, "chunk", e->chunk);
	tk_rec_u64(r, "slots", e->tgt.nslots);
	tk_rec_str(r, "ring_flags", ring_flag_names(e->r.flags, flags, sizeof(flags)));
	if (e->r.dropped)
		tk_rec_str(r, "ring_flags_dropped", ring_flag_names(e->r.dropped, flags, sizeof(flags)));
	if (e->ops->uring_cmd)
		tk_rec_bool(r, "uring_cmd_fixed", e->cmd_fixed);
	if (e->tgt.dev_ptr)
		tk_rec_str(r, "gpu_va", (snprintf(flags, sizeof(flags), "0x%" PRIx64, e->tgt.dev_ptr), flags));
	tk_rec_u64(r, "expected_bytes", e->total_bytes);
	tk_rec_bool(r, "complete", !e->stopped && !e->first_err &&
		    e->tel.completed_bytes == e->total_bytes);
	if (e->stopped)
		tk_rec_str(r, "stopped_by", tk_stop_signal() == 2 ? "SIGINT" :
			   tk_stop_signal() == 15 ? "SIGTERM" : "limit");
	tk_rec_dbl(r, "elapsed_s", el / 1e9);
	tk_rec_dbl(r, "mb_s", mb_s(e->tel.completed_bytes, el));
	if (e->tgt.kind == TARGET_CUDA_DEVICE) {
		uint64_t busy = target_h2d_busy_ns(&e->tgt);

		tk_rec_dbl(r, "h2d_busy_s", busy / 1e9);
		tk_rec_dbl(r, "h2d_mb_s", mb_s(e->tel.h2d_bytes, busy));
	}
	report_counters(r, &e->tel, e->ops->path);
	report_retries_lat(r, &e->tel, &lat);
	if (e->nsrc == 1 && e->src[0].verified) {
		snprintf(flags, sizeof(flags), "%08x", e->src[0].crc_landed);
		tk_rec_str(r, "crc32", flags);
		tk_rec_bool(r, "verified", e->src[0].crc_landed == e->src[0].crc_source);
	}
	/* issue 16 */
	tk_rec_str(r, "rw", e->args->rw == RW_RANDREAD ? "randread" : "read");
	tk_rec_u64(r, "threads", e->run_threads);
	tk_rec_u64(r, "devices", e->run_devices);
	tk_rec_bool(r, "registered_files", e->files_registered);
	tk_rec_str(r, "completions", e->iopoll ? "polled" : "interrupt");
	report_perf(r, e->tel.completed_reads, e->tel.completed_bytes, el, e->cpu_ns, &lat);
	tk_emit(r);
}

void report_verify(const struct engine *e, const struct source *s)
{
	struct json_object *r = tk_record_new("event");
	char buf[16];

	tk_rec_str(r, "event", "verify");
	if (e->tgt.test_double)
		tk_rec_str(r, "driver", "test double");
	if (e->tgt.kind != TARGET_HOST)
		tk_rec_str(r, "read_back", e->tgt.kind == TARGET_CUDA_DEVICE ?
			   "cuMemcpyDtoH from the device buffer" :
			   "cuMemcpyDtoH through the device-mapped address");
	tk_rec_str(r, "source", s->name);
	tk_rec_u64(r, "offset", s->start);
	tk_rec_u64(r, "length", s->end - s->start);
	snprintf(buf, sizeof(buf), "%08x", s->crc_landed);
	tk_rec_str(r, "crc32_landed", buf);
	snprintf(buf, sizeof(buf), "%08x", s->crc_source);
	tk_rec_str(r, "crc32_source", buf);
	tk_rec_bool(r, "match", s->crc_landed == s->crc_source);
	tk_emit(r);
}

void report_violations(const struct tel_violation *v, int n)
{
	for (int i = 0; i < n; i++)
		tk_error(v[i].fix, "validate: rule %s failed: %s", v[i].rule, v[i].detail);
}
