// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spec.c — parsing of -w TYPE[:k=v,...], --affinity, --policy, --assert and
 * --phases.  Every error is one line naming the input and a fix (exit 2).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ws.h"
#include "wake_spec.h"   /* issue 15: wake */

#define WFIX "see the work types in 'man worker-spawn'"

static void set_defaults(struct ws_group *g)
{
	g->p_size = 32768;
	g->p_stride = 64;
	g->p_spin = 1024;
	g->p_interval_us = 1000;
	g->p_fanout = 4;
	g->p_width = 1;
	g->p_blocks = 16;
	ws_rt_defaults(g);   /* issue 15: rt */
	switch (g->type) {
	case WS_BURSTY:
		g->p_burst = 50;
		g->p_sleep = 100;
		break;
	case WS_IDLE_CHURN:   /* ktstr: 1 ms burst, 5 ms sleep */
		g->p_burst = 1000;
		g->p_sleep = 5000;
		break;
	case WS_NICE_SWEEP:   /* ktstr: spin 512 */
		g->p_spin = 512;
		break;
	case WS_PIPE_IO:
	case WS_FUTEX_PING_PONG:
		g->p_burst = 1024;
		break;
	case WS_MUTEX_CONTENTION:
		g->p_burst = 256;
		g->p_fanout = 2;
		break;
	case WS_FAN_OUT_COMPUTE:   /* ktstr's: cache_footprint_kib=256 (n = 104) */
		g->p_size = 104;
		g->p_operations = 5;
		g->p_sleep = 100;
		break;
	case WS_IPC_VARIANCE:
		g->p_size = 8 << 20;
		g->p_hot = 4096;
		g->p_cold = 1024;
		g->p_period = 8;
		break;
	case WS_IO_RAND_READ:
	case WS_IO_CONVOY:
		g->p_size = 16 << 20;
		break;
	case WS_IO_SYNC_WRITE:
	case WS_SEQUENCE:
		g->p_size = 1 << 20;
		break;
	case WS_ALU_HOT:
		g->p_spin = 4096;
		break;
	/* issue 15: net, bench */
	case WS_NET_TRAFFIC:
	case WS_IRQ_WAKE:
		g->p_interval_us = g->type == WS_NET_TRAFFIC ? 100 : 1000;
		g->p_frame_bytes = 64;
		break;
	case WS_SCHBENCH:
		g->p_messages = 1;
		g->p_footprint = 256 << 10;
		g->p_operations = 5;
		g->p_sleep = 100;
		g->p_sb_split = -1;
		break;
	case WS_TAOBENCH:
		g->p_cache_mib = 64;
		g->p_hit_pct = 90;
		g->p_slow_us = 100;
		g->p_warm = true;
		break;
	default:
		break;
	}
	ws_wake_defaults(g);   /* issue 15: wake */
	ws_mem_defaults(g);   /* issue 15: mem */
}

