// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz common/jsonw.c against json-c.  The input is read twice: as JSON
 * (whatever json-c's parser makes of it, its doubles keeping their source
 * text), and as a little program that builds a record the way telkit code
 * does (tk_rec_* with hostile keys and values, numbers from raw bits,
 * nested objects and arrays, refills after tk_record_restamp()).
 * Invariants: tk_jsonw_append() writes exactly the bytes of
 * json_object_to_json_string_ext(PLAIN | NOSLASHESCAPE), for the record and
 * after appending to a buffer that already holds bytes; a refilled record
 * that tk_record_same_shape() calls unchanged equals a new one built by the
 * same calls; tk_fmt_double() gives its printf definition (numfmt.h) for
 * doubles from raw bits, short decimals, ratios and integers with a binary
 * fraction made from the input.
 */
#include <math.h>
#include <stdint.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "jsonw.h"
#include "numfmt.h"
#include "output.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static struct tk_jsonw w;

static void check_same(struct json_object *o)
{
	size_t n;
	const char *want = json_object_to_json_string_length(o, FLAGS, &n);

	w.len = 0;
	FUZZ_CHECK(!tk_jsonw_raw(&w, "x", 1) && !tk_jsonw_append(&w, o));
	FUZZ_CHECK(w.len == n + 1 && !memcmp(w.p + 1, want, n));
}

/* tk_fmt_double() against "%.15g".."%.17g", the first that reads back. */
static void check_double(double d)
{
	char got[64], want[64];
	int n = 0;

	if (!isfinite(d))
		return;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(want, sizeof(want), "%.*g", prec, d);
		if (strtod(want, NULL) == d)
			break;
	}
	FUZZ_CHECK(tk_fmt_double(got, sizeof(got), d) == n && !strcmp(got, want));
}

/* The input as a stream of bytes; reads past its end give zeros. */
struct prog {
	const uint8_t *p;
	size_t n;
};

static uint8_t next8(struct prog *g)
{
	if (!g->n)
		return 0;
	g->n--;
	return *g->p++;
}

static uint64_t next64(struct prog *g)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | next8(g);
	return v;
}

/* A NUL-terminated string of up to 31 input bytes (NULs cut it short). */
static const char *next_str(struct prog *g, char *buf)
{
	size_t len = next8(g) % 32;

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)next8(g);
	buf[len] = '\0';
	return buf;
}

/* Run @g against @rec; the same bytes give the same calls. */
static void build(struct prog *g, struct json_object *rec, int depth)
{
	char key[32], val[32];
	double d;
	uint64_t bits;

	for (int ops = 0; g->n && ops < 64; ops++) {
		uint8_t op = next8(g);

		next_str(g, key);
		switch (op % 9) {
		case 0:
			tk_rec_str(rec, key, next_str(g, val));
			break;
		case 1:
			tk_rec_u64(rec, key, next64(g));
			break;
		case 2:
			tk_rec_i64(rec, key, (int64_t)next64(g));
			break;
		case 3:
			bits = next64(g);
			memcpy(&d, &bits, sizeof(d));
			check_double(d);
			check_double((double)(bits % 1000000000000000000ULL) / pow(10, (double)(op % 20)));
			/* a ratio of counters, an integer and a binary fraction (printf's ties) */
			check_double((double)(uint32_t)bits / (double)(1 + (bits >> 32)) * pow(10, (double)(op % 16) - 6));
			check_double((double)((bits >> 6) % 1000000000000000ULL) + (double)(bits & 63) / 64);
			tk_rec_dbl(rec, key, d);
			break;
		case 4:
			tk_rec_bool(rec, key, op & 0x80);
			break;
		case 5:
			bits = next64(g);
			memcpy(&d, &bits, sizeof(d));
			json_object_object_add(rec, key, json_object_new_double(d));
			break;
		case 6: {
			size_t len = next8(g) % 16;
			char raw[16];

			for (size_t i = 0; i < len; i++)
				raw[i] = (char)next8(g);
			json_object_object_add(rec, key, json_object_new_string_len(raw, (int)len));
			break;
		}
		case 7:
			if (depth < 4) {
				struct json_object *sub = json_object_new_object();

				json_object_object_add(rec, key, sub);
				build(g, sub, depth + 1);
			}
			return;
		default: {
			struct json_object *arr = json_object_new_array();

			json_object_array_add(arr, json_object_new_int64((int64_t)next64(g)));
			json_object_array_add(arr, NULL);
			json_object_array_add(arr, tk_json_str(next_str(g, val)));
			json_object_object_add(rec, key, arr);
			break;
		}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct json_object *parsed, *a, *b;
	struct prog g;

	if (!s)
		return 0;
	parsed = json_tokener_parse(s);
	check_same(parsed);
	json_object_put(parsed);
	free(s);

	a = tk_record_new("sample");
	g = (struct prog){ data, size };
	build(&g, a, 0);
	check_same(a);

	/* refilled by the same calls: unchanged when the shape holds */
	tk_record_restamp(a);
	g = (struct prog){ data, size };
	build(&g, a, 0);
	check_same(a);
	if (tk_record_same_shape(a)) {
		b = tk_record_new("sample");
		g = (struct prog){ data, size };
		build(&g, b, 0);
		json_object_object_add(a, "ts_ns", json_object_new_int(7));
		json_object_object_add(b, "ts_ns", json_object_new_int(7));
		FUZZ_CHECK(!strcmp(json_object_to_json_string_ext(a, FLAGS),
				   json_object_to_json_string_ext(b, FLAGS)));
		json_object_put(b);
	}
	json_object_put(a);
	return 0;
}
