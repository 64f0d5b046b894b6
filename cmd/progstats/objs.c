// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: programs grouped by their libbpf object (--group obj).
 *
 * libbpf loads one BTF object per bpf_object and hands its fd to every
 * program and every BTF-described map it creates, so bpf_prog_info.btf_id
 * names the object.  The object's name comes from its maps with that BTF id:
 *   1. a struct_ops map (the ops variable: a sched_ext scheduler's
 *      "simple_ops"), the lowest map id when there are several;
 *   2. else an internal map PREFIX.bss/.data/.rodata/.kconfig, whose PREFIX
 *      is libbpf's cut of the object name (8 bytes; 7 before .kconfig):
 *      the longest PREFIX;
 *   3. else "btf:ID".
 * Programs without BTF form one group named "-".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "array.h"
#include "bpfutil.h"
#include "progstats.h"
#include "stats.h"

struct objkey {
	__u32 btf_id, pos;           /* pos: place in the sorted view */
};

static int cmp_key(const void *a, const void *b)
{
	const struct objkey *x = a, *y = b;

	if (x->btf_id != y->btf_id)
		return x->btf_id < y->btf_id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;

	if (n <= *cap)
		return 0;
	nv = realloc(*v, n * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = n;
	return 0;
}

double ps_obj_share(const struct ps_prog *p, const struct ps_prog *sum, bool period)
{
	return period ? tk_ratio((double)p->d_nsecs * 100.0, (double)sum->d_nsecs)
		      : tk_ratio((double)p->nsecs * 100.0, (double)sum->nsecs);
}

static void sum_add(struct ps_obj *g, const struct ps_prog *p)
{
	struct ps_prog *s = &g->sum;

	if (!g->n)
		s->type = p->type;
	else if (s->type != p->type)
		g->mixed = true;
	g->n++;
	s->cnt = tk_sat_add_u64(s->cnt, p->cnt);
	s->nsecs = tk_sat_add_u64(s->nsecs, p->nsecs);
	s->misses = tk_sat_add_u64(s->misses, p->misses);
	s->d_cnt = tk_sat_add_u64(s->d_cnt, p->d_cnt);
	s->d_nsecs = tk_sat_add_u64(s->d_nsecs, p->d_nsecs);
	s->d_misses = tk_sat_add_u64(s->d_misses, p->d_misses);
	s->events_per_sec += p->events_per_sec;
	s->cpu_pct += p->cpu_pct;
	if (p->period_ns > s->period_ns)
		s->period_ns = p->period_ns;
}

/* Ratios of the sums, as derive_one() makes them of one program's counters. */
static void sum_derive(struct ps_prog *s)
{
	s->ns_per_call = tk_ratio((double)s->nsecs, (double)s->cnt);
	s->miss_rate = tk_ratio((double)s->misses, (double)tk_sat_add_u64(s->cnt, s->misses));
	s->period_ns_per_call = tk_ratio((double)s->d_nsecs, (double)s->d_cnt);
	s->period_miss_rate = tk_ratio((double)s->d_misses,
				       (double)tk_sat_add_u64(s->d_cnt, s->d_misses));
}

/* Candidates found by one map walk for the objects that need a name. */
struct want {
	struct ps_objname *v;        /* ascending by btf_id */
	size_t n;
	unsigned *rank;              /* 0 none, 1 + prefix length, 100 struct_ops */
};

static const char *const data_sections[] = { "bss", "data", "rodata", "kconfig" };

/* libbpf's internal map name PREFIX.SECTION: the PREFIX length, or 0. */
static size_t data_prefix(const char *name)
{
	const char *dot = strchr(name, '.');

	if (!dot || dot == name)
		return 0;
	for (size_t i = 0; i < TK_ARRAY_SIZE(data_sections); i++)
		if (!strcmp(dot + 1, data_sections[i]))
			return (size_t)(dot - name);
	return 0;
}

static int on_map(int fd, const struct bpf_map_info *info, void *ctx)
{
	struct want *w = ctx;
	size_t lo = 0, hi = w->n, plen;
	struct ps_objname *o;
	unsigned rank;

	if (!info->btf_id)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->v[mid].btf_id < info->btf_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == w->n || w->v[lo].btf_id != info->btf_id)
		return 0;
	o = &w->v[lo];
	plen = data_prefix(info->name);
	rank = info->type == BPF_MAP_TYPE_STRUCT_OPS ? 100 : plen ? 1 + (unsigned)plen : 0;
	if (rank <= w->rank[lo])
		return 0;  /* the walk ascends by id: the lowest id wins a tie */
	w->rank[lo] = rank;
	o->fallback = false;
	o->from = rank == 100 ? "struct_ops" : "data_map";
	snprintf(o->name, sizeof(o->name), "%.*s", rank == 100 ? (int)BPF_OBJ_NAME_LEN : (int)plen,
		 info->name);
	return 0;
}