static bool key_allowed(const char *keys, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = keys; *p;) {
		size_t n = strcspn(p, ",");

		if (n == kl && !strncmp(p, key, n))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

static void seq_step(struct ws_group *g, const char *arg, const char *key, const char *val)
{
	static const char *const names[] = { "spin", "sleep", "yield", "io", "alu-hot" };
	struct ws_seq_step *st;

	if (g->nseq >= WS_MAX_PARAMS)
		tk_usage_error("use at most 16 steps", "-w '%s': too many sequence steps", arg);
	st = &g->seq[g->nseq];
	for (unsigned k = 0; k < 5; k++)
		if (!strcmp(key, names[k]))
			st->kind = k;
	st->amount = ws_param_u64(arg, key, val, 1, 3600000);
	g->nseq++;
}

void ws_group_parse(const char *arg, struct ws_group *g)
{
	const char *colon = strchr(arg, ':');
	char name[64], buf[512];
	struct tk_kv kv[WS_MAX_PARAMS];
	size_t nkv = 0, nl = colon ? (size_t)(colon - arg) : strlen(arg);
	const struct ws_type_info *ti;

	if (nl >= sizeof(name))
		nl = sizeof(name) - 1;
	memcpy(name, arg, nl);
	name[nl] = '\0';
	if (ws_type_lookup(name, &g->type))
		tk_usage_error(WFIX, "-w '%s': unknown work type '%s'", arg, name);
	ti = &ws_types[g->type];
	snprintf(g->spec, sizeof(g->spec), "%s", arg);
	set_defaults(g);
	if (g->type == WS_EXEC) {
		if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(g->exec_cmd))
			tk_usage_error("write -w 'exec:COMMAND ARGS'", "-w '%s': exec needs a command "
				       "(at most %zu bytes)", arg, sizeof(g->exec_cmd) - 1);
		snprintf(g->exec_cmd, sizeof(g->exec_cmd), "%s", colon + 1);
		return;
	}
	if (colon && tk_parse_kvlist(colon + 1, buf, sizeof(buf), kv, WS_MAX_PARAMS, &nkv))
		tk_usage_error("write TYPE:key=value,key=value", "-w '%s': malformed parameters", arg);
	for (size_t i = 0; i < nkv; i++) {
		const char *k = kv[i].key, *v = kv[i].val;
		char vbuf[32], refs[256];

		if (ws_param_alias(g->type, &k, &v, vbuf, sizeof(vbuf)))
			tk_usage_error("give KiB as an integer, a duration like 5ms in whole units",
				       "-w '%s': %s=%s cannot be converted", arg, kv[i].key, v);
		ws_param_aliases_of(g->type, refs, sizeof(refs));
		if (!key_allowed(ti->keys, k))
			tk_usage_error(WFIX, "-w '%s': %s takes no parameter '%s' (it takes: %s%s%s)",
				       arg, name, k, *ti->keys ? ti->keys : "none",
				       *refs ? "; reference names: " : "", refs);
		if (ws_mem_param(g, arg, k, v))   /* issue 15: mem */
			continue;
		if (g->type == WS_SEQUENCE && strcmp(k, "file")) {
			seq_step(g, arg, k, v);
		} else if (ws_wake_param(g, arg, k, v)) {   /* issue 15: wake */
		} else if (!strcmp(k, "file")) {
			if (!v || !*v || strlen(v) >= sizeof(g->p_file))
				tk_usage_error("give a directory", "-w '%s': bad file= directory", arg);
			snprintf(g->p_file, sizeof(g->p_file), "%s", v);
		} else if (!strcmp(k, "size") && g->type == WS_FAN_OUT_COMPUTE) {
			g->p_size = ws_param_u64(arg, k, v, 1, 512);   /* matrix dimension */
		} else if (!strcmp(k, "size")) {
			if (!v || tk_parse_size(v, &g->p_size) || g->p_size < 64 ||
			    g->p_size > (1ULL << 34))
				tk_usage_error("give a size like 32k or 16M", "-w '%s': size=%s is not "
					       "a size between 64 and 16G", arg, v ? v : "");
		} else if (!strcmp(k, "burst")) {
			g->p_burst = ws_param_u64(arg, k, v, 0, 1ULL << 32);
		} else if (!strcmp(k, "sleep")) {
			g->p_sleep = ws_param_u64(arg, k, v, 0, 1ULL << 32);
		} else if (!strcmp(k, "stride")) {
			g->p_stride = ws_param_u64(arg, k, v, 1, 1 << 20);
		} else if (!strcmp(k, "spin")) {
			g->p_spin = ws_param_u64(arg, k, v, 1, 1ULL << 32);
		} else if (!strcmp(k, "interval_us")) {
			/* issue 15: net — 0 sends back to back */
			g->p_interval_us = ws_param_u64(arg, k, v, g->type == WS_NET_TRAFFIC ||
					       g->type == WS_IRQ_WAKE ? 0 : 1, 60000000);
		} else if (!strcmp(k, "fanout") || !strcmp(k, "contenders")) {
			g->p_fanout = ws_param_u64(arg, k, v, 1, 1024);
		} else if (!strcmp(k, "hot")) {
			g->p_hot = ws_param_u64(arg, k, v, 1, 1ULL << 32);
		} else if (!strcmp(k, "cold")) {
			g->p_cold = ws_param_u64(arg, k, v, 1, 1ULL << 32);
		} else if (!strcmp(k, "period")) {
			g->p_period = ws_param_u64(arg, k, v, 1, 1ULL << 32);
		} else if (!strcmp(k, "width")) {
			g->p_width = ws_param_u64(arg, k, v, 1, 512);
		} else if (!strcmp(k, "blocks")) {
			g->p_blocks = ws_param_u64(arg, k, v, 1, 4096);
		} else if (!strcmp(k, "precise_timing")) {
			g->p_precise = ws_param_u64(arg, k, v, 0, 1);
		} else if (!strcmp(k, "rt")) {
			g->p_hot = ws_param_u64(arg, k, v, 0, 1);   /* policy-churn: include FIFO/RR */
		} else if (ws_rt_param(g, arg, k, v)) {
			/* issue 15: rt */
		/* issue 15: net, bench */
		} else if (!strcmp(k, "frame_bytes")) {
			g->p_frame_bytes = ws_param_u64(arg, k, v, 32, 1514);
		} else if (!strcmp(k, "message_threads")) {
			g->p_messages = ws_param_u64(arg, k, v, 1, 64);
		} else if (!strcmp(k, "worker_threads") || !strcmp(k, "slow_threads")) {
			g->p_threads = ws_param_u64(arg, k, v, 0, 256);
		} else if (!strcmp(k, "cache_footprint_kib")) {
			g->p_footprint = ws_param_u64(arg, k, v, 1, 65536) << 10;
		} else if (!strcmp(k, "operations")) {
			g->p_operations = ws_param_u64(arg, k, v, 0, 1000000);
		} else if (!strcmp(k, "sleep_usec")) {
			g->p_sleep = ws_param_u64(arg, k, v, 0, 10000000);
		} else if (!strcmp(k, "requests_per_sec")) {   /* issue 15: schbench */
			g->p_sb_rps = ws_param_u64(arg, k, v, 0, 1000000);
		} else if (!strcmp(k, "auto_rps")) {
			g->p_sb_auto = ws_param_u64(arg, k, v, 0, 100);
		} else if (!strcmp(k, "split_percent")) {
			g->p_sb_split = (int)ws_param_u64(arg, k, v, 0, 100);
		} else if (!strcmp(k, "skip_locking")) {
			g->p_sb_nolock = ws_param_u64(arg, k, v, 0, 1);
		} else if (!strcmp(k, "client_threads")) {
			g->p_clients = ws_param_u64(arg, k, v, 0, 256);
		} else if (!strcmp(k, "cache_capacity_mib")) {
			g->p_cache_mib = ws_param_u64(arg, k, v, 1, 4096);
		} else if (!strcmp(k, "target_hit_pct")) {
			g->p_hit_pct = ws_param_u64(arg, k, v, 1, 99);
		} else if (!strcmp(k, "slow_path_sleep_us")) {
			g->p_slow_us = ws_param_u64(arg, k, v, 0, 10000000);
		} else if (!strcmp(k, "arrival_rate")) {
			g->p_rate = ws_param_u64(arg, k, v, 0, 10000000);
		} else if (!strcmp(k, "slow_path_p99_us")) {
			g->p_slow_p99_us = ws_param_u64(arg, k, v, 0, 10000000);
		} else if (!strcmp(k, "warm_start")) {
			g->p_warm = ws_param_u64(arg, k, v, 0, 1);
		}
	}
	/* the reference's cache_footprint_kib: three n x n u64 matrices fill it (schbench's sqrt) */
	if (g->type == WS_FAN_OUT_COMPUTE && g->p_footprint) {
		uint64_t n = 0;

		while ((n + 1) * (n + 1) <= g->p_footprint / 3 / sizeof(uint64_t))
			n++;
		if (n > 512)
			tk_usage_error("give cache_footprint_kib up to 6168", "-w '%s': "
				       "cache_footprint_kib=%llu makes a matrix over 512 x 512", arg,
				       (unsigned long long)(g->p_footprint >> 10));
		g->p_size = n;
	}
	/* issue 15: bench — the key range (capacity x 100 / hit %) stays within 2^26 */
	if (g->type == WS_TAOBENCH &&
	    (g->p_cache_mib << 20) / WS_TB_MEAN_VALUE * 100 / g->p_hit_pct > 1 << 26)
		tk_usage_error("lower cache_capacity_mib or raise target_hit_pct", "-w '%s': "
			       "cache_capacity_mib=%llu at target_hit_pct=%llu needs more than 2^26 keys",
			       arg, (unsigned long long)g->p_cache_mib,
			       (unsigned long long)g->p_hit_pct);
	if (g->type == WS_SEQUENCE && !g->nseq)
		tk_usage_error("e.g. -w sequence:spin=10,sleep=5,yield=100",
			       "-w '%s': sequence needs at least one step", arg);
}

