/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h — option and input value parsers.
 *
 * Two layers, util-linux style:
 *   tk_parse_*()   pure: return 0 or a negative errno (-EINVAL malformed,
 *                  -ERANGE out of range), never print, never exit.  Fuzzed.
 *   tk_*_or_err()  for option handlers: on failure print one line naming the
 *                  option, the bad value and a fix, then exit(TK_EXIT_USAGE).
 * Leading/trailing whitespace, empty strings, signs on unsigned values,
 * trailing garbage and overflow are all rejected.
 */
#ifndef TELKIT_PARSE_H
#define TELKIT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Integers in [min, max].  Decimal, or 0x-prefixed hex. */
int tk_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int tk_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Finite double in [min, max] (no nan/inf, no hex floats). */
int tk_parse_double(const char *s, double min, double max, double *out);

/*
 * Duration -> nanoseconds.  "250ms", "2s", "1.5" (bare number = seconds),
 * "100us", "10ns", "2m", "1h", fractions allowed ("0.5ms").  Must be > 0
 * unless @allow_zero.  Max ~292 years (u64 ns).
 */
int tk_parse_duration(const char *s, int allow_zero, uint64_t *ns);

/*
 * Size -> bytes.  "4096", "4k"/"4K"/"4KiB" = 4096, "4KB" = 4000,
 * likewise M/G/T/P/E; "1.5MiB" allowed when the result is a whole byte count.
 */
int tk_parse_size(const char *s, uint64_t *bytes);

/* CPU set as a bitmap of TK_CPUSET_MAX bits. */
#define TK_CPUSET_MAX 1024
struct tk_cpuset {
	uint64_t bits[TK_CPUSET_MAX / 64];
};
/* "0-3,6", "0-7:2" (stride); ranges ascending; CPUs < TK_CPUSET_MAX. */
int tk_parse_cpulist(const char *s, struct tk_cpuset *set);
int tk_cpuset_isset(const struct tk_cpuset *set, unsigned cpu);
void tk_cpuset_set(struct tk_cpuset *set, unsigned cpu);
unsigned tk_cpuset_count(const struct tk_cpuset *set);
/* Back to list form ("0-3,6"); returns snprintf-style length. */
size_t tk_cpuset_format(const struct tk_cpuset *set, char *buf, size_t size);

/*
 * "k=v,k2=v2" -> pairs.  Keys: [A-Za-z0-9_.-]+; values: any bytes except ','
 * (may be empty).  A bare key (no '=') is allowed and has value NULL.
 * At most @max pairs; -E2BIG beyond.  Pointers point into @buf, a private
 * copy of @s of @bufsize bytes (-ENAMETOOLONG if @s does not fit).
 */
struct tk_kv {
	const char *key;
	const char *val;
};
int tk_parse_kvlist(const char *s, char *buf, size_t bufsize,
		    struct tk_kv *kv, size_t max, size_t *n);

/* Option-handler forms: exit(2) with "<opt> 'VALUE': ...; fix: ..." on error. */
uint64_t tk_u64_or_err(const char *s, uint64_t min, uint64_t max, const char *opt);
int64_t tk_i64_or_err(const char *s, int64_t min, int64_t max, const char *opt);
double tk_double_or_err(const char *s, double min, double max, const char *opt);
uint64_t tk_duration_or_err(const char *s, int allow_zero, const char *opt);
uint64_t tk_size_or_err(const char *s, const char *opt);

#endif
