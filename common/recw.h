/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * recw.h — a record (output.h) written straight into a reusable buffer, in
 * the run's format, without a json-c object per record: the bytes are those
 * tk_emit() writes for a json-c record filled by the same tk_rec_* calls
 * (tests/unit/test_recw.c and fuzz/recw.c hold json-c as the oracle).
 *
 * One struct tk_recw is kept for the run and refilled for every line:
 *     tk_recw_restamp(r);                  new ts_ns: a refill starts
 *     tk_recw_u64(r, "cnt", v); ...        the payload, as tk_rec_* would take it
 *     tk_recw_emit(r);                     JSON line, text line or exposition
 * The record learns its shape (the sequence of keys and kinds) from the
 * calls.  While a refill names the same key pointers with the same kinds in
 * the same order as the last one, each call is a compare and a store: no
 * lookup, no strcmp, no allocation.  Where it differs, the shape is
 * rebuilt from that call on (keys copied and escaped once; a key named
 * twice keeps its first place and takes the last value, as json-c does).
 * So a key's pointer must keep its bytes while the record lives (literals,
 * names fixed at start); tk_recw_forget() when they change.
 *
 * Strings are copied at the call and made valid UTF-8 when written, as
 * tk_rec_str() does.  Non-finite doubles are written as 0.  tk_recw_obj()
 * takes a json-c value (the arrays of a progstats sample): written by jsonw.h
 * in JSON and as an escaped text value in text; a value that is not an
 * array, or a payload key naming the envelope ("tool", "type") with a value
 * other than a string, sends that record through json-c and tk_emit() in
 * the text and Prometheus formats, as do summary records in Prometheus and
 * every record while tk_output_observe() has an observer (--textfile).
 *
 * Like output.h: one thread fills and emits a record.
 */
#ifndef TELKIT_RECW_H
#define TELKIT_RECW_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

struct tk_recw;

/* A record of @type (a string that outlives it), restamped; never NULL (aborts on ENOMEM). */
struct tk_recw *tk_recw_new(const char *type);
void tk_recw_free(struct tk_recw *r);

/* New ts_ns; the next calls refill the payload from its first field. */
void tk_recw_restamp(struct tk_recw *r);

/* Forget the learnt shape: the bytes behind a key pointer changed. */
void tk_recw_forget(struct tk_recw *r);

/* The payload, as the tk_rec_* of the same name (output.h). */
void tk_recw_str(struct tk_recw *r, const char *key, const char *val);
void tk_recw_u64(struct tk_recw *r, const char *key, uint64_t val);
void tk_recw_i64(struct tk_recw *r, const char *key, int64_t val);
void tk_recw_dbl(struct tk_recw *r, const char *key, double val);
void tk_recw_bool(struct tk_recw *r, const char *key, bool val);
/*
 * @val, a json-c array or object (not a scalar: json-c would keep its
 * serializer for a later tk_rec_* of the same key), belongs to the record
 * until the next restamp.
 */
void tk_recw_obj(struct tk_recw *r, const char *key, struct json_object *val);

/*
 * Write the record in the run's format with tk_emit()'s rules (hold,
 * flush, EPIPE).  The record stays the caller's, for the next refill.
 */
int tk_recw_emit(struct tk_recw *r);

/*
 * The record as a json-c record, for code that reads records: @reuse (what
 * this returned for @r last, unchanged, or NULL) refilled in place when @r's
 * shape is the same since, else released and a new one made.  Returns the
 * record; the caller holds its one reference.  Never NULL.
 */
struct json_object *tk_recw_to_json(struct tk_recw *r, struct json_object *reuse);

/* The record as one JSON line, without the '\n', valid until the next call on @r. */
const char *tk_recw_json_line(struct tk_recw *r, size_t *len);

#endif
