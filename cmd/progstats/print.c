// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* progstats: the output forms, one printer per format. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "bpfutil.h"
#include "clock.h"
#include "escape.h"
#include "output.h"
#include "progstats.h"
#include "prom.h"
#include "recw.h"
#include "table.h"
#include "textfile.h"

static const char *type_name(const struct ps_prog *p, char *buf, size_t size)
{
	return tk_prog_type_name(p->type, buf, size);
}

/* bpftop's rule: under 1 % show down to the first non-zero digit. */
static void fmt_pct(char *buf, size_t size, double v)
{
	int digits = 2;

	if (v > 0 && v < 1)
		for (digits = 1; digits < 6 && v * pow(10, digits) < 1; digits++)
			;
	if (v == 0)
		snprintf(buf, size, "0");
	else
		snprintf(buf, size, "%.*f", digits, v);
}

/* "comm(pid),comm(pid)" of the holders of @p, escaped by the table/records. */
static void fmt_pids(const struct ps_view *view, const struct ps_prog *p, char *buf, size_t size)
{
	size_t first, n = ps_pids_of(view->pids, p->id, &first), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		const struct progstats_pid_entry *e = &view->pids->v[first + i];
		int k = snprintf(buf + off, size - off, "%s%s(%u)", i ? "," : "", e->comm, e->pid);

		if (k < 0)
			break;
		off += (size_t)k;
	}
}

static void clock_str(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
}

static const struct tk_table_col cols_period[] = {
	{ "ID", true, 0 }, { "TYPE", false, 14 }, { "NAME", false, 20 },
	{ "AVG_NS", true, 0 }, { "TOTAL_NS", true, 0 }, { "EVENTS/S", true, 0 },
	{ "CPU%", true, 0 }, { "MISSES", true, 0 },
};
static const struct tk_table_col cols_once[] = {
	{ "ID", true, 0 }, { "TYPE", false, 14 }, { "NAME", false, 20 },
	{ "CNT", true, 0 }, { "TIME_NS", true, 0 }, { "NS/CALL", true, 0 },
	{ "MISSES", true, 0 }, { "MISS%", true, 0 },
};
static const struct tk_table_col col_share = { "SHARE%", true, 0 };
static const struct tk_table_col col_pids = { "PIDS", false, 22 };
#define NCOLS 8   /* before SHARE% (--group) and PIDS (--pids) */

/* One row: a program, or an object's sums (@g; @p is then &g->sum). */
struct row {
	const struct ps_prog *p;
	const struct ps_obj *g;      /* the object row */
	const struct ps_obj *of;     /* the program's object, with --group */
};

static int table_row(struct tk_table *t, const struct ps_view *view, const struct row *r)
{
	const struct ps_prog *p = r->p;
	char tbuf[32], pct[32], pids[256];
	size_t col = NCOLS;
	int err = tk_table_row(t);

	if (err)
		return err;
	if (r->g) {
		tk_table_cell(t, 0, "obj");
		tk_table_cell(t, 1, "%s", r->g->mixed ? "mixed" : type_name(p, tbuf, sizeof(tbuf)));
		tk_table_cell(t, 2, "%s", p->name);
	} else {
		tk_table_cell(t, 0, "%u", p->id);
		tk_table_cell(t, 1, "%s", type_name(p, tbuf, sizeof(tbuf)));
		tk_table_cell(t, 2, "%s%s", r->of ? "  " : "", p->name);
	}
	if (view->once) {
		fmt_pct(pct, sizeof(pct), p->miss_rate * 100);
		tk_table_cell(t, 3, "%llu", (unsigned long long)p->cnt);
		tk_table_cell(t, 4, "%llu", (unsigned long long)p->nsecs);
		tk_table_cell(t, 5, "%.0f", p->ns_per_call);
		tk_table_cell(t, 6, "%llu", (unsigned long long)p->misses);
		tk_table_cell(t, 7, "%s", pct);
	} else {
		fmt_pct(pct, sizeof(pct), p->cpu_pct);
		tk_table_cell(t, 3, "%.0f", p->period_ns_per_call);
		tk_table_cell(t, 4, "%.0f", p->ns_per_call);
		tk_table_cell(t, 5, "%.0f", p->events_per_sec);
		tk_table_cell(t, 6, "%s", pct);
		tk_table_cell(t, 7, "%llu", (unsigned long long)p->d_misses);
	}
	if (view->objs && r->of) {
		fmt_pct(pct, sizeof(pct), ps_obj_share(p, &r->of->sum, !view->once));
		tk_table_cell(t, col, "%s", pct);
	}
	col += view->objs != NULL;
	if (view->pids && !r->g) {
		fmt_pids(view, p, pids, sizeof(pids));
		tk_table_cell(t, col, "%s", pids);
	}
	col += view->pids != NULL;
	for (size_t i = 0; view->wide && !r->g && i < view->wide->n; i++) {
		char cell[1024];

		ps_wide_cell(view->wide, view->wide->f[i], p, cell, sizeof(cell));
		tk_table_cell(t, col + i, "%s", cell);
	}
	return 0;
}

