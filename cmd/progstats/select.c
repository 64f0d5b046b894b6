// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a progstats pass shows: the filters on collected data (--pid,
 * --comm, --name-re, --where), thresholds, sort, --group, --top, and the
 * printer for the chosen form (run.h).
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "escape.h"
#include "output.h"
#include "run.h"
#include "textfile.h"

static double sort_val(const struct ps_prog *p, int key)
{
	switch (key) {
	case S_CNT: return (double)p->cnt;
	case S_NSECS: return (double)p->nsecs;
	case S_MISSES: return (double)p->misses;
	case S_NPC: return p->ns_per_call;
	case S_PNPC: return p->period_ns_per_call;
	case S_EPS: return p->events_per_sec;
	case S_MR: return p->miss_rate;
	default: return p->cpu_pct;
	}
}

static int cmp_prog(const void *a, const void *b)
{
	const struct ps_prog *x = *(const struct ps_prog *const *)a;
	const struct ps_prog *y = *(const struct ps_prog *const *)b;
	int c = 0;

	if (ps_env.sortspec.n)
		return ps_sort_cmp(&ps_env.sortspec, x, y);
	switch (ps_env.sort) {
	case S_ID:
		break;
	case S_NAME:
		c = strcmp(x->name, y->name);
		break;
	case S_TYPE:
		c = x->type < y->type ? -1 : x->type > y->type;
		break;
	default: {
		double vx = sort_val(x, ps_env.sort), vy = sort_val(y, ps_env.sort);

		c = vx > vy ? -1 : vx < vy;  /* numbers: largest first */
	}
	}
	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

/* A legacy numeric key: sort_val() largest first, then by id. */
static bool numeric_key(void)
{
	return !ps_env.sortspec.n && ps_env.sort != S_ID && ps_env.sort != S_NAME &&
	       ps_env.sort != S_TYPE;
}

static const struct ps_prog **zero;   /* sort_view()'s scratch */
static size_t zero_cap;

/*
 * qsort() of the view by cmp_prog(), in fewer steps where the order is
 * known: the view comes in id order (passes ascend by id), so by --sort id
 * it is sorted, and by a numeric key its programs whose key is 0 (in a
 * pass of idle programs, most) end it in the order they have; only the
 * others are sorted, then the zeros follow.  A negative or NaN key: all of it.
 */
static void sort_view(struct ps_view *view)
{
	size_t nz = 0, n = 0, i;

	if (!ps_env.sortspec.n && ps_env.sort == S_ID)
		return;
	for (i = 0; numeric_key() && i < view->n; i++)
		if (!(sort_val(view->v[i], ps_env.sort) >= 0))
			break;
	if (!numeric_key() || i < view->n ||
	    tk_grow((void **)&zero, &zero_cap, view->n * sizeof(*zero), 0)) {
		qsort(view->v, view->n, sizeof(*view->v), cmp_prog);
		return;
	}
	for (i = 0; i < view->n; i++) {
		if (sort_val(view->v[i], ps_env.sort) == 0)
			zero[nz++] = view->v[i];
		else
			view->v[n++] = view->v[i];
	}
	memcpy(view->v + n, zero, nz * sizeof(*zero));
	if (n > 1)
		qsort(view->v, n, sizeof(*view->v), cmp_prog);
}

/* Name a breach once per program and threshold; returns true on a breach. */
static bool breach(struct ps_prog *p, unsigned bit, const char *metric, double val,
		   const char *opt, double limit)
{
	char name[PS_NAME_MAX * 4];

	if (p->flagged & bit)
		return true;
	p->flagged |= bit;
	tk_escape_visible(name, sizeof(name), p->name);
	fprintf(stderr, "progstats: threshold: program %u %s: %s %g breaks %s %g\n",
		p->id, name, metric, val, opt, limit);
	ps_emit_event("threshold", p);
	return true;
}

static bool check_thresholds(struct ps_prog *p)
{
	bool bad = false;
	/* Live runs judge the period just measured; --once judges the totals. */
	double npc = ps_env.once ? p->ns_per_call : p->period_ns_per_call;
	double mr = ps_env.once ? p->miss_rate : p->period_miss_rate;

	if ((ps_env.thresholds & PS_TH_NS) && npc > ps_env.max_ns)
		bad |= breach(p, PS_TH_NS, "ns_per_call", npc, "--max-ns-per-call", ps_env.max_ns);
	if ((ps_env.thresholds & PS_TH_MISS) && mr > ps_env.max_miss)
		bad |= breach(p, PS_TH_MISS, "miss_rate", mr, "--max-miss-rate", ps_env.max_miss);
	if ((ps_env.thresholds & PS_TH_EPS) && !p->is_new && p->period_ns &&
	    p->events_per_sec < ps_env.min_eps)
		bad |= breach(p, PS_TH_EPS, "events_per_sec", p->events_per_sec,
			      "--min-events-per-sec", ps_env.min_eps);
	return bad;
}

static struct ps_objs objs;
struct ps_tui *ps_screen;
struct ps_details ps_det;

/* Everything the asked-for fields, predicates and sort keys need collected. */
unsigned ps_need_mask(void)
{
	unsigned need = ps_env.wide.need;

	for (size_t i = 0; i < ps_env.where.n; i++)
		need |= ps_env.where.f[i]->need;
	for (size_t i = 0; i < ps_env.sortspec.n; i++)
		need |= ps_env.sortspec.key[i]->need;
	if (need & PS_NEED_MAPS)
		need |= PS_NEED_INFO;
	return need;
}

/* --comm: does a holder of @prog_id have a comm containing ps_env.comm? */
static bool comm_holds(const struct ps_pids *pids, __u32 prog_id)
{
	size_t first, n = ps_pids_of(pids, prog_id, &first);

	for (size_t i = 0; i < n; i++)
		if (strcasestr(pids->v[first + i].comm, ps_env.comm))
			return true;
	return false;
}

/* The filters on what the pass collected: --pid, --comm, --name-re, --where. */
static bool wanted(const struct ps_prog *p, const struct ps_pids *pids)
{
	if (ps_env.pid && !ps_pids_holds(pids, p->id, ps_env.pid))
		return false;
	if (ps_env.comm && !comm_holds(pids, p->id))
		return false;
	if (ps_env.name_re_set && regexec(&ps_env.name_re, p->name, 0, NULL, 0))
		return false;
	return !ps_env.where.n || ps_where_match(&ps_env.where, p);
}

/* Filter by holder pid, check thresholds, sort, group, cut, print. */
int ps_report(struct ps_snap *cur, struct ps_view *view, const struct ps_pids *pids,
	      bool *breached)
{
	int err;

	view->n = 0;
	view->total = cur->n;
	for (size_t i = 0; i < cur->n; i++) {
		struct ps_prog *p = &cur->v[i];

		if (!wanted(p, pids))
			continue;
		if (ps_env.thresholds && check_thresholds(p))
			*breached = true;
		view->v[view->n++] = p;
	}
	if (view->n > 1)   /* view->v is NULL when nothing is loaded */
		sort_view(view);
	if (ps_env.group && (err = ps_objs_group(&objs, view, cmp_prog, ps_env.top))) {
		tk_error(NULL, "cannot group programs by object: %s", strerror(-err));
		return err;
	}
	if (!ps_env.group && ps_env.top && view->n > ps_env.top)
		view->n = ps_env.top;
	if (view->wide && (view->wide->need & PS_NEED_MAPS))
		ps_details_totals(&ps_det, view, &ps_env.wide);
	if (tk_textfile_active() && (err = ps_publish_textfile(view)))
		return err;
	if (ps_screen)
		return ps_tui_update(ps_screen, view);
	if (ps_env.oneline)
		return ps_print_oneline(view);
	switch (tk_out.fmt) {
	case TK_FMT_JSON:
		return ps_print_json(view);
	case TK_FMT_CSV:
		return ps_print_csv(view);
	case TK_FMT_PROM:
		return ps_print_prom(view);
	default:
		return ps_print_table(view);
	}
}

void ps_select_free(void)
{
	free(zero);
	zero = NULL;
	zero_cap = 0;
	ps_objs_free(&objs);
	ps_details_free(&ps_det);
}
