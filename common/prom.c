// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "numfmt.h"
#include "prom.h"
#include "stats.h"

#define PROM_NAME_MAX 256
#define PROM_SEEN_MAX 512

static char *seen[PROM_SEEN_MAX];
static size_t nseen;

static bool header_written(const char *name)
{
	for (size_t i = 0; i < nseen; i++)
		if (!strcmp(seen[i], name))
			return true;
	if (nseen < PROM_SEEN_MAX) {
		char *copy = strdup(name);

		if (copy)
			seen[nseen++] = copy;
	}
	return false;
}

void tk_prom_reset(void)
{
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	nseen = 0;
}

void tk_prom_write(FILE *f, const char *name, const char *help,
		   const char *type, const struct tk_kv *labels, size_t nlabels,
		   double value)
{
	char mname[PROM_NAME_MAX], lname[PROM_NAME_MAX], lval[1024], num[40];

	tk_prom_name(mname, sizeof(mname), name);
	if (!header_written(mname)) {
		if (help) {
			/* HELP text: only \ and newline need escaping. */
			fprintf(f, "# HELP %s ", mname);
			for (const char *p = help; *p; p++) {
				if (*p == '\\')
					fputs("\\\\", f);
				else if (*p == '\n')
					fputs("\\n", f);
				else
					fputc(*p, f);
			}
			fputc('\n', f);
		}
		fprintf(f, "# TYPE %s %s\n", mname, type ? type : "gauge");
	}
	fputs(mname, f);
	for (size_t i = 0; i < nlabels; i++) {
		tk_prom_name(lname, sizeof(lname), labels[i].key);
		tk_escape_prom_label(lval, sizeof(lval), labels[i].val ? labels[i].val : "");
		fprintf(f, "%s%s=\"%s\"", i ? "," : "{", lname, lval);
	}
	if (nlabels)
		fputc('}', f);
	value = tk_finite_or_zero(value);
	if (value == (double)(long long)value && value < 9e15 && value > -9e15)
		fprintf(f, " %lld\n", (long long)value);
	else {
		tk_fmt_double(num, sizeof(num), value);
		fprintf(f, " %s\n", num);
	}
}