/* The rows in print order: with --group each object, then its programs. */
static int table_rows(struct tk_table *t, const struct ps_view *view)
{
	int err = 0;

	if (!view->objs) {
		for (size_t i = 0; i < view->n && !err; i++)
			err = table_row(t, view, &(struct row){ view->v[i], NULL, NULL });
		return err;
	}
	for (size_t g = 0; g < view->nobjs && !err; g++) {
		const struct ps_obj *o = &view->objs[g];

		err = table_row(t, view, &(struct row){ &o->sum, o, NULL });
		for (size_t i = o->first; i < o->first + o->n && !err; i++)
			err = table_row(t, view, &(struct row){ view->v[i], NULL, o });
	}
	return err;
}

/* " holders=comm(pid),..." and --wide's map totals, after stats=. */
static void header_more(const struct ps_view *view, char *buf, size_t size)
{
	char who[512], vis[sizeof(who) * 4];
	int n = 0;

	buf[0] = '\0';
	if (view->holders && view->holders->n) {
		ps_holders_format(view->holders, who, sizeof(who));
		tk_escape_visible(vis, sizeof(vis), who);
		n = snprintf(buf, size, " holders=%s", vis);
	}
	if (n >= 0 && (size_t)n < size && view->wide && (view->wide->need & PS_NEED_MAPS))
		snprintf(buf + n, size - (size_t)n, " maps=%llu map_memlock=%llu",
			 (unsigned long long)view->wide->maps_total,
			 (unsigned long long)view->wide->maps_memlock_total);
}

static void print_header(const struct ps_view *view, FILE *f)
{
	char now[16], objs[32] = "", more[2560];

	clock_str(now, sizeof(now));
	header_more(view, more, sizeof(more));
	if (view->objs)
		snprintf(objs, sizeof(objs), " objects=%zu", view->nobjs);
	if (view->once)
		fprintf(f, "progstats %s programs=%zu shown=%zu%s cumulative=yes stats=%s%s%s\n",
			now, view->total, view->n, objs, view->stats, more,
			strcmp(view->stats, "not_enabled") ? "" :
			" note=\"counters move only while run-time stats are enabled\"");
	else
		fprintf(f, "%sprogstats %s sample=%llu programs=%zu shown=%zu%s period=%.3fs stats=%s%s\n",
			view->seq > 1 ? "\n" : "", now, (unsigned long long)view->seq, view->total, view->n,
			objs, (double)view->period_ns / 1e9, view->stats, more);
}

int ps_print_table(const struct ps_view *view)
{
	struct tk_table_col cols[NCOLS + 2 + 64];
	size_t ncols = NCOLS;
	FILE *f = tk_out.out;
	struct tk_table *t;
	int err;

	if (view->wide && view->wide->only && !view->objs) {
		print_header(view, f);
		err = ps_wide_table(view, f);
		return err ? err : tk_flush();
	}

	/*
	 * Full names fit without the PIDS column; with it NAME gets 14, keeping
	 * a row under 100 columns with 7-digit ids and 8-digit numbers.
	 */
	memcpy(cols, view->once ? cols_once : cols_period, NCOLS * sizeof(cols[0]));
	cols[2].max_width = view->pids ? 14 : 32;
	if (view->objs)
		cols[ncols++] = col_share;
	if (view->pids)
		cols[ncols++] = col_pids;
	if (view->wide) {
		ps_wide_cols(view->wide, cols + ncols);
		ncols += view->wide->n;
	}
	t = tk_table_new(cols, ncols);
	if (!t)
		return -ENOMEM;
	err = table_rows(t, view);
	print_header(view, f);
	tk_table_print(t, f, true);
	tk_table_free(t);
	return err ? err : tk_flush();
}

