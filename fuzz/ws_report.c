// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz worker-spawn's report decoder (cmd/worker-spawn/wire.c): the bytes
 * a hostile or dying worker writes on its report pipe.  Invariants: no crash,
 * over-read or leak (ASan/LSan); a decoded report obeys the wire bounds
 * (ascending CPUs, counts within limits, totals >= kept samples, valid exit
 * kind) and re-encodes to exactly the input bytes (the format is canonical);
 * every truncation of an accepted report is refused.
 */
// FUZZ_SOURCES: cmd/worker-spawn/wire.c
#include <errno.h>
#include <stdint.h>

#include "fuzz.h"
#include "../cmd/worker-spawn/ws.h"

static void check(const struct ws_report *r, const uint8_t *data, size_t size)
{
	char info[16];
	uint8_t *enc = NULL;
	size_t len = 0;

	FUZZ_CHECK(r->ncpus <= WS_MAX_CPUS && r->nmigr <= WS_MAX_MIGR);
	FUZZ_CHECK(r->nnuma <= WS_MAX_NODES && r->nslices <= WS_MAX_SLICES);
	FUZZ_CHECK(!r->ncpus == !r->cpus_used && !r->nmigr == !r->migrations);
	for (uint32_t i = 0; i < r->ncpus; i++)
		FUZZ_CHECK(r->cpus_used[i] < WS_MAX_CPUS && (!i || r->cpus_used[i] > r->cpus_used[i - 1]));
	FUZZ_CHECK(r->wake.n <= r->wake.total && r->iter.n <= r->iter.total &&
		   r->timer.n <= r->timer.total);
	FUZZ_CHECK(r->wake.n <= WS_MAX_SAMPLES && r->iter.n <= WS_MAX_SAMPLES &&
		   r->timer.n <= WS_MAX_SAMPLES);
	FUZZ_CHECK(r->handoff.n <= r->handoff.total && r->handoff.n <= WS_MAX_SAMPLES);
	FUZZ_CHECK(r->exit_kind <= WS_EXIT_WAIT_FAILED);
	FUZZ_CHECK(r->nbench <= WS_MAX_SLICES + 1 && !r->nbench == !r->bench);
	for (uint32_t i = 0; i < r->nbench; i++)
		FUZZ_CHECK(r->bench[i].kind == WS_BENCH_SCHBENCH ||
			   r->bench[i].kind == WS_BENCH_TAOBENCH);
	FUZZ_CHECK(!r->affinity_error || strlen(r->affinity_error) <= WS_MAX_STR);
	FUZZ_CHECK(!r->sched_policy_error || strlen(r->sched_policy_error) <= WS_MAX_STR);
	ws_exit_info_str(r, info, sizeof(info));   /* truncates, never overflows */
	FUZZ_CHECK(ws_report_encode(r, &enc, &len) == 0);
	FUZZ_CHECK(len == size && !memcmp(enc, data, size));
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_report r, t;
	uint8_t *copy;

	/* an exactly sized heap copy, so any over-read is caught */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (ws_report_decode(copy, size, &r) == 0) {
		check(&r, copy, size);
		ws_report_free(&r);
		for (size_t cut = size > 64 ? size - 64 : 0; cut < size; cut++)
			FUZZ_CHECK(ws_report_decode(copy, cut, &t) != 0);
	} else {
		/* a refused report leaves nothing to free */
		FUZZ_CHECK(!r.cpus_used && !r.migrations && !r.wake.v && !r.affinity_error &&
			   !r.handoff.v);
	}
	free(copy);
	return 0;
}
