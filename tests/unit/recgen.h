/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * recgen.h — seeded random record parts for the common/ output tests
 * (test_jsonw, test_recw): integers at every width edge, doubles in every
 * form, hostile bytes, json-c values made the ways telkit code makes them.
 * The same seed (rng_state) gives the same values.
 */
#ifndef TELKIT_RECGEN_H
#define TELKIT_RECGEN_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "numfmt.h"
#include "output.h"

static uint64_t rng_state;

static uint64_t rnd(void)   /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t edge_u64(void)
{
	static const uint64_t e[] = { 0, 1, 9, 10, 99, 100, INT32_MAX, (uint64_t)INT32_MAX + 1,
				      UINT32_MAX, (uint64_t)UINT32_MAX + 1, 999999999999999ULL,
				      1000000000000000ULL, 1ULL << 53, (1ULL << 53) + 1,
				      INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX };
	unsigned k = (unsigned)(rnd() % 5);
	uint64_t p10 = 1;

	if (k == 0)
		return e[rnd() % (sizeof(e) / sizeof(e[0]))];
	if (k == 4) {   /* a power of 10, minus or plus one */
		for (unsigned d = (unsigned)(rnd() % 20); d; d--)
			p10 *= 10;
		return p10 + (uint64_t)(rnd() % 3) - 1;
	}
	if (k == 1)
		return rnd() >> (rnd() % 64);
	return rnd();
}

static double any_double(void)
{
	static const double e[] = { 0.0, -0.0, 1.0, -2.0, 0.1, 0.5, 61890.158, 1e15, 1e15 - 1,
				    999999999999999.5, 1e16, 1e21, 1e22, 1e-7, 5e-324,
				    2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993.0,
				    123456789.123456789, 100.5, -1e-300 };
	uint64_t bits;
	double d;

	switch (rnd() % 5) {
	case 0:
		return e[rnd() % (sizeof(e) / sizeof(e[0]))];
	case 1:
		return (double)(int64_t)edge_u64();
	case 2:
		return (double)(rnd() % 100000) / (double)(1 + rnd() % 1000);
	default:
		bits = rnd();
		memcpy(&d, &bits, sizeof(d));
		return d;   /* NaN and Inf included */
	}
}

/* Random bytes: printable, controls, quotes, backslash, valid and invalid UTF-8. */
static size_t any_bytes(char *buf, size_t max)
{
	static const char *const bits[] = { "a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\b", "\f",
					    "\r", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
					    "\xf0\x9f\x98\x80", "\xff", "\xc0\xaf", "\xed\xa0\x80",
					    "\xe2\x82", "=", "'", "\xef\xbf\xbd",
					    "\xe2\x80\xa8", "\xe2\x80\xa9" };
	size_t n = 0, len = rnd() % 24;

	for (size_t i = 0; i < len; i++) {
		const char *b = bits[rnd() % (sizeof(bits) / sizeof(bits[0]))];
		size_t bl = strlen(b);

		if (n + bl >= max)
			break;
		memcpy(buf + n, b, bl);
		n += bl;
	}
	buf[n] = '\0';
	return n;
}

static struct json_object *any_value(int depth);

static void fill_object(struct json_object *o, int depth)
{
	size_t n = rnd() % (depth ? 6 : 12);
	char key[128], val[128];

	for (size_t i = 0; i < n; i++) {
		any_bytes(key, sizeof(key));
		switch (rnd() % 8) {
		case 0:
			tk_rec_str(o, key, (any_bytes(val, sizeof(val)), val));
			break;
		case 1:
			tk_rec_u64(o, key, edge_u64());
			break;
		case 2:
			tk_rec_i64(o, key, (int64_t)edge_u64());
			break;
		case 3:
			tk_rec_dbl(o, key, any_double());
			break;
		case 4:
			tk_rec_bool(o, key, rnd() & 1);
			break;
		default:
			json_object_object_add(o, key, any_value(depth + 1));
			break;
		}
	}
}

/* A json-c value made the ways telkit code makes them. */
static struct json_object *any_value(int depth)
{
	char buf[128];
	struct json_object *o;
	size_t n;

	switch (rnd() % (depth < 3 ? 12 : 9)) {
	case 0:
		return NULL;
	case 1:
		return json_object_new_int64((int64_t)edge_u64());
	case 2:
		return json_object_new_uint64(edge_u64());
	case 3:
		return json_object_new_double(any_double());
	case 4:
		return tk_json_dbl(any_double());
	case 5:
		o = tk_json_dbl(0);
		json_object_set_double(o, any_double());   /* tagged, any value */
		return o;
	case 6:
		n = any_bytes(buf, sizeof(buf) - 1);
		if (rnd() & 1)
			buf[n++] = '\0';   /* embedded NUL */
		return json_object_new_string_len(buf, (int)n);
	case 7:
		return tk_json_str((any_bytes(buf, sizeof(buf)), buf));
	case 8:   /* what json-c's parser makes: doubles keep their source text */
		snprintf(buf, sizeof(buf), "[%.*g,%" PRId64 ",1.50,-0.0,1E3,\"\\u00e9\\/x\"]",
			 (int)(rnd() % 18), (double)(rnd() % 100000) / 7.0, (int64_t)edge_u64());
		return json_tokener_parse(buf);
	case 9:
		o = json_object_new_array();
		for (n = rnd() % 5; n; n--)
			json_object_array_add(o, any_value(depth + 1));
		return o;
	default:
		o = json_object_new_object();
		fill_object(o, depth);
		return o;
	}
}

#endif
