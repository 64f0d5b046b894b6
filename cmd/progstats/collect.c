// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* progstats: run-time stats switch, program walk, deltas, derived metrics. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpfutil.h"
#include "buf.h"
#include "clock.h"
#include "progstats.h"
#include "stats.h"

#define SYSCTL_STATS "/proc/sys/kernel/bpf_stats_enabled"

int ps_stats_sysctl(void)
{
	char c = 0;
	int fd = open(SYSCTL_STATS, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, &c, 1);
	close(fd);
	return n == 1 ? c == '1' : -EIO;
}

static int sysctl_write(char c)
{
	int fd = open(SYSCTL_STATS, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, &c, 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

int ps_stats_enable(struct ps_stats *s)
{
	int err;

	s->fd = -1;
	s->sysctl_restore = false;
	s->fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (s->fd >= 0)
		return 0;
	err = -errno;
	/* Kernels before 5.8 lack the command: fall back to the sysctl. */
	if (err != -EINVAL)
		return err;
	err = ps_stats_sysctl();
	if (err < 0)
		return err;
	if (err == 1)
		return 0;
	err = sysctl_write('1');
	if (!err)
		s->sysctl_restore = true;
	return err;
}

void ps_stats_disable(struct ps_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->sysctl_restore)
		sysctl_write('0');
	s->sysctl_restore = false;
}

const struct ps_prog *ps_snap_find(const struct ps_snap *s, __u32 id)
{
	size_t lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].id == id)
			return &s->v[mid];
		if (s->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void ps_snap_free(struct ps_snap *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* One ps_collect(): the snapshot it fills, the previous one, the filter. */
struct collect_pass {
	struct ps_snap *cur;
	const struct ps_snap *prev;
	const struct ps_filter *f;
	uint64_t ts_ns;              /* iterator walk: when the pass was read */
	size_t prev_at;              /* prev_find's cursor into prev */
};

/*
 * The previous pass's entry for @id.  Both walks find programs in ascending
 * id order, as prev holds them: a cursor that only moves forward finds each
 * in a step or two (a binary search per program missed the cache on every
 * probe); out of order, the binary search.
 */
static const struct ps_prog *prev_find(struct collect_pass *pass, __u32 id)
{
	const struct ps_snap *prev = pass->prev;
	size_t j = pass->prev_at;

	if (!prev)
		return NULL;
	if (j && j <= prev->n && prev->v[j - 1].id >= id)
		return ps_snap_find(prev, id);
	while (j < prev->n && prev->v[j].id < id)
		j++;
	pass->prev_at = j;
	return j < prev->n && prev->v[j].id == id ? &prev->v[j] : NULL;
}

/* What either walk knows of one program. */
struct prog_found {
	__u32 id, type, btf_id, nr_func_info;
	const char *kname;
	const __u8 *tag;
	uint64_t cnt, nsecs, misses;
	int fd;                      /* -1 in the iterator walk */
	bool stats_err;              /* the iterator could not read the counters */
	bool slim;                   /* no kname, btf_id, nr_func_info (PROGSTATS_REC_SLIM) */
};

static bool id_wanted(const struct ps_filter *f, __u32 id)
{
	if (!f->nids)
		return true;
	for (size_t i = 0; i < f->nids; i++)
		if (f->ids[i] == id)
			return true;
	return false;
}

static bool name_truncated(const struct prog_found *s)
{
	return strlen(s->kname) >= BPF_OBJ_NAME_LEN - 1 && s->btf_id && s->nr_func_info;
}

/*
 * The iterator walk holds no fd: open one for a full name or for counters
 * the iterator could not read.  1 = the program vanished (skip it).
 */
static int open_fd(struct prog_found *s, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	s->fd = bpf_prog_get_fd_by_id(s->id);
	if (s->fd < 0)
		return errno == ENOENT ? 1 : -errno;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(s->fd, info, &len)) {
		int err = errno;

		close(s->fd);
		s->fd = -1;
		return err == ENOENT ? 1 : -err;
	}
	if (memcmp(info->tag, s->tag, sizeof(info->tag)))
		return 1;  /* the id now names another program */
	if (s->stats_err) {
		s->cnt = info->run_cnt;
		s->nsecs = info->run_time_ns;
		s->misses = info->recursion_misses;
	}
	return 0;
}

/*
 * A slim record's name and BTF: the previous pass's, when it saw the same
 * program (id and tag), else GET_INFO's.  1 = the program vanished.
 */
static int fill_slim(struct prog_found *s, const struct ps_prog *old, const char *tag,
		     struct bpf_prog_info *info)
{
	int err;

	if (old && ps_same_tag(old->tag, tag)) {
		s->kname = old->kname;
		s->btf_id = old->btf_id;
		return 0;  /* nr_func_info: only for a name not known yet */
	}
	err = open_fd(s, info);
	if (err)
		return err;
	s->kname = info->name;
	s->btf_id = info->btf_id;
	s->nr_func_info = info->nr_func_info;
	return 0;
}

static int add_prog(struct collect_pass *pass, struct prog_found *s)
{
	bool own_fd = s->fd < 0;
	struct bpf_prog_info info;
	const struct ps_prog *old;
	struct ps_prog *p;
	char tag[sizeof(p->tag)];
	int err = 0;

	if (!id_wanted(pass->f, s->id) || (pass->f->type >= 0 && s->type != (__u32)pass->f->type))
		return 0;
	tk_prog_tag_hex(s->tag, tag);
	old = prev_find(pass, s->id);
	if (s->slim && (err = fill_slim(s, old, tag, &info)))
		goto out;
	if (tk_grow((void **)&pass->cur->v, &pass->cur->cap, (pass->cur->n + 1) * sizeof(*pass->cur->v),
		    256 * sizeof(*pass->cur->v))) {
		err = -ENOMEM;
		goto out;
	}
	p = &pass->cur->v[pass->cur->n];
	memset(p, 0, sizeof(*p));
	p->ts_ns = pass->ts_ns ? pass->ts_ns : tk_now_mono_ns();
	p->id = s->id;
	p->type = s->type;
	p->btf_id = s->btf_id;
	memcpy(p->kname, s->kname, strnlen(s->kname, sizeof(p->kname) - 1));
	memcpy(p->tag, tag, sizeof(p->tag));
	/* A truncated name costs a BTF load: do it once per program.  (Both
	 * knames are zero-padded: the whole arrays compare.) */
	if (old && !memcmp(old->kname, p->kname, sizeof(p->kname)) && ps_same_tag(old->tag, p->tag)) {
		memcpy(p->name, old->name, sizeof(p->name));
		p->flagged = old->flagged;
	} else if (!name_truncated(s)) {
		memcpy(p->name, p->kname, sizeof(p->kname));
	} else {
		if (s->fd < 0 && (err = open_fd(s, &info)))
			goto out;
		memset(&info, 0, sizeof(info));
		memcpy(info.name, p->kname, sizeof(info.name));  /* s->kname may be info.name */
		info.btf_id = s->btf_id;
		info.nr_func_info = s->nr_func_info;
		tk_prog_full_name(s->fd, &info, p->name, sizeof(p->name));
	}
	if (s->stats_err && s->fd < 0 && (err = open_fd(s, &info)))
		goto out;
	p->cnt = s->cnt;
	p->nsecs = s->nsecs;
	p->misses = s->misses;
	if (pass->f->name && !strcasestr(p->name, pass->f->name))
		goto out;
	pass->cur->n++;
out:
	if (own_fd && s->fd >= 0)
		close(s->fd);
	return err > 0 ? 0 : err;  /* vanished: skipped */
}

static int on_prog(int fd, const struct bpf_prog_info *info, void *ctx)
{
	struct prog_found s = {
		.id = info->id, .type = info->type, .btf_id = info->btf_id,
		.nr_func_info = info->nr_func_info, .kname = info->name, .tag = info->tag,
		.cnt = info->run_cnt, .nsecs = info->run_time_ns,
		.misses = info->recursion_misses, .fd = fd,
	};

	return add_prog(ctx, &s);
}

int ps_collect(struct ps_snap *cur, const struct ps_snap *prev, const struct ps_filter *f,
	       struct ps_iter *it)
{
	struct collect_pass pass = { cur, prev, f, 0, 0 };
	size_t n = 0;
	int err;

	cur->n = 0;
	if (!it || it->link_fd < 0)
		return tk_prog_foreach(on_prog, &pass);
	/* The previous pass knows every program a name filter does not hide. */
	err = ps_iter_slim(it, prev && !f->name);
	if (!err)
		err = ps_iter_read(it, &n);
	pass.ts_ns = tk_now_mono_ns();
	/* room for the pass at once: no copy of a first smaller block (a one-shot's faults) */
	if (!err && tk_grow((void **)&cur->v, &cur->cap, n * sizeof(*cur->v), 256 * sizeof(*cur->v)))
		err = -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		const struct progstats_prog_rec *r = &it->v[i];
		struct prog_found s;

		if (r->id == it->self_id)
			continue;  /* our own iterator: not there in the other walk */
		s = (struct prog_found){
			.id = r->id, .type = r->type, .btf_id = r->btf_id,
			.nr_func_info = r->nr_func_info, .kname = r->name, .tag = r->tag,
			.cnt = r->cnt, .nsecs = r->nsecs, .misses = r->misses, .fd = -1,
			.stats_err = r->flags & PROGSTATS_REC_STATS_ERR,
			.slim = r->flags & PROGSTATS_REC_SLIM,
		};

		err = add_prog(&pass, &s);
	}
	return err;
}

