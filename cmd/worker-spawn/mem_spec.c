// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mem_spec.c — issue 15, placement and memory churn: the parameters of the
 * mem work types, --mempolicy and the NUMA --assert checks.  Bad input is
 * one line naming it and a fix (exit 2); a limit of this machine (one NUMA
 * node) is a warning.
 */
#include <linux/mempolicy.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "errors.h"
#include "ws.h"

#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6   /* Linux 6.9 uapi/linux/mempolicy.h */
#endif

#define MFIX "see the work types in 'man worker-spawn'"

void ws_mem_defaults(struct ws_group *g)
{
	g->p_region = 4096 << 10;     /* region_kib=4096 */
	g->p_touches = 256;
	g->p_period_ms = 100;
	g->p_groups = 2;
	snprintf(g->p_dest, sizeof(g->p_dest), "wt-attach-storm");
	if (g->type == WS_PAGE_FAULT_CHURN)
		g->p_spin = 64;
	else if (g->type == WS_CGROUP_CHURN)
		g->p_period_ms = 100;   /* cycle_ms */
}

/* target_nodes=0+2-3 ('+' joins: ',' separates parameters). */
static void nodes_param(struct ws_group *g, const char *arg, const char *val)
{
	char buf[256];
	struct tk_cpuset online;

	if (!val || !*val || strlen(val) >= sizeof(buf))
		tk_usage_error("write target_nodes=0+1 (nodes joined by +, ranges with -)",
			       "-w '%s': empty target_nodes", arg);
	snprintf(buf, sizeof(buf), "%s", val);
	for (char *p = buf; *p; p++)
		if (*p == '+')
			*p = ',';
	if (tk_parse_cpulist(buf, &g->p_nodes) || !tk_cpuset_count(&g->p_nodes))
		tk_usage_error("write target_nodes=0+1 (nodes joined by +, ranges with -)",
			       "-w '%s': target_nodes=%s is not a node list", arg, val);
	ws_online_nodes(&online);
	for (unsigned n = 0; n < TK_CPUSET_MAX; n++)
		if (tk_cpuset_isset(&g->p_nodes, n) && !tk_cpuset_isset(&online, n))
			tk_usage_error("give nodes listed in /sys/devices/system/node/online",
				       "-w '%s': NUMA node %u is not online here", arg, n);
}

bool ws_mem_param(struct ws_group *g, const char *arg, const char *key, const char *val)
{
	if (g->type < WS_CROSS_AFFINITY_CHURN || g->type > WS_CGROUP_ATTACH_STORM)
		return false;
	if (!strcmp(key, "spin_iters") || !strcmp(key, "spin")) {
		g->p_spin = ws_param_u64(arg, key, val, g->type == WS_PAGE_FAULT_CHURN ? 0 : 1, 1ULL << 32);
	} else if (!strcmp(key, "region_kib")) {
		g->p_region = ws_param_u64(arg, key, val, 4, 16ULL << 20) << 10;
	} else if (!strcmp(key, "touches_per_cycle")) {
		g->p_touches = ws_param_u64(arg, key, val, 1, 1ULL << 24);
	} else if (!strcmp(key, "period_ms") || !strcmp(key, "sweep_period_ms") ||
		   !strcmp(key, "cycle_ms")) {
		g->p_period_ms = ws_param_u64(arg, key, val, 0, 3600000);
	} else if (!strcmp(key, "target_nodes")) {
		nodes_param(g, arg, val);
	} else if (!strcmp(key, "groups")) {
		g->p_groups = ws_param_u64(arg, key, val, 1, 64);
	} else if (!strcmp(key, "dest")) {
		if (!val || !*val || strlen(val) >= sizeof(g->p_dest) ||
		    strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
		    != strlen(val) || !strncmp(val, "cgroup", 6))
			tk_usage_error("give a cgroup name of [A-Za-z0-9_-] (made under --cgroup)",
				       "-w '%s': dest=%s is not a cgroup name", arg, val ? val : "");
		snprintf(g->p_dest, sizeof(g->p_dest), "%s", val);
	} else if (!strcmp(key, "reap")) {
		if (!val || (strcmp(val, "sigign") && strcmp(val, "waitpid")))
			tk_usage_error("use reap=sigign or reap=waitpid", "-w '%s': reap=%s is not a "
				       "reap mode", arg, val ? val : "");
		g->p_reap_wait = !strcmp(val, "waitpid");
	} else {
		return false;
	}
	return true;
}