static const struct ps_objname *name_find(const struct ps_objs *o, __u32 btf_id)
{
	size_t lo = 0, hi = o->nnames;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->names[mid].btf_id == btf_id)
			return &o->names[mid];
		if (o->names[mid].btf_id < btf_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Names of the pass's objects (ascending by btf_id in o->v) into a new
 * cache that holds exactly them.  One map walk when an object is new or
 * was named by the fallback; a failed walk leaves the fallback names.
 */
static int name_objects(struct ps_objs *o)
{
	struct ps_objname *v = calloc(o->n ? o->n : 1, sizeof(*v));
	unsigned *rank = calloc(o->n ? o->n : 1, sizeof(*rank));
	struct want w = { v, o->n, rank };
	bool walk = false;

	if (!v || !rank) {
		free(v);
		free(rank);
		return -ENOMEM;
	}
	for (size_t i = 0; i < o->n; i++) {
		const struct ps_objname *old = name_find(o, o->v[i].btf_id);

		if (old) {
			v[i] = *old;
		} else {
			v[i].btf_id = o->v[i].btf_id;
			v[i].fallback = v[i].btf_id != 0;
			v[i].from = v[i].btf_id ? "btf_id" : "none";
			if (v[i].btf_id)
				snprintf(v[i].name, sizeof(v[i].name), "btf:%u", v[i].btf_id);
			else
				snprintf(v[i].name, sizeof(v[i].name), "-");
		}
		walk |= v[i].fallback;
	}
	if (walk)
		tk_map_foreach(on_map, &w);  /* best effort: names are cosmetic */
	for (size_t i = 0; i < o->n; i++) {
		memcpy(o->v[i].name, v[i].name, sizeof(o->v[i].name));
		o->v[i].from = v[i].from;
	}
	free(o->names);
	free(rank);
	o->names = v;
	o->nnames = o->n;
	return 0;
}

typedef int (*cmp_fn)(const void *, const void *);

static int cmp_obj(const void *a, const void *b, void *cmp)
{
	const struct ps_prog *x = &((const struct ps_obj *)a)->sum;
	const struct ps_prog *y = &((const struct ps_obj *)b)->sum;

	return (*(cmp_fn *)cmp)(&x, &y);
}

int ps_objs_group(struct ps_objs *o, struct ps_view *view,
		  int (*cmp)(const void *, const void *), uint64_t top)
{
	struct objkey *keys;
	size_t k = 0;
	int err;

	if ((err = grow((void **)&o->tmp, &o->tmp_cap, view->n + 1, sizeof(*o->tmp))) ||
	    (err = grow((void **)&o->v, &o->cap, view->n + 1, sizeof(*o->v))))
		return err;
	keys = calloc(view->n + 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < view->n; i++)
		keys[i] = (struct objkey){ view->v[i]->btf_id, (__u32)i };
	qsort(keys, view->n, sizeof(*keys), cmp_key);
	o->n = 0;
	for (size_t i = 0; i < view->n; i++) {
		const struct ps_prog *p = view->v[keys[i].pos];
		struct ps_obj *g = &o->v[o->n ? o->n - 1 : 0];

		if (!o->n || g->btf_id != p->btf_id) {
			g = &o->v[o->n++];
			memset(g, 0, sizeof(*g));
			g->btf_id = p->btf_id;
			g->first = i;
		}
		sum_add(g, p);
		o->tmp[i] = p;
	}
	free(keys);
	err = name_objects(o);
	if (err)
		return err;
	for (size_t i = 0; i < o->n; i++) {
		struct ps_obj *g = &o->v[i];

		g->sum.id = g->btf_id;  /* --sort id orders objects by BTF id */
		snprintf(g->sum.name, sizeof(g->sum.name), "%s", g->name);
		sum_derive(&g->sum);
	}
	if (o->n > 1)
		qsort_r(o->v, o->n, sizeof(*o->v), cmp_obj, &cmp);
	if (top && o->n > top)
		o->n = top;
	for (size_t i = 0; i < o->n; i++) {
		struct ps_obj *g = &o->v[i];

		memcpy(&view->v[k], &o->tmp[g->first], g->n * sizeof(*view->v));
		g->first = k;
		k += g->n;
	}
	view->n = k;
	view->objs = o->v;
	view->nobjs = o->n;
	return 0;
}

void ps_objs_free(struct ps_objs *o)
{
	free(o->v);
	free(o->names);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}
