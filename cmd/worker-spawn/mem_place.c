// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mem_place.c — issue 15, placement and memory churn: NUMA nodes from sysfs,
 * --mempolicy (raw set_mempolicy: the uapi header has the modes), and the
 * cgroups the cgroup types move tasks through, made before the workers and
 * removed after they are reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errors.h"
#include "worker.h"

#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6   /* Linux 6.9 uapi/linux/mempolicy.h */
#endif

/* A small sysfs file into @buf (NUL-terminated, newline cut); 0 or -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int ws_online_nodes(struct tk_cpuset *nodes)
{
	char buf[1024];

	memset(nodes, 0, sizeof(*nodes));
	if (read_small("/sys/devices/system/node/online", buf, sizeof(buf)) ||
	    tk_parse_cpulist(buf, nodes) || !tk_cpuset_count(nodes)) {
		memset(nodes, 0, sizeof(*nodes));
		tk_cpuset_set(nodes, 0);   /* a kernel without NUMA: one node */
	}
	return 0;
}

bool ws_mem_numa_type(const struct ws_group *g)
{
	return g->type == WS_NUMA_MIGRATION_CHURN || g->type == WS_NUMA_WORKING_SET_SWEEP;
}

unsigned ws_mem_numa_nodes(void)
{
	struct tk_cpuset nodes;

	ws_online_nodes(&nodes);
	return tk_cpuset_count(&nodes);
}

int ws_node_cpus(unsigned node, struct tk_cpuset *cpus)
{
	char path[96], buf[4096];
	int err;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/cpulist", node);
	memset(cpus, 0, sizeof(*cpus));
	if ((err = read_small(path, buf, sizeof(buf))))
		return err;
	return *buf && tk_parse_cpulist(buf, cpus) ? -EBADMSG : 0;
}

long ws_set_mempolicy(int mode, const struct tk_cpuset *nodes)
{
	/* tk_cpuset is a bitmap of 64-bit words, the kernel's nodemask layout here */
	return syscall(SYS_set_mempolicy, mode, nodes ? nodes->bits : NULL,
		       nodes ? TK_CPUSET_MAX + 1 : 0);
}

char *ws_mempolicy_apply(const struct ws_mempol *m)
{
	struct tk_cpuset nodes = m->nodes;
	const struct tk_cpuset *np = &nodes;
	char buf[160];

	if (m->mode == MPOL_LOCAL)
		np = NULL;
	else if (!tk_cpuset_count(&nodes) && m->mode == MPOL_PREFERRED)
		np = NULL;   /* preferred with no node: the local node */
	else if (!tk_cpuset_count(&nodes))
		ws_online_nodes(&nodes);
	if (!ws_set_mempolicy(m->mode, np))
		return NULL;
	snprintf(buf, sizeof(buf), "set_mempolicy(%s): %s", m->arg, strerror(errno));
	return strdup(buf);
}

/* The cgroup directory @i of group @g's rotation (or its dest); -ENAMETOOLONG. */
static int sub_path(const struct ws_group *g, unsigned i, char *out, size_t size)
{
	int n = g->type == WS_CGROUP_CHURN ?
		snprintf(out, size, "%s/wt-cgroup-churn-%u", g->mem_cg, i) :
		snprintf(out, size, "%s/%s", g->mem_cg, g->p_dest);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static unsigned nsubs(const struct ws_group *g)
{
	return g->type == WS_CGROUP_CHURN ? g->p_groups :
	       g->type == WS_CGROUP_ATTACH_STORM ? 1 : 0;
}

static int make_subs(struct ws_group *g, char *msg, size_t size)
{
	char dir[400];

	for (unsigned i = 0; i < nsubs(g); i++) {
		int err = sub_path(g, i, dir, sizeof(dir));

		if (!err && mkdir(dir, 0755))
			err = -errno;
		if (err) {
			snprintf(msg, size, "-w '%s': cannot make cgroup %s: %s", g->spec, dir,
				 strerror(-err));
			return err;
		}
		g->mem_made = i + 1;
	}
	return 0;
}

/* Try @m on this thread, then put back the policy it had; NULL or why not. */
static char *mempolicy_try(const struct ws_mempol *m)
{
	struct tk_cpuset had;
	int mode = MPOL_DEFAULT;
	char *why;

	memset(&had, 0, sizeof(had));
	if (syscall(SYS_get_mempolicy, &mode, had.bits, TK_CPUSET_MAX + 1, NULL, 0))
		mode = MPOL_DEFAULT;
	why = ws_mempolicy_apply(m);
	if (ws_set_mempolicy(mode, mode == MPOL_DEFAULT || mode == MPOL_LOCAL ? NULL : &had))
		ws_set_mempolicy(MPOL_DEFAULT, NULL);
	return why;
}

int ws_mem_setup(struct ws_opts *o, const char (*cg_abs)[320], char *msg, size_t size,
		 const char **fix)
{
	for (unsigned i = 0; i < o->ngroups; i++) {
		struct ws_group *g = &o->groups[i];
		char *why;
		int err;

		snprintf(g->mem_cg, sizeof(g->mem_cg), "%s", cg_abs[i]);
		g->mem_made = 0;
		if (g->mpol.set && (why = mempolicy_try(&g->mpol))) {
			snprintf(msg, size, "--mempolicy '%s': the kernel refuses it: %s",
				 g->mpol.arg, why);
			free(why);
			*fix = "give nodes from /sys/devices/system/node/online (and the cgroup's "
			       "cpuset.mems); weighted-interleave needs Linux 6.9";
			return -EINVAL;
		}
		if (!nsubs(g) || !*g->mem_cg)
			continue;
		if ((err = make_subs(g, msg, size))) {
			*fix = "remove what an earlier run left there, or use another --cgroup";
			return err;
		}
	}
	return 0;
}

void ws_mem_teardown(struct ws_opts *o)
{
	char dir[400];

	for (unsigned i = 0; i < o->ngroups; i++) {
		struct ws_group *g = &o->groups[i];

		for (unsigned k = 0; k < g->mem_made; k++)
			if (!sub_path(g, k, dir, sizeof(dir)))
				ws_cgroup_remove(dir, 1);
		g->mem_made = 0;
	}
}
