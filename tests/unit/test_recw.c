// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_recw — common/recw.c against json-c as the oracle, for
 * tests/05-recwriter.bats.  Random records (seeded, reproducible) are made
 * by a list of calls: keys from a pool of hostile ones (controls, quotes,
 * invalid UTF-8, U+2028, the envelope's names, duplicates), values at every
 * width edge, doubles in every form (NaN and Inf included), hostile and
 * over-long strings, json-c values (arrays, nested objects) as the progstats
 * sample carries them.  Each list is run through tk_record_new() + tk_rec_*
 * (today's path) and through one tk_recw kept per record type and refilled,
 * as the commands keep it: most records repeat the last list's keys with new
 * values, some change one call, some are new.  tk_emit() of the json-c
 * record and tk_recw_emit() must write the same bytes in JSON, text and
 * Prometheus, and tk_recw_json_line() / tk_recw_to_json() json-c's JSON.
 *
 *   diff SEED COUNT       "ok COUNT records BYTES bytes", or the first
 *                         difference (both renderings, hex) and exit 1
 *   bench COUNT FIELDS [dbl]   ns per bpfwatch-style tick record (no I/O):
 *                         json-c refilled + jsonw, and recw
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "jsonw.h"
#include "prom.h"
#include "recgen.h"
#include "recw.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define NKEYS 24
#define MAXCALLS 48

enum kind { C_STR, C_U64, C_I64, C_DBL, C_BOOL, C_OBJ, C_NKINDS };

struct call {
	const char *key;
	enum kind kind;
	uint64_t u;
	double d;
	char *s;             /* malloc'd */
	uint64_t seed;       /* C_OBJ: any_value() from this seed */
};

struct prog {
	struct call c[MAXCALLS];
	size_t n;
	int type;
};

static char pool[NKEYS][128];
static const char *const types[] = { "sample", "summary", "event" };
static const char TS[] = "ts_ns";

static void new_key(int k)
{
	static const char *const fixed[] = { "ts_ns", "tool", "type", "cnt", "name", "run_time_ns",
					     "cpu_pct", "lat_us", "a.b", "", "lat_ms", "lat_s" };

	if (k < (int)(sizeof(fixed) / sizeof(fixed[0])) && rnd() % 4)
		snprintf(pool[k], sizeof(pool[k]), "%s", fixed[k]);
	else
		any_bytes(pool[k], sizeof(pool[k]));
}

static char *any_string(void)
{
	char *s;

	if (rnd() % 64 == 0) {   /* longer than a record keeps: cut at 64 KiB */
		size_t n = 65530 + rnd() % 20;

		s = malloc(n + 1);
		for (size_t i = 0; s && i < n; i++)
			s[i] = "a\"\\\n\xc3\xa9\xff"[rnd() % 7];
		if (s)
			s[n] = '\0';
		return s;
	}
	s = malloc(128);
	if (s)
		any_bytes(s, 128);
	return s;
}

/* New values for the same keys and kinds (a refill). */
static void new_values(struct prog *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct call *c = &p->c[i];

		if (c->key == TS)
			continue;
		free(c->s);
		c->s = NULL;
		c->u = edge_u64();
		c->d = any_double();
		c->seed = rnd();
		if (c->kind == C_STR)
			c->s = any_string();
	}
}

static void random_call(struct call *c)
{
	c->key = pool[rnd() % NKEYS];
	c->kind = (enum kind)(rnd() % C_NKINDS);
	c->s = NULL;
}

static void new_prog(struct prog *p)
{
	size_t ts;

	p->n = 1 + rnd() % MAXCALLS;
	p->type = rnd() % 4 ? 0 : (int)(1 + rnd() % 2);
	ts = rnd() % p->n;
	for (size_t i = 0; i < p->n; i++)
		random_call(&p->c[i]);
	p->c[ts] = (struct call){ .key = TS, .kind = C_U64, .u = 1700000000123456789ULL };
}

/* One call changed, added or dropped. */
static void mutate(struct prog *p)
{
	size_t i = rnd() % p->n;

	if (p->c[i].key == TS)
		return;
	free(p->c[i].s);
	switch (rnd() % 3) {
	case 0:
		random_call(&p->c[i]);
		break;
	case 1:
		if (p->n < MAXCALLS) {
			memmove(&p->c[i + 1], &p->c[i], (p->n - i) * sizeof(p->c[0]));
			p->n++;
			p->c[i + 1].s = NULL;
		}
		random_call(&p->c[i]);
		break;
	default:
		memmove(&p->c[i], &p->c[i + 1], (p->n - i - 1) * sizeof(p->c[0]));
		p->n--;
	}
}

/* The json-c value of a C_OBJ call: the same seed makes the same value. */
static struct json_object *obj_of(const struct call *c)
{
	uint64_t keep = rng_state;
	struct json_object *o;

	rng_state = c->seed;
	o = rnd() % 3 ? json_object_new_array() : any_value(1);
	if (!json_object_is_type(o, json_type_object) && !json_object_is_type(o, json_type_array)) {
		struct json_object *a = json_object_new_array();   /* recw.h: arrays and objects */

		json_object_array_add(a, o);
		o = a;
	}
	if (json_object_is_type(o, json_type_array))
		for (size_t n = rnd() % 4; n; n--) {   /* progstats' {"pid":N,"comm":S} */
			struct json_object *e = json_object_new_object();
			char comm[128];

			json_object_object_add(e, "pid", json_object_new_int64((int64_t)edge_u64()));
			json_object_object_add(e, "comm", tk_json_str((any_bytes(comm, 64), comm)));
			json_object_array_add(o, rnd() % 4 ? e : (json_object_put(e), any_value(2)));
		}
	rng_state = keep;
	return o;
}

static struct json_object *by_json_c(const struct prog *p)
{
	struct json_object *rec = tk_record_new(types[p->type]);

	for (size_t i = 0; i < p->n; i++) {
		const struct call *c = &p->c[i];

		switch (c->kind) {
		case C_STR: tk_rec_str(rec, c->key, c->s); break;
		case C_U64: tk_rec_u64(rec, c->key, c->u); break;
		case C_I64: tk_rec_i64(rec, c->key, (int64_t)c->u); break;
		case C_DBL: tk_rec_dbl(rec, c->key, c->d); break;
		case C_BOOL: tk_rec_bool(rec, c->key, c->u & 1); break;
		default: json_object_object_add(rec, c->key, obj_of(c));
		}
	}
	if (getenv("TELKIT_RECW_TEST_BREAK"))   /* the bats file's proof that a difference shows */
		tk_rec_u64(rec, "one_more", 1);
	return rec;
}

static void by_recw(struct tk_recw *r, const struct prog *p)
{
	tk_recw_restamp(r);
	for (size_t i = 0; i < p->n; i++) {
		const struct call *c = &p->c[i];

		switch (c->kind) {
		case C_STR: tk_recw_str(r, c->key, c->s); break;
		case C_U64: tk_recw_u64(r, c->key, c->u); break;
		case C_I64: tk_recw_i64(r, c->key, (int64_t)c->u); break;
		case C_DBL: tk_recw_dbl(r, c->key, c->d); break;
		case C_BOOL: tk_recw_bool(r, c->key, c->u & 1); break;
		default: tk_recw_obj(r, c->key, obj_of(c));
		}
	}
}

static void hexdump(const char *what, const char *s, size_t n)
{
	printf("%s (%zu):", what, n);
	for (size_t i = 0; i < n && i < 4096; i++)
		printf(" %02x", (unsigned char)s[i]);
	printf("\n");
}

static int same(const char *what, const char *want, size_t wn, const char *got, size_t gn)
{
	if (wn == gn && !memcmp(want, got, wn))
		return 1;
	printf("differ: %s\n", what);
	hexdump("json-c", want, wn);
	hexdump("recw", got, gn);
	return 0;
}

/* What tk_emit() / tk_recw_emit() write in @fmt (summaries kept are flushed). */
static char *emitted(enum tk_format fmt, struct json_object *rec, struct tk_recw *r, size_t *n)
{
	char *buf = NULL;
	FILE *mem = open_memstream(&buf, n);

	if (!mem)
		exit(2);
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

/* tk_recw_to_json()'s last record, refilled by the next call (types[0] only) */
static struct json_object *kept;

static int check(const struct prog *p, struct tk_recw *r, size_t *bytes)
{
	static const enum tk_format fmts[] = { TK_FMT_JSON, TK_FMT_TEXT, TK_FMT_PROM };
	static const char *const names[] = { "JSON (tk_emit)", "text", "Prometheus" };
	struct json_object *rec = by_json_c(p), *back;
	size_t wn, gn, bn;
	const char *want = json_object_to_json_string_length(rec, FLAGS, &wn), *got;
	int ok;

	by_recw(r, p);
	got = tk_recw_json_line(r, &gn);
	ok = same("tk_recw_json_line", want, wn, got, gn);
	back = tk_recw_to_json(r, NULL);
	got = json_object_to_json_string_length(back, FLAGS, &bn);
	ok = ok && same("tk_recw_to_json", want, wn, got, bn);
	json_object_put(back);
	if (p->type == 0) {
		kept = tk_recw_to_json(r, kept);
		got = json_object_to_json_string_length(kept, FLAGS, &bn);
		ok = ok && same("tk_recw_to_json (refilled)", want, wn, got, bn);
	}
	*bytes += wn;
	for (size_t f = 0; ok && f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		char *a = emitted(fmts[f], rec, NULL, &wn), *b = emitted(fmts[f], NULL, r, &gn);

		ok = same(names[f], a, wn, b, gn);
		free(a);
		free(b);
	}
	json_object_put(rec);
	return !ok;
}

static int cmd_diff(uint64_t seed, long count)
{
	struct tk_recw *r[3];
	struct prog p = { 0 };
	size_t bytes = 0;
	int bad = 0;

	rng_state = seed;
	for (int k = 0; k < NKEYS; k++)
		new_key(k);
	for (int t = 0; t < 3; t++)
		r[t] = tk_recw_new(types[t]);
	new_prog(&p);
	new_values(&p);
	for (long i = 0; i < count && !bad; i++) {
		unsigned what = (unsigned)(rnd() % 16);

		if (what < 8) {
			new_values(&p);
		} else if (what < 12) {
			mutate(&p);
			new_values(&p);
		} else if (what < 15) {
			for (size_t c = 0; c < p.n; c++)
				free(p.c[c].s);
			new_prog(&p);
			new_values(&p);
		} else {   /* a key's bytes change under its pointer */
			new_key((int)(rnd() % NKEYS));
			for (int t = 0; t < 3; t++)
				tk_recw_forget(r[t]);
		}
		bad = check(&p, r[p.type], &bytes);
		if (bad)
			printf("record %ld of seed %" PRIu64 "\n", i, seed);
	}
	for (size_t c = 0; c < p.n; c++)
		free(p.c[c].s);
	for (int t = 0; t < 3; t++)
		tk_recw_free(r[t]);
	json_object_put(kept);
	if (!bad)
		printf("ok %ld records %zu bytes\n", count, bytes);
	return bad;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * A bpfwatch tick record of FIELDS counters (or shortest-form doubles),
 * COUNT times, no I/O: the json-c record refilled in place and walked by
 * jsonw (bpfwatch before), and the recw record (now).
 */
static int cmd_bench(long count, int fields, bool dbl)
{
	char (*keys)[32] = calloc((size_t)fields, sizeof(*keys));
	struct json_object *rec = tk_record_new("sample");
	struct tk_recw *r = tk_recw_new("sample");
	struct tk_jsonw w = { 0 };
	volatile size_t sink = 0;
	double t0, t1, t2;
	size_t n = 0;

	if (!keys)
		return 2;
	for (int i = 0; i < fields; i++)
		snprintf(keys[i], sizeof(keys[i]), "test_bpf_f%d", i);
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		tk_record_restamp(rec);
		for (int f = 0; f < fields; f++) {
			if (dbl)
				tk_rec_dbl(rec, keys[f], 0.001 * (double)(i + f));
			else
				tk_rec_u64(rec, keys[f], (uint64_t)(i * f));
		}
		sink += tk_record_same_shape(rec);
		w.len = 0;
		tk_jsonw_append(&w, rec);
		sink += w.len;
	}
	t1 = now_ns();
	for (long i = 0; i < count; i++) {
		tk_recw_restamp(r);
		for (int f = 0; f < fields; f++) {
			if (dbl)
				tk_recw_dbl(r, keys[f], 0.001 * (double)(i + f));
			else
				tk_recw_u64(r, keys[f], (uint64_t)(i * f));
		}
		tk_recw_json_line(r, &n);
		sink += n;
	}
	t2 = now_ns();
	printf("%d %s fields: json-c refill + jsonw %.0f ns, recw %.0f ns per record (%zu bytes)\n",
	       fields, dbl ? "double" : "u64", (t1 - t0) / (double)count, (t2 - t1) / (double)count, n);
	tk_jsonw_free(&w);
	json_object_put(rec);
	tk_recw_free(r);
	free(keys);
	return sink == 0;
}

int main(int argc, char **argv)
{
	tk_output_init("test_recw", TK_FMT_JSON);
	if (argc == 4 && !strcmp(argv[1], "diff"))
		return cmd_diff(strtoull(argv[2], NULL, 0), strtol(argv[3], NULL, 0));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "bench"))
		return cmd_bench(strtol(argv[2], NULL, 0), atoi(argv[3]), argc == 5);
	fprintf(stderr, "usage: test_recw diff SEED COUNT | bench COUNT FIELDS [dbl]\n");
	return 2;
}
