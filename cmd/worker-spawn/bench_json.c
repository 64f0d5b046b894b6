// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench_json.c — issue 15: bench.  The schbench and taobench figures as JSON
 * objects for the printers (output.c): a report's *_whole object, a phase
 * slice's, and a group summary's fold over its workers.
 */
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "ws.h"

/* One benchmark record as an object (µs, qps, ratios). */
static struct json_object *bench_json(const struct ws_bench *b)
{
	struct json_object *o = json_object_new_object();
	const uint64_t *f = b->f;

#define US(key, v) json_object_object_add(o, key, tk_json_dbl((double)(v) / 1e3))
#define U64(key, v) json_object_object_add(o, key, json_object_new_uint64(v))
	if (b->kind == WS_BENCH_SCHBENCH) {
		static const char *const pn[4] = { "p50", "p90", "p99", "p999" };
		char key[64];

		for (int k = 0; k < 4; k++) {
			snprintf(key, sizeof(key), "wakeup_%s_latency_us", pn[k]);
			US(key, f[WS_SB_wakeup_p50 + k]);
		}
		US("wakeup_min_latency_us", f[WS_SB_wakeup_min]);
		US("wakeup_max_latency_us", f[WS_SB_wakeup_max]);
		U64("wakeup_samples", f[WS_SB_wakeup_samples]);
		for (int k = 0; k < 4; k++) {
			snprintf(key, sizeof(key), "request_%s_latency_us", pn[k]);
			US(key, f[WS_SB_request_p50 + k]);
		}
		US("request_min_latency_us", f[WS_SB_request_min]);
		US("request_max_latency_us", f[WS_SB_request_max]);
		U64("request_samples", f[WS_SB_request_samples]);
		US("sched_delay_msg_us", f[WS_SB_sched_delay_msg]);
		US("sched_delay_worker_us", f[WS_SB_sched_delay_worker]);
		U64("schbench_loop_count", f[WS_SB_loop_count]);
		U64("wall_ns", f[WS_SB_wall_ns]);
		/* issue 15: schbench -R/-A figures */
		json_object_object_add(o, "achieved_rps", tk_json_dbl(f[WS_SB_wall_ns] ?
				       f[WS_SB_loop_count] * 1e9 / f[WS_SB_wall_ns] : 0));
		U64("final_rps_goal", f[WS_SB_rps_goal]);
		json_object_object_add(o, "rps_target_hit",
				       json_object_new_boolean(f[WS_SB_rps_target_hit]));
		U64("rps_p50", f[WS_SB_rps_p50]);
		U64("rps_p90", f[WS_SB_rps_p90]);
		U64("rps_p99", f[WS_SB_rps_p99]);
		U64("rps_samples", f[WS_SB_rps_samples]);
	} else {
		double s = f[WS_TB_wall_ns] / 1e9;

#define QPS(key, v) json_object_object_add(o, key, tk_json_dbl(s > 0 ? (double)(v) / s : 0))
		QPS("total_qps", f[WS_TB_requests]);
		QPS("fast_qps", f[WS_TB_hits]);
		QPS("slow_qps", f[WS_TB_misses]);
#undef QPS
		json_object_object_add(o, "hit_ratio", tk_json_dbl(f[WS_TB_requests] ?
				       (double)f[WS_TB_hits] / f[WS_TB_requests] : 0));
		json_object_object_add(o, "open_loop", json_object_new_boolean(f[WS_TB_open_loop]));
		US("serve_p50_us", f[WS_TB_serve_p50]);
		US("serve_p90_us", f[WS_TB_serve_p90]);
		US("serve_p99_us", f[WS_TB_serve_p99]);
		US("serve_p999_us", f[WS_TB_serve_p999]);
		US("serve_max_us", f[WS_TB_serve_max]);
		U64("serve_samples", f[WS_TB_serve_samples]);
		U64("requests", f[WS_TB_requests]);
		U64("hits", f[WS_TB_hits]);
		U64("misses", f[WS_TB_misses]);
		U64("late", f[WS_TB_late]);
		U64("wall_ns", f[WS_TB_wall_ns]);
		/* the reference's request-time counts and their hit rate, the serve min */
		U64("get_cmds", f[WS_TB_get_cmds]);
		U64("get_misses", f[WS_TB_get_misses]);
		json_object_object_add(o, "hit_rate", tk_json_dbl(f[WS_TB_get_cmds] ?
				       1 - (double)f[WS_TB_get_misses] / f[WS_TB_get_cmds] : 0));
		US("serve_min_us", f[WS_TB_serve_min]);
	}
#undef US
#undef U64
	return o;
}

static const char *bench_key(const struct ws_bench *b)
{
	return b->kind == WS_BENCH_SCHBENCH ? "schbench" : "taobench";
}

/* The benchmark record of @phase, or NULL. */
static const struct ws_bench *bench_of(const struct ws_report *r, uint32_t phase)
{
	for (uint32_t i = 0; i < r->nbench; i++)
		if (r->bench[i].phase == phase)
			return &r->bench[i];
	return NULL;
}

void ws_bench_report_json(struct json_object *rec, const struct ws_report *r)
{
	const struct ws_bench *b = bench_of(r, WS_BENCH_WHOLE);
	char key[32];

	if (!b)
		return;
	snprintf(key, sizeof(key), "%s_whole", bench_key(b));
	json_object_object_add(rec, key, bench_json(b));
}

/* How a group folds field @k of its workers' records: 1 sum, -1 min, 0 max. */
static int bench_fold_how(uint8_t kind, int k)
{
	if (kind == WS_BENCH_SCHBENCH)
		return k == WS_SB_wakeup_samples || k == WS_SB_request_samples ||
		       k == WS_SB_loop_count || k == WS_SB_rps_samples ? 1 :
		       k == WS_SB_wakeup_min || k == WS_SB_request_min ? -1 : 0;
	return k == WS_TB_requests || k == WS_TB_hits || k == WS_TB_misses || k == WS_TB_late ||
	       k == WS_TB_serve_samples || k == WS_TB_get_cmds || k == WS_TB_get_misses ? 1 :
	       k == WS_TB_serve_min ? -1 : 0;
}

void ws_bench_group_json(struct json_object *rec, const struct ws_run *run, unsigned g)
{
	struct ws_bench acc;
	unsigned n = 0;

	memset(&acc, 0, sizeof(acc));
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_bench *b = bench_of(&run->results[i].rep, WS_BENCH_WHOLE);

		if (!b || run->results[i].rep.group_idx != g || (n && b->kind != acc.kind))
			continue;
		for (int k = 0; k < WS_BENCH_NF; k++) {
			int how = bench_fold_how(b->kind, k);

			acc.f[k] = !n ? b->f[k] : how > 0 ? acc.f[k] + b->f[k] :
				   how < 0 ? (b->f[k] < acc.f[k] ? b->f[k] : acc.f[k]) :
				   (b->f[k] > acc.f[k] ? b->f[k] : acc.f[k]);
		}
		acc.kind = b->kind;
		n++;
	}
	if (n)
		json_object_object_add(rec, bench_key(&acc), bench_json(&acc));
}

void ws_bench_slice_json(struct json_object *o, const struct ws_report *r, uint32_t phase)
{
	const struct ws_bench *b = bench_of(r, phase);

	if (b)
		json_object_object_add(o, bench_key(b), bench_json(b));
}
