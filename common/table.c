// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "escape.h"
#include "table.h"

#define CELL_MAX 512

struct tk_table {
	const struct tk_table_col *cols;
	size_t ncols, nrows;
	char **cells;  /* nrows * ncols, row-major; NULL = empty */
	size_t cells_bytes;  /* allocated at cells (tk_grow) */
};

struct tk_table *tk_table_new(const struct tk_table_col *cols, size_t ncols)
{
	struct tk_table *t = calloc(1, sizeof(*t));

	if (t) {
		t->cols = cols;
		t->ncols = ncols;
	}
	return t;
}

int tk_table_row(struct tk_table *t)
{
	size_t row = t->ncols * sizeof(*t->cells);

	if (tk_grow((void **)&t->cells, &t->cells_bytes, (t->nrows + 1) * row, 16 * row))
		return -ENOMEM;
	memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof(*t->cells));
	t->nrows++;
	return 0;
}

int tk_table_cell(struct tk_table *t, size_t col, const char *fmt, ...)
{
	char raw[CELL_MAX], esc[CELL_MAX * 4];
	char **cell;
	va_list ap;

	if (!t->nrows || col >= t->ncols)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	tk_escape_visible(esc, sizeof(esc), raw);
	cell = &t->cells[(t->nrows - 1) * t->ncols + col];
	free(*cell);
	*cell = strdup(esc);
	return *cell ? 0 : -ENOMEM;
}

/* Display width: count UTF-8 lead bytes, not continuation bytes. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_cell(FILE *f, const char *s, size_t w, const struct tk_table_col *c, bool last)
{
	size_t sw = width(s), pad;

	if (c->max_width && sw > c->max_width) {
		/* cut at max_width-1 characters, mark with '~' */
		size_t chars = 0;
		const char *p = s;

		while (*p && chars < c->max_width - 1) {
			p++;
			while (((unsigned char)*p & 0xc0) == 0x80)
				p++;
			chars++;
		}
		fprintf(f, "%.*s~", (int)(p - s), s);
		sw = c->max_width;
		s = "";
	}
	pad = w > sw ? w - sw : 0;
	if (c->right)
		fprintf(f, "%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, f);
	else
		fprintf(f, "%s%*s", s, (int)pad, "");
}

void tk_table_print(const struct tk_table *t, FILE *f, bool header)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (!w)
		return;
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = header ? width(t->cols[c].name) : 0;
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t sw = s ? width(s) : 0;

			if (t->cols[c].max_width && sw > t->cols[c].max_width)
				sw = t->cols[c].max_width;
			if (sw > w[c])
				w[c] = sw;
		}
	}
	if (header) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c)
				fputc(' ', f);
			print_cell(f, t->cols[c].name, w[c], &t->cols[c], c + 1 == t->ncols);
		}
		fputc('\n', f);
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c)
				fputc(' ', f);
			print_cell(f, s ? s : "-", w[c], &t->cols[c], c + 1 == t->ncols);
		}
		fputc('\n', f);
	}
	free(w);
}

void tk_table_free(struct tk_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
