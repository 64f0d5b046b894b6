// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz worker-spawn's sched_ext parsers (cmd/worker-spawn/scx.c): the
 * root/events text of a sched_ext sysfs directory (hostile: a test double
 * or a future kernel may write anything) and the counter names given to
 * --assert scx-events-clean.  Invariants: no crash or over-read (ASan);
 * accepted events are at most the bound, named [A-Z0-9_] shorter than
 * WS_SCX_NAME, never repeated, and written back as "NAME N" lines they
 * parse to the same counters; a canonical name is SCX_EV_ + [A-Z0-9_].
 */
// FUZZ_SOURCES: cmd/worker-spawn/scx.c
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "fuzz.h"
#include "../cmd/worker-spawn/ws.h"

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < WS_SCX_NAME && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ws_scx_event ev[WS_SCX_EVENTS], ev2[WS_SCX_EVENTS];
	static char out[WS_SCX_EVENTS * (WS_SCX_NAME + 24)];
	char *copy = malloc(size ? size : 1), *str, canon[WS_SCX_NAME];
	unsigned n = 0, n2 = 0;
	size_t len = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);   /* exactly sized: an over-read is caught */
	if (ws_scx_parse_events(copy, size, ev, WS_SCX_EVENTS, &n) == 0) {
		FUZZ_CHECK(n <= WS_SCX_EVENTS);
		for (unsigned i = 0; i < n; i++) {
			FUZZ_CHECK(name_ok(ev[i].name));
			for (unsigned k = 0; k < i; k++)
				FUZZ_CHECK(strcmp(ev[i].name, ev[k].name));
			len += snprintf(out + len, sizeof(out) - len, "%s %" PRIu64 "\n", ev[i].name,
					ev[i].val);
		}
		FUZZ_CHECK(ws_scx_parse_events(out, len, ev2, WS_SCX_EVENTS, &n2) == 0 && n2 == n);
		for (unsigned i = 0; i < n; i++)
			FUZZ_CHECK(!strcmp(ev[i].name, ev2[i].name) && ev[i].val == ev2[i].val);
	}
	str = fuzz_cstr(data, size);
	if (str && ws_scx_canon(str, canon, sizeof(canon)) == 0)
		FUZZ_CHECK(!strncmp(canon, "SCX_EV_", 7) && name_ok(canon) && strlen(canon) > 7);
	free(str);
	free(copy);
	return 0;
}
