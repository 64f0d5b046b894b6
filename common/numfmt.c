// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

/* Decimal digits of @v ending at @end, two at a time; returns the first. */
static char *u64_digits(char *end, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--end = pairs[d + 1];
		*--end = pairs[d];
	}
	if (v >= 10) {
		*--end = pairs[v * 2 + 1];
		*--end = pairs[v * 2];
	} else {
		*--end = (char)('0' + v);
	}
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

size_t tk_fmt_json_int(char *buf, const struct json_object *jso)
{
	char tmp[TK_JSON_NUM_MAX], *end = tmp + sizeof(tmp), *p;
	int64_t i = json_object_get_int64(jso);

	if (i < 0) {
		p = u64_digits(end, -(uint64_t)i);
		*--p = '-';
	} else {   /* a uint64 above INT64_MAX reads back as INT64_MAX */
		p = u64_digits(end, i == INT64_MAX ? json_object_get_uint64(jso) : (uint64_t)i);
	}
	memcpy(buf, p, (size_t)(end - p));
	return (size_t)(end - p);
}

size_t tk_fmt_json_dbl(char *buf, double v)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p;
	int n;

	if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v && !signbit(v)) {
		p = u64_digits(end, (uint64_t)v);
		memcpy(buf, p, (size_t)(end - p));
		memcpy(buf + (end - p), ".0", 2);
		return (size_t)(end - p) + 2;
	}
	n = tk_fmt_double(buf, TK_JSON_NUM_MAX - 2, v);
	if (!memchr(buf, '.', (size_t)n) && !memchr(buf, 'e', (size_t)n)) {
		memcpy(buf + n, ".0", 2);   /* -2 -> -2.0: still a double when read back */
		n += 2;
	}
	return (size_t)n;
}

int tk_json_int_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	char buf[TK_JSON_NUM_MAX];

	(void)level, (void)flags;
	return printbuf_memappend(pb, buf, (int)tk_fmt_json_int(buf, jso));
}

int tk_json_dbl_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	char buf[TK_JSON_NUM_MAX];
	double v = json_object_get_double(jso);

	if (!isfinite(v))       /* only reachable through json-c's own setters */
		return json_object_double_to_json_string(jso, pb, level, flags);
	return printbuf_memappend(pb, buf, (int)tk_fmt_json_dbl(buf, v));
}
