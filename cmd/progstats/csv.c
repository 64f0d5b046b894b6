// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats -o csv: each sample record (print.c) as one CSV row, RFC 4180.
 * The header is the first record's field names, the JSON names, from ts_ns
 * on (tool and type are the same on every row).  Numbers are written as the
 * JSON line writes them; arrays and objects as their JSON text.  Text cells
 * are escaped like table cells (control bytes as \xNN) and quoted; a cell
 * that a spreadsheet would run as a formula (= + - @) gets a leading '.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "escape.h"
#include "output.h"
#include "progstats.h"

#define CSV_CELL_MAX 4096
#define CSV_COLS_MAX 128
#define CSV_KEY_MAX 64

/* The header: later rows write these fields, in this order (missing: empty). */
static struct {
	char key[CSV_COLS_MAX][CSV_KEY_MAX];
	size_t n;
	bool done;
} hdr;

static void header(FILE *f, struct json_object *rec)
{
	json_object_object_foreach(rec, key, val) {
		(void)val;
		if (!strcmp(key, "tool") || !strcmp(key, "type") || hdr.n == CSV_COLS_MAX ||
		    strlen(key) >= CSV_KEY_MAX)
			continue;
		snprintf(hdr.key[hdr.n], CSV_KEY_MAX, "%s", key);
		fprintf(f, "%s%s", hdr.n ? "," : "", key);
		hdr.n++;
	}
	fputc('\n', f);
	hdr.done = true;
}

static void put_text(FILE *f, const char *s)
{
	char buf[CSV_CELL_MAX];

	tk_escape_visible(buf, sizeof(buf), s);
	fputc('"', f);
	if (strchr("=+-@", buf[0]) && buf[0])
		fputc('\'', f);
	for (const char *c = buf; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

static void put_cell(FILE *f, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		put_text(f, json_object_get_string(v));
		break;
	case json_type_array:
	case json_type_object:
		put_text(f, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_null:
		break;
	default:
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), f);
	}
}

int ps_csv_row(struct json_object *rec, const struct ps_prog *p, void *ctx)
{
	FILE *f = tk_out.out;
	struct json_object *v;

	(void)p, (void)ctx;
	if (!hdr.done)
		header(f, rec);
	for (size_t i = 0; i < hdr.n; i++) {
		if (i)
			fputc(',', f);
		if (json_object_object_get_ex(rec, hdr.key[i], &v))
			put_cell(f, v);
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int ps_print_csv(const struct ps_view *view)
{
	int err = ps_foreach_sample(view, ps_csv_row, NULL);

	return err ? err : tk_flush();
}
