// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonw.h"
#include "numfmt.h"

#define JSONW_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

char TK_JSONW_NUM[] = "telkit-number";

/* Make room for @n more bytes. */
static int room(struct tk_jsonw *w, size_t n)
{
	if (w->cap - w->len >= n)
		return 0;
	if (n > SIZE_MAX - w->len)
		return -ENOMEM;
	return tk_grow((void **)&w->p, &w->cap, w->len + n, 4096);
}

/* One byte: the commas, colons and brackets. */
static inline int put1(struct tk_jsonw *w, char c)
{
	if (w->len == w->cap && room(w, 1))
		return -ENOMEM;
	w->p[w->len++] = c;
	return 0;
}

char *tk_jsonw_room(struct tk_jsonw *w, size_t n)
{
	return room(w, n) ? NULL : w->p + w->len;
}

int tk_jsonw_raw(struct tk_jsonw *w, const char *s, size_t n)
{
	int err = room(w, n);

	if (err)
		return err;
	memcpy(w->p + w->len, s, n);
	w->len += n;
	return 0;
}

void tk_jsonw_free(struct tk_jsonw *w)
{
	free(w->p);
	*w = (struct tk_jsonw){ 0 };
}

/*
 * json-c's json_escape_str() with NOSLASHESCAPE: '"' and '\\' and the five
 * named controls get a backslash, other bytes below 0x20 \u00xx (lower-case
 * hex); everything else, invalid UTF-8 included, passes as it is.
 */
static const char esc_named[32] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
};

int tk_jsonw_str(struct tk_jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o;
	int err = room(w, n * 6 + 2);

	if (err)
		return err;
	o = w->p + w->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
		} else if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (esc_named[c]) {
			*o++ = '\\';
			*o++ = esc_named[c];
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 0xf];
			o += 6;
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->p);
	return 0;
}

/* @o in json-c's own words: the values whose bytes only json-c knows. */
static int put_by_json_c(struct tk_jsonw *w, struct json_object *o)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o, JSONW_FLAGS, &n);

	return s ? tk_jsonw_raw(w, s, n) : -ENOMEM;
}

static int put_number(struct tk_jsonw *w, struct json_object *o, enum json_type t)
{
	void *ud = json_object_get_userdata(o);
	double v;
	int err;

	if (ud && ud != TK_JSONW_NUM)
		return put_by_json_c(w, o);
	err = room(w, TK_JSON_NUM_MAX);
	if (err)
		return err;
	if (t == json_type_int) {   /* json-c's own: PRId64 or PRIu64, the same digits */
		w->len += tk_fmt_json_int(w->p + w->len, o);
		return 0;
	}
	v = json_object_get_double(o);
	if (!ud || !isfinite(v))    /* json-c's "%.17g" */
		return put_by_json_c(w, o);
	w->len += tk_fmt_json_dbl(w->p + w->len, v);
	return 0;
}

static int put_object(struct tk_jsonw *w, struct json_object *o)
{
	struct lh_entry *first = lh_table_head(json_object_get_object(o));
	int err = put1(w, '{');

	/* the entry list in insertion order, as json-c's own serializer walks it */
	for (struct lh_entry *e = first; e && !err; e = lh_entry_next(e)) {
		const char *k = lh_entry_k(e);

		if (e != first)
			err = put1(w, ',');
		if (!err)
			err = tk_jsonw_str(w, k, strlen(k));
		if (!err)
			err = put1(w, ':');
		if (!err)
			err = tk_jsonw_append(w, (struct json_object *)lh_entry_v(e));
	}
	return err ? err : put1(w, '}');
}

static int put_array(struct tk_jsonw *w, struct json_object *o)
{
	size_t n = json_object_array_length(o);
	int err = put1(w, '[');

	for (size_t i = 0; !err && i < n; i++) {
		if (i)
			err = put1(w, ',');
		if (!err)
			err = tk_jsonw_append(w, json_object_array_get_idx(o, i));
	}
	return err ? err : put1(w, ']');
}

int tk_jsonw_append(struct tk_jsonw *w, struct json_object *o)
{
	enum json_type t = json_object_get_type(o);

	if (o && t != json_type_int && t != json_type_double && json_object_get_userdata(o))
		return put_by_json_c(w, o);
	switch (t) {
	case json_type_null:
		return tk_jsonw_raw(w, "null", 4);
	case json_type_boolean:
		return json_object_get_boolean(o) ? tk_jsonw_raw(w, "true", 4)
						  : tk_jsonw_raw(w, "false", 5);
	case json_type_int:
	case json_type_double:
		return put_number(w, o, t);
	case json_type_string:
		return tk_jsonw_str(w, json_object_get_string(o), (size_t)json_object_get_string_len(o));
	case json_type_object:
		return put_object(w, o);
	case json_type_array:
		return put_array(w, o);
	}
	return put_by_json_c(w, o);
}
