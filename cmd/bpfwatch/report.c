// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Event records and the --list layout (bpftool-style paired printers). */
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "bpfutil.h"
#include "bpfwatch.h"
#include "errors.h"
#include "output.h"
#include "table.h"

const char *bw_mode_name(const struct bw_map *m)
{
	return m->mmapped ? "mmap" : "lookup";
}

void bw_event(const struct bw_target *t, const char *what, uint32_t old_id, const char *msg)
{
	struct json_object *rec = tk_record_new("event");
	const struct bw_map *m = t->map;

	tk_rec_str(rec, "event", what);
	tk_rec_str(rec, "label", t->spec.label);
	tk_rec_str(rec, "spec", t->spec.text);
	if (t->key[0])
		tk_rec_str(rec, "key", t->key);
	if (t->spec.has_key)
		tk_rec_u64(rec, "map_key", t->spec.key);
	if (m) {
		tk_rec_str(rec, "map", m->name);
		tk_rec_u64(rec, "map_id", m->id);
		tk_rec_str(rec, "obj", m->obj);
		tk_rec_str(rec, "mode", bw_mode_name(m));
		tk_rec_u64(rec, "offset", t->loc.off);
		tk_rec_str(rec, "ctype", t->loc.type);
		if (m->percpu)
			tk_rec_u64(rec, "cpus", m->ncpu);
	}
	if (old_id)
		tk_rec_u64(rec, "old_map_id", old_id);
	if (msg)
		tk_rec_str(rec, "message", msg);
	tk_emit(rec);
}

struct list_ctx {
	const struct bw_map *m;
	struct tk_table *tab;
	char keys[64];
	int err;
};

/* One --list row: what a FIELD reads (bits as "shift:width"). */
struct list_row {
	const char *field;
	uint32_t off, size;
	unsigned shift, bits;
	const char *ctype;
};

static void row_json(struct list_ctx *c, const struct list_row *r)
{
	struct json_object *rec = tk_record_new("field");

	tk_rec_str(rec, "map", c->m->name);
	tk_rec_u64(rec, "map_id", c->m->id);
	tk_rec_str(rec, "field", r->field);
	tk_rec_u64(rec, "offset", r->off);
	tk_rec_u64(rec, "size", r->size);
	tk_rec_u64(rec, "bit_shift", r->shift);
	tk_rec_u64(rec, "bits", r->bits);
	tk_rec_str(rec, "ctype", r->ctype);
	if (c->keys[0])
		tk_rec_str(rec, "keys", c->keys);
	tk_rec_u64(rec, "max_entries", c->m->max_entries);
	tk_rec_bool(rec, "btf", c->m->btf && c->m->value_type_id);
	if (tk_emit(rec))
		c->err = -1;
}

static void row_plain(struct list_ctx *c, const struct list_row *r)
{
	if (tk_table_row(c->tab) ||
	    tk_table_cell(c->tab, 0, "%s", r->field) ||
	    tk_table_cell(c->tab, 1, "%u", r->off) ||
	    tk_table_cell(c->tab, 2, "%u", r->size) ||
	    tk_table_cell(c->tab, 3, "%u:%u", r->shift, r->bits) ||
	    tk_table_cell(c->tab, 4, "%s", r->ctype))
		c->err = -1;
}

static void row(struct list_ctx *c, const struct list_row *r)
{
	if (c->tab)
		row_plain(c, r);
	else
		row_json(c, r);
}

static void leaf(const char *path, const struct bw_loc *l, void *arg)
{
	struct list_row r = { path, l->off, l->nbytes, l->shift, l->bits, l->type };

	row(arg, &r);
}

/* Without BTF: "value" as one unsigned integer, or the raw bytes to pick from. */
static void rows_nobtf(struct list_ctx *c)
{
	uint32_t n = c->m->value_size;
	char type[32];
	struct list_row r = { "value", 0, n, 0, n * 8, type };

	if (n == 1 || n == 2 || n == 4 || n == 8) {
		snprintf(type, sizeof(type), "u%u", n * 8);
	} else {
		r.field = "value+OFF/TYPE";
		snprintf(type, sizeof(type), "u8[%u]", n);
	}
	row(c, &r);
}

static void rows(struct list_ctx *c)
{
	bw_key_desc(c->m, c->keys, sizeof(c->keys));
	if (c->m->btf && c->m->value_type_id)
		bw_layout_walk(c->m->btf, c->m->value_type_id, leaf, c);
	else
		rows_nobtf(c);
}

static int list_plain(const struct bw_map *m)
{
	static const struct tk_table_col cols[] = {
		{ "FIELD", false, 0 }, { "OFFSET", true, 0 }, { "SIZE", true, 0 },
		{ "BITS", true, 0 }, { "TYPE", false, 0 },
	};
	struct list_ctx c = { .m = m };
	char tn[32], keys[64];

	c.tab = tk_table_new(cols, 5);
	if (!c.tab)
		return -1;
	bw_key_desc(m, keys, sizeof(keys));
	printf("map %s id %u obj %s type %s value %uB mode %s%s", m->name, m->id, m->obj,
	       tk_map_type_name(m->type, tn, sizeof(tn)), m->value_size, bw_mode_name(m),
	       m->percpu ? " per-cpu" : "");
	if (keys[0])
		printf(" keys %s max_entries %u", keys, m->max_entries);
	printf("%s\n", m->btf && m->value_type_id ? "" : " no BTF");
	rows(&c);
	tk_table_print(c.tab, stdout, true);
	tk_table_free(c.tab);
	tk_flush();
	return c.err;
}

static int list_json(const struct bw_map *m)
{
	struct list_ctx c = { .m = m };

	rows(&c);
	return c.err;
}

int bw_list(const struct bw_map *m)
{
	return tk_out.fmt == TK_FMT_TEXT ? list_plain(m) : list_json(m);
}
