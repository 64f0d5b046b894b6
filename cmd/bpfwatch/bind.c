// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Lazy binding of targets to live maps, rebinding when a map is replaced. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfwatch.h"
#include "errors.h"
#include "output.h"

#define BW_CAND_MAX 8

/* The open map for @id at @key, opened on first use.  0 or -errno with @err. */
static int map_get(struct bw_run *run, uint32_t id, struct bw_key key, struct bw_map **out,
		   char *err, size_t errsz)
{
	struct bw_map *m;
	int ret;

	for (m = run->maps; m; m = m->next)
		if (m->id == id && m->key.set == key.set && m->key.v == key.v)
			break;
	if (!m) {
		ret = bw_map_open(&run->reg, id, key, run->allow_mmap, &m, err, errsz);
		if (ret)
			return ret;
		m->next = run->maps;
		run->maps = m;
	}
	m->refs++;
	*out = m;
	return 0;
}

static void map_put(struct bw_run *run, struct bw_map *m)
{
	struct bw_map **pp;

	if (--m->refs)
		return;
	for (pp = &run->maps; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	bw_map_close(m);
}

static void unbind(struct bw_run *run, struct bw_target *t)
{
	map_put(run, t->map);
	t->map = NULL;
	bw_reset_prev(t);
}

/* "id 12 a.bss (obj a), id 40 b.bss (obj b)" */
static void describe(struct bw_run *run, const uint32_t *ids, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < BW_CAND_MAX && len < size; i++) {
		struct bw_mapent *e = bw_reg_find(&run->reg, ids[i]);
		char obj[BW_OBJ_MAX];

		if (!e)
			continue;
		bw_obj_of(&run->reg, e, obj, sizeof(obj));
		len += snprintf(buf + len, size - len, "%sid %u %s (obj %s)", i ? ", " : "",
				e->id, e->name, obj);
	}
}

static int check_agg(const struct bw_target *t, const struct bw_map *m, char *err, size_t errsz)
{
	bool want = t->spec.agg == BW_PERCPU || t->spec.agg == BW_PERCPU_COUNTER;

	if (want == m->percpu)
		return 0;
	snprintf(err, errsz, "AGG %s needs a %sper-CPU map but %s (id %u) is %sper-CPU; use %s",
		 bw_agg_name(t->spec.agg), want ? "" : "non-", m->name, m->id,
		 m->percpu ? "" : "not ",
		 m->percpu ? "percpu or percpu-counter" : "scalar or counter");
	return -EINVAL;
}

/* Attach @t to map @id.  0, or -errno with @err explaining and @fix set. */
static int bind_one(struct bw_run *run, struct bw_target *t, uint32_t id, char *err, size_t errsz,
		    char *fix, size_t fixsz)
{
	struct bw_key key = { t->spec.has_key, t->spec.key };
	struct bw_map *m;
	char why[256];
	int ret;

	snprintf(fix, fixsz, "check the path with 'bpfwatch --list MAP_SUFFIX'");
	ret = map_get(run, id, key, &m, err, errsz);
	if (ret == -EDOM)
		snprintf(fix, fixsz, "give a KEY the map takes ('bpfwatch --list %s' shows them)",
			 t->spec.suffix);
	if (ret)
		return ret;
	ret = check_agg(t, m, err, errsz);
	if (!ret) {
		ret = bw_locate(m->btf, m->value_type_id, &t->spec, m->value_size, &t->loc, why,
				sizeof(why));
		if (ret)
			snprintf(err, errsz, "FIELD '%.200s' in map %s (id %u): %s", t->spec.field,
				 m->name, m->id, why);
	}
	if (ret) {
		map_put(run, m);
		return ret;
	}
	t->map = m;
	if (!t->key[0]) {
		snprintf(t->obj, sizeof(t->obj), "%s", m->obj);
		bw_set_keys(t, m->obj);
	}
	return 0;
}

static void try_bind(struct bw_run *run, struct bw_target *t, bool first)
{
	uint32_t ids[BW_CAND_MAX], old = t->last_id;
	char err[1024], list[512];
	char fix[128];
	size_t n;

	n = bw_candidates(&run->reg, t->spec.suffix, &run->match, ids, BW_CAND_MAX);
	if (n == 0) {
		if (!t->said_wait)
			bw_event(t, "waiting", 0, "no live map matches yet; retrying every tick");
		t->said_wait = true;
		return;
	}
	if (n > 1) {
		describe(run, ids, n, list, sizeof(list));
		if (first)
			tk_usage_error("add --obj NAME or --map-id ID",
				       "spec '%s': %zu maps end with '%s': %s", t->spec.text, n,
				       t->spec.suffix, list);
		if (!t->said_ambig) {
			snprintf(err, sizeof(err), "%zu maps end with '%s': %s", n, t->spec.suffix, list);
			bw_event(t, "ambiguous", 0, err);
		}
		t->said_ambig = true;
		return;
	}
	if (ids[0] == t->failed_id)
		return;
	if (bind_one(run, t, ids[0], err, sizeof(err), fix, sizeof(fix))) {
		if (!t->last_id)
			tk_usage_error(fix, "spec '%s': %s", t->spec.text, err);
		t->failed_id = ids[0];
		bw_event(t, "error", 0, err);
		return;
	}
	t->last_id = ids[0];
	t->said_wait = t->said_ambig = false;
	bw_event(t, old ? "rebind" : "bind", old, NULL);
}

int bw_bind_all(struct bw_run *run, bool first)
{
	int err = bw_scan(&run->reg);

	if (err)
		return err;
	for (size_t i = 0; i < run->nt; i++) {
		struct bw_target *t = &run->t[i];

		if (t->map) {
			struct bw_mapent *e = bw_reg_find(&run->reg, t->map->id);

			if (e && !bw_map_dead(&run->reg, e))
				continue;
			bw_event(t, "gone", 0, "map unloaded or replaced; rebinding when it is back");
			unbind(run, t);
		}
		try_bind(run, t, first);
	}
	return 0;
}

void bw_unbind_all(struct bw_run *run)
{
	for (size_t i = 0; i < run->nt; i++)
		if (run->t[i].map)
			unbind(run, &run->t[i]);
	bw_reg_free(&run->reg);
}
