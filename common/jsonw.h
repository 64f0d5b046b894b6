/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * jsonw.h — a record written as a JSON line into a reusable buffer, without
 * json-c's printbuf, per-value serializer calls or printf.
 *
 * The bytes are exactly those of json_object_to_json_string_ext(o,
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) (tests/unit/
 * test_jsonw.c and fuzz/jsonw.c hold json-c as the oracle).  Numbers made by
 * output.c's tk_rec_* / tk_json_dbl() carry TK_JSONW_NUM as their userdata
 * and are written here as their serializers (numfmt.h) write them; ints and
 * doubles without userdata as json-c writes them; any value with other
 * userdata (json-c's parsed doubles keep their source text there, custom
 * serializers) is handed to json-c itself.
 */
#ifndef TELKIT_JSONW_H
#define TELKIT_JSONW_H

#include <stddef.h>
#include <json-c/json.h>

/* A growable output buffer, kept between records: steady state allocates nothing. */
struct tk_jsonw {
	char *p;
	size_t len, cap;
};

/* The userdata tag output.c puts on the numbers it makes. */
extern char TK_JSONW_NUM[];

/* Append @o (NULL: "null").  0, or -ENOMEM (the buffer then holds a prefix). */
int tk_jsonw_append(struct tk_jsonw *w, struct json_object *o);

/*
 * Append @s (@n bytes) as a JSON string, quoted and escaped as json-c escapes
 * it (no UTF-8 check: give it valid UTF-8).  0 or -ENOMEM.
 */
int tk_jsonw_str(struct tk_jsonw *w, const char *s, size_t n);

/*
 * Room for @n more bytes: where to write them (the caller then adds what it
 * wrote to w->len), or NULL on ENOMEM.
 */
char *tk_jsonw_room(struct tk_jsonw *w, size_t n);

/* Append @n raw bytes.  0 or -ENOMEM. */
int tk_jsonw_raw(struct tk_jsonw *w, const char *s, size_t n);

void tk_jsonw_free(struct tk_jsonw *w);

#endif
