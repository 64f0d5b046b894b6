// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz escalate-trace's JSON-line field extraction (cmd/escalate-trace/
 * input.c): huge numbers, NaN/Inf strings, nested objects, invalid UTF-8,
 * long lines, no trailing newline.  Byte 0 picks the field configuration
 * (which keys, dotted or not, a --type filter, the value scale); the rest is
 * the line, passed without a terminating NUL so any over-read shows.
 * Invariants: no crash or leak; OK numbers are finite and non-negative, an
 * OK pid is an integer in 1..INT32_MAX, an OK name is non-empty valid UTF-8;
 * fields not asked for stay unused; a malformed or skipped line carries no
 * field; the shared-tokener path gives the same result as a fresh tokener,
 * whatever lines came before it; and the fast path (scan.c) gives, bit for
 * bit, the sample of json-c's full parse (esc_extract_json), verdict included.
 */
// FUZZ_SOURCES: cmd/escalate-trace/input.c cmd/escalate-trace/scan.c
#include <math.h>
#include <stdint.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "../cmd/escalate-trace/escalate.h"
#include "../cmd/escalate-trace/scan.h"

static const char *const plain_keys[ESC_F_NR] = { "name", "value", "budget", "pid", "cliff", "gpu" };
static const char *const dotted_keys[ESC_F_NR] = {
	"brick.name", "lat.us", "a.b.c.budget", "proc.pid", "mem.cliff", "gpu.transfer.pct",
};
static const double scales[4] = { 1, 1000, 1e-3, 1e300 };

/* Strict UTF-8: no overlongs, surrogates or code points past U+10FFFF. */
static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned n, c;

		if (*s < 0x80) { s++; continue; }
		else if ((*s & 0xe0) == 0xc0) { n = 1; c = *s & 0x1f; }
		else if ((*s & 0xf0) == 0xe0) { n = 2; c = *s & 0x0f; }
		else if ((*s & 0xf8) == 0xf0) { n = 3; c = *s & 0x07; }
		else return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i] & 0x3f);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

static void check(const struct esc_fields *f, enum esc_line_status ls, const struct esc_sample *s)
{
	FUZZ_CHECK(ls == ESC_LINE_OK || ls == ESC_LINE_MALFORMED || ls == ESC_LINE_SKIPPED);
	for (int i = 0; i < ESC_F_NR; i++) {
		FUZZ_CHECK(s->st[i] <= ESC_FS_BAD);
		if (ls != ESC_LINE_OK || !f->key[i])
			FUZZ_CHECK(s->st[i] == ESC_FS_UNUSED);
		else
			FUZZ_CHECK(s->st[i] != ESC_FS_UNUSED);
	}
	if (s->st[ESC_F_NAME] == ESC_FS_OK) {
		FUZZ_CHECK(memchr(s->name, '\0', sizeof(s->name)) && s->name[0]);
		FUZZ_CHECK(utf8_valid((const unsigned char *)s->name));
	}
	if (s->st[ESC_F_VALUE] == ESC_FS_OK)
		FUZZ_CHECK(isfinite(s->value_us) && s->value_us >= 0);
	if (s->st[ESC_F_BUDGET] == ESC_FS_OK)
		FUZZ_CHECK(isfinite(s->budget_us) && s->budget_us >= 0);
	if (s->st[ESC_F_CLIFF] == ESC_FS_OK)
		FUZZ_CHECK(isfinite(s->cliff) && s->cliff >= 0);
	if (s->st[ESC_F_GPU] == ESC_FS_OK)
		FUZZ_CHECK(isfinite(s->gpu_pct) && s->gpu_pct >= 0);
	if (s->st[ESC_F_PID] == ESC_FS_OK)
		FUZZ_CHECK(s->pid >= 1 && s->pid <= INT32_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_tokener *tok;
	struct esc_fields f = { 0 };
	struct esc_sample a, b, c;
	enum esc_line_status la, lb, lc;
	char *line;
	uint8_t cfg;

	if (size < 1)
		return 0;
	if (!tok)
		tok = esc_tokener_new();
	FUZZ_CHECK(tok);
	cfg = data[0];
	for (int i = 0; i < ESC_F_NR; i++) {
		if (cfg & 0x40 || i == ESC_F_VALUE || (cfg >> i) & 1)
			f.key[i] = (cfg & 0x80) ? dotted_keys[i] : plain_keys[i];
	}
	f.type = (cfg & 0x30) == 0x30 ? "sample" : NULL;
	f.value_scale = scales[(cfg >> 4) & 3];
	/* exactly sized, no NUL: the extractor must honour @len */
	line = malloc(size - 1 ? size - 1 : 1);
	if (!line)
		return 0;
	memcpy(line, data + 1, size - 1);
	la = esc_extract(line, size - 1, &f, &a);
	check(&f, la, &a);
	lb = esc_extract_tok(tok, line, size - 1, &f, &b);
	FUZZ_CHECK(la == lb && !memcmp(a.st, b.st, sizeof(a.st)));
	if (la == ESC_LINE_OK && a.st[ESC_F_NAME] == ESC_FS_OK)
		FUZZ_CHECK(!strcmp(a.name, b.name));
	if (la == ESC_LINE_OK && a.st[ESC_F_VALUE] == ESC_FS_OK)
		FUZZ_CHECK(a.value_us == b.value_us);
	lc = esc_extract_json(tok, line, size - 1, &f, &c);
	FUZZ_CHECK(lc == lb && !memcmp(&c, &b, sizeof(c)));
	free(line);
	return 0;
}
