// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* place.c — affinity, scheduling policy and cgroup v2 placement. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "array.h"
#include "errors.h"
#include "ws.h"

#define CGROUP2_MAGIC 0x63677270

/* The first cgroup2 mount (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
static int cgroup2_root(char *root, size_t size)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[256], type[64];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			struct statfs sf;

			if (statfs(dir, &sf) || sf.f_type != CGROUP2_MAGIC)
				continue;
			snprintf(root, size, "%s", dir);
			err = 0;
			break;
		}
	fclose(f);
	return err;
}

static char *errtext(const char *what, int err)
{
	char buf[WS_MAX_STR];

	snprintf(buf, sizeof(buf), "%.300s: %s", what, strerror(err));
	return strdup(buf);
}

char *ws_apply_affinity(pid_t tid, const struct tk_cpuset *set)
{
	cpu_set_t *cs = CPU_ALLOC(WS_MAX_CPUS);
	size_t sz = CPU_ALLOC_SIZE(WS_MAX_CPUS);
	char list[256], what[300];
	int err = 0;

	if (!cs)
		return strdup("sched_setaffinity: out of memory");
	CPU_ZERO_S(sz, cs);
	for (unsigned i = 0; i < WS_MAX_CPUS; i++)
		if (tk_cpuset_isset(set, i))
			CPU_SET_S(i, sz, cs);
	if (sched_setaffinity(tid, sz, cs))
		err = errno;
	CPU_FREE(cs);
	if (!err)
		return NULL;
	tk_cpuset_format(set, list, sizeof(list));
	snprintf(what, sizeof(what), "sched_setaffinity(%s)", list);
	return errtext(what, err);
}

struct ws_sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

char *ws_apply_policy(pid_t tid, const struct ws_policy *p)
{
	struct ws_sched_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.sched_policy = p->policy;
	a.sched_priority = p->prio;
	a.sched_runtime = p->runtime;
	a.sched_deadline = p->deadline;
	a.sched_period = p->period;
	if (syscall(SYS_sched_setattr, tid, &a, 0)) {
		int err = errno;
		char what[128];

		snprintf(what, sizeof(what), "sched_setattr(policy %d prio %d)", p->policy, p->prio);
		if (p->policy == WS_SCHED_EXT)   /* EINVAL without sched_ext, EACCES: disallowed */
			snprintf(what, sizeof(what), "sched_setattr(policy %d = SCHED_EXT%s)",
				 p->policy, access("/sys/kernel/sched_ext", F_OK) ?
				 "; this kernel has no /sys/kernel/sched_ext" : "");
		return errtext(what, err);
	}
	return NULL;
}

const char *ws_policy_name(int policy)
{
	static const char *const names[] = { "normal", "fifo", "rr", "batch", NULL, "idle",
					     "deadline", "ext" };

	return policy >= 0 && policy < (int)TK_ARRAY_SIZE(names) ? names[policy]
									       : NULL;
}

/* The "ext.enabled : N" line of a /proc sched file: 0/1, or -1 without one. */
static int8_t ext_enabled(pid_t tgid, pid_t tid)
{
	char path[64], line[256];
	bool bol = true;   /* fgets() chunks of long lines are not line starts */
	int8_t v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", tgid, tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		bool start = bol;
		char *colon;

		bol = strchr(line, '\n') != NULL;
		if (!start || strncmp(line, "ext.enabled", 11) || !(colon = strchr(line, ':')))
			continue;
		if (line[11 + strspn(line + 11, " ")] == ':')
			v = strtol(colon + 1, NULL, 10) != 0;
	}
	fclose(f);
	return v;
}

int ws_read_sched(pid_t tgid, pid_t tid, int32_t *policy, int8_t *ext)
{
	struct ws_sched_attr a;

	memset(&a, 0, sizeof(a));
	*policy = -1;
	*ext = -1;
	if (syscall(SYS_sched_getattr, tid, &a, sizeof(a), 0))
		return -errno;
	*policy = a.sched_policy;
	*ext = ext_enabled(tgid, tid);
	return 0;
}

