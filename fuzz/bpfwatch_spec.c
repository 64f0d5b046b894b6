// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz bpfwatch's SPEC and --expect parsers (cmd/bpfwatch/spec.c).  The
 * first byte picks the parser; for specs the rest is split on '\n' into up
 * to 8 specs that also go through bw_specs_check.  Invariants: no crash or
 * over-read (the input is not NUL-terminated past its bytes); accepted specs
 * obey every documented limit and their canonical form (decimal [KEY],
 * value+OFF/TYPE or the field path) re-parses to the same key, segments and
 * raw location; accepted expressions have a valid key, op and a finite
 * value, and bw_expect_holds agrees with the operator at the boundary.
 */
// FUZZ_SOURCES: cmd/bpfwatch/spec.c
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "fuzz.h"
#include "../cmd/bpfwatch/bpfwatch.h"

/* "name[1][2].next" from the parsed segments, or "value+OFF/TYPE". */
static void canon_field(const struct bw_spec *s, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (s->raw) {
		snprintf(buf, size, "value+%u/%c%u", s->raw_off, s->raw_signed ? 's' : 'u',
			 s->raw_size * 8u);
		return;
	}
	for (unsigned i = 0; i < s->nseg && n < size; i++) {
		n += snprintf(buf + n, size - n, "%s%s", i ? "." : "", s->seg[i].name);
		for (unsigned k = 0; k < s->seg[i].nidx && n < size; k++)
			n += snprintf(buf + n, size - n, "[%u]", s->seg[i].idx[k]);
	}
}

static void check_spec(const struct bw_spec *s)
{
	char field[BW_SPEC_MAX * 2], text[BW_SPEC_MAX * 3], key[32];
	struct bw_spec again;
	const char *why = NULL;
	size_t sl = strlen(s->suffix), ll = strlen(s->label);

	FUZZ_CHECK(sl >= 1 && sl <= BW_SUFFIX_MAX);
	FUZZ_CHECK(ll >= 1 && ll <= BW_LABEL_MAX && !strchr(s->label, '.'));
	FUZZ_CHECK(!strchr(s->suffix, ':') && !strchr(s->label, ':'));
	FUZZ_CHECK((unsigned)s->agg < 4 && strcmp(bw_agg_name(s->agg), "?"));
	FUZZ_CHECK(!strpbrk(s->suffix, "[]"));
	FUZZ_CHECK(s->has_key || s->key == 0);
	if (s->raw) {
		FUZZ_CHECK(s->nseg == 0 && s->raw_off <= INT32_MAX);
		FUZZ_CHECK(s->raw_size == 1 || s->raw_size == 2 || s->raw_size == 4 ||
			   s->raw_size == 8);
	} else {
		FUZZ_CHECK(s->nseg >= 1 && s->nseg <= BW_SEG_MAX);
		FUZZ_CHECK(!strchr(s->field, '/') && !strncmp(s->field, s->seg[0].name,
							       strlen(s->seg[0].name)));
	}
	for (unsigned i = 0; i < s->nseg; i++) {
		FUZZ_CHECK(s->seg[i].name[0] && s->seg[i].nidx <= BW_IDX_MAX);
		FUZZ_CHECK(!strpbrk(s->seg[i].name, ".[]:"));
	}
	canon_field(s, field, sizeof(field));
	if (s->has_key)
		snprintf(key, sizeof(key), "[%llu]", (unsigned long long)s->key);
	if (snprintf(text, sizeof(text), "%s%s:%s:%s:%s", s->suffix, s->has_key ? key : "", field,
		     bw_agg_name(s->agg), s->label) >= BW_SPEC_MAX)
		return;
	FUZZ_CHECK(bw_spec_parse(text, &again, &why) == 0);
	FUZZ_CHECK(again.nseg == s->nseg && again.agg == s->agg);
	FUZZ_CHECK(again.has_key == s->has_key && again.key == s->key);
	FUZZ_CHECK(again.raw == s->raw && again.raw_off == s->raw_off &&
		   again.raw_size == s->raw_size && again.raw_signed == s->raw_signed);
	FUZZ_CHECK(!memcmp(again.seg, s->seg, sizeof(s->seg)));
}

static void specs(const uint8_t *data, size_t size)
{
	static struct bw_spec v[8];
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= size && n < 8; i++) {
		const char *why = NULL;
		char *s;

		if (i < size && data[i] != '\n')
			continue;
		s = fuzz_cstr(data + start, i - start);
		start = i + 1;
		if (!s)
			return;
		if (!bw_spec_parse(s, &v[n], &why))
			check_spec(&v[n++]);
		else
			FUZZ_CHECK(why && *why);
		free(s);
	}
	if (n > 1) {
		const char *why = NULL;
		size_t bad = bw_specs_check(v, n, &why);

		FUZZ_CHECK(bad < n);
		FUZZ_CHECK(!bad || (why && *why));
	}
}

static void expect(const uint8_t *data, size_t size)
{
	struct bw_expect e;
	const char *why = NULL;
	char *s = fuzz_cstr(data, size);

	if (!s)
		return;
	if (bw_expect_parse(s, &e, &why)) {
		FUZZ_CHECK(why && *why);
		free(s);
		return;
	}
	FUZZ_CHECK(e.key[0] && strlen(e.key) < sizeof(e.key));
	FUZZ_CHECK(strspn(e.key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
		   strlen(e.key));
	FUZZ_CHECK((unsigned)e.op < 5 && strcmp(bw_op_name(e.op), "?"));
	FUZZ_CHECK(isfinite(e.value) && fabs(e.value) <= 1e300);
	FUZZ_CHECK(bw_expect_holds(&e, e.value) == (e.op == BW_LE || e.op == BW_GE || e.op == BW_EQ));
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		expect(data + 1, size - 1);
	else
		specs(data + 1, size - 1);
	return 0;
}
