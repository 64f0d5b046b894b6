// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdbool.h>
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

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

static const uint64_t pow10_u64[18] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
};

/* 5^s, s <= 22 (< 2^52). */
static uint64_t pow5(int s)
{
	uint64_t p = 1;

	while (s-- > 0)
		p *= 5;
	return p;
}

/* "%.*g" in fixed notation: the @p digits of @n, @x the exponent of the first; its length. */
static int put_fixed(char *buf, bool neg, uint64_t n, int p, int x)
{
	char d[24], *o = buf;
	int frac = p - 1 - x, nd = p;

	u64_digits(d + p, n);
	while (frac > 0 && d[nd - 1] == '0') {   /* %g keeps no trailing zero */
		nd--;
		frac--;
	}
	if (neg)
		*o++ = '-';
	if (x < 0) {
		memcpy(o, "0.", 2);
		o += 2;
		for (int z = x + 1; z < 0; z++)
			*o++ = '0';
		memcpy(o, d, (size_t)nd);
		o += nd;
	} else {
		memcpy(o, d, (size_t)(x + 1));
		o += x + 1;
		if (frac > 0) {
			*o++ = '.';
			memcpy(o, d + x + 1, (size_t)frac);
			o += frac;
		}
	}
	*o = '\0';
	return (int)(o - buf);
}

/*
 * The printf loop below without printf or strtod, for finite non-integral
 * @v with 1e-4 <= |v| < 1e15 (where "%.15g".."%.17g" are fixed notation):
 * |v| = m * 2^e exactly (m < 2^53), so |v| * 10^s = m * 5^s / 2^k, a
 * quotient of integers within 128 bits (5^s <= 5^21).  "%.Pg" is that
 * quotient for s = P - 1 - exponent, rounded half to even (printf's exact
 * rounding); strtod() reads the decimal back as v when it lies within half
 * a gap of v (a tie: v's mantissa is even; below a power of two the gap is
 * half as wide), as strtod rounds.  0 where it does not apply.
 */
static int exact_decimal(char *buf, size_t size, double v)
{
	double a = fabs(v);
	int bexp, e, x;
	uint64_t m;

	if (size < 32 || !(a >= 1e-4 && a < 1e15) || a == floor(a))
		return 0;
	m = (uint64_t)ldexp(frexp(a, &bexp), 53);
	e = bexp - 53;
	x = (int)floor(log10(a));
	for (int fix = 0; fix < 2; fix++) {   /* 10^x <= a < 10^(x+1), from the quotient */
		int s = 16 - x, k = -(e + s);
		u128 q;

		if (s < 0 || s > 21 || k <= 0 || k > 66)
			return 0;
		q = ((u128)m * pow5(s)) >> k;
		if (q < pow10_u64[16])
			x--;
		else if (q >= pow10_u64[17])
			x++;
		else
			break;
	}
	for (int p = 15; p <= 17; p++) {
		int s = p - 1 - x, k = -(e + s);
		u128 t, q, rem, half, d, h5;
		uint64_t n;
		bool ok;

		if (s < 0 || s > 21 || k <= 0 || k > 66)
			return 0;
		t = (u128)m * pow5(s);
		q = t >> k;
		rem = t & (((u128)1 << k) - 1);
		half = (u128)1 << (k - 1);
		if (q < pow10_u64[p - 1] || q >= pow10_u64[p])
			return 0;   /* x not settled: printf decides */
		n = (uint64_t)q + (rem > half || (rem == half && (q & 1)));
		d = ((u128)n << k) > t ? ((u128)n << k) - t : t - ((u128)n << k);
		h5 = pow5(s);
		if (m == 1ULL << 52 && ((u128)n << k) < t)
			ok = 4 * d <= h5;
		else
			ok = 2 * d < h5 || (2 * d == h5 && !(m & 1));
		if (!ok)
			continue;
		if (n == pow10_u64[p])   /* rounded up to the next power of ten */
			return x + 1 < p ? put_fixed(buf, signbit(v), pow10_u64[p - 1], p, x + 1) : 0;
		return put_fixed(buf, signbit(v), n, p, x);
	}
	return 0;
}
#else
static int exact_decimal(char *buf, size_t size, double v)
{
	return 0;   /* no 128-bit integers: printf decides */
}
#endif

int tk_fmt_double(char *buf, size_t size, double v)
{
	int n = short_decimal(buf, size, v);

	if (n)
		return n;
	n = exact_decimal(buf, size, v);
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
