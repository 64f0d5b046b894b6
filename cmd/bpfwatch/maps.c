// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Map and program id caches, the object a map belongs to, matching by name suffix. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"
#include "bpfwatch.h"
#include "buf.h"

struct bw_mapent *bw_reg_find(struct bw_reg *r, uint32_t id)
{
	for (size_t i = 0; i < r->nmaps; i++)
		if (r->maps[i].id == id)
			return &r->maps[i];
	return NULL;
}

static struct bw_progent *prog_find(struct bw_reg *r, uint32_t id)
{
	for (size_t i = 0; i < r->nprogs; i++)
		if (r->progs[i].id == id)
			return &r->progs[i];
	return NULL;
}

static int map_add(struct bw_reg *r, uint32_t id)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct bw_mapent *e;
	int fd, err = 0;

	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = errno == ENOENT ? 0 : -errno;
	close(fd);
	if (err || !info.id)
		return err;
	if (tk_grow((void **)&r->maps, &r->maps_bytes, (r->nmaps + 1) * sizeof(*r->maps),
		    64 * sizeof(*r->maps)))
		return -ENOMEM;
	e = &r->maps[r->nmaps++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	memcpy(e->name, info.name, sizeof(e->name) - 1);
	e->type = info.type;
	e->flags = info.map_flags;
	e->key_size = info.key_size;
	e->value_size = info.value_size;
	e->max_entries = info.max_entries;
	e->btf_id = info.btf_id;
	e->btf_key_type_id = info.btf_key_type_id;
	e->btf_value_type_id = info.btf_value_type_id;
	e->seen = true;
	return 0;
}

static int prog_add(struct bw_reg *r, uint32_t id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info), n;
	struct bw_progent *e;
	uint32_t *ids = NULL;
	int fd, err = 0;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out_errno;
	n = info.nr_map_ids;
	if (n) {
		ids = calloc(n, sizeof(*ids));
		if (!ids) {
			err = -ENOMEM;
			goto out;
		}
		memset(&info, 0, sizeof(info));
		info.nr_map_ids = n;
		info.map_ids = (__u64)(unsigned long)ids;
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			goto out_errno;
		if (info.nr_map_ids < n)
			n = info.nr_map_ids;
	}
	if (tk_grow((void **)&r->progs, &r->progs_bytes, (r->nprogs + 1) * sizeof(*r->progs),
		    64 * sizeof(*r->progs))) {
		err = -ENOMEM;
		goto out;
	}
	e = &r->progs[r->nprogs++];
	e->id = id;
	e->map_ids = ids;
	e->nmaps = n;
	e->seen = true;
	ids = NULL;
	goto out;
out_errno:
	err = errno == ENOENT ? 0 : -errno;
out:
	free(ids);
	close(fd);
	return err;
}

/* For maps no program uses: is a map of the same BTF object (a sibling) used? */
static void mark_siblings(struct bw_reg *r)
{
	for (size_t i = 0; i < r->nmaps; i++) {
		struct bw_mapent *m = &r->maps[i];

		m->sib_used_now = false;
		if (m->used_now || m->was_used || !m->btf_id)
			continue;
		for (size_t j = 0; j < r->nmaps && !m->sib_used_now; j++)
			m->sib_used_now = r->maps[j].btf_id == m->btf_id && r->maps[j].used_now;
		m->sib_was_used |= m->sib_used_now;
	}
}

/* A map id of this scan: known ones are marked seen, new ones added. */
static int map_seen(uint32_t id, void *ctx)
{
	struct bw_reg *r = ctx;
	struct bw_mapent *e = bw_reg_find(r, id);

	if (!e)
		return map_add(r, id);
	e->seen = true;
	return 0;
}

/* The same for a program id. */
static int prog_seen(uint32_t id, void *ctx)
{
	struct bw_reg *r = ctx;
	struct bw_progent *p = prog_find(r, id);

	if (!p)
		return prog_add(r, id);
	p->seen = true;
	return 0;
}

