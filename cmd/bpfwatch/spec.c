// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pure parsers for SPEC and --expect: no I/O, no allocation, fuzzable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfwatch.h"
#include "parse.h"

static const char *const agg_names[] = { "scalar", "counter", "percpu", "percpu-counter" };

const char *bw_agg_name(enum bw_agg agg)
{
	return (unsigned)agg < 4 ? agg_names[agg] : "?";
}

/* Rules shared by MAP_SUFFIX, FIELD and LABEL; returns a sentence or NULL. */
static const char *check_common(const char *s, size_t len, const char *const why[4])
{
	if (!len)
		return why[0];
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
			return why[1];
		if (c == '/' || c == '\\')
			return why[2];
		if (c < 0x21 || c > 0x7e)
			return why[3];
	}
	return NULL;
}

static const char *const suffix_why[4] = {
	"MAP_SUFFIX is empty",
	"MAP_SUFFIX contains whitespace",
	"MAP_SUFFIX contains a path separator ('/' or '\\')",
	"MAP_SUFFIX contains a non-printable or non-ASCII byte",
};
static const char *const field_why[4] = {
	"FIELD is empty",
	"FIELD contains whitespace",
	"FIELD contains a path separator ('/' or '\\')",
	"FIELD contains a non-printable or non-ASCII byte",
};
static const char *const label_why[4] = {
	"LABEL is empty",
	"LABEL contains whitespace",
	"LABEL contains a path separator ('/' or '\\')",
	"LABEL contains a non-printable or non-ASCII byte",
};

/* One segment "name" or "name[1][2]" of @len bytes at @s. */
static const char *parse_seg(const char *s, size_t len, struct bw_seg *seg)
{
	const char *br = memchr(s, '[', len);
	size_t nlen = br ? (size_t)(br - s) : len;

	if (!nlen)
		return "FIELD has a segment with no name before '['";
	if (nlen >= sizeof(seg->name))
		return "FIELD has a segment name longer than 127 bytes";
	if (memchr(s, ']', nlen))
		return "FIELD has a ']' without '['";
	memcpy(seg->name, s, nlen);
	seg->name[nlen] = '\0';
	seg->nidx = 0;
	for (size_t i = nlen; i < len;) {
		char num[24];
		const char *close;
		uint64_t v;
		size_t dlen;

		if (s[i] != '[')
			return "FIELD has text after a subscript; write NAME[INDEX]";
		close = memchr(s + i, ']', len - i);
		if (!close)
			return "FIELD has an unclosed '['";
		dlen = (size_t)(close - (s + i + 1));
		if (!dlen || dlen >= sizeof(num))
			return "FIELD has an empty or overlong subscript";
		memcpy(num, s + i + 1, dlen);
		num[dlen] = '\0';
		if (num[0] < '0' || num[0] > '9' || tk_parse_u64(num, 0, UINT32_MAX, &v))
			return "FIELD subscript is not a non-negative integer";
		if (seg->nidx >= BW_IDX_MAX)
			return "FIELD has more than 4 subscripts on one segment";
		seg->idx[seg->nidx++] = (uint32_t)v;
		i = (size_t)(close - s) + 1;
	}
	return NULL;
}

static const char *parse_field(const char *f, struct bw_spec *out)
{
	size_t len = strlen(f);
	const char *p = f;

	if (f[0] == '.')
		return "FIELD has a leading '.'";
	if (f[len - 1] == '.')
		return "FIELD has a trailing '.'";
	if (strstr(f, ".."))
		return "FIELD has an empty segment ('..')";
	out->nseg = 0;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t slen = dot ? (size_t)(dot - p) : strlen(p);
		const char *why;

		if (out->nseg >= BW_SEG_MAX)
			return "FIELD has more than 16 segments";
		why = parse_seg(p, slen, &out->seg[out->nseg]);
		if (why)
			return why;
		out->nseg++;
		p += slen + (dot ? 1 : 0);
	}
	return NULL;
}

