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
#include "ingest.h"

static int setup_ring(struct engine *e)
{
	int err = ring_init(&e->r, e->args->qd, e->ops->ring_flags, e->args->sqpoll);

	if (err) {
		tk_error(err == -EPERM ? "run as root or allow io_uring (sysctl kernel.io_uring_disabled=0)" :
			 e->args->sqpoll ? "drop --sqpoll" : "use a kernel with io_uring (5.19+ for passthrough)",
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

/*
 * Open every source through the path's opener, lowering the effective chunk
 * (e->chunk) to what every controller moves in one command, then cut the
 * ranges with the final chunk.  0, or -errno (an opener printed its error).
 */
static int open_sources(struct engine *e)
{
	const struct ingest_args *args = e->args;

	e->chunk = args->chunk;
	e->src = calloc(args->nsrcs, sizeof(*e->src));
	if (!e->src)
		return -ENOMEM;
	for (int k = 0; k < args->nsrcs; k++)
		e->src[k].fd = -1;
	for (int k = 0; k < args->nsrcs; k++) {
		struct source *s = &e->src[k];
		int err;

		s->name = args->srcs[k];
		e->nsrc++;
		err = e->ops->open(s, args, e->chunk);
		if (err)
			return err;
		if (s->max_xfer && s->max_xfer < e->chunk) {
			tk_warn("'%s': the controller moves at most %u bytes per command; --chunk lowered from %llu",
				s->name, s->max_xfer, (unsigned long long)e->chunk);
			e->chunk = s->max_xfer;
		}
	}
	for (unsigned k = 0; k < e->nsrc; k++) {
		struct source *s = &e->src[k];

		source_range(s, args, e->chunk);
		e->total_bytes += (s->end - s->start) * args->loops;
		if (args->verify && s->nchunks && !(s->crc = calloc(s->nchunks, sizeof(*s->crc))))
			return -ENOMEM;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct ingest_args *args = args_parse(argc, argv);
	struct engine e = {
		.args = args,
		.ops = args->path == PATH_PASSTHROUGH ? &passthru_ops : &registered_ops,
	};
	struct tel_violation v[8];
	int err, rc = TK_EXIT_OK, mism = 0, nv = 0;

	tk_stop_install();
	if (args->probe)
		return probe_run();
	if (args->check)
		return check_run(args->check);
	if (tk_reservoir_init(&e.lat, 0, 0))
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	err = open_sources(&e);
	if (err)
		goto fail;
	err = target_init(&e.tgt, args->target, args->slots, e.chunk, args->device);
	if (err) {
		if (args->target == TARGET_HOST)
			tk_error("lower --slots or --chunk", "cannot map %u x %llu bytes: %s",
				 args->slots, (unsigned long long)e.chunk, strerror(-err));
		goto fail;
	}
	err = setup_ring(&e);
	if (err)
		goto fail;
	e.cmd_fixed = e.ops->uring_cmd;
	err = engine_run(&e);
	if (err) {
		tk_error(e.tgt.cuda_err[0] ? "check the NVIDIA driver (nvidia-smi, dmesg for Xid errors) or use --target host" :
			 err == -EIO ? "check dmesg and the device; the data cannot be read" :
			 err == -ENODATA ? "keep the source unchanged while it is read" : NULL,
			 "%s", e.err_msg[0] ? e.err_msg : strerror(-err));
		rc = TK_EXIT_RUNTIME;
	}
	if (args->verify && !err && !e.stopped) {
		if (verify_sources(&e, &mism))
			rc = TK_EXIT_RUNTIME;
		for (unsigned k = 0; k < e.nsrc; k++)
			if (e.src[k].verified)
				report_verify(&e, &e.src[k]);
	} else if (args->verify) {
		tk_warn("--verify skipped: the run did not complete");
	}
	report_summary(&e);
	if (args->validate) {
		nv = tel_validate(&e.tel, e.ops->path, v, 8);
		nv += tel_validate_target(&e.tel, e.tgt.kind, v + (nv < 8 ? nv : 8), 8 - (nv < 8 ? nv : 8));
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
	free(args->srcs);
	return rc;
}
