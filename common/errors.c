// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>

#include "errors.h"
#include "escape.h"
#include "output.h"

static void verror(const char *fix, const char *fmt, va_list ap)
{
	char raw[1024], msg[4096], line[4400];
	const char *tool = tk_out.tool ? tk_out.tool : "telkit";

	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* One line, always: control bytes from hostile input are escaped. */
	tk_escape_visible(msg, sizeof(msg), raw);
	snprintf(line, sizeof(line), "%s: %s%s%s", tool, msg,
		 fix ? "; fix: " : "", fix ? fix : "");
	fprintf(stderr, "%s\n", line);
	if (tk_out.fmt == TK_FMT_JSON && !tk_out.broken) {
		struct json_object *rec = tk_record_new("error");

		tk_rec_str(rec, "error", raw);
		if (fix)
			tk_rec_str(rec, "fix", fix);
		tk_emit_json(rec);
	}
}

void tk_error(const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fix, fmt, ap);
	va_end(ap);
}

void tk_usage_error(const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fix, fmt, ap);
	va_end(ap);
	exit(TK_EXIT_USAGE);
}

void tk_die(int code, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fix, fmt, ap);
	va_end(ap);
	exit(code);
}

void tk_warn(const char *fmt, ...)
{
	va_list ap;

	if (tk_out.quiet)
		return;
	fprintf(stderr, "%s: warning: ", tk_out.tool ? tk_out.tool : "telkit");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void tk_info(int level, const char *fmt, ...)
{
	va_list ap;

	if (tk_out.verbose < level || tk_out.quiet)
		return;
	fprintf(stderr, "%s: ", tk_out.tool ? tk_out.tool : "telkit");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