void ws_affinity_parse(const char *arg, struct ws_affinity *a)
{
	memset(a, 0, sizeof(*a));
	if (!strcmp(arg, "inherit")) {
		a->kind = WS_AFF_INHERIT;
	} else if (!strcmp(arg, "single")) {
		a->kind = WS_AFF_SINGLE;
	} else if (!strcmp(arg, "llc")) {   /* issue 15 */
		a->kind = WS_AFF_LLC;
	} else if (!strcmp(arg, "cross-cgroup")) {
		a->kind = WS_AFF_CROSS_CGROUP;
	} else if (!strcmp(arg, "smt-pair")) {
		unsigned cpus[2];

		a->kind = WS_AFF_SMT_PAIR;
		if (ws_topo_smt_pair(NULL, 0, cpus))
			tk_usage_error("use another --affinity (llc, single, a CPU list)",
				       "--affinity smt-pair: this host has no SMT siblings "
				       "(every thread_siblings_list in /sys/devices/system/cpu "
				       "holds one CPU)");
	} else if (!strncmp(arg, "random:", 7)) {
		a->kind = WS_AFF_RANDOM;
		a->k = tk_u64_or_err(arg + 7, 1, WS_MAX_CPUS, "--affinity random:K");
	} else {
		a->kind = WS_AFF_LIST;
		if (tk_parse_cpulist(arg, &a->set) || !tk_cpuset_count(&a->set))
			tk_usage_error("use inherit, a CPU list like 0-3,6, random:K, single, llc, "
				       "smt-pair or cross-cgroup",
				       "--affinity '%s': not an affinity", arg);
	}
}