void ps_format_oneline(const struct ps_prog *p, char *buf, size_t size)
{
	char name[PS_NAME_MAX * 4];
	int n;

	tk_escape_visible(name, sizeof(name), p->name);
	n = snprintf(buf, size, "%s: cnt=%llu nsecs=%llu misses=%llu", name,
		     (unsigned long long)p->cnt, (unsigned long long)p->nsecs,
		     (unsigned long long)p->misses);
	if (n < 0 || (size_t)n >= size)
		return;
	/* Guards from the seed: no ns/call without calls, no rate without attempts. */
	if (p->cnt)
		n += snprintf(buf + n, size - n, " ns/call=%.1f", p->ns_per_call);
	if ((size_t)n < size && (p->cnt || p->misses))
		snprintf(buf + n, size - n, " miss_rate=%.6f", p->miss_rate);
}

int ps_print_oneline(const struct ps_view *view)
{
	char line[1024];

	if (!view->objs) {
		for (size_t i = 0; i < view->n; i++) {
			ps_format_oneline(view->v[i], line, sizeof(line));
			fprintf(tk_out.out, "%s\n", line);
		}
		return tk_flush();
	}
	/* "obj NAME: sums", then "  program: counters share_pct=S" */
	for (size_t g = 0; g < view->nobjs; g++) {
		const struct ps_obj *o = &view->objs[g];

		ps_format_oneline(&o->sum, line, sizeof(line));
		fprintf(tk_out.out, "obj %s\n", line);
		for (size_t i = o->first; i < o->first + o->n; i++) {
			ps_format_oneline(view->v[i], line, sizeof(line));
			fprintf(tk_out.out, "  %s share_pct=%.2f\n", line,
				ps_obj_share(view->v[i], &o->sum, false));
		}
	}
	return tk_flush();
}

static void rec_prog_ids(struct tk_recw *rec, const struct ps_prog *p)
{
	char tbuf[32];

	tk_recw_u64(rec, "id", p->id);
	tk_recw_str(rec, "prog_type", type_name(p, tbuf, sizeof(tbuf)));
	tk_recw_str(rec, "name", p->name);
	tk_recw_str(rec, "tag", p->tag);
}

static struct json_object *pids_array(const struct ps_view *view, const struct ps_prog *p)
{
	struct json_object *a = json_object_new_array();
	size_t first, n = ps_pids_of(view->pids, p->id, &first);

	for (size_t i = 0; a && i < n; i++) {
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		json_object_object_add(o, "pid", json_object_new_int64(view->pids->v[first + i].pid));
		json_object_object_add(o, "comm", tk_json_str(view->pids->v[first + i].comm));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *holders_array(const struct ps_holders *h)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < h->n; i++) {
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		json_object_object_add(o, "pid", json_object_new_int64(h->v[i].pid));
		json_object_object_add(o, "comm", tk_json_str(h->v[i].comm));
		json_object_array_add(a, o);
	}
	return a;
}

static void rec_counters(struct tk_recw *rec, const struct ps_prog *p)
{
	tk_recw_u64(rec, "cnt", p->cnt);
	tk_recw_u64(rec, "nsecs", p->nsecs);
	tk_recw_u64(rec, "misses", p->misses);
	tk_recw_dbl(rec, "ns_per_call", p->ns_per_call);
	tk_recw_dbl(rec, "miss_rate", p->miss_rate);
}

