// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: what --wide, --fields, --where and --sort may ask beyond the
 * counters, filled only when asked (ps_details_fill's @need):
 *   PS_NEED_DERIVED  CPU % of all online CPUs, share of the pass's BPF time
 *   PS_NEED_HIST     totals since progstats first saw the program, and the
 *                    min/p50/p99/max of period ns/call: min and max over the
 *                    whole run, the percentiles over the last PS_HIST_LEN
 *                    periods with runs (a fixed ring per program)
 *   PS_NEED_INFO     bpf_prog_info sizes, load time, uid, map ids and the
 *                    fdinfo memlock: once per program (they do not change)
 *   PS_NEED_MAPS     the fdinfo memlock of its maps, every pass
 *   PS_NEED_LINKS/PINS  links.c, pins.c
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpfutil.h"
#include "buf.h"
#include "stats.h"
#include "progstats.h"

#define PS_HIST_LEN 128

struct ps_hist {
	__u32 id;
	char tag[17];
	uint64_t base_cnt, base_nsecs;
	double min, max;
	double ring[PS_HIST_LEN];
	uint32_t n, next;            /* samples in the ring, next slot */
	uint32_t total;              /* periods with runs, whole run */
};

/* The first PS_MAX_MAPS map ids of program @id (GET_INFO's). */
struct ps_prog_maps {
	__u32 id;
	__u32 ids[PS_MAX_MAPS];
};

static int cmp_pmaps(const void *a, const void *b)
{
	const struct ps_prog_maps *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* @p's map ids in the last pass (*n of them), NULL when not filled. */
static const __u32 *maps_of(const struct ps_details *d, const struct ps_prog *p, size_t *n)
{
	struct ps_prog_maps key = { .id = p->id };
	const struct ps_prog_maps *m = d->npmaps ?
		bsearch(&key, d->pmaps, d->npmaps, sizeof(key), cmp_pmaps) : NULL;

	*n = m ? (p->map_count < PS_MAX_MAPS ? p->map_count : PS_MAX_MAPS) : 0;
	return m ? m->ids : NULL;
}

/* "memlock:\t123" of our fd @fd: 0 when absent. */
static uint64_t fdinfo_memlock(int fd)
{
	char path[64], buf[1024];
	const char *m;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	m = strstr(buf, "memlock:");
	return m ? strtoull(m + 8, NULL, 10) : 0;
}

/* Wall-clock seconds of a boot-clock load time. */
static uint64_t epoch_of_boot(uint64_t boot_ns)
{
	struct timespec real, boot;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	int64_t d = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000LL +
		    (real.tv_nsec - boot.tv_nsec);

	return (uint64_t)(((int64_t)boot_ns + d) / 1000000000LL);
}

/* GET_INFO figures of one program, its map ids into @map_ids; 1 when it
 * vanished or changed. */
static int fetch_info(struct ps_prog *p, __u32 *map_ids)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(p->id), err = 0;
	char tag[17];

	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = PS_MAX_MAPS;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = errno == ENOENT ? 1 : -errno;
		goto out;
	}
	tk_prog_tag_hex(info.tag, tag);
	if (strcmp(tag, p->tag)) {
		err = 1;   /* the id names another program now */
		goto out;
	}
	p->bytes_xlated = info.xlated_prog_len;
	p->bytes_jited = info.jited_prog_len;
	p->verified_insns = info.verified_insns;
	p->uid = info.created_by_uid;
	p->loaded_at = epoch_of_boot(info.load_time);
	p->map_count = info.nr_map_ids;
	p->bytes_memlock = fdinfo_memlock(fd);
	p->info_ok = true;
out:
	close(fd);
	return err;
}

/* One map's memlock by id, through a small sorted cache kept for a pass. */
struct map_mem {
	__u32 id;
	uint64_t memlock;
};

static int cmp_map(const void *a, const void *b)
{
	const struct map_mem *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct map_mem *map_find(struct map_mem *v, size_t n, __u32 id)
{
	struct map_mem key = { id, 0 };

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_map) : NULL;
}