static void derive_one(struct ps_prog *p, const struct ps_prog *old)
{
	p->ns_per_call = tk_ratio((double)p->nsecs, (double)p->cnt);
	p->miss_rate = tk_ratio((double)p->misses, (double)tk_sat_add_u64(p->cnt, p->misses));
	p->is_new = !old;
	if (!old)
		return;  /* a new program starts with zero deltas */
	p->period_ns = tk_sat_sub_u64(p->ts_ns, old->ts_ns);
	p->d_cnt = tk_sat_sub_u64(p->cnt, old->cnt);
	p->d_nsecs = tk_sat_sub_u64(p->nsecs, old->nsecs);
	p->d_misses = tk_sat_sub_u64(p->misses, old->misses);
	p->period_ns_per_call = tk_ratio((double)p->d_nsecs, (double)p->d_cnt);
	p->events_per_sec = tk_ratio((double)p->d_cnt * 1e9, (double)p->period_ns);
	p->cpu_pct = tk_ratio((double)p->d_nsecs * 100.0, (double)p->period_ns);
	p->period_miss_rate = tk_ratio((double)p->d_misses,
				       (double)tk_sat_add_u64(p->d_cnt, p->d_misses));
}

void ps_derive(struct ps_snap *cur, const struct ps_snap *prev)
{
	size_t j = 0;

	/* Both snapshots ascend by id: merge-join. */
	for (size_t i = 0; i < cur->n; i++) {
		const struct ps_prog *old = NULL;

		while (prev && j < prev->n && prev->v[j].id < cur->v[i].id)
			j++;
		if (prev && j < prev->n && prev->v[j].id == cur->v[i].id &&
		    ps_same_tag(prev->v[j].tag, cur->v[i].tag))
			old = &prev->v[j];
		derive_one(&cur->v[i], old);
	}
}
