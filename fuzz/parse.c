// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz the common/ option value parsers.  The first byte picks the parser,
 * the rest is the value.  Invariants: no crash; accepted values round-trip
 * where a canonical form exists (CPU lists, integers); results stay in range.
 */
#include <errno.h>
#include <stdint.h>

#include "fuzz.h"
#include "parse.h"

static void cpulist(const char *s)
{
	struct tk_cpuset a, b;
	char buf[8192];

	if (tk_parse_cpulist(s, &a))
		return;
	FUZZ_CHECK(tk_cpuset_count(&a) >= 1);
	FUZZ_CHECK(tk_cpuset_format(&a, buf, sizeof(buf)) < sizeof(buf));
	FUZZ_CHECK(tk_parse_cpulist(buf, &b) == 0);
	FUZZ_CHECK(!memcmp(&a, &b, sizeof(a)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, kvbuf[256];
	struct tk_kv kv[16];
	uint64_t u;
	int64_t i;
	double d;
	size_t n;

	if (size < 1)
		return 0;
	s = fuzz_cstr(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 7) {
	case 0:
		if (!tk_parse_duration(s, 0, &u))
			FUZZ_CHECK(u > 0);
		break;
	case 1:
		tk_parse_size(s, &u);
		break;
	case 2:
		cpulist(s);
		break;
	case 3:
		if (!tk_parse_kvlist(s, kvbuf, sizeof(kvbuf), kv, 16, &n)) {
			FUZZ_CHECK(n >= 1 && n <= 16);
			for (size_t k = 0; k < n; k++)
				FUZZ_CHECK(kv[k].key[0] && !strchr(kv[k].key, ','));
		}
		break;
	case 4:
		if (!tk_parse_u64(s, 10, 1000, &u))
			FUZZ_CHECK(u >= 10 && u <= 1000);
		break;
	case 5:
		if (!tk_parse_i64(s, -1000, 1000, &i))
			FUZZ_CHECK(i >= -1000 && i <= 1000);
		break;
	case 6:
		if (!tk_parse_double(s, -1e6, 1e6, &d))
			FUZZ_CHECK(d >= -1e6 && d <= 1e6);
		break;
	}
	free(s);
	return 0;
}
