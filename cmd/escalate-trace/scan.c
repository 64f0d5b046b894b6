// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * scan.c — esc_scan(): a recursive-descent reader of the plain JSON subset
 * in scan.h.  Each reader returns false at the first byte outside the
 * subset; the caller then hands the whole line to json-c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "scan.h"

struct scan {
	const char *p, *end;
	int depth;
	size_t klen[ESC_K_NR];   /* strlen of each asked key */
};

/* Powers of ten that fit 64 bits (all exact as doubles). */
static const uint64_t pow10_u64[] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
	10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
};
#define MANT_MAX (1ULL << 53)   /* integers up to this are exact doubles */

static void blanks(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
		s->p++;
}

static bool eat(struct scan *s, char c)
{
	blanks(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

static bool is_digit(const struct scan *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* "..." of printable ASCII without escapes; @s left after the closing quote. */
static bool scan_string(struct scan *s, const char **str, size_t *len)
{
	const char *q = s->p + 1;

	if (s->p >= s->end || *s->p != '"')
		return false;
	while (q < s->end && *q != '"') {
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e || *q == '\\')
			return false;
		q++;
	}
	if (q >= s->end)
		return false;
	*str = s->p + 1;
	*len = (size_t)(q - s->p - 1);
	s->p = q + 1;
	return true;
}

/* Digits into *@m; false when they overflow 64 bits (still all consumed). */
static bool digits(struct scan *s, uint64_t *m, int *n)
{
	bool fits = true;

	*m = 0;
	/* 19 digits always fit 64 bits: no overflow test for those */
	for (*n = 0; *n < 19 && is_digit(s); (*n)++, s->p++)
		*m = *m * 10 + (unsigned)(*s->p - '0');
	for (; is_digit(s); (*n)++, s->p++) {
		unsigned d = (unsigned)(*s->p - '0');

		if (*m > (UINT64_MAX - d) / 10)
			fits = false;
		else
			*m = *m * 10 + d;
	}
	return fits;
}

static bool int_value(struct esc_val *v, bool neg, uint64_t m)
{
	v->type = json_type_int;
	if (neg) {
		if (m > (uint64_t)INT64_MAX + 1)
			return false;
		v->i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
		v->u = 0;
	} else {   /* json-c keeps what int64 cannot hold as uint64 */
		v->i = m > INT64_MAX ? INT64_MAX : (int64_t)m;
		v->u = m;
	}
	v->d = (double)v->i;
	return true;
}

static bool scan_number(struct scan *s, struct esc_val *v)
{
	const char *start = s->p;
	bool neg = s->p < s->end && *s->p == '-';
	uint64_t m, frac;
	bool frac_fits;
	int n, k;
	char *endp;

	s->p += neg;
	if (!is_digit(s) || (*s->p == '0' && s->p + 1 < s->end && s->p[1] >= '0' && s->p[1] <= '9'))
		return false;                   /* no digit, or a leading zero */
	if (!digits(s, &m, &n))
		return false;
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
		return false;
	if (s->p >= s->end || *s->p != '.') {
		if (neg && m == 0)
			return false;           /* "-0": json-c's business */
		return int_value(v, neg, m);
	}
	s->p++;
	if (!is_digit(s))
		return false;
	frac_fits = digits(s, &frac, &k);
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
		return false;
	v->type = json_type_double;
	/* m.frac = N / 10^k with N < 2^53: exact over exact, one correct rounding, as strtod */
	if (frac_fits && k < (int)TK_ARRAY_SIZE(pow10_u64) && frac <= MANT_MAX &&
	    m <= (MANT_MAX - frac) / pow10_u64[k]) {
		v->d = (double)(m * pow10_u64[k] + frac) / (double)pow10_u64[k];
		if (neg)
			v->d = -v->d;
		return true;
	}
	v->d = strtod(start, &endp);            /* json-c's own conversion */
	return endp == s->p && isfinite(v->d);
}

static bool scan_value(struct scan *s, struct esc_val *v);

static bool scan_array(struct scan *s)
{
	struct esc_val v;

	s->p++;
	if (eat(s, ']'))
		return true;
	do {
		blanks(s);
		if (!scan_value(s, &v))
			return false;
	} while (eat(s, ','));
	return eat(s, ']');
}

/* Members of the object whose '{' is at @s->p; top level (@keys) records the asked ones. */
static bool scan_object(struct scan *s, const char *const *keys, struct esc_val *vals, bool *found)
{
	s->p++;
	if (eat(s, '}'))
		return true;
	do {
		const char *k;
		size_t klen;
		struct esc_val v, *dst = &v;

		blanks(s);
		if (!scan_string(s, &k, &klen) || !eat(s, ':'))
			return false;
		for (int i = 0; keys && i < ESC_K_NR; i++) {
			if (keys[i] && s->klen[i] == klen && (!klen || keys[i][0] == k[0]) &&
			    !memcmp(keys[i], k, klen)) {
				if (found[i])
					return false;   /* a repeated key: json-c keeps the last */
				found[i] = true;
				dst = &vals[i];
				break;
			}
		}
		blanks(s);
		if (!scan_value(s, dst))
			return false;
		if (dst != &v && dst->type == json_type_string && dst->slen >= ESC_SCAN_STR_MAX)
			return false;
	} while (eat(s, ','));
	return eat(s, '}');
}

static bool scan_literal(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n))
		return false;
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s, struct esc_val *v)
{
	bool ok;

	if (s->p >= s->end)
		return false;
	memset(v, 0, sizeof(*v));
	switch (*s->p) {
	case '"':
		v->type = json_type_string;
		return scan_string(s, &v->s, &v->slen);
	case '{':
	case '[':
		if (++s->depth > ESC_SCAN_DEPTH)
			return false;
		v->type = *s->p == '{' ? json_type_object : json_type_array;
		ok = *s->p == '{' ? scan_object(s, NULL, NULL, NULL) : scan_array(s);
		s->depth--;
		return ok;
	case 't':
		v->type = json_type_boolean;
		return scan_literal(s, "true", 4);
	case 'f':
		v->type = json_type_boolean;
		return scan_literal(s, "false", 5);
	case 'n':
		v->type = json_type_null;
		return scan_literal(s, "null", 4);
	default:
		return scan_number(s, v);
	}
}

bool esc_scan(const char *line, size_t len, const char *const keys[ESC_K_NR],
	      struct esc_val vals[ESC_K_NR], bool found[ESC_K_NR])
{
	struct scan s = { line, line + len, 1, { 0 } };

	memset(found, 0, ESC_K_NR * sizeof(*found));
	for (int i = 0; i < ESC_K_NR; i++)
		s.klen[i] = keys[i] ? strlen(keys[i]) : 0;
	blanks(&s);
	if (s.p >= s.end || *s.p != '{' || !scan_object(&s, keys, vals, found))
		return false;
	blanks(&s);
	return s.p == s.end;
}
