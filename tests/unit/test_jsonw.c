// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_jsonw — common/jsonw.c against json-c as the oracle, for
 * tests/04-records.bats.  Random records (seeded, reproducible) hold integers
 * at every width edge, doubles in every form (shortest-exact, integral, huge,
 * subnormal, non-finite through json-c's setters), hostile strings and keys
 * (controls, quotes, invalid UTF-8, embedded NUL), nested objects and arrays,
 * values made by output.c's tk_rec_* and by json-c directly, and values json-c
 * parsed itself (doubles that keep their source text).  Each must come out of
 * tk_jsonw_append() and out of tk_emit_json() (+ "\n") exactly as
 * json_object_to_json_string_ext(PLAIN | NOSLASHESCAPE) writes it.
 *
 *   diff SEED COUNT     COUNT random records; "ok COUNT records BYTES bytes", or
 *                       the first difference (both renderings, hex) and exit 1
 *   dbl SEED COUNT      tk_fmt_double() against printf: the shortest of
 *                       "%.15g".."%.17g" that strtod() reads back, on random
 *                       doubles, most of them short decimals (r / 10^k)
 *   flush COUNT         the cost of the per-record flush (telkit-json(7)):
 *                       COUNT progstats-sized records to stdout, one write
 *                       each (tk_emit_json) and all in one write; ns per
 *                       record of each on stderr
 *   bench COUNT FIELDS [dbl]   cost per record of a bpfwatch tick record
 *                       before and now (cmd_bench)
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "numfmt.h"
#include "output.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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
	unsigned k = (unsigned)(rnd() % 4);

	if (k == 0)
		return e[rnd() % (sizeof(e) / sizeof(e[0]))];
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
					    "\xe2\x82", "=", "'", "\xef\xbf\xbd" };
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

static struct json_object *any_record(void)
{
	struct json_object *rec = tk_record_new("sample");

	fill_object(rec, 0);
	if (rnd() % 4 == 0) {   /* reused in place, as hot loops do */
		tk_record_restamp(rec);
		fill_object(rec, 0);
	}
	return rec;
}

static void hexdump(const char *what, const char *s, size_t n)
{
	printf("%s (%zu):", what, n);
	for (size_t i = 0; i < n; i++)
		printf(" %02x", (unsigned char)s[i]);
	printf("\n");
}

static int differ(const char *what, const char *want, size_t wn, const char *got, size_t gn)
{
	printf("differ: %s\n", what);
	hexdump("json-c", want, wn);
	hexdump("jsonw", got, gn);
	return 1;
}

/* One record through jsonw and through tk_emit_json(), against json-c. */
static int check_one(struct json_object *rec, struct tk_jsonw *w, size_t *bytes)
{
	char *emitted = NULL;
	size_t en = 0, wn;
	const char *want;
	FILE *mem = open_memstream(&emitted, &en);
	int bad = 0;

	w->len = 0;
	if (!mem || tk_jsonw_append(w, rec)) {
		puts("error: out of memory");
		exit(2);
	}
	want = json_object_to_json_string_length(rec, FLAGS, &wn);
	if (w->len != wn || memcmp(w->p, want, wn))
		bad = differ("tk_jsonw_append", want, wn, w->p, w->len);
	tk_out.out = mem;
	tk_emit_json(json_object_get(rec));
	fclose(mem);
	tk_out.out = stdout;
	if (!bad && (en != wn + 1 || memcmp(emitted, want, wn) || emitted[wn] != '\n'))
		bad = differ("tk_emit_json", want, wn, emitted, en);
	*bytes += wn;
	free(emitted);
	return bad;
}

static int cmd_diff(uint64_t seed, long count)
{
	struct tk_jsonw w = { 0 };
	size_t bytes = 0;
	int bad = 0;

	rng_state = seed;
	for (long i = 0; i < count && !bad; i++) {
		struct json_object *rec = any_record();

		bad = check_one(rec, &w, &bytes);
		if (bad)
			printf("record %ld of seed %" PRIu64 "\n", i, seed);
		json_object_put(rec);
	}
	tk_jsonw_free(&w);
	if (!bad)
		printf("ok %ld records %zu bytes\n", count, bytes);
	return bad;
}

/* The definition in numfmt.h, with printf alone. */
static int ref_fmt_double(char *buf, size_t size, double v)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return n;
}