/* "[KEY]" of @len bytes at @s (after MAP_SUFFIX): a non-negative integer. */
static const char *parse_key(const char *s, size_t len, struct bw_spec *out)
{
	char num[24];
	size_t dlen;

	if (s[len - 1] != ']')
		return memchr(s, ']', len) ? "MAP_SUFFIX[KEY] has text after ']'"
					   : "MAP_SUFFIX[KEY] has an unclosed '['";
	dlen = len - 2;
	if (!dlen)
		return "KEY in MAP_SUFFIX[KEY] is empty";
	if (s[1] == '-')
		return "KEY is negative; array indexes and hash keys are non-negative integers";
	if (dlen >= sizeof(num))
		return "KEY is longer than 23 bytes";
	memcpy(num, s + 1, dlen);
	num[dlen] = '\0';
	if (num[0] < '0' || num[0] > '9' || tk_parse_u64(num, 0, UINT64_MAX, &out->key))
		return "KEY is not a non-negative integer (decimal or 0x hex) below 2^64";
	out->has_key = true;
	return NULL;
}

/* MAP_SUFFIX or MAP_SUFFIX[KEY] of @len bytes at @s. */
static const char *parse_map(const char *s, size_t len, struct bw_spec *out)
{
	const char *br = memchr(s, '[', len);
	size_t sl = br ? (size_t)(br - s) : len;
	const char *why = check_common(s, sl, suffix_why);

	if (why)
		return why;
	if (sl > BW_SUFFIX_MAX)
		return "MAP_SUFFIX is longer than 15 bytes, so no kernel map name can end with it";
	if (memchr(s, ']', sl))
		return "MAP_SUFFIX has a ']' without '['";
	memcpy(out->suffix, s, sl);
	return br ? parse_key(br, len - sl, out) : NULL;
}

static const char *const raw_types[] = { "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64" };

/* "value+OFF/TYPE": a raw integer inside the value, no BTF needed. */
static const char *parse_raw(const char *f, struct bw_spec *out)
{
	const char *slash = strchr(f, '/');
	char num[16];
	size_t dlen;
	uint64_t off;

	if (!slash)
		return "FIELD value+OFF needs a /TYPE; write value+OFF/TYPE (TYPE u8..u64, s8..s64)";
	dlen = (size_t)(slash - f);
	if (!dlen || dlen >= sizeof(num))
		return "FIELD value+OFF/TYPE has an empty or overlong OFF";
	memcpy(num, f, dlen);
	num[dlen] = '\0';
	if (num[0] < '0' || num[0] > '9' || tk_parse_u64(num, 0, INT32_MAX, &off))
		return "FIELD value+OFF/TYPE: OFF is not a byte offset (0 to 2^31-1)";
	for (unsigned i = 0; i < 8; i++) {
		if (strcmp(slash + 1, raw_types[i]))
			continue;
		out->raw = true;
		out->raw_off = (uint32_t)off;
		out->raw_signed = i >= 4;
		out->raw_size = (uint8_t)(1u << (i % 4));
		return NULL;
	}
	return "FIELD value+OFF/TYPE: TYPE must be u8, u16, u32, u64, s8, s16, s32 or s64";
}

int bw_spec_parse(const char *s, struct bw_spec *out, const char **why)
{
	const char *c1, *c2, *c3, *agg;
	size_t len, l1, l2, l3, l4;

	memset(out, 0, sizeof(*out));
	len = strnlen(s, BW_SPEC_MAX);
	if (len >= BW_SPEC_MAX) {
		*why = "SPEC is longer than 511 bytes";
		return -EINVAL;
	}
	memcpy(out->text, s, len + 1);
	c1 = strchr(s, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	c3 = c2 ? strchr(c2 + 1, ':') : NULL;
	if (!c3 || strchr(c3 + 1, ':')) {
		*why = "SPEC must have exactly four ':'-separated parts MAP_SUFFIX:FIELD:AGG:LABEL";
		return -EINVAL;
	}
	l1 = (size_t)(c1 - s);
	l2 = (size_t)(c2 - c1 - 1);
	l3 = (size_t)(c3 - c2 - 1);
	l4 = strlen(c3 + 1);
	agg = c2 + 1;
	if ((*why = parse_map(s, l1, out)))
		return -EINVAL;
	if (l2 >= 6 && !strncmp(c1 + 1, "value+", 6)) {
		char f[BW_SPEC_MAX];

		memcpy(f, c1 + 7, l2 - 6);
		f[l2 - 6] = '\0';
		if ((*why = parse_raw(f, out)))
			return -EINVAL;
	} else if ((*why = check_common(c1 + 1, l2, field_why))) {
		return -EINVAL;
	}
	if ((*why = check_common(c3 + 1, l4, label_why)))
		return -EINVAL;
	if (memchr(c3 + 1, '.', l4)) {
		*why = "LABEL contains '.' (it is one metric-key leaf, not a path)";
		return -EINVAL;
	}
	if (l4 > BW_LABEL_MAX) {
		*why = "LABEL is longer than 64 bytes";
		return -EINVAL;
	}
	memcpy(out->field, c1 + 1, l2);
	memcpy(out->label, c3 + 1, l4);
	if (!out->raw && (*why = parse_field(out->field, out)))
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++) {
		if (strlen(agg_names[i]) == l3 && !strncmp(agg, agg_names[i], l3)) {
			out->agg = (enum bw_agg)i;
			return 0;
		}
	}
	*why = "AGG must be one of scalar, counter, percpu, percpu-counter";
	return -EINVAL;
}

