// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * input.c — pull the configured fields out of one JSON line.  Pure: no I/O,
 * no global state; every outcome is in the return value and @out.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "escalate.h"
#include "escape.h"
#include "parse.h"
#include "scan.h"

#define ESC_JSON_DEPTH 64
#define ESC_KEY_MAX 256

static const char *const field_opts[ESC_F_NR] = {
	"--name", "--value", "--budget-field", "--pid", "--cliff-field",
	"--gpu-transfer-field",
};

const char *esc_field_opt(enum esc_field f)
{
	return (unsigned)f < ESC_F_NR ? field_opts[f] : "?";
}

/* Exact key first, then the dotted path into nested objects. */
static struct json_object *lookup(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	char seg[ESC_KEY_MAX];

	if (json_object_object_get_ex(obj, key, &v))
		return v;
	while (strchr(key, '.')) {
		const char *dot = strchr(key, '.');
		size_t n = (size_t)(dot - key);

		if (n >= sizeof(seg) || json_object_get_type(obj) != json_type_object)
			return NULL;
		memcpy(seg, key, n);
		seg[n] = '\0';
		if (!json_object_object_get_ex(obj, seg, &obj))
			return NULL;
		key = dot + 1;
		if (json_object_get_type(obj) == json_type_object &&
		    json_object_object_get_ex(obj, key, &v))
			return v;
	}
	return NULL;
}

/*
 * @v's string as a C string: json-c's own, or the scanned bytes copied into
 * @buf (esc_scan() keeps asked strings below ESC_SCAN_STR_MAX).
 */
static const char *val_cstr(const struct esc_val *v, char *buf, size_t size)
{
	size_t n = v->slen < size ? v->slen : size - 1;

	if (v->s_nul)
		return v->s;
	memcpy(buf, v->s, n);
	buf[n] = '\0';
	return buf;
}

/* A finite, non-negative number: JSON number or a numeric string. */
static enum esc_field_status get_number(const struct esc_val *v, double *out)
{
	char buf[ESC_SCAN_STR_MAX];
	double d;

	switch (v->type) {
	case json_type_null:
		return ESC_FS_MISSING;
	case json_type_int:
		/* json-c saturates integers it cannot hold: treat the limits as out of range */
		if (v->i == INT64_MAX || v->i == INT64_MIN)
			return ESC_FS_BAD;
		d = (double)v->i;
		break;
	case json_type_double:
		d = v->d;
		break;
	case json_type_string:
		if (tk_parse_double(val_cstr(v, buf, sizeof(buf)), 0, DBL_MAX, &d))
			return ESC_FS_BAD;
		break;
	default:
		return ESC_FS_BAD;
	}
	if (!isfinite(d) || d < 0)
		return ESC_FS_BAD;
	*out = d;
	return ESC_FS_OK;
}

static enum esc_field_status get_name(const struct esc_val *v, char *out, size_t size)
{
	char num[ESC_SCAN_STR_MAX];
	const char *s;

	switch (v->type) {
	case json_type_null:
		return ESC_FS_MISSING;
	case json_type_string:
		if (!v->s_nul && v->slen) {
			/* scanned: printable ASCII, which tk_utf8_sanitize() copies as is */
			size_t n = v->slen < size ? v->slen : size - 1;

			memcpy(out, v->s, n);
			out[n] = '\0';
			return ESC_FS_OK;
		}
		s = val_cstr(v, num, sizeof(num));
		break;
	case json_type_int:
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		s = num;
		break;
	default:
		return ESC_FS_BAD;
	}
	if (!*s)
		return ESC_FS_BAD;
	tk_utf8_sanitize(out, size, s);
	return ESC_FS_OK;
}

static enum esc_field_status get_pid(const struct esc_val *v, int64_t *pid)
{
	double d;
	enum esc_field_status st = get_number(v, &d);

	if (st != ESC_FS_OK)
		return st;
	if (d < 1 || d > INT32_MAX || d != floor(d))
		return ESC_FS_BAD;
	*pid = (int64_t)d;
	return ESC_FS_OK;
}

static bool type_matches(const struct esc_val *t, const char *type)
{
	char buf[ESC_SCAN_STR_MAX];

	return t->type == json_type_string && !strcmp(val_cstr(t, buf, sizeof(buf)), type);
}

/* The keys a line is read for (scan.h's order). */
static void asked_keys(const struct esc_fields *f, const char *keys[ESC_K_NR])
{
	for (int i = 0; i < ESC_F_NR; i++)
		keys[i] = f->key[i];
	keys[ESC_K_TYPE] = f->type ? "type" : NULL;
	keys[ESC_K_TS] = "ts_ns";
}

