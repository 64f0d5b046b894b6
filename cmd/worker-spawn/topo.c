// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * topo.c — CPU topology from sysfs (/sys/devices/system/cpu): the online
 * CPUs, last-level cache domains and SMT sibling pairs, for the llc,
 * smt-pair and cross-cgroup affinities and smt-sibling-spin.  Every file is
 * read into a bounded buffer and parsed as a CPU list; a CPU whose files are
 * missing is left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

#define SYSCPU "/sys/devices/system/cpu"

/* The first line of @path into @buf (NUL-terminated, newline cut); 0 or -errno. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? 0 : -ENODATA;
}

static int read_cpulist(const char *path, struct tk_cpuset *set)
{
	char line[4096];
	int err = read_line(path, line, sizeof(line));

	memset(set, 0, sizeof(*set));
	return err ? err : tk_parse_cpulist(line, set) ? -EINVAL : 0;
}

int ws_topo_online(struct tk_cpuset *set)
{
	return read_cpulist(SYSCPU "/online", set);
}

/* The shared_cpu_list of @cpu's highest-level data or unified cache. */
static int llc_of(unsigned cpu, struct tk_cpuset *set)
{
	int best = -1;

	for (int i = 0; i < 16; i++) {
		char path[128], val[64];
		unsigned level;

		snprintf(path, sizeof(path), SYSCPU "/cpu%u/cache/index%d/type", cpu, i);
		if (read_line(path, val, sizeof(val)))
			break;
		if (!strcmp(val, "Instruction"))
			continue;
		snprintf(path, sizeof(path), SYSCPU "/cpu%u/cache/index%d/level", cpu, i);
		if (read_line(path, val, sizeof(val)) || sscanf(val, "%u", &level) != 1 ||
		    (int)level <= best)
			continue;
		snprintf(path, sizeof(path), SYSCPU "/cpu%u/cache/index%d/shared_cpu_list", cpu, i);
		if (!read_cpulist(path, set))
			best = level;
	}
	return best < 0 ? -ENOENT : 0;
}

static bool same_set(const struct tk_cpuset *a, const struct tk_cpuset *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int ws_topo_llcs(const struct tk_cpuset *within, struct tk_cpuset **sets, unsigned *n)
{
	struct tk_cpuset *v = NULL;
	unsigned cnt = 0;

	*sets = NULL;
	*n = 0;
	for (unsigned cpu = 0; cpu < WS_MAX_CPUS; cpu++) {
		struct tk_cpuset llc, cut;
		bool seen = false;

		if (!tk_cpuset_isset(within, cpu) || llc_of(cpu, &llc))
			continue;
		memset(&cut, 0, sizeof(cut));
		for (unsigned k = 0; k < WS_MAX_CPUS; k++)
			if (tk_cpuset_isset(&llc, k) && tk_cpuset_isset(within, k))
				tk_cpuset_set(&cut, k);
		for (unsigned k = 0; k < cnt && !seen; k++)
			seen = same_set(&v[k], &cut);
		if (seen || !tk_cpuset_count(&cut))
			continue;
		if (!(cnt & (cnt - 1))) {   /* grow at powers of two */
			struct tk_cpuset *nv = realloc(v, (cnt ? 2 * cnt : 1) * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = cut;
	}
	*sets = v;
	*n = cnt;
	return cnt ? 0 : -ENOENT;
}

int ws_topo_smt_pair(const struct tk_cpuset *within, unsigned idx, unsigned cpus[2])
{
	unsigned found = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned cpu = 0; cpu < WS_MAX_CPUS; cpu++) {
			char path[128];
			struct tk_cpuset s;
			unsigned sib[2], n = 0;

			if (within && !tk_cpuset_isset(within, cpu))
				continue;
			snprintf(path, sizeof(path), SYSCPU "/cpu%u/topology/thread_siblings_list", cpu);
			if (read_cpulist(path, &s))
				continue;
			for (unsigned i = 0; i < WS_MAX_CPUS && n < 2; i++)
				if (tk_cpuset_isset(&s, i) && (!within || tk_cpuset_isset(within, i)))
					sib[n++] = i;
			if (n < 2 || sib[0] != cpu)
				continue;
			if (pass == 1 && found-- == 0) {   /* second pass: the (idx % pairs)-th */
				cpus[0] = sib[0];
				cpus[1] = sib[1];
				return 0;
			}
			found += pass == 0;
		}
		if (!found)
			return -ENOENT;
		found = idx % found;
	}
	return -ENOENT;
}