/* Does @key equal @base + one of the suffixes @agg derives? */
static bool derived_clash(const char *key, const struct bw_spec *base)
{
	static const char *const sfx[] = { "_rate", "_avg", "_max" };
	size_t bl = strlen(base->label);

	if (strncmp(key, base->label, bl))
		return false;
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(key + bl, sfx[i]))
			continue;
		if (i == 0 && (base->agg == BW_COUNTER || base->agg == BW_PERCPU_COUNTER))
			return true;
		if (i > 0 && base->agg == BW_PERCPU)
			return true;
	}
	return false;
}

size_t bw_specs_check(const struct bw_spec *v, size_t n, const char **why)
{
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(v[i].label, v[j].label)) {
				*why = "duplicate LABEL: each label must be unique in one run";
				return i;
			}
			if (derived_clash(v[i].label, &v[j]) || derived_clash(v[j].label, &v[i])) {
				*why = "LABEL collides with a key another spec derives (_avg/_max/_rate)";
				return i;
			}
		}
	}
	return 0;
}

static const char *const op_names[] = { "<", "<=", ">", ">=", "==" };

const char *bw_op_name(enum bw_op op)
{
	return (unsigned)op < 5 ? op_names[op] : "?";
}

int bw_expect_parse(const char *s, struct bw_expect *out, const char **why)
{
	size_t klen = 0, len = strnlen(s, BW_SPEC_MAX);
	const char *p;

	memset(out, 0, sizeof(*out));
	if (len >= BW_SPEC_MAX) {
		*why = "expression is longer than 511 bytes";
		return -EINVAL;
	}
	memcpy(out->text, s, len + 1);
	while ((s[klen] >= 'a' && s[klen] <= 'z') || (s[klen] >= 'A' && s[klen] <= 'Z') ||
	       (s[klen] >= '0' && s[klen] <= '9') || s[klen] == '_')
		klen++;
	if (!klen || klen >= sizeof(out->key)) {
		*why = "KEY must be 1-87 characters of [A-Za-z0-9_] (a metric key or a label)";
		return -EINVAL;
	}
	memcpy(out->key, s, klen);
	p = s + klen;
	if (!strncmp(p, "<=", 2) || !strncmp(p, ">=", 2) || !strncmp(p, "==", 2)) {
		out->op = p[0] == '<' ? BW_LE : p[0] == '>' ? BW_GE : BW_EQ;
		p += 2;
	} else if (*p == '<' || *p == '>') {
		out->op = *p == '<' ? BW_LT : BW_GT;
		p++;
	} else {
		*why = "expected KEY<VALUE, KEY<=VALUE, KEY>VALUE, KEY>=VALUE or KEY==VALUE";
		return -EINVAL;
	}
	if (tk_parse_double(p, -1e300, 1e300, &out->value)) {
		*why = "VALUE is not a finite number";
		return -EINVAL;
	}
	return 0;
}

bool bw_expect_holds(const struct bw_expect *e, double v)
{
	switch (e->op) {
	case BW_LT: return v < e->value;
	case BW_LE: return v <= e->value;
	case BW_GT: return v > e->value;
	case BW_GE: return v >= e->value;
	case BW_EQ: return v == e->value;
	}
	return false;
}
