// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agg.c — read bpf/escalate_agg.h's maps: per-CPU values summed, rows of
 * the array (whole process, ids < AGG_IDS) and of the hashes (larger ids,
 * per-thread rows, histograms, errno counts) turned into esc_sc_table rows.
 * The layouts below mirror the BPF header.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "agg.h"
#include "buf.h"
#include "stats.h"

#define AGG_IDS 512
#define AGG_HIST 64
#define AGG_COMPAT 0x80000000u

struct agg_key {
	uint32_t id, tid, slot, err;
};
struct agg_val {
	uint64_t count, returned, errors, time_ns, min_inv, max_ns, sq_lo, sq_hi;
};
struct agg_hist {
	uint64_t b[AGG_HIST];
};

_Static_assert(ESC_SC_COMPAT == AGG_COMPAT, "compat bit differs from the BPF side");
_Static_assert(ESC_HIST_BUCKETS == AGG_HIST, "histogram size differs from the BPF side");

/* Sum @ncpus per-CPU values into a row (no key fields). */
static void sum_vals(const struct agg_val *pc, int ncpus, struct esc_sc_stat *s)
{
	uint64_t min_inv = 0;

	memset(s, 0, sizeof(*s));
	for (int c = 0; c < ncpus; c++) {
		const struct agg_val *v = &pc[c];

		s->count = tk_sat_add_u64(s->count, v->count);
		s->returned = tk_sat_add_u64(s->returned, v->returned);
		s->errors = tk_sat_add_u64(s->errors, v->errors);
		s->time_ns = tk_sat_add_u64(s->time_ns, v->time_ns);
		if (v->min_inv > min_inv)
			min_inv = v->min_inv;
		if (v->max_ns > s->max_ns)
			s->max_ns = v->max_ns;
		s->sq_ns += ((unsigned __int128)v->sq_hi << 64) | v->sq_lo;
	}
	s->min_ns = min_inv ? ~min_inv : UINT64_MAX;
}

static int drain_array(const struct esc_agg_maps *m, unsigned slot, struct esc_sc_table *t,
		       struct agg_val *pc)
{
	size_t sz = (size_t)m->ncpus * sizeof(*pc);

	for (uint32_t abi = 0; abi < 2; abi++) {
		for (uint32_t id = 0; id < AGG_IDS; id++) {
			uint32_t idx = ((slot << 1) | abi) * AGG_IDS + id;
			struct esc_sc_stat s;

			if (bpf_map_lookup_elem(m->arr, &idx, pc))
				return -errno;
			sum_vals(pc, m->ncpus, &s);
			if (!s.count && !s.returned)
				continue;
			memset(pc, 0, sz);
			if (bpf_map_update_elem(m->arr, &idx, pc, BPF_ANY))
				return -errno;
			s.nr = id | (abi ? AGG_COMPAT : 0);
			if (esc_sc_table_add(t, &s))
				return -ENOMEM;
		}
	}
	return 0;
}

/* The keys of hash @fd in slot @slot (all slots when @slot > 1). */
static int slot_keys(int fd, unsigned slot, struct agg_key **keys, size_t *n)
{
	struct agg_key key, *prev = NULL;
	size_t cap = 0;

	*keys = NULL;
	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		if (slot > 1 || key.slot == slot) {
			if (tk_grow((void **)keys, &cap, (*n + 1) * sizeof(**keys),
				    256 * sizeof(**keys)))
				return -ENOMEM;
			(*keys)[(*n)++] = key;
		}
		prev = &key;
	}
	return 0;
}

static int drain_over(const struct esc_agg_maps *m, unsigned slot, struct esc_sc_table *t,
		      struct agg_val *pc)
{
	struct agg_key *keys;
	size_t n;
	int err = slot_keys(m->over, slot, &keys, &n);

	for (size_t i = 0; !err && i < n; i++) {
		struct esc_sc_stat s;

		if (bpf_map_lookup_and_delete_elem(m->over, &keys[i], pc))
			continue;
		sum_vals(pc, m->ncpus, &s);
		s.nr = keys[i].id;
		s.tid = keys[i].tid;
		err = esc_sc_table_add(t, &s);
	}
	free(keys);
	return err;
}

/* Histograms as rows holding only the buckets (folded into their row later). */
static int drain_hists(const struct esc_agg_maps *m, unsigned slot, struct esc_sc_table *t)
{
	struct agg_hist *pc = calloc((size_t)m->ncpus, sizeof(*pc));
	struct agg_key *keys = NULL;
	size_t n = 0;
	int err = pc ? slot_keys(m->hists, slot, &keys, &n) : -ENOMEM;

	for (size_t i = 0; !err && i < n; i++) {
		struct esc_sc_stat s = { .nr = keys[i].id, .tid = keys[i].tid,
					 .min_ns = UINT64_MAX };

		if (bpf_map_lookup_and_delete_elem(m->hists, &keys[i], pc))
			continue;
		for (int c = 0; c < m->ncpus; c++)
			for (int b = 0; b < AGG_HIST; b++)
				s.hist[b] = tk_sat_add_u64(s.hist[b], pc[c].b[b]);
		err = esc_sc_table_add(t, &s);
	}
	free(keys);
	free(pc);
	return err;
}

static int drain_errs(const struct esc_agg_maps *m, unsigned slot, struct esc_sc_table *t)
{
	struct agg_key *keys;
	size_t n;
	int err = slot_keys(m->errs, slot, &keys, &n);

	for (size_t i = 0; !err && i < n; i++) {
		struct esc_sc_errno e = { .nr = keys[i].id, .tid = keys[i].tid,
					  .err = keys[i].err };

		if (bpf_map_lookup_and_delete_elem(m->errs, &keys[i], &e.count))
			continue;
		err = esc_sc_table_add_errno(t, &e);
	}
	free(keys);
	return err;
}

int esc_agg_drain(const struct esc_agg_maps *m, unsigned slot, struct esc_sc_table *t)
{
	struct agg_val *pc = calloc((size_t)m->ncpus, sizeof(*pc));
	int err;

	if (!pc)
		return -ENOMEM;
	err = drain_array(m, slot & 1, t, pc);
	if (!err)
		err = drain_over(m, slot & 1, t, pc);
	if (!err)
		err = drain_hists(m, slot & 1, t);
	if (!err)
		err = drain_errs(m, slot & 1, t);
	free(pc);
	return err;
}

static void clear_hash(int fd)
{
	struct agg_key *keys;
	size_t n;

	if (!slot_keys(fd, 2, &keys, &n))
		for (size_t i = 0; i < n; i++)
			bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

int esc_agg_reset(const struct esc_agg_maps *m)
{
	struct agg_val *pc = calloc((size_t)m->ncpus, sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	for (uint32_t idx = 0; idx < 4 * AGG_IDS; idx++) {
		if (bpf_map_update_elem(m->arr, &idx, pc, BPF_ANY)) {
			free(pc);
			return -errno;
		}
	}
	free(pc);
	clear_hash(m->over);
	clear_hash(m->hists);
	clear_hash(m->errs);
	return 0;
}

/*
 * The programs read the slot number and update the maps inside one RCU
 * read-side section (the BPF tracepoint runner); MEMBARRIER_CMD_GLOBAL is
 * a synchronize_rcu().  Where membarrier is refused (nohz_full), wait a
 * generous 20 ms: a program runs for microseconds.
 */
void esc_agg_quiesce(void)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(20000);
}
