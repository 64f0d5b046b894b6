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

/*
 * "%.15g" of @v without printf when it is a decimal of at most 15
 * significant digits (most measured values are: 0.25, 1234.5678) with
 * 1e-4 <= |v| < 1e15, non-integral; 0 otherwise.  With r < 1e15 and
 * k <= 15, r / 10^k is one correctly rounded division of exact doubles, so
 * when it gives @v back, the decimal r * 10^-k reads back as @v and lies
 * within half an ulp of it, closer than half a step of the 15-digit grid:
 * it is what "%.15g" prints, in fixed notation (-4 <= exponent < 15), and
 * the smallest such k leaves no trailing zero to strip.
 */
static int short_decimal(char *buf, size_t size, double v)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
				      1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	double a = fabs(v), r = 0;
	char digits[24], *end = digits + sizeof(digits), *d, *o = buf;
	int k, nd;

	if (size < 32 || !(a >= 1e-4 && a < 1e15) || a == floor(a))
		return 0;
	for (k = 1; k <= 15; k++) {
		r = nearbyint(a * p10[k]);
		if (r >= 1e15)
			return 0;
		if (r / p10[k] == a)
			break;
	}
	if (k > 15)
		return 0;
	d = u64_digits(end, (uint64_t)r);
	nd = (int)(end - d);
	if (signbit(v))
		*o++ = '-';
	if (nd > k) {
		memcpy(o, d, (size_t)(nd - k));
		o += nd - k;
	} else {
		*o++ = '0';
	}
	*o++ = '.';
	for (int z = nd; z < k; z++)
		*o++ = '0';
	memcpy(o, nd > k ? d + nd - k : d, (size_t)(nd > k ? k : nd));
	o += nd > k ? k : nd;
	*o = '\0';
	return (int)(o - buf);
}

int tk_fmt_double(char *buf, size_t size, double v)
{
	int n = short_decimal(buf, size, v);

	if (n)
		return n;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (n < 0 || (size_t)n >= size || strtod(buf, NULL) == v)
			break;
	}
	return n;
}

/* The number of decimal digits of @v: log2 * log10(2) (1233 / 4096), corrected by one compare. */
static size_t u64_len(uint64_t v)
{
	static const uint64_t p10[20] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
		10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
		100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
	};
	unsigned t = ((unsigned)(64 - __builtin_clzll(v | 1)) * 1233) >> 12;

	return v ? t + (v >= p10[t]) : 1;
}

size_t tk_fmt_u64(char *buf, uint64_t v)
{
	size_t n = u64_len(v);

	u64_digits(buf + n, v);   /* in place: no copy from a scratch buffer */
	return n;
}

size_t tk_fmt_i64(char *buf, int64_t v)
{
	if (v >= 0)
		return tk_fmt_u64(buf, (uint64_t)v);
	*buf = '-';
	return 1 + tk_fmt_u64(buf + 1, -(uint64_t)v);
}

size_t tk_fmt_json_int(char *buf, const struct json_object *jso)
{
	int64_t i = json_object_get_int64(jso);

	/* a uint64 above INT64_MAX reads back as INT64_MAX */
	return i == INT64_MAX ? tk_fmt_u64(buf, json_object_get_uint64(jso)) : tk_fmt_i64(buf, i);
}

size_t tk_fmt_text_num(char *buf, size_t size, double v)
{
	size_t n;

	if (!isfinite(v))
		v = 0;
	if (v == floor(v) && fabs(v) < 1e15)
		return (size_t)snprintf(buf, size, "%.0f", v);
	snprintf(buf, size, "%.3f", v);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
	return n;
}

size_t tk_fmt_json_dbl(char *buf, double v)
{
	int n;

	if (v == 0 && !signbit(v)) {   /* the most common value of all */
		memcpy(buf, "0.0", 3);
		return 3;
	}
	if (v >= 0 && v < 1e15 && v == (double)(uint64_t)v && !signbit(v)) {
		size_t k = tk_fmt_u64(buf, (uint64_t)v);

		memcpy(buf + k, ".0", 2);
		return k + 2;
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
