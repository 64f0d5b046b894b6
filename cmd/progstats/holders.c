// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: who holds BPF run-time stats on.  kernel.bpf_stats_enabled
 * reads back only the sysctl's own setting; a BPF_ENABLE_STATS fd (bpftop,
 * Cilium, Tetragon, another progstats) turns the counters on without it.
 * Such an fd reads "anon_inode:bpf-stats" in /proc/PID/fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "progstats.h"

#define STATS_LINK "anon_inode:bpf-stats"

/* Does the process whose /proc directory is @pdir hold a stats fd? */
static bool holds(int pdir)
{
	char link[sizeof(STATS_LINK) + 1];
	int fdir = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	bool found = false;
	DIR *d;

	if (fdir < 0)
		return false;  /* gone, or a kernel thread's: no files */
	d = fdopendir(fdir);
	if (!d) {
		close(fdir);
		return false;
	}
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ssize_t n = readlinkat(fdir, e->d_name, link, sizeof(link));

		found = n == (ssize_t)sizeof(STATS_LINK) - 1 &&
			!memcmp(link, STATS_LINK, sizeof(STATS_LINK) - 1);
	}
	closedir(d);
	return found;
}

static void read_comm(int pdir, char *comm, size_t size)
{
	int fd = openat(pdir, "comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, comm, size - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		n = 0;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

int ps_holders_scan(struct ps_holders *h, pid_t self)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	int err = 0;

	h->n = 0;
	if (!proc)
		return -errno;
	while ((e = readdir(proc))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		int pdir;

		if (*end || pid <= 0 || pid == self || e->d_name[0] == '0')
			continue;
		pdir = openat(dirfd(proc), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pdir < 0)
			continue;
		if (holds(pdir)) {
			struct ps_holder *x;

			if (tk_grow((void **)&h->v, &h->cap, (h->n + 1) * sizeof(*h->v),
				    8 * sizeof(*h->v))) {
				close(pdir);
				err = -ENOMEM;
				break;
			}
			x = &h->v[h->n++];
			x->pid = (pid_t)pid;
			read_comm(pdir, x->comm, sizeof(x->comm));
		}
		close(pdir);
	}
	closedir(proc);
	return err;
}

void ps_holders_format(const struct ps_holders *h, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < h->n && off < size; i++) {
		int k = snprintf(buf + off, size - off, "%s%s(%d)", i ? "," : "",
				 h->v[i].comm, (int)h->v[i].pid);

		if (k < 0)
			break;
		off += (size_t)k;
	}
}

void ps_holders_free(struct ps_holders *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}
