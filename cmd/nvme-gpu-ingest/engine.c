// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * engine.c — the slots ring shared by both paths.
 *
 * Every source range is cut into chunks; a free slot takes the next chunk and
 * one SQE reads it into that slot's registered buffer.  Up to --qd SQEs are in
 * flight.  A short read is resubmitted for the remainder (a new read), -EAGAIN
 * is retried (the same read; with --nowait the retry drops RWF_NOWAIT, so a
 * page-cache miss is then read blocking by io_uring instead of spinning),
 * anything else is a failed completion and stops new submissions; in-flight
 * reads are always drained before returning, also after SIGINT/SIGTERM.  Counters follow the seed: a read is counted when
 * io_uring accepts its SQE and once more when its terminal CQE arrives.
 *
 * Each turn of the loop fills the queue (fill_queue), reaps completions or
 * waits for copies (reap), then emits samples and progress and enforces
 * --duration (tick).  Path specifics go through e->ops.
 *
 * One engine is one ring: with several workers (workers.c) each runs its own
 * engine over its slice of the sources in its own thread; then the main
 * thread emits samples and progress (e->threaded) and the engine only wakes
 * often enough to see a stop request.  Every counter is added to the
 * engine's total and to the source's own (TEL_ADD), so the parts sum to the
 * whole.  --rw randread reads chunk k of a source as chunk (a*k+b) mod n,
 * a permutation (a coprime to n): every chunk once, in scattered order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "errors.h"
#include "ingest.h"

#define PROGRESS_NS (250 * TK_NSEC_PER_MSEC)
#define THREADED_WAKE_NS (100 * TK_NSEC_PER_MSEC)

/* Count @n in the engine's telemetry and in source @src's. */
#define TEL_ADD(e, si, f, n)                                                  \
	do {                                                                   \
		uint64_t n_ = (n);                                             \
		(e)->tel.f += n_;                                              \
		(e)->src[si].tel.f += n_;                                     \
	} while (0)

struct cursor {
	unsigned src;
	uint64_t chunk, loop;
};

/* State of one engine_run, beside the engine's own. */
struct loop {
	struct cursor cur;
	unsigned *pq, npq;      /* prepped slots whose SQEs io_uring has not accepted */
	unsigned copying;       /* slots whose H2D copy runs (cuda-device) */
	bool more;              /* chunks left to submit, no stop asked for */
	bool progress;          /* progress line on the TTY */
	uint64_t next_sample, next_progress, samples, last_bytes, last_t;
};

static bool cursor_next(struct engine *e, struct cursor *c, struct slot *s)
{
	while (c->loop < e->args->loops) {
		struct source *src = &e->src[c->src];

		if (c->chunk < src->nchunks) {
			s->src = c->src;
			s->chunk = c->chunk++;
			if (e->args->rw == RW_RANDREAD)
				s->chunk = (uint64_t)(((unsigned __int128)src->perm_a * s->chunk + src->perm_b) %
						      src->nchunks);
			s->off = src->start + s->chunk * e->chunk;
			s->want = src->end - s->off < e->chunk ? src->end - s->off : e->chunk;
			s->done = 0;
			s->first_pass = c->loop == 0;
			s->blocking = false;
			return true;
		}
		c->chunk = 0;
		if (++c->src == e->nsrc) {
			c->src = 0;
			c->loop++;
		}
	}
	return false;
}

/* Offset and length of the next SQE for slot @s (aligned when needed). */
static void slot_io(struct engine *e, struct slot *s)
{
	uint32_t a = e->src[s->src].align;
	uint64_t pos = s->off + s->done, end = s->off + s->want;

	if (a > 1) {
		s->io_off = pos / a * a;
		s->io_len = (end - s->io_off + a - 1) / a * a;
	} else {
		s->io_off = pos;
		s->io_len = end - pos;
	}
}

static void fail(struct engine *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct engine *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e->first_err)
		return;
	e->first_err = err;
	va_start(ap, fmt);
	vsnprintf(e->err_msg, sizeof(e->err_msg), fmt, ap);
	va_end(ap);
}

static int queue_slot(struct engine *e, struct loop *lp, unsigned i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->r.ring);
	struct slot *s = &e->slots[i];

	if (!sqe)
		return -EBUSY;
	slot_io(e, s);
	e->ops->prep(e, sqe, i);
	if (e->files_registered) {
		sqe->fd = (int)s->src;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	io_uring_sqe_set_data64(sqe, i);
	s->state = SLOT_PREPPED;
	lp->pq[lp->npq++] = i;
	return 0;
}

/*
 * io_uring accepted @n of the queued SQEs at @t_submit (taken before the
 * submit call: a buffered read served from the page cache completes inside
 * it, and its latency includes that copy, as fio's does): count them (seed
 * semantics).
 */
