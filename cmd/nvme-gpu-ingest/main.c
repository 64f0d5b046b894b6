// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nvme-gpu-ingest — io_uring ingest of files and NVMe namespaces into
 * registered (optionally CUDA-pinned, GPU-visible) memory, zero CPU bounce,
 * proven by telemetry, validation rules and checksums.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cli.h"
#include "errors.h"
#include "output.h"
#include "ingest.h"

static int setup_ring(struct engine *e)
{
	unsigned required = opts.path == PATH_PASSTHROUGH ? IORING_SETUP_SQE128 | IORING_SETUP_CQE32 : 0;
	int err = ring_init(&e->r, opts.qd, required, opts.sqpoll);

	if (err) {
		tk_error(err == -EPERM ? "run as root or allow io_uring (sysctl kernel.io_uring_disabled=0)" :
			 opts.sqpoll ? "drop --sqpoll" : "use a kernel with io_uring (5.19+ for passthrough)",
			 "io_uring setup failed: %s", strerror(-err));
		return err;
	}
	err = ring_register(&e->r, &e->tgt);
	if (err)
		tk_error(err == -ENOMEM ? "raise RLIMIT_MEMLOCK (ulimit -l) or lower --slots/--chunk" : NULL,
			 "io_uring_register_buffers (%u x %zu bytes): %s", e->tgt.nslots,
			 e->tgt.slot_size, strerror(-err));
	return err;
}

static int open_sources(struct engine *e)
{
	e->src = calloc(opts.nsrcs, sizeof(*e->src));
	if (!e->src)
		return -ENOMEM;
	for (int k = 0; k < opts.nsrcs; k++)
		e->src[k].fd = -1;
	for (int k = 0; k < opts.nsrcs; k++) {
		struct source *s = &e->src[k];
		int err;

		s->name = opts.srcs[k];
		e->nsrc++;
		err = source_open(s, &opts);
		if (err)
			return err;
		if (s->max_xfer && s->max_xfer < opts.chunk) {
			tk_warn("'%s': the controller moves at most %u bytes per command; --chunk lowered from %llu",
				s->name, s->max_xfer, (unsigned long long)opts.chunk);
			opts.chunk = s->max_xfer;
		}
	}
	for (unsigned k = 0; k < e->nsrc; k++) {
		struct source *s = &e->src[k];

		source_range(s, &opts);
		e->total_bytes += (s->end - s->start) * opts.loops;
		if (opts.verify && s->nchunks && !(s->crc = calloc(s->nchunks, sizeof(*s->crc))))
			return -ENOMEM;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct engine e = { 0 };
	struct tel_violation v[8];
	int err, rc = TK_EXIT_OK, mism = 0, nv = 0;

	opts_parse(argc, argv);
	tk_stop_install();
	if (opts.probe)
		return probe_run();
	if (opts.check)
		return check_run(opts.check);
	if (tk_reservoir_init(&e.lat, 0, 0))
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	err = open_sources(&e);
	if (err)
		goto fail;
	err = target_init(&e.tgt, opts.target, opts.slots, opts.chunk, opts.device);
	if (err) {
		if (opts.target == TARGET_HOST)
			tk_error("lower --slots or --chunk", "cannot map %u x %llu bytes: %s",
				 opts.slots, (unsigned long long)opts.chunk, strerror(-err));
		goto fail;
	}
	err = setup_ring(&e);
	if (err)
		goto fail;
	e.cmd_fixed = opts.path == PATH_PASSTHROUGH;
	err = engine_run(&e);
	if (err) {
		tk_error(err == -EIO ? "check dmesg and the device; the data cannot be read" :
			 err == -ENODATA ? "keep the source unchanged while it is read" : NULL,
			 "%s", e.err_msg[0] ? e.err_msg : strerror(-err));
		rc = TK_EXIT_RUNTIME;
	}
	if (opts.verify && !err && !e.stopped) {
		if (verify_sources(&e, &mism))
			rc = TK_EXIT_RUNTIME;
		for (unsigned k = 0; k < e.nsrc; k++)
			if (e.src[k].verified)
				report_verify(&e.src[k]);
	} else if (opts.verify && !tk_out.quiet) {
		tk_warn("--verify skipped: the run did not complete");
	}
	report_summary(&e);
	if (opts.validate) {
		nv = tel_validate(&e.tel, opts.path, v, 8);
		report_violations(v, nv < 8 ? nv : 8);
	}
	if (rc == TK_EXIT_OK && (mism || nv))
		rc = TK_EXIT_CHECK;
	goto out;
fail:
	rc = TK_EXIT_RUNTIME;
out:
	ring_fini(&e.r);
	target_fini(&e.tgt);
	for (unsigned k = 0; k < e.nsrc; k++)
		source_close(&e.src[k]);
	free(e.src);
	free(e.slots);
	tk_reservoir_free(&e.lat);
	free(opts.srcs);
	return rc;
}