void ws_policy_parse(const char *arg, struct ws_policy *p)
{
	const char *fix = "use normal, batch, idle, ext, fifo:1-99, rr:1-99 or "
			  "deadline:RT/DL/PERIOD";

	memset(p, 0, sizeof(*p));
	p->set = true;
	if (!strcmp(arg, "normal")) {
		p->policy = SCHED_OTHER;
	} else if (!strcmp(arg, "batch")) {
		p->policy = SCHED_BATCH;
	} else if (!strcmp(arg, "idle")) {
		p->policy = SCHED_IDLE;
	} else if (!strcmp(arg, "ext")) {
		p->policy = WS_SCHED_EXT;
	} else if (!strncmp(arg, "fifo:", 5) || !strncmp(arg, "rr:", 3)) {
		bool fifo = arg[0] == 'f';
		uint64_t v;

		p->policy = fifo ? SCHED_FIFO : SCHED_RR;
		if (tk_parse_u64(arg + (fifo ? 5 : 3), 1, 99, &v))
			tk_usage_error(fix, "--policy '%s': priority must be 1..99", arg);
		p->prio = v;
	} else if (!strncmp(arg, "deadline:", 9)) {
		char buf[128], *f[3], *save = NULL;
		uint64_t *dst[3] = { &p->runtime, &p->deadline, &p->period };

		snprintf(buf, sizeof(buf), "%s", arg + 9);
		f[0] = strtok_r(buf, "/", &save);
		f[1] = strtok_r(NULL, "/", &save);
		f[2] = strtok_r(NULL, "/", &save);
		p->policy = 6; /* SCHED_DEADLINE */
		for (int i = 0; i < 3; i++)
			if (!f[i] || tk_parse_duration(f[i], 0, dst[i]))
				tk_usage_error(fix, "--policy '%s': need RUNTIME/DEADLINE/PERIOD "
					       "durations", arg);
		if (strtok_r(NULL, "/", &save) || p->runtime > p->deadline ||
		    p->deadline > p->period)
			tk_usage_error(fix, "--policy '%s': need runtime <= deadline <= period", arg);
	} else {
		tk_usage_error(fix, "--policy '%s': unknown policy", arg);
	}
}

/* scx-events-clean[:NAME=MAX,...]: NAME with or without SCX_EV_, any case. */
static void scx_bounds_parse(const char *arg, const char *list, struct ws_assert *a)
{
	const char *fix = "write scx-events-clean:NAME=MAX,... (e.g. select_cpu_fallback=100)";
	char buf[1024];
	struct tk_kv kv[WS_SCX_BOUNDS];
	size_t nkv = 0;

	if (!list)
		return;
	if (tk_parse_kvlist(list, buf, sizeof(buf), kv, WS_SCX_BOUNDS, &nkv) || !nkv)
		tk_usage_error(fix, "--assert '%s': malformed bounds (at most %d)", arg,
			       WS_SCX_BOUNDS);
	for (size_t i = 0; i < nkv; i++) {
		struct ws_scx_bound *b = &a->bounds[a->nbounds];

		if (ws_scx_canon(kv[i].key, b->name, sizeof(b->name)))
			tk_usage_error(fix, "--assert '%s': '%s' is not a counter name ([A-Za-z0-9_])",
				       arg, kv[i].key);
		for (unsigned k = 0; k < a->nbounds; k++)
			if (!strcmp(a->bounds[k].name, b->name))
				tk_usage_error(fix, "--assert '%s': %s given twice", arg, b->name);
		if (!kv[i].val || tk_parse_u64(kv[i].val, 0, UINT64_MAX, &b->max))
			tk_usage_error(fix, "--assert '%s': %s needs a non-negative integer bound",
				       arg, kv[i].key);
		a->nbounds++;
	}
}