void ws_mempolicy_parse(const char *arg, struct ws_mempol *m)
{
	static const struct { const char *name; int mode; } modes[] = {
		{ "bind", MPOL_BIND }, { "preferred", MPOL_PREFERRED },
		{ "interleave", MPOL_INTERLEAVE }, { "preferred-many", MPOL_PREFERRED_MANY },
		{ "weighted-interleave", MPOL_WEIGHTED_INTERLEAVE }, { "local", MPOL_LOCAL },
	};
	const char *fix = "use bind|preferred|interleave|preferred-many|weighted-interleave|local"
			  "[:NODES], e.g. bind:0 or interleave:0-1";
	const char *colon = strchr(arg, ':');
	size_t nl = colon ? (size_t)(colon - arg) : strlen(arg);
	unsigned k;

	memset(m, 0, sizeof(*m));
	for (k = 0; k < TK_ARRAY_SIZE(modes); k++)
		if (strlen(modes[k].name) == nl && !strncmp(arg, modes[k].name, nl))
			break;
	if (k == TK_ARRAY_SIZE(modes))
		tk_usage_error(fix, "--mempolicy '%s': unknown mode", arg);
	m->mode = modes[k].mode;
	if (colon && (tk_parse_cpulist(colon + 1, &m->nodes) || !tk_cpuset_count(&m->nodes)))
		tk_usage_error(fix, "--mempolicy '%s': '%s' is not a node list", arg, colon + 1);
	if (m->mode == MPOL_LOCAL && colon)
		tk_usage_error("write --mempolicy local (it takes no nodes)",
			       "--mempolicy '%s': local takes no nodes", arg);
	if (m->mode == MPOL_PREFERRED && tk_cpuset_count(&m->nodes) > 1)
		tk_usage_error("give one node, or use preferred-many",
			       "--mempolicy '%s': preferred takes one node", arg);
	snprintf(m->arg, sizeof(m->arg), "%.*s", (int)sizeof(m->arg) - 1, arg);
	m->set = true;
}

bool ws_mem_assert_parse(const char *arg, struct ws_assert *a)
{
	static const char *const names[] = { "page-locality=", "cross-node-migration=" };

	for (unsigned k = 0; k < 2; k++) {
		size_t nl = strlen(names[k]);

		if (strncmp(arg, names[k], nl))
			continue;
		a->kind = k ? WS_A_CROSS_NODE : WS_A_PAGE_LOCALITY;
		/* a page can migrate many times: the ratio has no upper bound */
		if (tk_parse_double(arg + nl, 0, k ? 1e18 : 1, &a->numa_bound))
			tk_usage_error(k ? "give a ratio >= 0, e.g. cross-node-migration=0.1" :
				       "give a fraction 0..1, e.g. page-locality=0.9",
				       "--assert '%s': not a %s", arg, k ? "ratio >= 0" : "fraction 0..1");
		return true;
	}
	return false;
}

/* Usage errors of one mem group; @ncpus online CPUs. */
static void finish_group(const struct ws_opts *o, const struct ws_group *g, unsigned ncpus)
{
	bool cg = g->type == WS_CGROUP_CHURN || g->type == WS_CGROUP_ATTACH_STORM;

	if (cg && !g->cgroup_set)
		tk_usage_error("give the group --cgroup PATH: its groups are made under it",
			       "-w '%s': %s needs --cgroup", g->spec, ws_types[g->type].name);
	if (cg && (o->thread_mode || o->pcomm))
		tk_usage_error("use --mode fork", "-w '%s': %s moves whole processes: not possible "
			       "in %s mode", g->spec, ws_types[g->type].name,
			       o->pcomm ? "pcomm" : "thread");
	if (g->type == WS_CROSS_AFFINITY_CHURN && g->n < 2)
		tk_usage_error("give -n 2 or more", "-w '%s' -n %u: cross-affinity-churn rewrites "
			       "its siblings' affinity and has none", g->spec, g->n);
	if (g->type == WS_CROSS_AFFINITY_CHURN && ncpus < 2)
		tk_usage_error("run it on a machine with 2 CPUs or more", "-w '%s': "
			       "cross-affinity-churn needs 2 CPUs (masks one CPU apart); %u online",
			       g->spec, ncpus);
}

void ws_mem_groups_finish(struct ws_opts *o)
{
	struct tk_cpuset nodes, cpus;
	unsigned nn, ncpus;

	ws_online_nodes(&nodes);
	nn = tk_cpuset_count(&nodes);
	ncpus = ws_online_cpus(&cpus) ? 1 : tk_cpuset_count(&cpus);
	for (unsigned i = 0; i < o->ngroups; i++) {
		const struct ws_group *g = &o->groups[i];

		finish_group(o, g, ncpus);
		if (nn >= 2)
			continue;
		if (g->type == WS_NUMA_MIGRATION_CHURN)
			tk_warn("-w '%s': 1 NUMA node online: every rotation re-pins to the same "
				"node (no cross-node move)", g->spec);
		else if (g->type == WS_NUMA_WORKING_SET_SWEEP)
			tk_warn("-w '%s': 1 NUMA node online: the sweep binds to that node only "
				"(no page moves)", g->spec);
	}
}
