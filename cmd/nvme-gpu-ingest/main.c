// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nvme-gpu-ingest — io_uring ingest of files and NVMe namespaces into
 * registered (optionally CUDA-pinned, GPU-visible) memory, zero CPU bounce,
 * proven by telemetry, validation rules and checksums.
 *
 * main: open the sources (directories expanded), plan the workers (one ring
 * per device), set them up, run them, then verify and report: per source
 * and per device when there are several, and the run's summary.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cli.h"
#include "errors.h"
#include "ingest.h"
#include "aggregate.h"

/*
 * Open every source through the path's opener, lowering the effective chunk
 * (r->chunk) to what every controller moves in one command, then cut the
 * ranges with the final chunk.  0, or -errno (an opener printed its error).
 */
static int open_sources(struct run *r)
{
	const struct ingest_args *args = r->args;
	int err = dirsrc_expand(args, &r->names, &r->nnames);

	if (err)
		return err;
	r->chunk = args->chunk;
	r->src = calloc(r->nnames, sizeof(*r->src));
	if (!r->src)
		return -ENOMEM;
	for (int k = 0; k < r->nnames; k++)
		r->src[k].fd = -1;
	for (int k = 0; k < r->nnames; k++) {
		struct source *s = &r->src[k];

		s->name = r->names[k];
		r->nsrc++;
		err = r->ops->open(s, args, r->chunk);
		if (err)
			return err;
		if (s->max_xfer && s->max_xfer < r->chunk) {
			tk_warn("'%s': the controller moves at most %u bytes per command; --chunk lowered from %llu",
				s->name, s->max_xfer, (unsigned long long)r->chunk);
			r->chunk = s->max_xfer;
		}
	}
	for (unsigned k = 0; k < r->nsrc; k++) {
		struct source *s = &r->src[k];

		source_range(s, args, r->chunk);
		r->total_bytes += (s->end - s->start) * args->loops;
		if (args->verify && s->nchunks && !(s->crc = calloc(s->nchunks, sizeof(*s->crc))))
			return -ENOMEM;
	}
	return 0;
}

static void report_run_error(const struct engine *e)
{
	int err = e->first_err;

	tk_error(e->tgt.cuda_err[0] ? "check the NVIDIA driver (nvidia-smi, dmesg for Xid errors) or use --target host" :
		 err == -EIO ? "check dmesg and the device; the data cannot be read" :
		 err == -ENODATA ? "keep the source unchanged while it is read" :
		 err == -EOPNOTSUPP && e->iopoll ? "drop --hipri, or give the driver poll queues (e.g. nvme.poll_queues=2: queue/io_poll reads 1)" : NULL,
		 "%s", e->err_msg[0] ? e->err_msg : strerror(-err));
}

/* --verify over every worker's sources; 0 or -errno, mismatches counted. */
static int verify_all(struct run *r, int *mism)
{
	int rc = 0;

	for (unsigned k = 0; k < r->nw; k++) {
		int m = 0;

		if (verify_sources(&r->w[k], &m))
			rc = -EIO;
		*mism += m;
	}
	for (unsigned k = 0; k < r->nsrc; k++)
		if (r->src[k].verified)
			report_verify(&r->w[0], &r->src[k]);   /* cuda targets run one worker */
	return rc;
}

/* --validate: the seed's rules on the total, and the parts adding up. */
static int validate(const struct run *r, const struct engine *e)
{
	struct tel_violation v[10];
	int nv = tel_validate(&e->tel, e->ops->path, v, 8);

	nv = nv < 8 ? nv : 8;
	nv += tel_validate_target(&e->tel, r->w[0].tgt.kind, v + nv, 9 - nv);
	nv = nv < 9 ? nv : 9;
	if (aggr_parts_check(r, &e->tel, v[nv].detail, sizeof(v[nv].detail))) {
		v[nv].rule = "parts_sum";
		v[nv].fix = "count every read once in its source's telemetry and once in the total";
		nv++;
	}
	report_violations(v, nv);
	return nv;
}

static int run(struct run *r)
{
	const struct ingest_args *args = r->args;
	struct engine total = { 0 }, *e = &r->w[0];
	int rc = TK_EXIT_OK, mism = 0, err;

	err = workers_run(r);
	for (unsigned k = 0; k < r->nw; k++)
		if (r->w[k].first_err) {
			report_run_error(&r->w[k]);
			rc = TK_EXIT_RUNTIME;
		}
	if (args->verify && !err && !r->w[0].stopped) {
		if (verify_all(r, &mism))
			rc = TK_EXIT_RUNTIME;
	} else if (args->verify) {
		tk_warn("--verify skipped: the run did not complete");
	}
	aggr_cpu_shares(r);
	if (r->nw > 1) {
		if (workers_total(r, &total)) {
			tk_reservoir_free(&total.lat);
			tk_error(NULL, "out of memory");
			return TK_EXIT_RUNTIME;
		}
		e = &total;
	}
	if (r->nsrc > 1 || r->nw > 1) {
		report_sources(r);
		if (report_devices(r))
			rc = TK_EXIT_RUNTIME;
	}
	report_summary(e);
	if (args->validate && validate(r, e) && rc == TK_EXIT_OK)
		rc = TK_EXIT_CHECK;
	if (rc == TK_EXIT_OK && mism)
		rc = TK_EXIT_CHECK;
	if (e == &total)
		tk_reservoir_free(&total.lat);
	return rc;
}

int main(int argc, char **argv)
{
	const struct ingest_args *args = args_parse(argc, argv);
	struct run r = {
		.args = args,
		.ops = args->path == PATH_PASSTHROUGH ? &passthru_ops : &registered_ops,
	};
	int rc = TK_EXIT_RUNTIME;

	tk_stop_install();
	if (args->probe)
		return probe_run();
	if (args->check)
		return check_run(args->check);
	if (!open_sources(&r) && !workers_plan(&r) && !workers_setup(&r))
		rc = run(&r);
	workers_fini(&r);
	for (unsigned k = 0; k < r.nsrc; k++)
		source_close(&r.src[k]);
	free(r.src);
	free(r.dev);
	dirsrc_free(r.names, r.nnames);
	free(args->srcs);
	return rc;
}