int bw_scan(struct bw_reg *r)
{
	size_t k;
	int err;

	for (size_t i = 0; i < r->nmaps; i++)
		r->maps[i].seen = false;
	for (size_t i = 0; i < r->nprogs; i++)
		r->progs[i].seen = false;
	if ((err = tk_map_id_foreach(map_seen, r)) || (err = tk_prog_id_foreach(prog_seen, r)))
		return err;
	for (size_t i = k = 0; i < r->nmaps; i++)
		if (r->maps[i].seen)
			r->maps[k++] = r->maps[i];
	r->nmaps = k;
	for (size_t i = k = 0; i < r->nprogs; i++) {
		if (r->progs[i].seen)
			r->progs[k++] = r->progs[i];
		else
			free(r->progs[i].map_ids);
	}
	r->nprogs = k;
	for (size_t i = 0; i < r->nmaps; i++)
		r->maps[i].used_now = false;
	for (size_t i = 0; i < r->nprogs; i++) {
		for (uint32_t j = 0; j < r->progs[i].nmaps; j++) {
			struct bw_mapent *e = bw_reg_find(r, r->progs[i].map_ids[j]);

			if (e)
				e->used_now = e->was_used = true;
		}
	}
	mark_siblings(r);
	return 0;
}

void bw_reg_free(struct bw_reg *r)
{
	for (size_t i = 0; i < r->nprogs; i++)
		free(r->progs[i].map_ids);
	free(r->progs);
	free(r->maps);
	memset(r, 0, sizeof(*r));
}

/* Length of the object prefix of a section map name, or -1. */
static int section_prefix(const char *name)
{
	static const char *const secs[] = { ".bss", ".data", ".rodata", ".kconfig" };
	size_t n = strlen(name);

	for (unsigned i = 0; i < 4; i++) {
		size_t l = strlen(secs[i]);

		if (n > l && !strcmp(name + n - l, secs[i]))
			return (int)(n - l);
	}
	return -1;
}

static void take_prefix(const char *name, char *obj, size_t size)
{
	int p = section_prefix(name);

	if (p > 0 && (size_t)p < size && (size_t)p > strlen(obj))
		snprintf(obj, size, "%.*s", p, name);
}

/* Longest section prefix among the maps of the programs that use @m. */
static void prog_prefix(const struct bw_reg *r, const struct bw_mapent *m, char *obj, size_t size)
{
	for (size_t i = 0; i < r->nprogs; i++) {
		const struct bw_progent *p = &r->progs[i];
		bool uses = false;

		for (uint32_t j = 0; j < p->nmaps && !uses; j++)
			uses = p->map_ids[j] == m->id;
		for (uint32_t j = 0; uses && j < p->nmaps; j++) {
			const struct bw_mapent *s = bw_reg_find((struct bw_reg *)r, p->map_ids[j]);

			if (s)
				take_prefix(s->name, obj, size);
		}
	}
}

void bw_obj_of(const struct bw_reg *r, const struct bw_mapent *m, char *obj, size_t size)
{
	obj[0] = '\0';
	take_prefix(m->name, obj, size);
	for (size_t i = 0; m->btf_id && i < r->nmaps; i++)
		if (r->maps[i].btf_id == m->btf_id)
			take_prefix(r->maps[i].name, obj, size);
	if (!obj[0])
		prog_prefix(r, m, obj, size);
	if (!obj[0])
		snprintf(obj, size, "bpf");
}

bool bw_map_dead(const struct bw_reg *r, const struct bw_mapent *m)
{
	if (m->used_now)
		return false;
	if (m->was_used || (m->sib_was_used && !m->sib_used_now))
		return true;
	for (size_t i = 0; i < r->nmaps; i++)
		if (r->maps[i].id > m->id && !strcmp(r->maps[i].name, m->name))
			return true;
	return false;
}

/* --obj NAME matches the (possibly truncated) object prefix of a map. */
static bool obj_matches(const char *want, const char *obj)
{
	size_t ol = strlen(obj);

	if (!strcmp(want, obj))
		return true;
	/* libbpf cuts the prefix to fit 15 bytes: accept the full name too. */
	return ol >= 7 && !strncmp(want, obj, ol);
}

size_t bw_candidates(const struct bw_reg *r, const char *suffix, const struct bw_match *mt,
		     uint32_t *ids, size_t max)
{
	size_t sl = strlen(suffix), n = 0;

	for (size_t i = 0; i < r->nmaps; i++) {
		const struct bw_mapent *m = &r->maps[i];
		size_t nl = strlen(m->name);
		char obj[BW_OBJ_MAX];

		if (nl < sl || strcmp(m->name + nl - sl, suffix))
			continue;
		if (mt->map_id && m->id != mt->map_id)
			continue;
		if (bw_map_dead(r, m))
			continue;
		if (mt->obj) {
			bw_obj_of(r, m, obj, sizeof(obj));
			if (!obj_matches(mt->obj, obj))
				continue;
		}
		if (n < max)
			ids[n] = m->id;
		n++;
	}
	return n;
}
