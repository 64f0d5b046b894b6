// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz progstats' --baseline reader and --fail-on rule parser
 * (cmd/progstats/baseline.c): the input's first line is a rule, the rest a
 * baseline file.  Invariants: no crash, over-read or leak (ASan/LSan); an
 * accepted rule has a field, an operator, a sign and a finite amount in
 * range; the programs read are NUL-terminated within their bounds, in
 * (name, tag, id) order without duplicates, and carry only the rule's field.
 */
// FUZZ_SOURCES: cmd/progstats/baseline.c
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "../cmd/progstats/progstats.h"

/* baseline.c's comparison walks the run's records: not exercised here. */
int ps_foreach_sample(const struct ps_view *view, ps_sample_fn fn, void *ctx)
{
	(void)view, (void)fn, (void)ctx;
	return 0;
}

static void check_rule(const struct ps_rule *r)
{
	FUZZ_CHECK(r->field[0] && strlen(r->field) < sizeof(r->field));
	FUZZ_CHECK(r->op == '<' || r->op == '>');
	FUZZ_CHECK(r->sign == 1 || r->sign == -1);
	FUZZ_CHECK(isfinite(r->amount) && r->amount >= 0 && r->amount <= 1e15);
}

static void check_set(const struct ps_baseline *b, bool one_rule)
{
	for (size_t i = 0; i < b->base.n; i++) {
		const struct ps_base_prog *e = &b->base.v[i];

		FUZZ_CHECK(memchr(e->name, '\0', sizeof(e->name)) && memchr(e->tag, '\0', sizeof(e->tag)));
		FUZZ_CHECK(!(e->has & ~(one_rule ? 1u : 0u)));
		if (i) {
			const struct ps_base_prog *p = &b->base.v[i - 1];
			int c = strcmp(p->name, e->name);

			if (!c)
				c = strcmp(p->tag, e->tag);
			FUZZ_CHECK(c < 0 || (c == 0 && p->id < e->id));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t rlen = nl ? (size_t)(nl - data) : size;
	struct ps_baseline b = { 0 };
	char *rule = fuzz_cstr(data, rlen), path[64];
	size_t bad_line = 0;
	int fd;

	if (!rule)
		return 0;
	if (!ps_rule_parse(rule, &b.rules[0])) {
		check_rule(&b.rules[0]);
		b.nrules = 1;
	}
	fd = memfd_create("baseline", 0);
	if (fd >= 0 && nl && write(fd, nl + 1, size - rlen - 1) == (ssize_t)(size - rlen - 1)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!ps_baseline_load(&b, path, &bad_line))
			FUZZ_CHECK(bad_line == 0);
		check_set(&b, b.nrules == 1);
	}
	if (fd >= 0)
		close(fd);
	ps_baseline_free(&b);
	free(rule);
	return 0;
}
