/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * table.h — aligned text tables (top/bpftool-style) for TK_FMT_TEXT.
 *
 * Columns are declared once; rows are added as printf-formatted cells; the
 * table prints with each column as wide as its widest cell (header included),
 * numbers right-aligned, text left-aligned.  Cells are escaped (escape.h) so
 * hostile names cannot break the layout; a cell wider than the column's
 * max_width is cut and ends in '~'.
 */
#ifndef TELKIT_TABLE_H
#define TELKIT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct tk_table_col {
	const char *name;
	bool right;          /* right-align (numbers) */
	unsigned max_width;  /* 0 = unlimited */
};

struct tk_table;

/* @cols must outlive the table.  NULL on ENOMEM. */
struct tk_table *tk_table_new(const struct tk_table_col *cols, size_t ncols);
/* Append a row; then set each cell with tk_table_cell(). 0 or -ENOMEM. */
int tk_table_row(struct tk_table *t);
/* Set column @col of the last row. 0, -EINVAL (no row / bad col) or -ENOMEM. */
int tk_table_cell(struct tk_table *t, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print header and rows to @f; @header false omits the header line. */
void tk_table_print(const struct tk_table *t, FILE *f, bool header);
void tk_table_free(struct tk_table *t);

#endif
