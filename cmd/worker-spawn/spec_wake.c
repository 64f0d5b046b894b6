// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spec_wake.c — issue 15: wake.  Defaults, k=v parameters and group sizes of
 * the wake-topology types (wake-chain, thundering-herd, epoll-storm,
 * asymmetric-waker, producer-consumer-imbalance).  Parameter names and
 * defaults are the reference's (ktstr WorkType and its defaults module);
 * gap_us of epoll-storm is a telkit addition.  Bad input exits 2 naming it.
 */
#include <sched.h>
#include <string.h>

#include "errors.h"
#include "wake_spec.h"

#define WFIX "see the work types in 'man worker-spawn'"

void ws_wake_defaults(struct ws_group *g)
{
	struct ws_wake_params *w = &g->wk;

	*w = (struct ws_wake_params){
		.depth = 4, .work_per_hop_ns = 100000,
		.waiters = 7, .batches = 1000, .inter_batch_ns = 5000000,
		.events_per_burst = 32, .gap_ns = 100000,
		.waker_class = { .policy = SCHED_OTHER, .set = true },
		.wakee_class = { .policy = SCHED_OTHER, .set = true },
		.produce_rate_hz = 1000, .consume_iters = 4096, .queue_depth = 1024,
	};
	if (g->type == WS_EPOLL_STORM) {
		w->producers = 1;
		w->consumers = 2;
	} else {
		w->producers = 2;
		w->consumers = 1;
	}
	if (g->type == WS_ASYMMETRIC_WAKER)
		g->p_burst = 1024;
}

/* normal|batch|idle|ext|fifo[:1-99]|rr[:1-99]; fifo and rr alone are priority 1. */
static void wclass(const char *arg, const char *key, const char *val, struct ws_policy *p)
{
	static const struct { const char *name; int policy; } cls[] = {
		{ "normal", SCHED_OTHER }, { "batch", SCHED_BATCH }, { "idle", SCHED_IDLE },
		{ "ext", WS_SCHED_EXT }, { "fifo", SCHED_FIFO }, { "rr", SCHED_RR },
	};
	const char *fix = "use normal, batch, idle, ext, fifo[:1-99] or rr[:1-99]";
	size_t nl = val ? strcspn(val, ":") : 0;

	*p = (struct ws_policy){ .policy = -1, .set = true };
	for (unsigned i = 0; val && i < sizeof(cls) / sizeof(cls[0]); i++)
		if (strlen(cls[i].name) == nl && !strncmp(val, cls[i].name, nl))
			p->policy = cls[i].policy;
	if (p->policy < 0)
		tk_usage_error(fix, "-w '%s': %s=%s is not a scheduling class", arg, key,
			       val ? val : "");
	if (p->policy == SCHED_FIFO || p->policy == SCHED_RR) {
		uint64_t prio = 1;

		if (val[nl] && tk_parse_u64(val + nl + 1, 1, 99, &prio))
			tk_usage_error(fix, "-w '%s': %s=%s: priority must be 1..99", arg, key, val);
		p->prio = prio;
	} else if (val[nl]) {
		tk_usage_error(fix, "-w '%s': %s=%s: only fifo and rr take a priority", arg, key,
			       val);
	}
}

static uint64_t wdur(const char *arg, const char *key, const char *val)
{
	uint64_t ns;

	if (!val || tk_parse_duration(val, 1, &ns) || ns > 60000000000ULL)
		tk_usage_error("give a duration like 100us or 2ms (at most 60s)",
			       "-w '%s': %s=%s is not a duration", arg, key, val ? val : "");
	return ns;
}

bool ws_wake_param(struct ws_group *g, const char *arg, const char *k, const char *v)
{
	struct ws_wake_params *w = &g->wk;

	if (!strcmp(k, "depth")) {
		w->depth = ws_param_u64(arg, k, v, 2, 1024);
	} else if (!strcmp(k, "wake")) {
		if (!v || (strcmp(v, "pipe") && strcmp(v, "futex")))
			tk_usage_error("use wake=pipe or wake=futex", "-w '%s': wake=%s is not a "
				       "wake mechanism", arg, v ? v : "");
		w->futex = !strcmp(v, "futex");
	} else if (!strcmp(k, "work_per_hop")) {
		w->work_per_hop_ns = wdur(arg, k, v);
	} else if (!strcmp(k, "waiters")) {
		w->waiters = ws_param_u64(arg, k, v, 1, 1023);
	} else if (!strcmp(k, "batches")) {
		w->batches = ws_param_u64(arg, k, v, 1, 1ULL << 32);
	} else if (!strcmp(k, "inter_batch_ms")) {
		w->inter_batch_ns = ws_param_u64(arg, k, v, 0, 60000) * 1000000ULL;
	} else if (!strcmp(k, "producers")) {
		w->producers = ws_param_u64(arg, k, v, 1, 512);
	} else if (!strcmp(k, "consumers")) {
		w->consumers = ws_param_u64(arg, k, v, 1, 512);
	} else if (!strcmp(k, "events_per_burst")) {
		w->events_per_burst = ws_param_u64(arg, k, v, 1, 1 << 20);
	} else if (!strcmp(k, "gap_us")) {
		w->gap_ns = ws_param_u64(arg, k, v, 0, 60000000) * 1000ULL;
	} else if (!strcmp(k, "waker_class")) {
		wclass(arg, k, v, &w->waker_class);
	} else if (!strcmp(k, "wakee_class")) {
		wclass(arg, k, v, &w->wakee_class);
	} else if (!strcmp(k, "burst_iters")) {
		g->p_burst = ws_param_u64(arg, k, v, 0, 1ULL << 32);
	} else if (!strcmp(k, "produce_rate_hz")) {
		w->produce_rate_hz = ws_param_u64(arg, k, v, 0, 1000000000);
	} else if (!strcmp(k, "consume_iters")) {
		w->consume_iters = ws_param_u64(arg, k, v, 0, 1ULL << 32);
	} else if (!strcmp(k, "queue_depth_target")) {
		w->queue_depth = ws_param_u64(arg, k, v, 1, 1 << 24);
	} else {
		return false;
	}
	return true;
}

unsigned ws_wake_unit(const struct ws_group *g)
{
	switch (g->type) {
	case WS_WAKE_CHAIN:
		return g->wk.depth;
	case WS_THUNDERING_HERD:
		return g->wk.waiters + 1;
	case WS_EPOLL_STORM: case WS_PRODUCER_CONSUMER:
		return g->wk.producers + g->wk.consumers;
	case WS_ASYMMETRIC_WAKER:
		return 2;
	default:
		return 0;
	}
}