static void account_submitted(struct engine *e, struct loop *lp, unsigned n, uint64_t t_submit)
{
	for (unsigned k = 0; k < n; k++) {
		struct slot *s = &e->slots[lp->pq[k]];

		s->state = SLOT_INFLIGHT;
		s->t_submit = t_submit;
		e->inflight++;
		if (s->acct == ACCT_RETRY)
			continue;
		TEL_ADD(e, s->src, submitted_reads, 1);
		(*tel_path_counter(&e->tel, e->ops->path))++;
		(*tel_path_counter(&e->src[s->src].tel, e->ops->path))++;
		if (s->acct == ACCT_NEW)
			TEL_ADD(e, s->src, submitted_bytes, s->want);
	}
	memmove(lp->pq, lp->pq + n, (lp->npq - n) * sizeof(*lp->pq));
	lp->npq -= n;
}

/* A chunk fully landed: checksum it, hand it to the GPU copy engine. */
static void chunk_landed(struct engine *e, unsigned i)
{
	struct slot *s = &e->slots[i];
	int err;

	if (e->args->verify && s->first_pass && (err = verify_chunk(e, i)))
		fail(e, err, "--verify of slot %u: %s", i, e->tgt.cuda_err);
	s->state = SLOT_FREE;
	if (e->tgt.kind != TARGET_CUDA_DEVICE)
		return;
	err = target_copy_start(&e->tgt, i, s->want);
	if (err)
		fail(e, err, "H2D copy of slot %u: %s", i, e->tgt.cuda_err);
	else
		s->state = SLOT_COPYING;
}

static void complete(struct engine *e, struct loop *lp, struct io_uring_cqe *cqe)
{
	uint64_t i = io_uring_cqe_get_data64(cqe);
	struct slot *s;
	int64_t res;
	uint64_t reached, lat;

	if (i >= e->tgt.nslots || e->slots[i].state != SLOT_INFLIGHT) {
		e->tel.failed_completions++;
		fail(e, -EPROTO, "completion for unknown slot %llu (res %d)",
		     (unsigned long long)i, cqe->res);
		return;
	}
	s = &e->slots[i];
	e->inflight--;
	res = e->ops->result(e, i, cqe);
	if (res == -EAGAIN && !e->first_err) {
		TEL_ADD(e, s->src, eagain_retries, 1);
		s->acct = ACCT_RETRY;
		s->blocking = true;
		if (!queue_slot(e, lp, i))
			return;
	}
	lat = tk_now_mono_ns() - s->t_submit;
	tk_reservoir_add(&e->lat, lat);
	if (e->dlat)
		tk_reservoir_add(&e->dlat[e->src[s->src].devi], lat);
	if (res < 0) {
		TEL_ADD(e, s->src, failed_completions, 1);
		if (!e->first_err && !e->err_msg[0])
			snprintf(e->err_msg, sizeof(e->err_msg), "read of '%s' at offset %llu (%llu bytes) failed: %s",
				 e->src[s->src].name, (unsigned long long)s->io_off,
				 (unsigned long long)s->io_len, strerror((int)-res));
		if (!e->first_err)
			e->first_err = (int)res;
		s->state = SLOT_FREE;
		return;
	}
	reached = s->io_off - s->off + (uint64_t)res;
	if (reached > s->want)
		reached = s->want;
	if (reached <= s->done) {
		TEL_ADD(e, s->src, failed_completions, 1);
		fail(e, -ENODATA, "'%s' ended at offset %llu, %llu bytes earlier than expected (truncated while reading?)",
		     e->src[s->src].name, (unsigned long long)(s->off + s->done),
		     (unsigned long long)(s->want - s->done));
		s->state = SLOT_FREE;
		return;
	}
	TEL_ADD(e, s->src, completed_reads, 1);
	TEL_ADD(e, s->src, completed_bytes, reached - s->done);
	s->done = reached;
	if (s->done == s->want) {
		chunk_landed(e, i);
		return;
	}
	TEL_ADD(e, s->src, short_reads, 1);
	if (e->first_err) {
		s->state = SLOT_FREE;
		return;
	}
	s->acct = ACCT_RESUB;
	if (queue_slot(e, lp, i))
		s->state = SLOT_FREE;
}

static unsigned poll_copies(struct engine *e, bool wait_one)
{
	unsigned copying = 0;

	for (unsigned i = 0; i < e->tgt.nslots; i++) {
		struct slot *s = &e->slots[i];
		int r;

		if (s->state != SLOT_COPYING)
			continue;
		r = target_copy_poll(&e->tgt, i, wait_one);
		if (r == 0) {
			copying++;
			continue;
		}
		wait_one = false;
		if (r < 0)
			fail(e, r, "H2D copy of slot %u: %s", i, e->tgt.cuda_err);
		else
			TEL_ADD(e, s->src, h2d_bytes, s->want);
		if (r > 0 && e->args->verify && s->first_pass && (r = verify_copied(e, i)))
			fail(e, r, "--verify of slot %u: %s", i, e->tgt.cuda_err);
		s->state = SLOT_FREE;
	}
	return copying;
}

static int find_free(struct engine *e)
{
	for (unsigned i = 0; i < e->tgt.nslots; i++)
		if (e->slots[i].state == SLOT_FREE)
			return i;
	return -1;
}