static void rec_period(struct tk_recw *rec, const struct ps_prog *p)
{
	tk_recw_u64(rec, "period_cnt", p->d_cnt);
	tk_recw_u64(rec, "period_nsecs", p->d_nsecs);
	tk_recw_u64(rec, "period_misses", p->d_misses);
	tk_recw_dbl(rec, "period_ns_per_call", p->period_ns_per_call);
	tk_recw_dbl(rec, "period_miss_rate", p->period_miss_rate);
	tk_recw_dbl(rec, "events_per_sec", p->events_per_sec);
	tk_recw_dbl(rec, "cpu_pct", p->cpu_pct);
}

void ps_fill_sample(struct tk_recw *rec, const struct ps_view *view,
		    const struct ps_prog *p, const struct ps_obj *of)
{
	tk_recw_restamp(rec);
	tk_recw_u64(rec, "seq", view->seq);
	rec_prog_ids(rec, p);
	rec_counters(rec, p);
	tk_recw_u64(rec, "period_ns", p->period_ns);
	rec_period(rec, p);
	tk_recw_bool(rec, "new", p->is_new && !view->once);
	tk_recw_str(rec, "stats", view->stats);
	if (view->holders && view->holders->n)
		tk_recw_obj(rec, "stats_holders", holders_array(view->holders));
	if (view->pids)
		tk_recw_obj(rec, "pids", pids_array(view, p));
	if (view->wide)
		ps_wide_json(rec, view->wide, p);
	if (of) {
		tk_recw_str(rec, "obj", of->name);
		tk_recw_u64(rec, "obj_btf_id", of->btf_id);
		tk_recw_dbl(rec, "obj_share_pct", ps_obj_share(p, &of->sum, false));
		tk_recw_dbl(rec, "obj_period_share_pct", ps_obj_share(p, &of->sum, true));
	}
	if (view->duty > 0) {
		tk_recw_bool(rec, "sampled", true);
		tk_recw_dbl(rec, "stats_duty", view->duty);
		tk_recw_u64(rec, "stats_on_ns", p->on_ns);
	}
}

/*
 * @fn with @p's sample record as json-c (CSV, --save, --baseline: not per
 * tick), *@j refilled from one program to the next.
 */
static int call_with_json(struct tk_recw *rec, struct json_object **j, const struct ps_view *view,
			  const struct ps_prog *p, const struct ps_obj *of, ps_sample_fn fn, void *ctx)
{
	ps_fill_sample(rec, view, p, of);
	*j = tk_recw_to_json(rec, *j);
	return fn(*j, p, ctx);
}

int ps_foreach_sample(const struct ps_view *view, ps_sample_fn fn, void *ctx)
{
	struct tk_recw *rec = tk_recw_new("sample");
	struct json_object *j = NULL;
	int err = 0;

	for (size_t i = 0; i < view->n && !view->objs && !err; i++)
		err = call_with_json(rec, &j, view, view->v[i], NULL, fn, ctx);
	for (size_t g = 0; g < view->nobjs && view->objs && !err; g++) {
		const struct ps_obj *o = &view->objs[g];

		for (size_t i = o->first; i < o->first + o->n && !err; i++)
			err = call_with_json(rec, &j, view, view->v[i], o, fn, ctx);
	}
	json_object_put(j);
	tk_recw_free(rec);
	return err;
}

/* The "group" record of one object: its programs' counters summed. */
static int emit_group(const struct ps_view *view, const struct ps_obj *o)
{
	struct tk_recw *rec = tk_recw_new("group");
	struct json_object *ids = json_object_new_array();
	char tbuf[32];
	int err;

	tk_recw_u64(rec, "seq", view->seq);
	tk_recw_str(rec, "group", "obj");
	tk_recw_str(rec, "obj", o->name);
	tk_recw_u64(rec, "obj_btf_id", o->btf_id);
	tk_recw_str(rec, "obj_from", o->from);
	tk_recw_str(rec, "prog_type", o->mixed ? "mixed" : type_name(&o->sum, tbuf, sizeof(tbuf)));
	tk_recw_u64(rec, "progs", o->n);
	for (size_t i = o->first; ids && i < o->first + o->n; i++)
		json_object_array_add(ids, json_object_new_int64(view->v[i]->id));
	tk_recw_obj(rec, "ids", ids);
	rec_counters(rec, &o->sum);
	rec_period(rec, &o->sum);
	tk_recw_str(rec, "stats", view->stats);
	err = tk_recw_emit(rec);
	tk_recw_free(rec);
	return err;
}

