// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "clock.h"
#include "escape.h"
#include "jsonw.h"
#include "numfmt.h"
#include "output.h"
#include "prom.h"
#include "stats.h"

#define TK_STR_MAX 65536  /* longest string carried into a record */

struct tk_output tk_out = { .tool = "telkit" };

void tk_output_init(const char *tool, enum tk_format fmt)
{
	tk_out.tool = tool;
	tk_out.fmt = fmt;
	tk_out.out = stdout;
	signal(SIGPIPE, SIG_IGN);
}

static const char *const fmt_names[] = { "text", "json", "prom", "csv" };

int tk_format_parse(const char *s, enum tk_format *fmt)
{
	for (size_t i = 0; i < TK_ARRAY_SIZE(fmt_names); i++) {
		if (!strcmp(s, fmt_names[i])) {
			*fmt = (enum tk_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *tk_format_name(enum tk_format fmt)
{
	return (unsigned)fmt < TK_ARRAY_SIZE(fmt_names) ? fmt_names[fmt] : "?";
}

/* @p, or abort with one line when an allocation failed (output.h: never NULL). */
static void *or_abort(void *p)
{
	if (!p) {
		fputs("telkit: out of memory\n", stderr);
		abort();
	}
	return p;
}

const char *tk_record_str_clean(const char *s, char *stack, size_t size, char **heap)
{
	size_t need;

	*heap = NULL;
	if (strnlen(s, TK_STR_MAX) < TK_STR_MAX && tk_utf8_valid(s))
		return s;       /* the usual case: nothing to replace, nothing to copy */
	need = tk_utf8_sanitize(stack, size, s);
	if (need < size)
		return stack;
	if (need >= TK_STR_MAX)
		need = TK_STR_MAX - 1;
	*heap = or_abort(malloc(need + 1));
	tk_utf8_sanitize(*heap, need + 1, s);
	return *heap;
}

struct json_object *tk_json_str(const char *s)
{
	char stack[1024], *heap;
	const char *clean = tk_record_str_clean(s, stack, sizeof(stack), &heap);
	struct json_object *o = or_abort(json_object_new_string(clean));

	free(heap);
	return o;
}

/*
 * The record being refilled since tk_record_restamp(): its field that the
 * next tk_rec_* most likely names (they name them in the same order every
 * time), so a refill costs a strcmp per field instead of a hash lookup.
 * Forgotten when that record is emitted or a new one is made.
 */
static struct {
	struct json_object *rec;
	struct lh_entry *next;
	size_t found;           /* fields found in order since the restamp */
	bool in_order;          /* no tk_rec_* missed @next since the restamp */
} refill;

/*
 * @e when it is still a live slot of @t: json-c moves every entry when the
 * table grows, so a hint kept from before an insertion may point elsewhere.
 */
static struct lh_entry *live_slot(struct lh_table *t, struct lh_entry *e)
{
	if (!e || e < t->table || e >= t->table + t->size)
		return NULL;
	return lh_entry_k(e) == LH_EMPTY || lh_entry_k(e) == LH_FREED ? NULL : e;
}

/* @rec's entry for @key, or NULL. */
static struct lh_entry *field_entry(struct json_object *rec, const char *key)
{
	struct lh_table *t = json_object_get_object(rec);
	struct lh_entry *e = NULL;

	if (rec != refill.rec)
		return lh_table_lookup_entry(t, key);
	e = live_slot(t, refill.next);
	if (e && !strcmp(lh_entry_k(e), key)) {
		refill.found++;
	} else {
		refill.in_order = false;
		e = lh_table_lookup_entry(t, key);
	}
	refill.next = e ? lh_entry_next(e) : NULL;
	return e;
}

struct json_object *tk_record_new(const char *type)
{
	struct json_object *rec = or_abort(json_object_new_object());

	refill.rec = NULL;

	tk_rec_str(rec, "tool", tk_out.tool ? tk_out.tool : "telkit");
	tk_rec_str(rec, "type", type);
	tk_rec_u64(rec, "ts_ns", tk_now_real_ns());
	return rec;
}

void tk_record_restamp(struct json_object *rec)
{
	struct lh_entry *head = lh_table_head(json_object_get_object(rec));

	/* the envelope leads: "tool", "type", then "ts_ns" (tk_record_new) */
	refill.rec = rec;
	refill.next = head && lh_entry_next(head) ? lh_entry_next(lh_entry_next(head)) : NULL;
	refill.found = 2;
	refill.in_order = true;
	tk_rec_u64(rec, "ts_ns", tk_now_real_ns());
}

bool tk_record_same_shape(struct json_object *rec)
{
	return rec == refill.rec && refill.in_order && !refill.next &&
	       refill.found == (size_t)json_object_object_length(rec);
}

/* @rec leaves the caller's hands: stop expecting a refill of it. */
static void refill_done(struct json_object *rec)
{
	if (rec == refill.rec)
		refill.rec = NULL;
}

/*
 * The value under @key when it can be overwritten in place (same type): a
 * reused record then costs no allocation per field.  Values belong to their
 * record (output.h), so nobody else sees the change.
 */
static struct json_object *reusable_value(struct json_object *rec, const char *key,
					  enum json_type t)
{
	struct lh_entry *e = field_entry(rec, key);
	struct json_object *v = e ? (struct json_object *)lh_entry_v(e) : NULL;

	return v && json_object_is_type(v, t) ? v : NULL;
}

static void put_new(struct json_object *rec, const char *key, struct json_object *v)
{
	json_object_object_add(rec, key, or_abort(v));
}

/*
 * @v written by @fn, one of numfmt.h's serializers, instead of json-c's own;
 * tagged so that jsonw.c writes it the same way without calling @fn.
 */
static struct json_object *with_serializer(struct json_object *v,
					   json_object_to_json_string_fn *fn)
{
	json_object_set_serializer(or_abort(v), fn, TK_JSONW_NUM, NULL);
	return v;
}

void tk_rec_str(struct json_object *rec, const char *key, const char *val)
{
	struct json_object *v = reusable_value(rec, key, json_type_string);
	char stack[1024], *heap;

	/* json-c 0.16 leaks a moved-out buffer when a string is set to "" */
	if (!v || !val || !*val) {
		put_new(rec, key, tk_json_str(val ? val : ""));
		return;
	}
	if (!json_object_set_string(v, tk_record_str_clean(val ? val : "", stack, sizeof(stack), &heap)))
		put_new(rec, key, tk_json_str(val ? val : ""));
	free(heap);
}

void tk_rec_u64(struct json_object *rec, const char *key, uint64_t val)
{
	struct json_object *v = reusable_value(rec, key, json_type_int);

	if (!v || !json_object_set_uint64(v, val))
		put_new(rec, key, with_serializer(json_object_new_uint64(val), tk_json_int_serializer));
}

void tk_rec_i64(struct json_object *rec, const char *key, int64_t val)
{
	struct json_object *v = reusable_value(rec, key, json_type_int);

	if (!v || !json_object_set_int64(v, val))
		put_new(rec, key, with_serializer(json_object_new_int64(val), tk_json_int_serializer));
}

struct json_object *tk_json_dbl(double val)
{
	return with_serializer(json_object_new_double(tk_finite_or_zero(val)), tk_json_dbl_serializer);
}

void tk_rec_dbl(struct json_object *rec, const char *key, double val)
{
	struct json_object *v = reusable_value(rec, key, json_type_double);

	val = tk_finite_or_zero(val);
	if (!v || !json_object_set_double(v, val))
		put_new(rec, key, tk_json_dbl(val));
}

void tk_rec_bool(struct json_object *rec, const char *key, bool val)
{
	struct json_object *v = reusable_value(rec, key, json_type_boolean);

	if (!v || !json_object_set_boolean(v, val))
		put_new(rec, key, json_object_new_boolean(val));
}

int tk_flush(void)
{
	FILE *f = tk_out.out ? tk_out.out : stdout;

	if (fflush(f) == 0 && !ferror(f))
		return 0;
	if (errno == EPIPE || tk_out.broken) {
		tk_out.broken = true;
		tk_stop_request();
		return -EPIPE;
	}
	return -errno;
}

/*
 * The lines of tk_emit_json(), kept for the whole run.  While output is held
 * (tk_output_hold) they accumulate here and go out at the release, or when
 * PENDING_MAX bytes wait: 64 KiB, a pipe's default capacity; a larger
 * buffer cost a one-shot progstats -j of 1000 programs ~48 more page
 * faults and a running sample more cache, for fewer write(2)s to /dev/null.
 */
static struct tk_jsonw line;
static unsigned held;

#define PENDING_MAX (64 * 1024)

static int write_pending(FILE *f);

/* At exit: what a pass left held still goes out, then the buffer goes. */
static void release_line(void)
{
	FILE *f = tk_out.out ? tk_out.out : stdout;

	if (!tk_out.broken)
		tk_prom_end(f);
	write_pending(f);
	tk_jsonw_free(&line);
}

/* release_line() at exit, registered once. */
static void register_release(void)
{
	static bool registered;

	if (!registered)
		registered = !atexit(release_line);
}

/*
 * Write and flush the lines that wait: a reader only ever sees whole lines
 * (stdio would keep a tail of a long fwrite back).  0 or tk_flush()'s error.
 */
static int write_pending(FILE *f)
{
	size_t n = line.len;

	line.len = 0;
	if (!n || tk_out.broken)
		return tk_out.broken ? -EPIPE : 0;
	fwrite(line.p, 1, n, f);
	return tk_flush();   /* sets tk_out.broken on EPIPE */
}

void tk_output_hold(void)
{
	held++;
}

int tk_output_release(void)
{
	FILE *f = tk_out.out ? tk_out.out : stdout;
	int err;

	if (held && --held)
		return 0;
	if (!tk_out.broken)
		tk_prom_end(f);   /* the pass's summary records: one exposition */
	err = write_pending(f);
	return err ? err : tk_out.broken ? -EPIPE : tk_flush();   /* text/prom lines */
}

int tk_emit_json(struct json_object *rec)
{
	struct tk_jsonw *w = tk_emit_json_begin();
	int err = 0;

	if (w) {
		err = tk_jsonw_append(w, rec);
		if (!err)
			err = tk_jsonw_raw(w, "\n", 1);
		if (err)
			or_abort(NULL);
	}
	err = tk_emit_json_end();
	refill_done(rec);
	json_object_put(rec);
	return err;
}

struct tk_jsonw *tk_emit_json_begin(void)
{
	register_release();
	if (!held)
		line.len = 0;
	/* the size held lines reach at once: not doubled up to it from 4 KiB,
	 * each step a copy onto pages not touched yet */
	if (!line.cap)
		or_abort(tk_jsonw_room(&line, PENDING_MAX + 4096));
	return tk_out.broken ? NULL : &line;
}

int tk_emit_json_end(void)
{
	if (tk_out.broken)
		return -EPIPE;
	if (!held || line.len >= PENDING_MAX)
		return write_pending(tk_out.out ? tk_out.out : stdout);
	return 0;
}

static bool envelope_key(const char *k)
{
	return !strcmp(k, "tool") || !strcmp(k, "type") || !strcmp(k, "ts_ns");
}

static void print_number(FILE *f, double v)
{
	char buf[64];

	tk_fmt_text_num(buf, sizeof(buf), v);
	fputs(buf, f);
}

static void print_text_value(FILE *f, struct json_object *v)
{
	char stack[1024], *buf = stack;
	const char *s;
	size_t need;

	switch (json_object_get_type(v)) {
	case json_type_double:
		print_number(f, json_object_get_double(v));
		return;
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX)
			fprintf(f, "%llu", (unsigned long long)json_object_get_uint64(v));
		else
			fprintf(f, "%lld", (long long)json_object_get_int64(v));
		return;
	case json_type_boolean:
		fputs(json_object_get_boolean(v) ? "true" : "false", f);
		return;
	case json_type_null:
		fputs("-", f);
		return;
	case json_type_string:
		s = json_object_get_string(v);
		break;
	default: /* arrays: compact JSON, escaped as a text value */
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
		break;
	}
	need = tk_escape_text(stack, sizeof(stack), s);
	if (need >= sizeof(stack)) {
		buf = or_abort(malloc(need + 1));
		tk_escape_text(buf, need + 1, s);
	}
	fputs(buf, f);
	if (buf != stack)
		free(buf);
}

/* Keys come from BTF/map names too: anything but [A-Za-z0-9_.:-] becomes '_'. */
static void print_text_key(FILE *f, const char *k)
{
	for (; *k; k++) {
		unsigned char c = (unsigned char)*k;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || strchr("_.:-", c);

		fputc(ok && c ? c : '_', f);
	}
}

static void print_text_fields(FILE *f, struct json_object *obj, const char *prefix, bool *first)
{
	json_object_object_foreach(obj, key, val) {
		char path[256];

		if (!prefix && envelope_key(key))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
		if (json_object_get_type(val) == json_type_object) {
			print_text_fields(f, val, path, first);
			continue;
		}
		if (!*first)
			fputc(' ', f);
		*first = false;
		print_text_key(f, path);
		fputc('=', f);
		print_text_value(f, val);
	}
}

/* Render @rec as the text one-liner into @f (no envelope, no flush). */
static void print_text_record(FILE *f, struct json_object *rec)
{
	bool first = true;

	print_text_fields(f, rec, NULL, &first);
}

static int (*observer)(struct json_object *rec);

void tk_output_observe(int (*fn)(struct json_object *rec))
{
	observer = fn;
}

bool tk_output_observed(void)
{
	return observer != NULL;
}

/*
 * tk_emit()'s rules around a text or Prometheus record that @render writes
 * to @f: held JSON lines (error records) keep their place; a Prometheus
 * record outside a pass is a pass of its own.
 */
static int emit_other(FILE *f, void (*render)(FILE *f, void *ctx), void *ctx)
{
	if (line.len)
		write_pending(f);
	if (tk_out.fmt == TK_FMT_PROM)
		register_release();
	if (!tk_out.broken)
		render(f, ctx);
	if (tk_out.fmt == TK_FMT_PROM && !held && !tk_out.broken)
		tk_prom_end(f);
	if (held && !tk_out.broken && !ferror(f))
		return 0;
	return tk_out.broken ? -EPIPE : tk_flush();
}

int tk_emit_render(void (*render)(FILE *f, void *ctx), void *ctx)
{
	return emit_other(tk_out.out ? tk_out.out : stdout, render, ctx);
}

static void render_text(FILE *f, void *ctx)
{
	struct json_object *rec = ctx;

	fputs(json_object_get_string(json_object_object_get(rec, "type")), f);
	fputc(' ', f);
	print_text_record(f, rec);
	fputc('\n', f);
}

static void render_prom(FILE *f, void *ctx)
{
	tk_prom_emit(f, ctx);
}

int tk_emit(struct json_object *rec)
{
	FILE *f = tk_out.out ? tk_out.out : stdout;
	int err;

	if (observer)
		observer(rec);
	if (tk_out.fmt == TK_FMT_JSON)
		return tk_emit_json(rec);
	err = emit_other(f, tk_out.fmt == TK_FMT_PROM ? render_prom : render_text, rec);
	refill_done(rec);
	json_object_put(rec);
	return err;
}
