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
	int err;
};

static void leaf_json(const char *path, const struct bw_loc *l, void *arg)
{
	struct list_ctx *c = arg;
	struct json_object *rec = tk_record_new("field");

	tk_rec_str(rec, "map", c->m->name);
	tk_rec_u64(rec, "map_id", c->m->id);
	tk_rec_str(rec, "field", path);
	tk_rec_u64(rec, "offset", l->off);
	tk_rec_u64(rec, "size", l->nbytes);
	tk_rec_u64(rec, "bit_shift", l->shift);
	tk_rec_u64(rec, "bits", l->bits);
	tk_rec_str(rec, "ctype", l->type);
	if (tk_emit(rec))
		c->err = -1;
}

static void leaf_plain(const char *path, const struct bw_loc *l, void *arg)
{
	struct list_ctx *c = arg;

	if (tk_table_row(c->tab) ||
	    tk_table_cell(c->tab, 0, "%s", path) ||
	    tk_table_cell(c->tab, 1, "%u", l->off) ||
	    tk_table_cell(c->tab, 2, "%u", l->nbytes) ||
	    tk_table_cell(c->tab, 3, "%u:%u", l->shift, l->bits) ||
	    tk_table_cell(c->tab, 4, "%s", l->type))
		c->err = -1;
}

static int list_plain(const struct bw_map *m)
{
	static const struct tk_table_col cols[] = {
		{ "FIELD", false, 0 }, { "OFFSET", true, 0 }, { "SIZE", true, 0 },
		{ "BITS", true, 0 }, { "TYPE", false, 0 },
	};
	struct list_ctx c = { .m = m };
	char tn[32];

	c.tab = tk_table_new(cols, 5);
	if (!c.tab)
		return -1;
	printf("map %s id %u obj %s type %s value %uB mode %s%s\n", m->name, m->id, m->obj,
	       tk_map_type_name(m->type, tn, sizeof(tn)), m->value_size, bw_mode_name(m),
	       m->percpu ? " per-cpu" : "");
	bw_layout_walk(m->btf, m->value_type_id, leaf_plain, &c);
	tk_table_print(c.tab, stdout, true);
	tk_table_free(c.tab);
	tk_flush();
	return c.err;
}

static int list_json(const struct bw_map *m)
{
	struct list_ctx c = { .m = m };

	bw_layout_walk(m->btf, m->value_type_id, leaf_json, &c);
	return c.err;
}

int bw_list(const struct bw_map *m)
{
	return tk_out.fmt == TK_FMT_TEXT ? list_plain(m) : list_json(m);
}
