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

#include "recgen.h"

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

static uint64_t pow10_of(unsigned k)
{
	uint64_t p = 1;

	while (k--)
		p *= 10;
	return p;
}

static int cmd_dbl(uint64_t seed, long count)
{
	char got[64], want[64];

	rng_state = seed;
	for (long i = 0; i < count; i++) {
		double v = any_double();
		int gn, wn;

		switch (rnd() % 8) {
		case 0:   /* a ratio of counters, as ns/call and rates are: 16 or 17 digits */
			v = (double)(rnd() >> (rnd() % 64)) / (double)(1 + (rnd() >> (rnd() % 64))) *
			    pow(10, (double)(rnd() % 25) - 12);
			break;
		case 1:   /* an integer and a binary fraction: printf's ties at 15..17 digits */
			v = (double)(rnd() % pow10_of(10 + rnd() % 6)) + (double)(rnd() % 64) / 64;
			break;
		case 2:   /* a power of two and its neighbours: the narrower gap below */
			v = ldexp(1, (int)(rnd() % 64) - 14);
			v = rnd() % 3 ? nextafter(v, (rnd() & 1) ? 0 : INFINITY) : v;
			break;
		case 3:
			break;
		default:   /* a decimal of 1..17 digits, k places */
			v = (double)(rnd() % (1 + (rnd() >> (rnd() % 64)))) / pow(10, (double)(rnd() % 20));
		}
		if (rnd() & 1)
			v = -v;
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