int ps_print_json(const struct ps_view *view)
{
	static struct tk_recw *rec;
	int err = 0, flushed;

	/* one record kept for the run, refilled per program (recw.h) */
	if (!rec)
		rec = tk_recw_new("sample");
	tk_output_hold();   /* one sample, one write: flushed at the end of the pass */
	if (!view->objs)
		for (size_t i = 0; i < view->n && !err; i++) {
			ps_fill_sample(rec, view, view->v[i], NULL);
			err = tk_recw_emit(rec);
		}
	for (size_t g = 0; g < view->nobjs && view->objs && !err; g++) {
		const struct ps_obj *o = &view->objs[g];

		err = emit_group(view, o);
		for (size_t i = o->first; i < o->first + o->n && !err; i++) {
			ps_fill_sample(rec, view, view->v[i], o);
			err = tk_recw_emit(rec);
		}
	}
	flushed = tk_output_release();
	return err ? err : flushed;
}

int ps_emit_event(const char *what, const struct ps_prog *p)
{
	struct tk_recw *rec;
	int err;

	if (tk_out.fmt != TK_FMT_JSON)
		return 0;
	rec = tk_recw_new("event");
	tk_recw_str(rec, "event", what);
	rec_prog_ids(rec, p);
	err = tk_recw_emit(rec);
	tk_recw_free(rec);
	return err;
}

/*
 * Prometheus: metric-major, so each family's samples stay together.  Names
 * follow telkit-json(7): base units (seconds, ratios), counters end in _total.
 */
struct prom_metric {
	const char *name, *help, *type;
	bool period;
	double scale;                /* JSON value x scale = the base unit */
	double (*get)(const struct ps_prog *p);
	const char *obj_help;        /* the object family (telkit_bpf_obj_...) */
};

static double m_cnt(const struct ps_prog *p) { return (double)p->cnt; }
static double m_nsecs(const struct ps_prog *p) { return (double)p->nsecs; }
static double m_misses(const struct ps_prog *p) { return (double)p->misses; }
static double m_npc(const struct ps_prog *p) { return p->ns_per_call; }
static double m_mr(const struct ps_prog *p) { return p->miss_rate; }
static double m_pnpc(const struct ps_prog *p) { return p->period_ns_per_call; }
static double m_eps(const struct ps_prog *p) { return p->events_per_sec; }
static double m_cpu(const struct ps_prog *p) { return p->cpu_pct; }

static const struct prom_metric metrics[] = {
	{ "telkit_bpf_prog_runs_total", "Program runs counted while run-time stats were on (run_cnt)", "counter", false, 1, m_cnt,
	  "Runs of the object's programs, summed (run_cnt)" },
	{ "telkit_bpf_prog_run_time_seconds_total", "Program run time while run-time stats were on (run_time_ns), in seconds", "counter", false, 1e-9, m_nsecs,
	  "Run time of the object's programs, summed (run_time_ns), in seconds" },
	{ "telkit_bpf_prog_recursion_misses_total", "Runs skipped by the recursion guard", "counter", false, 1, m_misses,
	  "Runs of the object's programs skipped by the recursion guard, summed" },
	{ "telkit_bpf_prog_run_time_per_run_seconds", "run_time_ns / run_cnt in seconds (0 when run_cnt is 0)", "gauge", false, 1e-9, m_npc,
	  "Summed run_time_ns / summed run_cnt in seconds (0 when run_cnt is 0)" },
	{ "telkit_bpf_prog_miss_ratio", "misses / (run_cnt + misses) (0 when both are 0)", "gauge", false, 1, m_mr,
	  "Summed misses / (summed run_cnt + misses) (0 when both are 0)" },
	{ "telkit_bpf_prog_period_run_time_per_run_seconds", "Average run time per run over the last period, in seconds", "gauge", true, 1e-9, m_pnpc,
	  "Average run time per run of the object's programs over the last period, in seconds" },
	{ "telkit_bpf_prog_runs_per_second", "Runs per second over the last period", "gauge", true, 1, m_eps,
	  "Runs per second of the object's programs over the last period, summed" },
	{ "telkit_bpf_prog_cpu_ratio", "Run time over the last period, share of one CPU (1 = one CPU busy)", "gauge", true, 0.01, m_cpu,
	  "Run time of the object's programs over the last period, share of one CPU, summed" },
};
#define NMETRICS TK_ARRAY_SIZE(metrics)

