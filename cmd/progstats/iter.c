// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: the iterator walk.  bpf/progstats_progs.bpf.c (iter/bpf_prog)
 * writes one fixed-size record per program, so a pass is bpf_iter_create(),
 * a few read()s and a close() instead of 3-4 bpf() calls per program.
 *
 * It is a light skeleton (cmd/progstats/build.mk): the kernel finds the
 * iterator's attach target itself, so loading it costs no user-space parse
 * of the kernel's BTF.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "buf.h"
#include "errors.h"
#include "output.h"
#include "progstats.h"
#include "progstats_progs.lskel.h"

int ps_iter_open(struct ps_iter *it)
{
	static char log[1 << 16];
	struct progstats_progs_bpf *skel;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int ncpu, err;

	memset(it, 0, sizeof(*it));
	it->link_fd = -1;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	if (ncpu > PROGSTATS_MAX_CPUS)
		return -E2BIG;
	skel = it->skel = progstats_progs_bpf__open();
	if (!skel)
		return errno ? -errno : -ENOMEM;
	skel->rodata->nr_cpus = (__u32)ncpu;
	it->ncpu = ncpu;
	if (tk_out.verbose >= 2) {
		skel->ctx.log_level = 1;
		skel->ctx.log_size = sizeof(log);
		skel->ctx.log_buf = (__u64)(unsigned long)log;
	}
	if (progstats_progs_bpf__load(skel)) {
		err = errno ? -errno : -EINVAL;
		tk_info(2, "program iterator load log:\n%s", log);
		goto fail;
	}
	if (progstats_progs_bpf__attach(skel))
		goto fail_errno;
	it->link_fd = skel->links.progstats_progs_fd;
	/* The program knows itself: its record must say what GET_INFO says. */
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(skel->progs.progstats_progs.prog_fd, &info, &len))
		goto fail_errno;
	it->self_id = info.id;
	it->self_type = info.type;
	memcpy(it->self_tag, info.tag, sizeof(it->self_tag));
	memcpy(it->self_name, info.name, sizeof(it->self_name));
	return 0;
fail_errno:
	err = errno ? -errno : -EINVAL;
fail:
	ps_iter_close(it);
	return err;
}

/* A slim record has no name to check: its full records passed before. */
static bool self_ok(const struct ps_iter *it, const struct progstats_prog_rec *r)
{
	return r->type == it->self_type && !memcmp(r->tag, it->self_tag, sizeof(r->tag)) &&
	       !(r->flags & PROGSTATS_REC_STATS_ERR) &&
	       (r->flags & PROGSTATS_REC_SLIM ? it->full_ok :
		!strncmp(r->name, it->self_name, sizeof(r->name)));
}

int ps_iter_slim(struct ps_iter *it, bool slim)
{
	struct progstats_pcpu_slot *v;
	__u32 zero = 0;
	int err = 0;

	slim = slim && it->full_ok;
	if (slim == it->slim)
		return 0;
	/* Every CPU's element. */
	v = calloc((size_t)it->ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int c = 0; c < it->ncpu; c++)
		v[c].slim = slim;
	if (bpf_map_update_elem(it->skel->maps.progstats_pcpu.map_fd, &zero, v, BPF_ANY))
		err = -errno;
	else
		it->slim = slim;
	free(v);
	return err;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct progstats_prog_rec *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int ps_iter_read(struct ps_iter *it, size_t *n)
{
	const size_t rsz = sizeof(struct progstats_prog_rec);
	bool sorted = true, self = false;
	int fd, err = 0;
	ssize_t have;

	fd = bpf_iter_create(it->link_fd);
	if (fd < 0)
		return -errno;
	have = tk_read_to_eof(fd, (void **)&it->v, &it->cap, 2048 * rsz, 256 * rsz);
	if (have < 0) {
		err = (int)have;
		goto out;
	}
	*n = (size_t)have / rsz;
	it->before_self = 0;
	for (size_t i = 0; i < *n; i++) {
		it->v[i].name[PROGSTATS_NAME_LEN - 1] = '\0';
		if (i && it->v[i].id <= it->v[i - 1].id)
			sorted = false;
		if (it->v[i].id < it->self_id)
			it->before_self++;
		if (it->v[i].id == it->self_id) {
			self = self_ok(it, &it->v[i]);
			it->self_cnt = it->v[i].cnt;
		}
	}
	if (!self) {
		err = -EBADMSG;  /* records do not match this kernel's layout */
		goto out;
	}
	it->full_ok = true;
	if (!sorted)
		qsort(it->v, *n, rsz, cmp_rec);
out:
	close(fd);
	return err;
}

void ps_iter_close(struct ps_iter *it)
{
	if (it->skel)
		progstats_progs_bpf__destroy(it->skel);  /* closes the link too */
	free(it->v);
	memset(it, 0, sizeof(*it));
	it->link_fd = -1;
}