const char *const ws_assert_names[WS_A_NKINDS] = {
	[WS_A_NOT_STARVED] = "not-starved", [WS_A_PARITY] = "throughput-parity",
	[WS_A_WAKE] = "wake", [WS_A_TIMER] = "timer", [WS_A_ISOLATION] = "isolation",
	[WS_A_MAX_MIGR] = "max-migrations", [WS_A_SCX_EVENTS] = "scx-events-clean",
	/* issue 15: mem */
	[WS_A_PAGE_LOCALITY] = "page-locality", [WS_A_CROSS_NODE] = "cross-node-migration",
	/* issue 15: report checks */
	[WS_A_MIN_ITER_RATE] = "min-iteration-rate", [WS_A_ITER_COST] = "iteration-cost",
	[WS_A_WAKE_WORKER] = "wake-worker",
};

/* The check the @nl bytes at @arg name; WS_A_NKINDS when none does. */
static int assert_kind(const char *arg, size_t nl)
{
	int k;

	for (k = 0; k < WS_A_NKINDS; k++)
		if (k != WS_A_MAX_MIGR && k != WS_A_MIN_ITER_RATE && k != WS_A_PAGE_LOCALITY &&
		    k != WS_A_CROSS_NODE && strlen(ws_assert_names[k]) == nl &&
		    !strncmp(arg, ws_assert_names[k], nl))
			break;
	return k;
}

void ws_assert_parse(const char *arg, struct ws_assert *a)
{
	const char *fix = "use not-starved[:gap_ms=,spread=], throughput-parity[:cv=,min_rate=], "
			  "wake[:p99_ns=,cv=], wake-worker[:p99_ns=], timer[:p99_ns=], "
			  "iteration-cost[:p99_ns=], isolation, max-migrations=N, "
			  "min-iteration-rate=R, scx-events-clean[:NAME=MAX,...], "
			  "page-locality=F or cross-node-migration=R";
	const char *colon = strchr(arg, ':');
	char buf[256];
	struct tk_kv kv[8];
	size_t nkv = 0, nl = colon ? (size_t)(colon - arg) : strlen(arg);
	int kind;

	memset(a, 0, sizeof(*a));
	a->gap_ms = 2000;
	a->spread = 15;
	a->cv = -1;
	a->p99_ns = -1;
	if (!strncmp(arg, "max-migrations=", 15)) {
		a->kind = WS_A_MAX_MIGR;
		a->max = tk_u64_or_err(arg + 15, 0, UINT64_MAX, "--assert max-migrations");
		return;
	}
	if (ws_mem_assert_parse(arg, a))   /* issue 15: mem */
		return;
	if (!strncmp(arg, "min-iteration-rate=", 19)) {   /* issue 15 */
		a->kind = WS_A_MIN_ITER_RATE;
		if (tk_parse_double(arg + 19, 0, 1e18, &a->min_iter_rate))
			tk_usage_error(fix, "--assert '%s': the rate must be a non-negative number "
				       "(iterations per wall-clock second)", arg);
		return;
	}
	kind = assert_kind(arg, nl);
	if (kind == WS_A_NKINDS)
		tk_usage_error(fix, "--assert '%s': unknown check", arg);
	a->kind = kind;
	if (a->kind == WS_A_PARITY)
		a->cv = 25;
	else if (a->kind == WS_A_WAKE || a->kind == WS_A_WAKE_WORKER)
		a->p99_ns = 10e6;
	else if (a->kind == WS_A_TIMER || a->kind == WS_A_ITER_COST)   /* ktstr strict: 1 ms */
		a->p99_ns = 1e6;
	if (a->kind == WS_A_SCX_EVENTS) {
		scx_bounds_parse(arg, colon ? colon + 1 : NULL, a);
		return;
	}
	if (colon && tk_parse_kvlist(colon + 1, buf, sizeof(buf), kv, 8, &nkv))
		tk_usage_error(fix, "--assert '%s': malformed parameters", arg);
	for (size_t i = 0; i < nkv; i++) {
		double *dst = NULL;

		if (!strcmp(kv[i].key, "gap_ms") && a->kind == WS_A_NOT_STARVED)
			dst = &a->gap_ms;
		else if (!strcmp(kv[i].key, "spread") && a->kind == WS_A_NOT_STARVED)
			dst = &a->spread;
		else if (!strcmp(kv[i].key, "cv") && (a->kind == WS_A_PARITY || a->kind == WS_A_WAKE))
			dst = &a->cv;
		else if (!strcmp(kv[i].key, "min_rate") && a->kind == WS_A_PARITY)
			dst = &a->min_rate;
		else if (!strcmp(kv[i].key, "p99_ns") && (a->kind == WS_A_WAKE || a->kind == WS_A_TIMER ||
			 a->kind == WS_A_WAKE_WORKER || a->kind == WS_A_ITER_COST))
			dst = &a->p99_ns;
		if (!dst)
			tk_usage_error(fix, "--assert '%s': unknown parameter '%s'", arg, kv[i].key);
		if (!kv[i].val || tk_parse_double(kv[i].val, 0, 1e18, dst))
			tk_usage_error(fix, "--assert '%s': %s needs a non-negative number", arg,
				       kv[i].key);
	}
}

