// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mem_check.c — issue 15: the NUMA --assert checks, per group over the
 * reduced run.  page-locality=F: of the group's pages (numa_pages), the
 * share on its local nodes (the --mempolicy nodes, or else the nodes of the
 * CPUs its workers ran on) is at least F.  cross-node-migration=R: the
 * group's cross_node_migration_ratio (pages migrated / pages) is at most R.
 * With fewer than two NUMA nodes neither can be evaluated: the caller
 * reports it skipped, with the reason (never a pass on its own).
 */
#include <linux/mempolicy.h>
#include <string.h>

#include "errors.h"
#include "ws.h"

/* @local: the nodes group @g's pages should be on. */
static void local_nodes(const struct ws_run *run, unsigned g, const struct tk_cpuset *online,
			struct tk_cpuset *local)
{
	const struct ws_group *grp = &run->o->groups[g];
	struct tk_cpuset cpus;

	memset(local, 0, sizeof(*local));
	if (grp->mpol.set && grp->mpol.mode != MPOL_LOCAL && tk_cpuset_count(&grp->mpol.nodes)) {
		*local = grp->mpol.nodes;
		return;
	}
	for (unsigned n = 0; n < TK_CPUSET_MAX; n++) {
		if (!tk_cpuset_isset(online, n) || ws_node_cpus(n, &cpus))
			continue;
		for (unsigned i = 0; i < run->nworkers; i++) {
			const struct ws_report *r = &run->results[i].rep;

			for (uint32_t k = 0; r->group_idx == g && k < r->ncpus; k++)
				if (r->cpus_used[k] < TK_CPUSET_MAX && tk_cpuset_isset(&cpus, r->cpus_used[k]))
					tk_cpuset_set(local, n);
		}
	}
}

static unsigned check_locality(const struct ws_run *run, const struct ws_assert *a, unsigned g,
			       const struct tk_cpuset *online, unsigned *unrun)
{
	struct tk_cpuset local;
	uint64_t all = 0, near = 0;

	local_nodes(run, g, online, &local);
	for (unsigned i = 0; i < run->nworkers; i++) {
		const struct ws_report *r = &run->results[i].rep;

		for (uint32_t k = 0; r->group_idx == g && k < r->nnuma; k++) {
			all += r->numa[k].pages;
			if (r->numa[k].node < TK_CPUSET_MAX && tk_cpuset_isset(&local, r->numa[k].node))
				near += r->numa[k].pages;
		}
	}
	if (!all) {
		tk_error("give the group work that touches memory", "assert page-locality: group %u: "
			 "cannot run: no numa_pages were read", g);
		(*unrun)++;
		return 0;
	}
	if ((double)near / all >= a->numa_bound)
		return 0;
	tk_error(NULL, "assert page-locality: group %u: page locality %.3f < %g (%llu of %llu "
		 "pages on local nodes)", g, (double)near / all, a->numa_bound,
		 (unsigned long long)near, (unsigned long long)all);
	return 1;
}

unsigned ws_mem_check(const struct ws_run *run, const struct ws_assert *a, unsigned *unrun,
		      const char **skip_why)
{
	const char *name = ws_assert_names[a->kind];
	struct tk_cpuset online;
	unsigned fails = 0;

	ws_online_nodes(&online);
	*skip_why = NULL;
	if (tk_cpuset_count(&online) < 2) {
		*skip_why = "1 NUMA node online, so every page is local and none can move "
			    "between nodes";
		return 0;
	}
	for (unsigned g = 0; g < run->o->ngroups; g++) {
		const struct ws_sum *s = &run->sums[g];

		if (a->kind == WS_A_PAGE_LOCALITY) {
			fails += check_locality(run, a, g, &online, unrun);
		} else if (s->cross_node > a->numa_bound) {
			tk_error(NULL, "assert %s: group %u: cross_node_migration_ratio %.3f > %g",
				 name, g, s->cross_node, a->numa_bound);
			fails++;
		}
	}
	return fails;
}