/* Stop on a request or an error; else give free slots their next chunks.  Submit. */
static void fill_queue(struct engine *e, struct loop *lp)
{
	uint64_t t_submit;
	int ret, fi;

	if (tk_stop_requested() && lp->more) {
		e->stopped = true;
		lp->more = false;
	}
	if (e->first_err)
		lp->more = false;
	while (lp->more && e->inflight + lp->npq < e->qd && (fi = find_free(e)) >= 0) {
		struct slot *s = &e->slots[fi];

		if (!cursor_next(e, &lp->cur, s)) {
			lp->more = false;
			break;
		}
		s->acct = ACCT_NEW;
		if (queue_slot(e, lp, fi))
			break;
	}
	if (!lp->npq)
		return;
	t_submit = tk_now_mono_ns();
	ret = io_uring_submit(&e->r.ring);
	if (ret > 0)
		account_submitted(e, lp, ret, t_submit);
	else if (ret < 0 && ret != -EAGAIN && ret != -EBUSY && ret != -EINTR) {
		fail(e, ret, "io_uring_submit: %s", strerror(-ret));
		lp->npq = 0;
	}
}

/*
 * Wait for completions until the next sample or progress line is due (or
 * briefly, while copies run) and handle them; with nothing in flight, wait
 * for a copy instead.  -1 when the ring failed and the loop must end.
 */
static int reap(struct engine *e, struct loop *lp)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts;
	uint64_t now = tk_now_mono_ns(), wake, d;
	int ret;

	wake = lp->progress && lp->next_progress < lp->next_sample ? lp->next_progress : lp->next_sample;
	if (e->tgt.kind == TARGET_CUDA_DEVICE && lp->copying && wake > now + 50000)
		wake = now + 50000;
	if (e->threaded)
		wake = now + THREADED_WAKE_NS;
	if (!e->inflight) {
		if (lp->copying)
			lp->copying = poll_copies(e, true);
		return 0;
	}
	d = wake > now ? wake - now : 0;
	ts.tv_sec = d / TK_NSEC_PER_SEC;
	ts.tv_nsec = d % TK_NSEC_PER_SEC;
	ret = io_uring_wait_cqes(&e->r.ring, &cqe, 1, &ts, NULL);
	if (ret == 0) {
		unsigned head, n = 0;

		io_uring_for_each_cqe(&e->r.ring, head, cqe) {
			complete(e, lp, cqe);
			n++;
		}
		io_uring_cq_advance(&e->r.ring, n);
	} else if (ret != -ETIME && ret != -EINTR && ret != -EAGAIN) {
		fail(e, ret, "io_uring_wait_cqes: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

/* Emit the sample and progress line when due; stop at --count or --duration. */
static void tick(struct engine *e, struct loop *lp)
{
	uint64_t now = tk_now_mono_ns();

	if (e->args->samples && !e->threaded && now >= lp->next_sample) {
		uint64_t b = e->tel.completed_bytes;

		if (report_sample(e, now - lp->last_t, b - lp->last_bytes) < 0)
			tk_stop_request();
		lp->last_bytes = b;
		lp->last_t = now;
		lp->next_sample += tk_cli.interval_ns;
		if (lp->next_sample <= now)
			lp->next_sample = now + tk_cli.interval_ns;
		if (tk_cli.count && ++lp->samples >= tk_cli.count)
			tk_stop_request();
	}
	if (lp->progress && now >= lp->next_progress) {
		report_progress(e, false);
		lp->next_progress = now + PROGRESS_NS;
	}
	if (tk_cli.duration_ns && now - e->t_start >= tk_cli.duration_ns && lp->more) {
		e->stopped = true;
		lp->more = false;
	}
}

int engine_run(struct engine *e)
{
	struct loop lp = {
		.more = true,
		.progress = isatty(STDERR_FILENO) && !tk_out.quiet && !e->threaded,
	};

	lp.pq = calloc(e->tgt.nslots, sizeof(*lp.pq));
	e->slots = calloc(e->tgt.nslots, sizeof(*e->slots));
	if (!lp.pq || !e->slots) {
		free(lp.pq);
		return -ENOMEM;
	}
	e->t_start = lp.last_t = tk_now_mono_ns();
	lp.next_sample = e->t_start + tk_cli.interval_ns;
	lp.next_progress = e->t_start + PROGRESS_NS;
	for (;;) {
		fill_queue(e, &lp);
		if (e->tgt.kind == TARGET_CUDA_DEVICE)
			lp.copying = poll_copies(e, lp.more && !e->inflight && !lp.npq && find_free(e) < 0);
		if (!lp.more && !e->inflight && !lp.npq && !lp.copying)
			break;
		if (reap(e, &lp))
			break;
		tick(e, &lp);
	}
	/* every exit path: the H2D copies finish inside the timed window */
	if (e->tgt.kind == TARGET_CUDA_DEVICE)
		while (poll_copies(e, true))
			;
	e->t_end = tk_now_mono_ns();
	if (lp.progress)
		report_progress(e, true);
	free(lp.pq);
	return e->first_err;
}
