// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz common/recw.c against json-c.  The input is a little program: up to
 * eight keys (hostile bytes, read first, kept at fixed addresses as the
 * commands keep theirs), then calls (a kind, a key, a value from raw bits:
 * strings, integers, doubles, booleans, arrays).  It is run three times on
 * one tk_recw: as a new shape, refilled with other values (the same calls),
 * and with its last call dropped; each time also through tk_record_new() +
 * tk_rec_*.  Invariants: tk_recw_emit() writes what tk_emit() writes for
 * the json-c record in JSON, text and Prometheus, and tk_recw_json_line()
 * is json-c's JSON.
 */
#include <stdint.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "output.h"
#include "prom.h"
#include "recw.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define NKEYS 8
#define NCALLS 64

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t next8(struct in *g)
{
	if (!g->n)
		return 0;
	g->n--;
	return *g->p++;
}

static uint64_t next64(struct in *g)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | next8(g);
	return v;
}

struct call {
	uint8_t kind, key;
	uint64_t bits;
	char s[32];
};

static char keys[NKEYS][32];
static const char *const envelope[] = { "ts_ns", "tool", "type" };

static const char *key_of(const struct call *c)
{
	return c->key < NKEYS ? keys[c->key] : envelope[c->key % 3];
}

static struct json_object *array_of(const struct call *c)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_int64((int64_t)c->bits));
	json_object_array_add(a, tk_json_str(c->s));
	if (c->bits & 1) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, c->s, json_object_new_uint64(c->bits));
		json_object_array_add(a, o);
	}
	if ((c->bits & 6) != 6)
		return a;
	json_object_put(a);
	return json_object_new_object();   /* an object: json-c renders it in text and prom */
}

static void run_json_c(struct json_object *rec, const struct call *c, size_t n)
{
	for (size_t i = 0; i < n; i++, c++) {
		double d;

		memcpy(&d, &c->bits, sizeof(d));
		switch (c->kind % 6) {
		case 0: tk_rec_str(rec, key_of(c), c->s); break;
		case 1: tk_rec_u64(rec, key_of(c), c->bits); break;
		case 2: tk_rec_i64(rec, key_of(c), (int64_t)c->bits); break;
		case 3: tk_rec_dbl(rec, key_of(c), d); break;
		case 4: tk_rec_bool(rec, key_of(c), c->bits & 1); break;
		default: json_object_object_add(rec, key_of(c), array_of(c));
		}
	}
}

static void run_recw(struct tk_recw *r, const struct call *c, size_t n)
{
	tk_recw_restamp(r);
	for (size_t i = 0; i < n; i++, c++) {
		double d;

		memcpy(&d, &c->bits, sizeof(d));
		switch (c->kind % 6) {
		case 0: tk_recw_str(r, key_of(c), c->s); break;
		case 1: tk_recw_u64(r, key_of(c), c->bits); break;
		case 2: tk_recw_i64(r, key_of(c), (int64_t)c->bits); break;
		case 3: tk_recw_dbl(r, key_of(c), d); break;
		case 4: tk_recw_bool(r, key_of(c), c->bits & 1); break;
		default: tk_recw_obj(r, key_of(c), array_of(c));
		}
	}
}

static char *emitted(enum tk_format fmt, struct json_object *rec, struct tk_recw *r, size_t *n)
{
	char *buf = NULL;
	FILE *mem = open_memstream(&buf, n);

	FUZZ_CHECK(mem);
	tk_out.fmt = fmt;
	tk_out.out = mem;
	if (rec)
		tk_emit(json_object_get(rec));
	else
		tk_recw_emit(r);
	tk_prom_end(mem);
	fclose(mem);
	tk_out.out = stdout;
	return buf;
}

static void check(struct tk_recw *r, const struct call *c, size_t n)
{
	static const enum tk_format fmts[] = { TK_FMT_JSON, TK_FMT_TEXT, TK_FMT_PROM };
	struct json_object *rec = tk_record_new("sample");
	size_t wn, gn;
	const char *want, *got;

	run_json_c(rec, c, n);
	tk_rec_u64(rec, "ts_ns", 1);
	run_recw(r, c, n);
	tk_recw_u64(r, "ts_ns", 1);
	want = json_object_to_json_string_length(rec, FLAGS, &wn);
	got = tk_recw_json_line(r, &gn);
	FUZZ_CHECK(wn == gn && !memcmp(want, got, wn));
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		char *a = emitted(fmts[f], rec, NULL, &wn), *b = emitted(fmts[f], NULL, r, &gn);

		if (wn != gn || memcmp(a, b, wn))   /* both, for whoever replays it */
			fprintf(stderr, "format %d:\njson-c:\n%.*s\nrecw:\n%.*s\n", (int)fmts[f],
				(int)wn, a, (int)gn, b);
		FUZZ_CHECK(wn == gn && !memcmp(a, b, wn));
		free(a);
		free(b);
	}
	json_object_put(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct call calls[NCALLS];
	struct in g = { data, size };
	struct tk_recw *r;
	size_t n = 0;

	tk_out.tool = "fuzz";
	for (int k = 0; k < NKEYS; k++) {
		size_t len = next8(&g) % 8;

		for (size_t i = 0; i < len; i++)
			keys[k][i] = (char)next8(&g);
		keys[k][len] = '\0';
	}
	while (g.n && n < NCALLS) {
		struct call *c = &calls[n++];
		size_t len;

		c->kind = next8(&g);
		c->key = next8(&g) % (NKEYS + 3);
		c->bits = next64(&g);
		len = next8(&g) % sizeof(c->s);
		for (size_t i = 0; i < len; i++)
			c->s[i] = (char)next8(&g);
		c->s[len] = '\0';
	}
	r = tk_recw_new("sample");
	check(r, calls, n);
	for (size_t i = 0; i < n; i++)   /* a refill: the same calls, other values */
		calls[i].bits = ~calls[i].bits;
	check(r, calls, n);
	if (n)
		check(r, calls, n - 1);
	tk_recw_free(r);
	return 0;
}
