// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: who holds BPF run-time stats on.  kernel.bpf_stats_enabled
 * reads back only the sysctl's own setting; a BPF_ENABLE_STATS fd (bpftop,
 * Cilium, Tetragon, another progstats) turns the counters on without it.
 * Such an fd reads "anon_inode:bpf-stats" in /proc/PID/fd.
 *
 * Found by bpf/progstats_holders.bpf.c (iter/task_file, a light skeleton: one
 * in-kernel pass over every open file), or, when that cannot load or says
 * what cannot be (none though stats are on, or not our own fd), by a
 * readlink of every entry of every /proc/PID/fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "buf.h"
#include "progstats.h"
#include "progstats_holders.lskel.h"

#define STATS_LINK "anon_inode:bpf-stats"

static int cmp_holder(const void *a, const void *b)
{
	const struct ps_holder *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int cmp_holder_rec(const void *a, const void *b)
{
	const struct progstats_holder_rec *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

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

static int add(struct ps_holders *h, pid_t pid, const char *comm)
{
	struct ps_holder *x;

	if (h->n && h->v[h->n - 1].pid == pid)
		return 0;
	if (tk_grow((void **)&h->v, &h->cap, (h->n + 1) * sizeof(*h->v), 8 * sizeof(*h->v)))
		return -ENOMEM;
	x = &h->v[h->n++];
	x->pid = pid;
	snprintf(x->comm, sizeof(x->comm), "%s", comm);
	return 0;
}

static int proc_scan(struct ps_holders *h, pid_t self)
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
			char comm[16];

			read_comm(pdir, comm, sizeof(comm));
			err = add(h, (pid_t)pid, comm);
		}
		close(pdir);
		if (err)
			break;
	}
	closedir(proc);
	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), cmp_holder);
	return err;
}

static int iter_open(struct ps_holders *h)
{
	struct progstats_holders_bpf *skel = progstats_holders_bpf__open();

	if (!skel)
		return errno ? -errno : -ENOMEM;
	if (progstats_holders_bpf__load(skel) || progstats_holders_bpf__attach(skel) < 0) {
		int err = errno ? -errno : -EINVAL;

		progstats_holders_bpf__destroy(skel);
		return err;
	}
	h->skel = skel;
	return 0;
}

/* The iterator's records: @self_seen when our own fd is among them. */
static int iter_scan(struct ps_holders *h, pid_t self, bool *self_seen)
{
	const size_t rsz = sizeof(struct progstats_holder_rec);
	struct progstats_holder_rec *r;
	int fd = bpf_iter_create(h->skel->links.progstats_holders_fd), err = 0;
	ssize_t have;

	if (fd < 0)
		return -errno;
	have = tk_read_to_eof(fd, (void **)&h->recs, &h->recs_cap, 16 * rsz, 4 * rsz);
	close(fd);
	if (have < 0)
		return (int)have;
	r = h->recs;
	if (have > (ssize_t)rsz)
		qsort(r, (size_t)have / rsz, rsz, cmp_holder_rec);
	for (size_t i = 0; i < (size_t)have / rsz && !err; i++) {
		r[i].comm[sizeof(r[i].comm) - 1] = '\0';
		if ((pid_t)r[i].pid == self)
			*self_seen = true;
		else
			err = add(h, (pid_t)r[i].pid, r[i].comm);
	}
	return err;
}

int ps_holders_scan(struct ps_holders *h, pid_t self, bool self_holds, bool others_expected)
{
	bool self_seen = false;

	h->n = 0;
	if (!h->skel && !h->iter_failed && iter_open(h))
		h->iter_failed = true;
	if (h->skel && !iter_scan(h, self, &self_seen) && self_seen == self_holds &&
	    (h->n || !others_expected))
		return 0;
	h->n = 0;
	return proc_scan(h, self);
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
	if (h->skel)
		progstats_holders_bpf__destroy(h->skel);
	free(h->recs);
	free(h->v);
	memset(h, 0, sizeof(*h));
}
