// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* progstats: program holders via our iter/task_file program (as bpftool does). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "buf.h"
#include "progstats.h"
#include "progstats_pids.skel.h"

int ps_pids_open(struct ps_pids *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->skel = progstats_pids_bpf__open_and_load();
	if (!p->skel)
		return errno ? -errno : -EINVAL;
	p->link = bpf_program__attach_iter(p->skel->progs.progstats_pids, NULL);
	if (!p->link) {
		err = errno ? -errno : -EINVAL;
		ps_pids_close(p);
		return err;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct progstats_pid_entry *x = a, *y = b;

	if (x->prog_id != y->prog_id)
		return x->prog_id < y->prog_id ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int ps_pids_refresh(struct ps_pids *p)
{
	size_t out = 0, esz = sizeof(*p->v);
	int fd, err = 0;
	ssize_t have;

	fd = bpf_iter_create(bpf_link__fd(p->link));
	if (fd < 0)
		return -errno;
	p->n = 0;
	have = tk_read_to_eof(fd, (void **)&p->v, &p->cap, 256 * esz, 64 * esz);
	if (have < 0) {
		err = (int)have;
		goto out;
	}
	p->n = (size_t)have / esz;
	/* Threads sharing a file table, or several fds on one program: dedupe. */
	if (p->n > 1)
		qsort(p->v, p->n, esz, cmp_entry);
	for (size_t i = 0; i < p->n; i++)
		if (!out || cmp_entry(&p->v[out - 1], &p->v[i]))
			p->v[out++] = p->v[i];
	p->n = out;
	for (size_t i = 0; i < p->n; i++)
		p->v[i].comm[sizeof(p->v[i].comm) - 1] = '\0';
out:
	close(fd);
	return err;
}

size_t ps_pids_of(const struct ps_pids *p, __u32 prog_id, size_t *first)
{
	size_t lo = 0, hi = p->n, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->v[mid].prog_id < prog_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < p->n && p->v[lo + n].prog_id == prog_id)
		n++;
	return n;
}

bool ps_pids_holds(const struct ps_pids *p, __u32 prog_id, __u32 pid)
{
	size_t first, n = ps_pids_of(p, prog_id, &first);

	for (size_t i = 0; i < n; i++)
		if (p->v[first + i].pid == pid)
			return true;
	return false;
}

void ps_pids_close(struct ps_pids *p)
{
	bpf_link__destroy(p->link);
	progstats_pids_bpf__destroy(p->skel);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
