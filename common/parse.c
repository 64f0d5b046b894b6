// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "parse.h"

/* Reject what strto* would silently accept: empty, leading space, trailing junk. */
static int check_start(const char *s)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	return 0;
}

int tk_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (check_start(s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int tk_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	long long v;
	char *end;

	if (check_start(s) || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Plain decimal number: digits with at most one '.', no sign/exponent/hex/nan. */
static int parse_decimal(const char *s, const char **end, double *out)
{
	const char *p = s;
	int digits = 0, dots = 0;
	char num[64];

	while (isdigit((unsigned char)*p) || *p == '.') {
		if (*p == '.')
			dots++;
		else
			digits++;
		p++;
	}
	if (!digits || dots > 1 || (size_t)(p - s) >= sizeof(num))
		return -EINVAL;
	/* strtod on a copy: it would otherwise also eat exponents and hex */
	memcpy(num, s, (size_t)(p - s));
	num[p - s] = '\0';
	*out = strtod(num, NULL);
	*end = p;
	return 0;
}

int tk_parse_double(const char *s, double min, double max, double *out)
{
	const char *p, *end;
	double v;
	int neg = 0;

	if (check_start(s))
		return -EINVAL;
	p = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (parse_decimal(p, &end, &v))
		return -EINVAL;
	if (*end == 'e' || *end == 'E') {  /* exponent */
		char *e;
		long x;

		errno = 0;
		x = strtol(end + 1, &e, 10);
		if (e == end + 1 || *e || errno || x > 400 || x < -400)
			return -EINVAL;
		v *= pow(10.0, (double)x);
		end = e;
	}
	if (*end)
		return -EINVAL;
	if (neg)
		v = -v;
	if (!isfinite(v))
		return -ERANGE;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	double mult;
};

static int apply_unit(const char *num_end, double v, const struct unit *units,
		      double bare, double max, double *out)
{
	double mult = 0;

	if (!*num_end) {
		mult = bare;
	} else {
		for (const struct unit *u = units; u->name; u++)
			if (!strcmp(num_end, u->name)) {
				mult = u->mult;
				break;
			}
	}
	if (!mult)
		return -EINVAL;
	v *= mult;
	if (!isfinite(v) || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static const struct unit duration_units[] = {
	{ "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	{ "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 }, { NULL, 0 },
};

int tk_parse_duration(const char *s, int allow_zero, uint64_t *ns)
{
	const char *end;
	double v, r;
	int err;

	if (check_start(s) || parse_decimal(s, &end, &v))
		return -EINVAL;
	err = apply_unit(end, v, duration_units, 1e9, 1.8e19, &r);
	if (err)
		return err;
	r = floor(r + 0.5);  /* "1.5ns" rounds; sub-ns precision is noise */
	if (r == 0 && !allow_zero)
		return -ERANGE;
	*ns = (uint64_t)r;
	return 0;
}

static const struct unit size_units[] = {
	{ "B", 1 },
	{ "k", 1024.0 }, { "K", 1024.0 }, { "KiB", 1024.0 }, { "KB", 1e3 },
	{ "M", 1048576.0 }, { "MiB", 1048576.0 }, { "MB", 1e6 },
	{ "G", 1073741824.0 }, { "GiB", 1073741824.0 }, { "GB", 1e9 },
	{ "T", 1099511627776.0 }, { "TiB", 1099511627776.0 }, { "TB", 1e12 },
	{ "P", 1125899906842624.0 }, { "PiB", 1125899906842624.0 }, { "PB", 1e15 },
	{ "E", 1152921504606846976.0 }, { "EiB", 1152921504606846976.0 }, { "EB", 1e18 },
	{ NULL, 0 },
};

int tk_parse_size(const char *s, uint64_t *bytes)
{
	const char *end;
	double v, r;
	int err;

	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return tk_parse_u64(s, 0, UINT64_MAX, bytes);
	if (check_start(s) || parse_decimal(s, &end, &v))
		return -EINVAL;
	/* Integers take the exact path so 2^64-1 is not rounded by doubles. */
	if (!*end && !strchr(s, '.'))
		return tk_parse_u64(s, 0, UINT64_MAX, bytes);
	err = apply_unit(end, v, size_units, 1, 1.8e19, &r);
	if (err)
		return err;
	if (r != floor(r))
		return -EINVAL;  /* "1.3k" is not a whole number of bytes */
	*bytes = (uint64_t)r;
	return 0;
}

int tk_cpuset_isset(const struct tk_cpuset *set, unsigned cpu)
{
	return cpu < TK_CPUSET_MAX && (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

void tk_cpuset_set(struct tk_cpuset *set, unsigned cpu)
{
	if (cpu < TK_CPUSET_MAX)
		set->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

unsigned tk_cpuset_count(const struct tk_cpuset *set)
{
	unsigned n = 0;

	for (size_t i = 0; i < TK_CPUSET_MAX / 64; i++)
		n += __builtin_popcountll(set->bits[i]);
	return n;
}

static int parse_cpu(const char *s, const char **end, uint64_t *cpu)
{
	char num[8];
	size_t n = 0;

	while (isdigit((unsigned char)s[n]) && n < sizeof(num) - 1)
		num[n] = s[n], n++;
	if (!n || isdigit((unsigned char)s[n]))
		return -EINVAL;
	num[n] = '\0';
	*end = s + n;
	return tk_parse_u64(num, 0, TK_CPUSET_MAX - 1, cpu);
}

int tk_parse_cpulist(const char *s, struct tk_cpuset *set)
{
	const char *p = s;

	memset(set, 0, sizeof(*set));
	if (check_start(s))
		return -EINVAL;
	for (;;) {
		uint64_t lo, hi, stride = 1;
		int err = parse_cpu(p, &p, &lo);

		if (err)
			return err;
		hi = lo;
		if (*p == '-') {
			err = parse_cpu(p + 1, &p, &hi);
			if (err)
				return err;
			if (hi < lo)
				return -EINVAL;
			if (*p == ':') {
				err = parse_cpu(p + 1, &p, &stride);
				if (err)
					return err;
				if (!stride)
					return -EINVAL;
			}
		}
		for (uint64_t c = lo; c <= hi; c += stride)
			tk_cpuset_set(set, (unsigned)c);
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -EINVAL;
	}
}

size_t tk_cpuset_format(const struct tk_cpuset *set, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned c = 0; c < TK_CPUSET_MAX; c++) {
		char piece[32];
		unsigned e = c;

		if (!tk_cpuset_isset(set, c))
			continue;
		while (e + 1 < TK_CPUSET_MAX && tk_cpuset_isset(set, e + 1))
			e++;
		if (e > c)
			snprintf(piece, sizeof(piece), "%s%u-%u", len ? "," : "", c, e);
		else
			snprintf(piece, sizeof(piece), "%s%u", len ? "," : "", c);
		if (len + strlen(piece) < size)
			memcpy(buf + len, piece, strlen(piece) + 1);
		else if (size)
			size = 0;  /* stop writing, keep counting; buf stays terminated */
		len += strlen(piece);
		c = e;
	}
	return len;
}

static int key_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

int tk_parse_kvlist(const char *s, char *buf, size_t bufsize,
		    struct tk_kv *kv, size_t max, size_t *n)
{
	size_t len;
	char *p;

	*n = 0;
	if (!s || !*s)
		return -EINVAL;
	len = strlen(s);
	if (len >= bufsize)
		return -ENAMETOOLONG;
	memcpy(buf, s, len + 1);
	p = buf;
	for (;;) {
		char *key = p, *eq;

		while (key_char((unsigned char)*p))
			p++;
		if (p == key || (*p && *p != '=' && *p != ','))
			return -EINVAL;
		if (*n >= max)
			return -E2BIG;
		kv[*n].key = key;
		kv[*n].val = NULL;
		if (*p == '=') {
			*p++ = '\0';
			kv[*n].val = p;
			eq = strchr(p, ',');
			p = eq ? eq : p + strlen(p);
		}
		(*n)++;
		if (!*p) {
			return 0;
		}
		*p++ = '\0';
		if (!*p)
			return -EINVAL;  /* trailing comma */
	}
}

/* --- option-handler forms --------------------------------------------- */

/* "--opt 'value': what" (or "out of range") with @fix, exit 2. */
static void __attribute__((noreturn)) usage_error_value(const char *opt, const char *s, int err,
							const char *what, const char *fix)
{
	tk_usage_error(fix, "%s '%s': %s", opt, s ? s : "",
		       err == -ERANGE ? "out of range" : what);
}

uint64_t tk_u64_or_err(const char *s, uint64_t min, uint64_t max, const char *opt)
{
	uint64_t v;
	int err = tk_parse_u64(s, min, max, &v);
	char fix[96];

	if (err) {
		snprintf(fix, sizeof(fix), "give a whole number from %llu to %llu",
			 (unsigned long long)min, (unsigned long long)max);
		usage_error_value(opt, s, err, "not a whole number", fix);
	}
	return v;
}

int64_t tk_i64_or_err(const char *s, int64_t min, int64_t max, const char *opt)
{
	int64_t v;
	int err = tk_parse_i64(s, min, max, &v);
	char fix[96];

	if (err) {
		snprintf(fix, sizeof(fix), "give a whole number from %lld to %lld",
			 (long long)min, (long long)max);
		usage_error_value(opt, s, err, "not a whole number", fix);
	}
	return v;
}

double tk_double_or_err(const char *s, double min, double max, const char *opt)
{
	double v;
	int err = tk_parse_double(s, min, max, &v);
	char fix[96];

	if (err) {
		snprintf(fix, sizeof(fix), "give a number from %g to %g", min, max);
		usage_error_value(opt, s, err, "not a number", fix);
	}
	return v;
}

uint64_t tk_duration_or_err(const char *s, int allow_zero, const char *opt)
{
	uint64_t v;
	int err = tk_parse_duration(s, allow_zero, &v);

	if (err)
		usage_error_value(opt, s, err, "not a duration",
		    allow_zero ? "use e.g. 250ms, 2s, 1.5 (seconds), 100us, 1m"
			       : "use a positive duration, e.g. 250ms, 2s, 1.5 (seconds), 100us, 1m");
	return v;
}

uint64_t tk_size_or_err(const char *s, const char *opt)
{
	uint64_t v;
	int err = tk_parse_size(s, &v);

	if (err)
		usage_error_value(opt, s, err, "not a size",
		    "use bytes or a unit, e.g. 4096, 4k, 1MiB, 1.5G, 10MB");
	return v;
}