static int cmd_dbl(uint64_t seed, long count)
{
	char got[64], want[64];

	rng_state = seed;
	for (long i = 0; i < count; i++) {
		double v = any_double();
		int gn, wn;

		if (rnd() % 4)   /* a decimal of 1..17 digits, k places */
			v = (double)(rnd() % (1 + (rnd() >> (rnd() % 64)))) / pow(10, (double)(rnd() % 20)) *
			    ((rnd() & 1) ? -1 : 1);
		if (!isfinite(v))
			continue;
		gn = tk_fmt_double(got, sizeof(got), v);
		wn = ref_fmt_double(want, sizeof(want), v);
		if (gn != wn || strcmp(got, want)) {
			printf("differ: %.17g: tk_fmt_double \"%s\" printf \"%s\"\n", v, got, want);
			return 1;
		}
	}
	printf("ok %ld doubles\n", count);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void bench_keys(char (*keys)[32], int fields)
{
	for (int i = 0; i < fields; i++)
		snprintf(keys[i], sizeof(keys[i]), "test_bpf_f%d", i);
}

/*
 * A bpfwatch tick record of FIELDS counters, COUNT times, both ways (ns per
 * record, no I/O): as bpfwatch built it before (a new json-c record per
 * tick, json-c's serializer) and as it does now (one record refilled in
 * place, jsonw).  @dbl: the fields are shortest-form doubles instead.
 */
static int cmd_bench(long count, int fields, bool dbl)
{
	char (*keys)[32] = calloc((size_t)fields, sizeof(*keys));
	struct json_object *rec = NULL;
	struct tk_jsonw w = { 0 };
	volatile size_t sink = 0;
	double t0, t1, t2;

	if (!keys)
		return 2;
	bench_keys(keys, fields);
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		rec = tk_record_new("sample");
		for (int f = 0; f < fields; f++)
			json_object_object_add_ex(rec, keys[f], dbl ? tk_json_dbl(0.001 * (i + f))
						  : json_object_new_uint64((uint64_t)(i * f)),
						  JSON_C_OBJECT_KEY_IS_CONSTANT);
		sink += strlen(json_object_to_json_string_ext(rec, FLAGS));
		json_object_put(rec);
	}
	t1 = now_ns();
	rec = tk_record_new("sample");
	for (long i = 0; i < count; i++) {
		tk_record_restamp(rec);
		for (int f = 0; f < fields; f++) {
			if (dbl)
				tk_rec_dbl(rec, keys[f], 0.001 * (i + f));
			else
				tk_rec_u64(rec, keys[f], (uint64_t)(i * f));
		}
		sink += tk_record_same_shape(rec);
		w.len = 0;
		tk_jsonw_append(&w, rec);
		sink += w.len;
	}
	t2 = now_ns();
	printf("%d %s fields: new record + json-c %.0f ns, refill + jsonw %.0f ns per record (%zu bytes)\n",
	       fields, dbl ? "double" : "u64", (t1 - t0) / count, (t2 - t1) / count, w.len);
	tk_jsonw_free(&w);
	json_object_put(rec);
	free(keys);
	return sink == 0;
}

static int cmd_flush(long count)
{
	struct json_object *rec = tk_record_new("sample");
	struct tk_jsonw w = { 0 };
	double t0, t1, t2;

	tk_rec_str(rec, "name", "tp_btf_sched_switch");
	for (int f = 0; f < 16; f++) {
		char key[16];

		snprintf(key, sizeof(key), "field_%d", f);
		tk_rec_u64(rec, key, 123456789ULL * (uint64_t)f);
	}
	t0 = now_ns();
	for (long i = 0; i < count; i++)
		tk_emit_json(json_object_get(rec));
	t1 = now_ns();
	for (long i = 0; i < count; i++) {
		tk_jsonw_append(&w, rec);
		tk_jsonw_raw(&w, "\n", 1);
	}
	fwrite(w.p, 1, w.len, stdout);
	fflush(stdout);
	t2 = now_ns();
	fprintf(stderr, "per-record flush %.0f ns, one write for all %.0f ns per record\n",
		(t1 - t0) / count, (t2 - t1) / count);
	tk_jsonw_free(&w);
	json_object_put(rec);
	return 0;
}

int main(int argc, char **argv)
{
	tk_output_init("test_jsonw", TK_FMT_JSON);
	if (argc == 4 && !strcmp(argv[1], "diff"))
		return cmd_diff(strtoull(argv[2], NULL, 0), strtol(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "flush"))
		return cmd_flush(strtol(argv[2], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "dbl"))
		return cmd_dbl(strtoull(argv[2], NULL, 0), strtol(argv[3], NULL, 0));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "bench"))
		return cmd_bench(strtol(argv[2], NULL, 0), atoi(argv[3]), argc == 5);
	fprintf(stderr, "usage: test_jsonw diff SEED COUNT | dbl SEED COUNT | flush COUNT | bench COUNT FIELDS [dbl]\n");
	return 2;
}
