// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "clock.h"
#include "escape.h"
#include "numfmt.h"
#include "output.h"
#include "prom.h"
#include "stats.h"

#define TK_STR_MAX 65536  /* longest string carried into a record */
#define TK_PROM_LABELS 16

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

/* @s sanitised into a stack buffer or, when longer, a malloc'd one (*heap). */
static const char *sanitised(const char *s, char *stack, size_t size, char **heap)
{
	size_t need = tk_utf8_sanitize(stack, size, s);

	*heap = NULL;
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
	const char *clean = sanitised(s, stack, sizeof(stack), &heap);
	struct json_object *o = or_abort(json_object_new_string(clean));

	free(heap);
	return o;
}

struct json_object *tk_record_new(const char *type)
{
	struct json_object *rec = or_abort(json_object_new_object());

	tk_rec_str(rec, "tool", tk_out.tool ? tk_out.tool : "telkit");
	tk_rec_str(rec, "type", type);
	tk_rec_u64(rec, "ts_ns", tk_now_real_ns());
	return rec;
}

void tk_record_restamp(struct json_object *rec)
{
	tk_rec_u64(rec, "ts_ns", tk_now_real_ns());
}

/*
 * The value under @key when it can be overwritten in place (same type): a
 * reused record then costs no allocation per field.  Values belong to their
 * record (output.h), so nobody else sees the change.
 */
static struct json_object *reusable_value(struct json_object *rec, const char *key,
					  enum json_type t)
{
	struct json_object *v;

	if (!json_object_object_get_ex(rec, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static void put_new(struct json_object *rec, const char *key, struct json_object *v)
{
	json_object_object_add(rec, key, or_abort(v));
}

/* @v written by @fn, one of numfmt.h's serializers, instead of json-c's own. */
static struct json_object *with_serializer(struct json_object *v,
					   json_object_to_json_string_fn *fn)
{
	json_object_set_serializer(or_abort(v), fn, NULL, NULL);
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
	if (!json_object_set_string(v, sanitised(val ? val : "", stack, sizeof(stack), &heap)))
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

int tk_emit_json(struct json_object *rec)
{
	FILE *f = tk_out.out ? tk_out.out : stdout;
	int err = 0;

	if (!tk_out.broken) {
		fputs(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE), f);
		fputc('\n', f);
		err = tk_flush();
	} else {
		err = -EPIPE;
	}
	json_object_put(rec);
	return err;
}

static bool envelope_key(const char *k)
{
	return !strcmp(k, "tool") || !strcmp(k, "type") || !strcmp(k, "ts_ns");
}

static void print_number(FILE *f, double v)
{
	char buf[64];
	size_t n;

	v = tk_finite_or_zero(v);
	if (v == floor(v) && fabs(v) < 1e15) {
		fprintf(f, "%.0f", v);
		return;
	}
	snprintf(buf, sizeof(buf), "%.3f", v);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
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

/* Prometheus: numeric fields -> telkit_<tool>_<path>, string fields -> labels. */
static size_t collect_labels(struct json_object *rec, struct tk_kv *kv, size_t max)
{
	size_t n = 0;

	json_object_object_foreach(rec, key, val) {
		if (envelope_key(key) || json_object_get_type(val) != json_type_string)
			continue;
		if (n < max) {
			kv[n].key = key;
			kv[n].val = json_object_get_string(val);
			n++;
		}
	}
	return n;
}

static void print_prom_fields(FILE *f, struct json_object *obj, const char *prefix,
			      const struct tk_kv *kv, size_t nkv)
{
	json_object_object_foreach(obj, key, val) {
		char name[256];
		enum json_type t = json_object_get_type(val);

		if (envelope_key(key))
			continue;
		snprintf(name, sizeof(name), "%s_%s", prefix, key);
		if (t == json_type_object)
			print_prom_fields(f, val, name, kv, nkv);
		else if (t == json_type_int || t == json_type_double || t == json_type_boolean)
			tk_prom_write(f, name, NULL, "gauge", kv, nkv, json_object_get_double(val));
	}
}

static void print_prom(FILE *f, struct json_object *rec)
{
	struct tk_kv kv[TK_PROM_LABELS];
	char prefix[128];
	size_t n;
	const char *type = json_object_get_string(json_object_object_get(rec, "type"));

	/* Events and errors are not metrics; they stay out of the exposition. */
	if (type && strcmp(type, "sample") && strcmp(type, "summary"))
		return;
	n = collect_labels(rec, kv, TK_PROM_LABELS - 1);
	/* a summary repeats sample field names: keep the two series distinct */
	if (type && !strcmp(type, "summary")) {
		kv[n].key = "record";
		kv[n++].val = "summary";
	}
	snprintf(prefix, sizeof(prefix), "telkit_%s", tk_out.tool ? tk_out.tool : "telkit");
	print_prom_fields(f, rec, prefix, kv, n);
}

int tk_emit(struct json_object *rec)
{
	FILE *f = tk_out.out ? tk_out.out : stdout;

	switch (tk_out.fmt) {
	case TK_FMT_JSON:
		return tk_emit_json(rec);
	case TK_FMT_PROM:
		if (!tk_out.broken)
			print_prom(f, rec);
		break;
	case TK_FMT_TEXT:
	default:
		if (!tk_out.broken) {
			fputs(json_object_get_string(json_object_object_get(rec, "type")), f);
			fputc(' ', f);
			print_text_record(f, rec);
			fputc('\n', f);
		}
		break;
	}
	json_object_put(rec);
	return tk_out.broken ? -EPIPE : tk_flush();
}
