// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: the fields beyond the defaults (--wide, --fields) in each
 * output form: table cells, JSON record fields, Prometheus families.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpfutil.h"
#include "output.h"
#include "progstats.h"
#include "array.h"
#include "prom.h"
#include "recw.h"
#include "table.h"

/* Counts and sizes print as integers, ratios and percentages as decimals. */
static bool is_real(const struct ps_field *f)
{
	return strstr(f->name, "pct") || strstr(f->name, "per_call") || strstr(f->name, "rate") ||
	       strstr(f->name, "per_sec");
}


static size_t links_of(const struct ps_wide *w, const struct ps_prog *p, const struct ps_link **v)
{
	return w->links ? ps_links_for(w->links, p->id, p->btf_id, p->type == BPF_PROG_TYPE_STRUCT_OPS, v,
				       PS_MAX_LINKS) : 0;
}

static void links_text(const struct ps_wide *w, const struct ps_prog *p, char *buf, size_t size)
{
	const struct ps_link *v[PS_MAX_LINKS];
	size_t n = links_of(w, p, v), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		const struct ps_link *k = v[i];
		int c = snprintf(buf + off, size - off, "%s%s%s%s%s%s", i ? "," : "", k->type_name,
				 k->attach[0] ? ":" : "", k->attach, k->target[0] ? ":" : "", k->target);

		if (c < 0)
			break;
		off += (size_t)c;
		if (k->has_missed && off < size) {
			c = snprintf(buf + off, size - off, "(missed=%llu)", (unsigned long long)k->missed);
			off += c > 0 ? (size_t)c : 0;
		}
	}
}

static void pins_text(const struct ps_wide *w, const struct ps_prog *p, char *buf, size_t size)
{
	size_t first, n = w->pins ? ps_pins_of(w->pins, false, p->id, &first) : 0, off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		int c = snprintf(buf + off, size - off, "%s%s", i ? "," : "", w->pins->v[first + i].path);

		if (c < 0)
			break;
		off += (size_t)c;
	}
}

void ps_wide_cell(const struct ps_wide *w, const struct ps_field *f, const struct ps_prog *p,
		  char *buf, size_t size)
{
	if (!strcmp(f->name, "links"))
		links_text(w, p, buf, size);
	else if (!strcmp(f->name, "pinned"))
		pins_text(w, p, buf, size);
	else if (f->str)
		f->str(p, buf, size);
	else if (is_real(f))
		snprintf(buf, size, "%.2f", f->num(p));
	else
		snprintf(buf, size, "%.0f", f->num(p));
}

void ps_wide_cols(const struct ps_wide *w, struct tk_table_col *cols)
{
	for (size_t i = 0; i < w->n; i++) {
		cols[i].name = w->f[i]->col;
		cols[i].right = w->f[i]->numeric;
		cols[i].max_width = w->f[i]->numeric ? 0 : 160;
	}
}

static struct json_object *links_json(const struct ps_wide *w, const struct ps_prog *p)
{
	struct json_object *a = json_object_new_array();
	const struct ps_link *v[PS_MAX_LINKS];
	size_t n = links_of(w, p, v);

	for (size_t i = 0; a && i < n; i++) {
		const struct ps_link *k = v[i];
		struct json_object *o = json_object_new_object();
		size_t pf, np = w->pins ? ps_pins_of(w->pins, true, k->id, &pf) : 0;

		if (!o)
			break;
		json_object_object_add(o, "id", json_object_new_int64(k->id));
		json_object_object_add(o, "type", tk_json_str(k->type_name));
		if (k->attach[0])
			json_object_object_add(o, "attach_type", tk_json_str(k->attach));
		if (k->target[0])
			json_object_object_add(o, "target", tk_json_str(k->target));
		if (k->has_missed)
			json_object_object_add(o, "missed", json_object_new_uint64(k->missed));
		if (np)
			json_object_object_add(o, "pinned", tk_json_str(w->pins->v[pf].path));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *pins_json(const struct ps_wide *w, const struct ps_prog *p)
{
	struct json_object *a = json_object_new_array();
	size_t first, n = w->pins ? ps_pins_of(w->pins, false, p->id, &first) : 0;

	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, tk_json_str(w->pins->v[first + i].path));
	return a;
}

void ps_wide_json(struct tk_recw *rec, const struct ps_wide *w, const struct ps_prog *p)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct ps_field *f = w->f[i];

