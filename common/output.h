/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * output.h — the telkit record model, emitted three ways.
 *
 * A record is a json-c object holding a payload.  tk_record_new() adds the
 * envelope every record carries:
 *     "tool":  the command name          "type": sample|summary|event|error|...
 *     "ts_ns": CLOCK_REALTIME, ns        then the payload fields, in insertion order.
 * tk_emit() writes it in the run's format, one line, flushed at once:
 *   TK_FMT_JSON  one JSON object per line (NDJSON); the contract in telkit-json(7).
 *                Written by jsonw.h into a buffer kept for the run: json-c's
 *                bytes, one fwrite and one fflush per record (one write(2) when the
 *                line fits stdio's buffer).
 *   TK_FMT_TEXT  "type key=value key=value ..." with values escaped (escape.h);
 *                tables are printed with table.h instead.
 *   TK_FMT_PROM  Prometheus text exposition: every numeric payload field becomes
 *                telkit_<tool>_<field>, every string field a label (see prom.h).
 *                A sample record is written at once; the summary records of a pass
 *                (held, or one record outside a pass) are written together at its
 *                end as one exposition, each family one block.
 *   TK_FMT_CSV   only for a command that takes TK_OPT_CSV (cli.h) and writes
 *                its own rows; tk_emit() writes such a run's records as text.
 * A record written many times a second (a tick, a program of a sample) is a
 * struct tk_recw instead (recw.h): the same bytes, no json-c object.
 * Strings put into records must go through tk_json_str() so that hostile
 * bytes (invalid UTF-8) never make the line unparseable.
 * One thread builds and emits records (the line buffer and the refill hint
 * below are the process's, unlocked); helper threads report through it.
 */
#ifndef TELKIT_OUTPUT_H
#define TELKIT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

enum tk_format { TK_FMT_TEXT = 0, TK_FMT_JSON, TK_FMT_PROM, TK_FMT_CSV };

/* Process-wide output state, set by tk_cli_parse() (cli.h) or by hand. */
struct tk_output {
	const char *tool;       /* command name, e.g. "progstats" */
	enum tk_format fmt;
	int verbose;            /* -v count */
	bool quiet;             /* -q */
	FILE *out;              /* defaults to stdout */
	bool broken;            /* stdout went away (EPIPE): stop quietly */
};
extern struct tk_output tk_out;

/* Set tool name and format; SIGPIPE is ignored so EPIPE can be seen. */
void tk_output_init(const char *tool, enum tk_format fmt);

/* "text"|"json"|"prom"|"csv" -> format; -EINVAL for anything else. */
int tk_format_parse(const char *s, enum tk_format *fmt);
const char *tk_format_name(enum tk_format fmt);

/* New record with envelope; never NULL (aborts on ENOMEM). */
struct json_object *tk_record_new(const char *type);

/*
 * Renew @rec's ts_ns so it can be emitted again: a record reused for many
 * similar lines (tk_emit(json_object_get(rec)) keeps it) is filled by the
 * tk_rec_* below in place, without allocating.
 */
void tk_record_restamp(struct json_object *rec);

/*
 * A restamp also starts a refill: tk_rec_* calls that name @rec's fields in
 * the order they hold find each at once, without a lookup.  Until @rec is
 * emitted, do not free it nor delete its fields.  tk_record_same_shape() is
 * true when every tk_rec_* since the restamp found the next field and none
 * is left over: @rec is then byte for byte what a new record filled by the
 * same calls would be; when false, such a caller builds a new one.
 */
bool tk_record_same_shape(struct json_object *rec);

/*
 * Payload helpers: add @key, or overwrite its value in place when @rec has
 * it already (it keeps its position).  Values belong to the record: do not
 * keep references to them.  Strings are sanitised to valid UTF-8.
 */
struct json_object *tk_json_str(const char *s);

/*
 * @s as a record carries a string: valid UTF-8 (tk_utf8_sanitize), cut below
 * 64 KiB.  Returns @s itself when it is that already, else @stack (@size
 * bytes) or, when longer, a malloc'd copy left in *@heap (else NULL) for the
 * caller to free.  Never NULL (aborts on ENOMEM).
 */
const char *tk_record_str_clean(const char *s, char *stack, size_t size, char **heap);
/* A double written as tk_rec_dbl() writes it (non-finite -> 0, tk_fmt_double, numfmt.h). */
struct json_object *tk_json_dbl(double val);
void tk_rec_str(struct json_object *rec, const char *key, const char *val);
void tk_rec_u64(struct json_object *rec, const char *key, uint64_t val);
void tk_rec_i64(struct json_object *rec, const char *key, int64_t val);
/* Non-finite doubles are written as 0 (never NaN/Inf in output). */
void tk_rec_dbl(struct json_object *rec, const char *key, double val);
void tk_rec_bool(struct json_object *rec, const char *key, bool val);

/*
 * Write @rec in the run's format and release it.  Returns 0, or -EPIPE when
 * the reader went away (tk_out.broken is then set and tk_stop_requested()
 * becomes true: callers simply finish their loop and clean up).
 */
int tk_emit(struct json_object *rec);

/*
 * The records of one pass (one sample of every program, one input batch),
 * written together: between tk_output_hold() and tk_output_release() the
 * records tk_emit() and tk_emit_json() write are not flushed one by one; the
 * release writes and flushes them (JSON lines in one write(2) per 64 KiB).
 * Holds nest.  A pass must not block or write stdout by other means between
 * the two: telkit-json(7) promises a reader sees each record no later than
 * the end of the pass that made it.  Release returns as tk_flush().
 */
void tk_output_hold(void);
int tk_output_release(void);

/* Write @rec as one JSON line regardless of format (used for error records). */
int tk_emit_json(struct json_object *rec);

/*
 * For records rendered by another writer (recw.h), with the rules above:
 * tk_emit_json_begin() returns the buffer of the JSON lines (jsonw.h), where
 * the caller appends one JSON line, its '\n' included, and then calls
 * tk_emit_json_end(): the line goes out as tk_emit_json() writes a record
 * (NULL once stdout is gone: append nothing, end all the same).
 * tk_emit_render() has @render write one text line or one sample record's
 * exposition (TK_FMT_PROM: the pass's summary records kept so far are
 * written before it, by @render calling tk_prom_end()) to the stream @f
 * where tk_emit() would write it; @render is not called once stdout is gone.
 * tk_emit_json_end() and tk_emit_render() return as tk_emit().
 */
struct tk_jsonw;
struct tk_jsonw *tk_emit_json_begin(void);
int tk_emit_json_end(void);
int tk_emit_render(void (*render)(FILE *f, void *ctx), void *ctx);

/* True while an observer (below) is registered: such records need json-c. */
bool tk_output_observed(void);

/*
 * @fn is shown every record tk_emit() writes, before it is written (the
 * --textfile exposition: textfile.h registers itself); NULL: none.
 */
void tk_output_observe(int (*fn)(struct json_object *rec));

/* Flush stdout; on EPIPE set tk_out.broken and request stop.  0 or -errno. */
int tk_flush(void);

#endif
