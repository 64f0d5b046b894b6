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

/* A finite, non-negative number: JSON number or a numeric string. */
static enum esc_field_status get_number(struct json_object *v, double *out)
{
	double d;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return ESC_FS_MISSING;
	case json_type_int:
		/* json-c saturates integers it cannot hold: treat the limits as out of range */
		if (json_object_get_int64(v) == INT64_MAX || json_object_get_int64(v) == INT64_MIN)
			return ESC_FS_BAD;
		d = (double)json_object_get_int64(v);
		break;
	case json_type_double:
		d = json_object_get_double(v);
		break;
	case json_type_string:
		if (tk_parse_double(json_object_get_string(v), 0, DBL_MAX, &d))
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

static enum esc_field_status get_name(struct json_object *v, char *out, size_t size)
{
	char num[64];
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return ESC_FS_MISSING;
	case json_type_string:
		s = json_object_get_string(v);
		break;
	case json_type_int:
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
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

static enum esc_field_status get_pid(struct json_object *v, int64_t *pid)
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

/* The envelope's "ts_ns" when it is a positive integer, else 0. */
static uint64_t get_ts(struct json_object *obj)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, "ts_ns", &v) ||
	    json_object_get_type(v) != json_type_int)
		return 0;
	return json_object_get_uint64(v);
}

static bool type_matches(struct json_object *obj, const char *type)
{
	struct json_object *t;

	return json_object_object_get_ex(obj, "type", &t) &&
	       json_object_get_type(t) == json_type_string &&
	       !strcmp(json_object_get_string(t), type);
}

static struct json_object *parse_object(struct json_tokener *tok, const char *line, size_t len)
{
	struct json_object *obj;
	size_t end;

	while (len && strchr(" \t\r\n", line[len - 1]))
		len--;
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

enum esc_line_status esc_extract_tok(struct json_tokener *tok, const char *line, size_t len,
				     const struct esc_fields *f, struct esc_sample *out)
{
	struct json_object *obj, *v;

	memset(out, 0, sizeof(*out));
	obj = parse_object(tok, line, len);
	if (!obj)
		return ESC_LINE_MALFORMED;
	if (f->type && !type_matches(obj, f->type)) {
		json_object_put(obj);
		return ESC_LINE_SKIPPED;
	}
	for (int i = 0; i < ESC_F_NR; i++) {
		enum esc_field_status *st = &out->st[i];

		if (!f->key[i])
			continue;
		v = lookup(obj, f->key[i]);
		if (!v) {
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
	out->ts_ns = get_ts(obj);
	json_object_put(obj);
	return ESC_LINE_OK;
}