/* The sample from the values found, whichever reader found them. */
static enum esc_line_status sample_of(const struct esc_fields *f, const struct esc_val *vals,
				      const bool *found, struct esc_sample *out)
{
	if (f->type && !(found[ESC_K_TYPE] && type_matches(&vals[ESC_K_TYPE], f->type)))
		return ESC_LINE_SKIPPED;
	for (int i = 0; i < ESC_F_NR; i++) {
		enum esc_field_status *st = &out->st[i];
		const struct esc_val *v = &vals[i];

		if (!f->key[i])
			continue;
		if (!found[i]) {
			*st = ESC_FS_MISSING;
			continue;
		}
		switch (i) {
		case ESC_F_NAME:
			*st = get_name(v, out->name, sizeof(out->name));
			break;
		case ESC_F_VALUE:
			*st = get_number(v, &out->value_us);
			out->value_us *= f->value_scale;
			if (*st == ESC_FS_OK && !isfinite(out->value_us))
				*st = ESC_FS_BAD;
			break;
		case ESC_F_BUDGET:
			*st = get_number(v, &out->budget_us);
			break;
		case ESC_F_PID:
			*st = get_pid(v, &out->pid);
			break;
		case ESC_F_CLIFF:
			*st = get_number(v, &out->cliff);
			break;
		case ESC_F_GPU:
			*st = get_number(v, &out->gpu_pct);
			break;
		}
	}
	/* the envelope's "ts_ns" when it is a positive integer, else 0 */
	out->ts_ns = found[ESC_K_TS] && vals[ESC_K_TS].type == json_type_int ? vals[ESC_K_TS].u : 0;
	return ESC_LINE_OK;
}

/* json-c's reading of @v (NULL: null) for sample_of(). */
static void val_of(struct json_object *v, struct esc_val *out)
{
	memset(out, 0, sizeof(*out));
	out->type = json_object_get_type(v);
	switch (out->type) {
	case json_type_int:
		out->i = json_object_get_int64(v);
		out->u = json_object_get_uint64(v);
		break;
	case json_type_double:
		out->d = json_object_get_double(v);
		break;
	case json_type_string:
		out->s = json_object_get_string(v);
		out->slen = (size_t)json_object_get_string_len(v);
		out->s_nul = true;
		break;
	default:
		break;
	}
}

/* @len less the trailing blanks and line ends. */
static size_t trimmed_len(const char *line, size_t len)
{
	while (len && strchr(" \t\r\n", line[len - 1]))
		len--;
	return len;
}

static struct json_object *parse_object(struct json_tokener *tok, const char *line, size_t len)
{
	struct json_object *obj;
	size_t end;

	len = trimmed_len(line, len);
	if (!len || len > INT32_MAX || memchr(line, '\0', len))
		return NULL;
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (obj && (json_tokener_get_error(tok) != json_tokener_success || end != len ||
		    json_object_get_type(obj) != json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

struct json_tokener *esc_tokener_new(void)
{
	return json_tokener_new_ex(ESC_JSON_DEPTH);
}

enum esc_line_status esc_extract(const char *line, size_t len,
				 const struct esc_fields *f, struct esc_sample *out)
{
	struct json_tokener *tok = esc_tokener_new();
	enum esc_line_status st;

	if (!tok) {
		memset(out, 0, sizeof(*out));
		return ESC_LINE_MALFORMED;
	}
	st = esc_extract_tok(tok, line, len, f, out);
	json_tokener_free(tok);
	return st;
}

enum esc_line_status esc_extract_json(struct json_tokener *tok, const char *line, size_t len,
				      const struct esc_fields *f, struct esc_sample *out)
{
	struct esc_val vals[ESC_K_NR];
	bool found[ESC_K_NR];
	const char *keys[ESC_K_NR];
	struct json_object *obj;
	enum esc_line_status st;

	memset(out, 0, sizeof(*out));
	obj = parse_object(tok, line, len);
	if (!obj)
		return ESC_LINE_MALFORMED;
	asked_keys(f, keys);
	for (int i = 0; i < ESC_K_NR; i++) {
		struct json_object *v = keys[i] ? lookup(obj, keys[i]) : NULL;

		found[i] = v != NULL;
		val_of(v, &vals[i]);
	}
	st = sample_of(f, vals, found, out);
	json_object_put(obj);
	return st;
}

/* No key is a dotted path: the scanner only looks at the top level. */
static bool scannable(const struct esc_fields *f)
{
	for (int i = 0; i < ESC_F_NR; i++)
		if (f->key[i] && strchr(f->key[i], '.'))
			return false;
	return true;
}

enum esc_line_status esc_extract_tok(struct json_tokener *tok, const char *line, size_t len,
				     const struct esc_fields *f, struct esc_sample *out)
{
	struct esc_val vals[ESC_K_NR];
	bool found[ESC_K_NR];
	const char *keys[ESC_K_NR];
	size_t n = trimmed_len(line, len);

	if (!n || n > INT32_MAX || memchr(line, '\0', n) || !scannable(f))
		return esc_extract_json(tok, line, len, f, out);
	asked_keys(f, keys);
	if (!esc_scan(line, n, keys, vals, found))
		return esc_extract_json(tok, line, len, f, out);
	memset(out, 0, sizeof(*out));
	return sample_of(f, vals, found, out);
}