		if (!f->wide)
			continue;  /* the default fields are there already */
		if (!strcmp(f->name, "links"))
			tk_recw_obj(rec, "links", links_json(w, p));
		else if (!strcmp(f->name, "pinned"))
			tk_recw_obj(rec, "pinned", pins_json(w, p));
		else if (is_real(f))
			tk_recw_dbl(rec, f->name, f->num(p));
		else
			tk_recw_u64(rec, f->name, (uint64_t)f->num(p));
	}
	if (w->need & PS_NEED_MAPS) {
		tk_recw_u64(rec, "maps_total", w->maps_total);
		tk_recw_u64(rec, "maps_memlock_total", w->maps_memlock_total);
	}
}

/*
 * The Prometheus family of each numeric extra field: base units, the unit
 * last, no _count suffix (promtool's rules); scale turns the field's value
 * into the family's unit.
 */
static const struct {
	const char *field, *family;
	double scale;
} wide_prom_names[] = {
	{ "cpu_pct_norm", "cpu_all_ratio", 0.01 },
	{ "bpf_share_pct", "bpf_share_ratio", 0.01 },
	{ "since_cnt", "since_start_runs", 1 },
	{ "since_nsecs", "since_start_run_time_seconds", 1e-9 },
	{ "since_ns_per_call", "since_start_run_time_per_run_seconds", 1e-9 },
	{ "ns_per_call_min", "period_run_time_per_run_min_seconds", 1e-9 },
	{ "ns_per_call_p50", "period_run_time_per_run_p50_seconds", 1e-9 },
	{ "ns_per_call_p99", "period_run_time_per_run_p99_seconds", 1e-9 },
	{ "ns_per_call_max", "period_run_time_per_run_max_seconds", 1e-9 },
	{ "bytes_xlated", "xlated_bytes", 1 },
	{ "bytes_jited", "jited_bytes", 1 },
	{ "bytes_memlock", "memlock_bytes", 1 },
	{ "verified_insns", "verified_insns", 1 },
	{ "loaded_at", "loaded_timestamp_seconds", 1 },
	{ "uid", "uid", 1 },
	{ "map_count", "maps", 1 },
	{ "map_memlock", "map_memlock_bytes", 1 },
	{ "link_count", "links", 1 },
};

void ps_wide_prom(FILE *f, const struct ps_view *view)
{
	const struct ps_wide *w = view->wide;
	char name[96], help[160];

	for (size_t m = 0; w && m < w->n; m++) {
		const struct ps_field *fl = w->f[m];
		size_t k;

		if (!fl->wide || !fl->numeric)
			continue;
		for (k = 0; k < TK_ARRAY_SIZE(wide_prom_names); k++)
			if (!strcmp(wide_prom_names[k].field, fl->name))
				break;
		if (k == TK_ARRAY_SIZE(wide_prom_names))
			continue;   /* a field without a family: JSON and text only */
		snprintf(name, sizeof(name), "telkit_bpf_prog_%s", wide_prom_names[k].family);
		snprintf(help, sizeof(help), "progstats field %s (see progstats(8) FIELDS)", fl->name);
		for (size_t i = 0; i < view->n; i++) {
			const struct ps_prog *p = view->v[i];
			char id[16], tbuf[32];
			struct tk_kv kv[3] = {
				{ "id", id }, { "name", p->name },
				{ "type", tk_prog_type_name(p->type, tbuf, sizeof(tbuf)) },
			};

			snprintf(id, sizeof(id), "%u", p->id);
			tk_prom_write(f, name, help, "gauge", kv, 3,
				      fl->num(p) * wide_prom_names[k].scale);
		}
	}
}

int ps_wide_table(const struct ps_view *view, FILE *f)
{
	const struct ps_wide *w = view->wide;
	struct tk_table_col cols[2 + 64] = { { "ID", true, 0 }, { "NAME", false, 32 } };
	struct tk_table *t;
	char cell[1024];
	int err = 0;

	ps_wide_cols(w, cols + 2);
	t = tk_table_new(cols, 2 + w->n);
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < view->n && !err; i++) {
		const struct ps_prog *p = view->v[i];

		err = tk_table_row(t);
		if (err)
			break;
		tk_table_cell(t, 0, "%u", p->id);
		tk_table_cell(t, 1, "%s", p->name);
		for (size_t c = 0; c < w->n; c++) {
			ps_wide_cell(w, w->f[c], p, cell, sizeof(cell));
			tk_table_cell(t, 2 + c, "%s", cell);
		}
	}
	tk_table_print(t, f, true);
	tk_table_free(t);
	return err;
}
