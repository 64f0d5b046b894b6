/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * numfmt.h — numbers written as text, below both renderers of a record: the
 * JSON serializers that output.c installs on the numbers tk_rec_* make, and
 * the shortest exact double that JSON records and Prometheus values (prom.c)
 * share.
 */
#ifndef TELKIT_NUMFMT_H
#define TELKIT_NUMFMT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/*
 * Write finite @v into @buf as the shortest "%.15g".."%.17g" that strtod()
 * reads back as exactly @v: 61890.158, not 61890.158000000003.  Returns the
 * length, as snprintf() does.  JSON records and Prometheus values use it.
 */
int tk_fmt_double(char *buf, size_t size, double v);

/* Room for any number tk_fmt_json_int() or tk_fmt_json_dbl() writes. */
#define TK_JSON_NUM_MAX 40

/* @v's decimal digits (no NUL, at most 20 bytes); returns the length. */
size_t tk_fmt_u64(char *buf, uint64_t v);

/* @v's decimal digits with its sign (no NUL, at most 20 bytes); returns the length. */
size_t tk_fmt_i64(char *buf, int64_t v);

/*
 * @v as a text record's value (output.h, TK_FMT_TEXT) writes it into @buf
 * (NUL-terminated, @size >= 64): non-finite as 0, integral values below 1e15
 * as "%.0f", others as "%.3f" without trailing zeros.  Returns the length.
 */
size_t tk_fmt_text_num(char *buf, size_t size, double v);

/* The int @jso as its serializer below writes it (no NUL); returns the length. */
size_t tk_fmt_json_int(char *buf, const struct json_object *jso);

/* Finite @v as tk_json_dbl_serializer() writes it (no NUL); returns the length. */
size_t tk_fmt_json_dbl(char *buf, double v);

/*
 * json-c serializers (json_object_set_serializer()) for the numbers tk_rec_*
 * make, without printf for integers and integral doubles (records are mostly
 * those, and json-c's "%.17g" takes printf's multi-precision path even for
 * 0).  Other doubles are written in their shortest exact form
 * (tk_fmt_double), not json-c's 17 digits; integral ones keep a ".0" so
 * they read back as doubles.
 */
int tk_json_int_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags);
int tk_json_dbl_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags);

#endif