void ws_phases_parse(const char *arg, struct ws_opts *o)
{
	char buf[1024], *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		tk_usage_error("give fewer phases", "--phases: list too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	o->nphases = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (o->nphases >= WS_MAX_SLICES)
			tk_usage_error("give at most 256 phases", "--phases '%s': too many", arg);
		if (tk_parse_duration(t, 0, &o->phases[o->nphases++]))
			tk_usage_error("e.g. --phases 2s,500ms,2s", "--phases '%s': '%s' is not a "
				       "duration", arg, t);
	}
	if (!o->nphases || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		tk_usage_error("e.g. --phases 2s,500ms,2s", "--phases '%s': empty phase", arg);
}

void ws_groups_finish(struct ws_opts *o)
{
	unsigned total = 0;

	for (unsigned i = 0; i < o->ngroups; i++) {
		struct ws_group *g = &o->groups[i];

		g->idx = i;
		switch (g->type) {
		case WS_PIPE_IO: case WS_FUTEX_PING_PONG: case WS_CACHE_PIPE:
		case WS_SMT_SIBLING_SPIN:
			g->unit = 2;
			break;
		case WS_FUTEX_FAN_OUT: case WS_FAN_OUT_COMPUTE:
			g->unit = g->p_fanout + 1;
			break;
		case WS_MUTEX_CONTENTION:
			g->unit = g->p_fanout;
			break;
		/* issue 15: wake */
		case WS_WAKE_CHAIN: case WS_THUNDERING_HERD: case WS_EPOLL_STORM:
		case WS_ASYMMETRIC_WAKER: case WS_PRODUCER_CONSUMER:
			g->unit = ws_wake_unit(g);
			break;
		default:
			g->unit = ws_rt_unit(g) ? ws_rt_unit(g) : 1;   /* issue 15: rt */
		}
		if (!g->n)
			g->n = g->unit;
		if (g->n % g->unit)
			tk_usage_error("make -n a multiple of the group size",
				       "-w '%s' -n %u: %s needs workers in groups of %u", g->spec,
				       g->n, ws_types[g->type].name, g->unit);
		if ((o->thread_mode || o->pcomm) && (g->type == WS_FORK_EXIT || g->type == WS_EXEC))
			tk_usage_error("use --mode fork", "-w '%s': not possible in %s mode",
				       g->spec, o->pcomm ? "pcomm" : "thread");
		/* pcomm: one process, so one cgroup (or none) for every group */
		if (o->pcomm && i && (g->cgroup_set != o->groups[0].cgroup_set ||
				      strcmp(g->cgroup, o->groups[0].cgroup)))
			tk_usage_error("give every group the same --cgroup (before the first -w)",
				       "--mode pcomm: group %u's --cgroup differs from group 0's: the "
				       "workers are the threads of one process", i);
		total += g->n;
	}
	if (total > WS_MAX_WORKERS)
		tk_usage_error("use fewer workers", "-n: %u workers in all (max %d)", total,
			       WS_MAX_WORKERS);
	ws_mem_groups_finish(o);   /* issue 15: mem */
	ws_rt_preflight(o);   /* issue 15: rt */
}
