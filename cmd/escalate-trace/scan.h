/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * scan.h — the fast path of esc_extract(): one JSON line read in place, with
 * no allocation, when it keeps to a plain subset of JSON; json-c's full parse
 * for everything else.
 *
 * The subset: one object; keys and strings of printable ASCII without
 * backslash escapes; numbers in RFC 8259 form, integers of up to 20 digits
 * that fit 64 bits (not "-0") and decimals without an exponent; true, false,
 * null; nested objects and arrays up to ESC_SCAN_DEPTH; blanks and tabs
 * between tokens; each asked key at most once at the top level.  json-c
 * reads such a line to the same values, so a line in the subset gives the
 * same esc_sample either way (fuzz/esc_extract.c and tests/04-records.bats
 * hold json-c's path as the oracle); any other line — malformed ones
 * included — goes to json-c, which also gives its verdict.
 */
#ifndef ESC_SCAN_H
#define ESC_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "escalate.h"

#define ESC_SCAN_DEPTH 32
#define ESC_SCAN_STR_MAX 1024   /* longest string value of an asked key */

/* One field's value, as json-c's getters would give it. */
struct esc_val {
	enum json_type type;
	int64_t i;               /* int: json_object_get_int64() (saturated) */
	uint64_t u;              /* int: json_object_get_uint64() */
	double d;                /* double: json_object_get_double() */
	const char *s;           /* string bytes (NUL-terminated when @s_nul) */
	size_t slen;
	bool s_nul;
};

/* The keys one line is read for: the fields, then "type" and "ts_ns". */
enum { ESC_K_TYPE = ESC_F_NR, ESC_K_TS, ESC_K_NR };

/*
 * Read @line (@len bytes, trimmed, no NUL) for @keys (NULL: not asked).
 * Returns true and fills @vals/@found when the line keeps to the subset,
 * false when only json-c can tell (then @vals/@found mean nothing).
 */
bool esc_scan(const char *line, size_t len, const char *const keys[ESC_K_NR],
	      struct esc_val vals[ESC_K_NR], bool found[ESC_K_NR]);

/* esc_extract_tok() without the fast path: json-c's verdict (the oracle). */
enum esc_line_status esc_extract_json(struct json_tokener *tok, const char *line, size_t len,
				      const struct esc_fields *f, struct esc_sample *out);

#endif
