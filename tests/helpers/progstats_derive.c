// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_derive — drives progstats' derived-metric code (cmd/progstats/
 * collect.c, print.c; objs.c, pids.c and iter.c for what they call) with
 * crafted counters, for the guard cases the kernel will not produce on demand.
 *   progstats_derive CNT NSECS MISSES [PCNT PNSECS PMISSES PERIOD_NS]
 * Prints the derived values and the --oneline form on two lines.
 */
#include "../../cmd/progstats/collect.c"
#include "../../cmd/progstats/print.c"
#include "../../cmd/progstats/pids.c"
#include "../../cmd/progstats/iter.c"
#include "../../cmd/progstats/objs.c"
#include "../../cmd/progstats/fields.c"
#include "../../cmd/progstats/wide.c"
#include "../../cmd/progstats/holders.c"
#include "../../cmd/progstats/details.c"
#include "../../cmd/progstats/links.c"
#include "../../cmd/progstats/pins.c"

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

int main(int argc, char **argv)
{
	struct ps_prog cur = { .id = 1, .name = "x", .tag = "t" }, old = cur;
	struct ps_snap c = { &cur, 1, 1 }, p = { &old, 1, 1 };
	char line[512];

	if (argc != 4 && argc != 8) {
		fprintf(stderr, "usage: %s CNT NSECS MISSES [PCNT PNSECS PMISSES PERIOD_NS]\n", argv[0]);
		return 2;
	}
	cur.cnt = num(argv[1]);
	cur.nsecs = num(argv[2]);
	cur.misses = num(argv[3]);
	if (argc == 8) {
		old.cnt = num(argv[4]);
		old.nsecs = num(argv[5]);
		old.misses = num(argv[6]);
		old.ts_ns = 1;
		cur.ts_ns = 1 + num(argv[7]);
	}
	ps_derive(&c, argc == 8 ? &p : NULL);
	printf("ns_per_call=%.6g miss_rate=%.6g period_ns_per_call=%.6g events_per_sec=%.6g "
	       "cpu_pct=%.6g period_miss_rate=%.6g d_cnt=%llu new=%d\n",
	       cur.ns_per_call, cur.miss_rate, cur.period_ns_per_call, cur.events_per_sec,
	       cur.cpu_pct, cur.period_miss_rate, (unsigned long long)cur.d_cnt, cur.is_new);
	ps_format_oneline(&cur, line, sizeof(line));
	printf("%s\n", line);
	return 0;
}