/* Every distinct map of @cur's programs, its memlock read once; kept in @d. */
static int fill_maps(struct ps_details *d, struct ps_snap *cur)
{
	struct map_mem *v = NULL;
	size_t n = 0, cap = 0, u = 0;

	for (size_t i = 0; i < cur->n; i++) {
		size_t k;
		const __u32 *ids = maps_of(d, &cur->v[i], &k);

		if (tk_grow((void **)&v, &cap, (n + k + 1) * sizeof(*v), 256 * sizeof(*v))) {
			free(v);
			return -ENOMEM;
		}
		for (size_t j = 0; j < k; j++)
			v[n++] = (struct map_mem){ ids[j], 0 };
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_map);
	for (size_t i = 0; i < n; i++)
		if (!u || v[u - 1].id != v[i].id)
			v[u++] = v[i];
	for (size_t i = 0; i < u; i++) {
		int fd = bpf_map_get_fd_by_id(v[i].id);

		if (fd < 0)
			continue;
		v[i].memlock = fdinfo_memlock(fd);
		close(fd);
	}
	for (size_t i = 0; i < cur->n; i++) {
		struct ps_prog *p = &cur->v[i];
		size_t k;
		const __u32 *ids = maps_of(d, p, &k);

		p->map_memlock = 0;
		for (size_t j = 0; j < k; j++) {
			struct map_mem *m = map_find(v, u, ids[j]);

			if (m)
				p->map_memlock += m->memlock;
		}
	}
	free(d->maps);
	d->maps = v;
	d->nmaps = u;
	return 0;
}

/* The GET_INFO figures of @cur's programs: kept from @prev where it has them. */
static int fill_info(struct ps_details *d, struct ps_snap *cur, const struct ps_snap *prev)
{
	struct ps_prog_maps *v = cur->n ? calloc(cur->n, sizeof(*v)) : NULL;

	if (cur->n && !v)
		return -ENOMEM;
	for (size_t i = 0; i < cur->n; i++) {
		struct ps_prog *p = &cur->v[i];
		const struct ps_prog *old = ps_snap_find(prev, p->id);
		bool keep = old && old->info_ok && !strcmp(old->tag, p->tag);
		const __u32 *old_ids = NULL;
		size_t k = 0;
		int err;

		v[i].id = p->id;
		if (keep)
			old_ids = maps_of(d, old, &k);
		if (keep && (old_ids || !old->map_count)) {
			p->info_ok = true;
			p->bytes_xlated = old->bytes_xlated;
			p->bytes_jited = old->bytes_jited;
			p->verified_insns = old->verified_insns;
			p->uid = old->uid;
			p->loaded_at = old->loaded_at;
			p->map_count = old->map_count;
			p->bytes_memlock = old->bytes_memlock;
			p->map_memlock = old->map_memlock;
			if (k)
				memcpy(v[i].ids, old_ids, k * sizeof(*old_ids));
			continue;
		}
		err = fetch_info(p, v[i].ids);
		if (err < 0) {
			free(v);
			return err;   /* vanished programs keep zeros */
		}
	}
	free(d->pmaps);
	d->pmaps = v;
	d->npmaps = cur->n;
	return 0;
}

static void fill_derived(struct ps_snap *cur, int ncpu, bool once)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < cur->n; i++)
		sum = tk_sat_add_u64(sum, once ? cur->v[i].nsecs : cur->v[i].d_nsecs);
	for (size_t i = 0; i < cur->n; i++) {
		struct ps_prog *p = &cur->v[i];

		p->cpu_pct_norm = ncpu > 0 ? p->cpu_pct / ncpu : 0;
		p->bpf_share_pct = tk_ratio((double)(once ? p->nsecs : p->d_nsecs) * 100.0, (double)sum);
	}
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @q (0..100) of the sorted @v[n]. */
static double rank(const double *v, size_t n, double q)
{
	size_t k = (size_t)((q / 100.0) * (double)n + 0.999999);

	return v[k ? k - 1 : 0];
}