int ws_online_cpus(struct tk_cpuset *set)
{
	cpu_set_t *cs = CPU_ALLOC(WS_MAX_CPUS);
	size_t sz = CPU_ALLOC_SIZE(WS_MAX_CPUS);

	memset(set, 0, sizeof(*set));
	if (!cs)
		return -ENOMEM;
	if (sched_getaffinity(0, sz, cs)) {
		CPU_FREE(cs);
		return -errno;
	}
	for (unsigned i = 0; i < WS_MAX_CPUS; i++)
		if (CPU_ISSET_S(i, sz, cs))
			tk_cpuset_set(set, i);
	CPU_FREE(cs);
	return 0;
}

/*
 * @path relative to the cgroup2 mount, or absolute under it; no "..".
 * Missing parents are made too (mkdir -p).  Returns how many levels were
 * made (0: it existed), or -errno (-ENODEV: no cgroup v2 mounted).
 */
int ws_cgroup_create(const char *path, char *abs, size_t size)
{
	const char *rel = path;
	char root[256];
	char *made_end = NULL;     /* the end of the deepest level made */
	size_t rl;
	int made = 0, err;

	if (cgroup2_root(root, sizeof(root)))
		return -ENODEV;
	rl = strlen(root);
	if (path[0] == '/') {
		if (strncmp(path, root, rl) || path[rl] != '/')
			return -EXDEV;
		rel = path + rl;
	}
	while (*rel == '/')
		rel++;
	if (!*rel || strstr(rel, ".."))
		return -EINVAL;
	if ((size_t)snprintf(abs, size, "%s/%s", root, rel) >= size)
		return -ENAMETOOLONG;
	/* each '/' after the root ends a parent: make it, then the leaf */
	for (char *p = abs + rl + 1;; p++) {
		bool leaf = !*p;

		if (*p != '/' && !leaf)
			continue;
		if (p[-1] == '/') {   /* "a//b" */
			if (leaf)
				break;
			continue;
		}
		*p = '\0';
		if (!mkdir(abs, 0755)) {
			made++;
			made_end = p;
		} else if (errno != EEXIST) {
			err = -errno;
			if (made) {   /* undo what this call made */
				*made_end = '\0';
				ws_cgroup_remove(abs, made);
			}
			return err;
		}
		if (leaf)
			break;
		*p = '/';
	}
	if (made && *made_end) {   /* the leaf is a file of a cgroup just made */
		*made_end = '\0';
		ws_cgroup_remove(abs, made);
		return -ENOTDIR;
	}
	return made;
}

int ws_cgroup_make_threaded(const char *abs, int levels)
{
	char dir[PATH_MAX], *cut[64];
	int n = 0, err = 0;

	snprintf(dir, sizeof(dir), "%s", abs);
	/* the ends of the @levels deepest directories, deepest first */
	for (char *p = dir + strlen(dir); n < levels && n < 64 && p > dir; p--)
		if (*p == '/' || !*p)
			cut[n++] = p;
	while (n-- > 0 && !err) {   /* parents first: a threaded cgroup's parent must be one */
		char f[PATH_MAX + 16];
		char save = *cut[n];
		int fd;

		*cut[n] = '\0';
		snprintf(f, sizeof(f), "%s/cgroup.type", dir);
		*cut[n] = save;
		fd = open(f, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "threaded", 8) < 0)
			err = -errno;
		if (fd >= 0)
			close(fd);
	}
	return err;
}

int ws_cgroup_attach(const char *abs, pid_t pid, bool thread)
{
	char file[600], buf[32];
	int fd, n, err = 0;

	snprintf(file, sizeof(file), "%s/%s", abs, thread ? "cgroup.threads" : "cgroup.procs");
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", pid);
	if (write(fd, buf, n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* rmdir, retried briefly while reaping settles (EBUSY); -errno or 0. */
static int cgroup_rmdir(const char *dir)
{
	for (int i = 0; i < 50; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		usleep(20000);
	}
	return -errno;
}

void ws_cgroup_remove(const char *abs, int levels)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", abs);
	for (int i = 0; i < levels; i++) {
		char *slash;
		int err = cgroup_rmdir(dir);

		if (err) {
			tk_warn("could not remove cgroup %s: %s", dir, strerror(-err));
			return;
		}
		slash = strrchr(dir, '/');
		if (!slash)
			return;
		*slash = '\0';   /* then the parent this run made */
	}
}
