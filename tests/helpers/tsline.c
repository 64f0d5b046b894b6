// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tsline — prefix every line of stdin with the CLOCK_REALTIME nanoseconds at
 * which it was read (the clock of telkit's ts_ns) and a space; one write per
 * line, so a reader sees each line as soon as it arrives.  Used by the guest
 * tests to place a scheduler's own printouts on the same time line as
 * bpfwatch's and progstats' records (busybox date has no %N).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		printf("%lld %s%s", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, line,
		       line[n - 1] == '\n' ? "" : "\n");
		fflush(stdout);
	}
	free(line);
	return 0;
}