static void hist_apply(struct ps_hist *h, struct ps_prog *p, bool fresh)
{
	double s[PS_HIST_LEN];

	if (fresh) {
		memset(h, 0, sizeof(*h));
		h->id = p->id;
		memcpy(h->tag, p->tag, sizeof(h->tag));
		h->base_cnt = p->cnt;
		h->base_nsecs = p->nsecs;
	} else if (p->d_cnt) {
		double v = p->period_ns_per_call;

		if (!h->total || v < h->min)
			h->min = v;
		if (!h->total || v > h->max)
			h->max = v;
		h->total++;
		h->ring[h->next] = v;
		h->next = (h->next + 1) % PS_HIST_LEN;
		if (h->n < PS_HIST_LEN)
			h->n++;
	}
	p->base_cnt = h->base_cnt;
	p->base_nsecs = h->base_nsecs;
	p->since_cnt = tk_sat_sub_u64(p->cnt, h->base_cnt);
	p->since_nsecs = tk_sat_sub_u64(p->nsecs, h->base_nsecs);
	p->since_ns_per_call = tk_ratio((double)p->since_nsecs, (double)p->since_cnt);
	p->npc_samples = h->total;
	if (!h->n)
		return;
	memcpy(s, h->ring, h->n * sizeof(*s));
	qsort(s, h->n, sizeof(*s), cmp_dbl);
	p->npc_min = h->min;
	p->npc_max = h->max;
	p->npc_p50 = rank(s, h->n, 50);
	p->npc_p99 = rank(s, h->n, 99);
}

/* Merge the rings (ascending by id) with the pass: new ones start, gone ones go. */
static int fill_hist(struct ps_details *d, struct ps_snap *cur)
{
	struct ps_hist *v = NULL;
	size_t cap = 0, j = 0;

	if (cur->n && tk_grow((void **)&v, &cap, cur->n * sizeof(*v), cur->n * sizeof(*v)))
		return -ENOMEM;
	for (size_t i = 0; i < cur->n; i++) {
		struct ps_prog *p = &cur->v[i];
		bool fresh;

		while (j < d->nhist && d->hist[j].id < p->id)
			j++;
		fresh = !(j < d->nhist && d->hist[j].id == p->id &&
			  !strcmp(d->hist[j].tag, p->tag));
		if (!fresh)
			v[i] = d->hist[j];
		hist_apply(&v[i], p, fresh);
	}
	free(d->hist);
	d->hist = v;
	d->nhist = cur->n;
	d->hist_cap = cap;
	return 0;
}

int ps_details_fill(struct ps_details *d, struct ps_snap *cur, const struct ps_snap *prev,
		    unsigned need, bool once)
{
	int err = 0;

	if (need & PS_NEED_DERIVED) {
		if (!d->ncpu)
			d->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
		fill_derived(cur, d->ncpu, once);
	}
	if ((need & PS_NEED_HIST) && (err = fill_hist(d, cur)))
		return err;
	if ((need & (PS_NEED_INFO | PS_NEED_MAPS)) && (err = fill_info(d, cur, prev)))
		return err;
	if ((need & PS_NEED_MAPS) && (err = fill_maps(d, cur)))
		return err;
	if ((need & PS_NEED_LINKS) && (err = ps_links_refresh(&d->links)))
		return err;
	if ((need & PS_NEED_PINS) && (err = ps_pins_refresh(&d->pins)))
		return err;
	if (need & PS_NEED_LINKS)
		for (size_t i = 0; i < cur->n; i++) {
			const struct ps_link *v[PS_MAX_LINKS];
			struct ps_prog *p = &cur->v[i];

			p->link_count = (uint32_t)ps_links_for(&d->links, p->id, p->btf_id,
							       p->type == BPF_PROG_TYPE_STRUCT_OPS, v, PS_MAX_LINKS);
		}
	return 0;
}

void ps_details_totals(const struct ps_details *d, const struct ps_view *view, struct ps_wide *w)
{
	struct map_mem *v = NULL;
	size_t n = 0, cap = 0;

	w->maps_total = w->maps_memlock_total = 0;
	for (size_t i = 0; i < view->n; i++) {
		size_t k;
		const __u32 *ids = maps_of(d, view->v[i], &k);

		if (tk_grow((void **)&v, &cap, (n + k + 1) * sizeof(*v), 256 * sizeof(*v)))
			goto out;
		for (size_t j = 0; j < k; j++)
			v[n++] = (struct map_mem){ ids[j], 0 };
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_map);
	for (size_t i = 0; i < n; i++)
		if (!i || v[i - 1].id != v[i].id) {
			const struct map_mem *m = map_find(d->maps, d->nmaps, v[i].id);

			w->maps_total++;
			w->maps_memlock_total += m ? m->memlock : 0;
		}
out:
	free(v);
}

void ps_details_free(struct ps_details *d)
{
	ps_links_free(&d->links);
	ps_pins_free(&d->pins);
	free(d->hist);
	free(d->maps);
	free(d->pmaps);
	memset(d, 0, sizeof(*d));
}