static double scaled(const struct prom_metric *m, const struct ps_prog *p)
{
	struct tk_prom_family fam = { .scale = m->scale };

	return tk_prom_scale(&fam, m->get(p));
}
#define PROG_PFX "telkit_bpf_prog_"

/* --group: the telkit_bpf_obj_* families and each program's share. */
static void prom_objs(FILE *f, const struct ps_view *view)
{
	char name[64], btf[16], id[16], tbuf[32];

	for (size_t m = 0; m < NMETRICS; m++) {
		if (metrics[m].period && view->once)
			continue;
		snprintf(name, sizeof(name), "telkit_bpf_obj_%s", metrics[m].name + strlen(PROG_PFX));
		for (size_t g = 0; g < view->nobjs; g++) {
			const struct ps_obj *o = &view->objs[g];
			struct tk_kv kv[2] = { { "obj", o->name }, { "btf_id", btf } };

			snprintf(btf, sizeof(btf), "%u", o->btf_id);
			tk_prom_write(f, name, metrics[m].obj_help, metrics[m].type, kv, 2,
				      scaled(&metrics[m], &o->sum));
		}
	}
	for (int period = 0; period <= !view->once; period++)
		for (size_t g = 0; g < view->nobjs; g++) {
			const struct ps_obj *o = &view->objs[g];

			snprintf(btf, sizeof(btf), "%u", o->btf_id);
			for (size_t i = o->first; i < o->first + o->n; i++) {
				const struct ps_prog *p = view->v[i];
				struct tk_kv kv[5] = {
					{ "id", id }, { "name", p->name },
					{ "type", type_name(p, tbuf, sizeof(tbuf)) },
					{ "obj", o->name }, { "btf_id", btf },
				};

				snprintf(id, sizeof(id), "%u", p->id);
				tk_prom_write(f, period ? "telkit_bpf_prog_obj_period_share_ratio" :
					      "telkit_bpf_prog_obj_share_ratio", period ?
					      "Program's share of its object's run time over the last period (1 = all)" :
					      "Program's share of its object's run time (run_time_ns) (1 = all)",
					      "gauge", kv, 5, ps_obj_share(p, &o->sum, period) / 100);
			}
		}
}

/* One exposition of @view into @f. */
static void prom_exposition(FILE *f, const struct ps_view *view)
{
	tk_prom_reset();
	tk_prom_build_info(f, "progstats");
	for (size_t m = 0; m < NMETRICS; m++) {
		if (metrics[m].period && view->once)
			continue;
		for (size_t i = 0; i < view->n; i++) {
			const struct ps_prog *p = view->v[i];
			char id[16], tbuf[32];
			struct tk_kv kv[3] = {
				{ "id", id }, { "name", p->name },
				{ "type", type_name(p, tbuf, sizeof(tbuf)) },
			};

			snprintf(id, sizeof(id), "%u", p->id);
			tk_prom_write(f, metrics[m].name, metrics[m].help, metrics[m].type,
				      kv, 3, scaled(&metrics[m], p));
		}
	}
	if (view->objs)
		prom_objs(f, view);
	ps_wide_prom(f, view);
	tk_prom_write(f, "telkit_bpf_prog_stats_enabled",
		      "1 when run-time stats were on for the sample (held by progstats or the sysctl)",
		      "gauge", NULL, 0, strcmp(view->stats, "not_enabled") ? 1 : 0);
}

int ps_print_prom(const struct ps_view *view)
{
	prom_exposition(tk_out.out, view);
	return tk_flush();
}

int ps_publish_textfile(const struct ps_view *view)
{
	static char *buf;
	static size_t len;
	static FILE *f;

	if (!f && !(f = open_memstream(&buf, &len)))
		return -ENOMEM;
	rewind(f);
	prom_exposition(f, view);
	if (fflush(f))
		return -ENOMEM;
	return tk_textfile_publish(buf, len);
}
