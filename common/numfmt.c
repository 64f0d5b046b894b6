// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

/* Decimal digits of @v ending at @end; returns the first. */
static char *u64_digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

int tk_fmt_double(char *buf, size_t size, double v)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (n < 0 || (size_t)n >= size || strtod(buf, NULL) == v)
			break;
	}
	return n;
}

int tk_json_int_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	char buf[24], *end = buf + sizeof(buf), *p;
	int64_t i = json_object_get_int64(jso);

	(void)level, (void)flags;
	if (i < 0) {
		p = u64_digits(end, -(uint64_t)i);
		*--p = '-';
	} else {
		p = u64_digits(end, json_object_get_uint64(jso));
	}
	return printbuf_memappend(pb, p, (int)(end - p));
}

int tk_json_dbl_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	char buf[40], *end = buf + 24, *p;
	double v = json_object_get_double(jso);
	int n;

	(void)level, (void)flags;
	if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v && !signbit(v)) {
		p = u64_digits(end, (uint64_t)v);
		memcpy(end, ".0", 2);
		return printbuf_memappend(pb, p, (int)(end + 2 - p));
	}
	if (!isfinite(v))       /* only reachable through json-c's own setters */
		return json_object_double_to_json_string(jso, pb, level, flags);
	n = tk_fmt_double(buf, sizeof(buf) - 2, v);
	if (!strpbrk(buf, ".e")) {   /* -2 -> -2.0: still a double when read back */
		memcpy(buf + n, ".0", 2);
		n += 2;
	}
	return printbuf_memappend(pb, buf, n);
}
