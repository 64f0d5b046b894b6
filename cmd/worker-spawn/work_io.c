// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_io.c — I/O work types on an unlinked temp file (TMPDIR, /var/tmp, or
 * the file= directory); and Sequence, which mixes spin/sleep/yield/io/alu.
 * The wake sample is the duration of each blocking call (fdatasync, pread);
 * io-convoy's is its whole iteration, as ktstr's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "telemetry.h"

#define BS 4096

/* Open an unlinked temp file of @size bytes (filled) in g->p_file's dir. */
static int tmpfile_filled(struct ws_ctx *c, uint64_t size, bool direct)
{
	const char *dir = c->g->p_file[0] ? c->g->p_file : getenv("TMPDIR");
	char path[512];
	uint8_t *blk;
	int fd;

	snprintf(path, sizeof(path), "%s/worker-spawn.XXXXXX", dir && *dir ? dir : "/var/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (posix_memalign((void **)&blk, 4096, 65536)) {
		close(fd);
		return -ENOMEM;
	}
	memset(blk, 0xa5, 65536);
	for (uint64_t off = 0; off < size; off += 65536) {
		size_t n = size - off < 65536 ? size - off : 65536;

		if (pwrite(fd, blk, n, off) != (ssize_t)n) {
			int e = errno ? -errno : -EIO;

			free(blk);
			close(fd);
			return e;
		}
	}
	free(blk);
	fsync(fd);
	if (direct) {
		char proc[64];
		int dfd;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		dfd = open(proc, O_RDWR | O_DIRECT | O_CLOEXEC);
		if (dfd < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		close(fd);
		fd = dfd;
	}
	c->iofd = fd;
	return 0;
}

static int io_prep(struct ws_ctx *c, bool direct)
{
	int err = tmpfile_filled(c, c->g->p_size, direct);

	if (err)
		return err;
	if (posix_memalign((void **)&c->buf, BS, BS * 16))
		return -ENOMEM;
	memset(c->buf, 0x5a, BS * 16);
	c->bufsz = BS * 16;
	return 0;
}

int ws_io_prep(struct ws_ctx *c)
{
	return io_prep(c, false);
}

int ws_io_direct_prep(struct ws_ctx *c)
{
	return io_prep(c, true);
}

void ws_io_fini(struct ws_ctx *c)
{
	if (c->iofd >= 0)
		close(c->iofd);
	c->iofd = -1;
	free(c->buf);
	c->buf = NULL;
}

static uint64_t blocks(const struct ws_ctx *c)
{
	return c->g->p_size / BS ? c->g->p_size / BS : 1;
}

static int timed_sync(struct ws_ctx *c)
{
	uint64_t t = ws_now();

	if (fdatasync(c->iofd))
		return -errno;
	ws_wake(c, ws_now() - t);
	return 0;
}

/* @n 4 KiB pwrites from block @blk on, wrapping at the file's end. */
static int write_blocks(struct ws_ctx *c, uint64_t blk, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (pwrite(c->iofd, c->buf, BS, ((blk + i) % blocks(c)) * BS) != BS)
			return errno ? -errno : -EIO;
	return 0;
}

/* @p_blocks striped 4 KiB pwrites, then fdatasync. */
int ws_io_sync_write(struct ws_ctx *c)
{
	uint64_t nb = blocks(c), blk = 0;

	while (!ws_stopping()) {
		int err = write_blocks(c, blk, c->g->p_blocks);

		blk = (blk + c->g->p_blocks) % nb;
		if (err || (err = timed_sync(c)))
			return err;
		ws_tick(c, c->g->p_blocks);
		ws_iter(c);
	}
	return 0;
}

static int timed_pread(struct ws_ctx *c, uint64_t off)
{
	uint64_t t = ws_now();
	ssize_t n = pread(c->iofd, c->buf, BS, off);

	if (n < 0)
		return -errno;
	ws_wake(c, ws_now() - t);
	return 0;
}

int ws_io_rand_read(struct ws_ctx *c)
{
	uint64_t nb = blocks(c);

	while (!ws_stopping()) {
		int err = timed_pread(c, tk_rand_below(&c->rng, nb) * BS);

		if (err)
			return err;
		ws_tick(c, 1);
		ws_iter(c);
	}
	return 0;
}

/*
 * Sequential pwrite + random pread, fdatasync every 16 iterations; the wake
 * sample is the whole iteration (pwrite + pread + the sync when there is one).
 */
int ws_io_convoy(struct ws_ctx *c)
{
	uint64_t nb = blocks(c);

	for (uint64_t i = 0; !ws_stopping(); i++) {
		uint64_t t = ws_now();
		int err = write_blocks(c, i, 1);

		if (!err && pread(c->iofd, c->buf, BS, tk_rand_below(&c->rng, nb) * BS) < 0)
			err = -errno;
		if (!err && i % 16 == 15 && fdatasync(c->iofd))
			err = -errno;
		if (err)
			return err;
		ws_wake(c, ws_now() - t);
		ws_tick(c, 2);
		ws_iter(c);
	}
	return 0;
}

static volatile uint64_t seq_sink;

/* A sleep sampled as its full elapsed time (ktstr); false when stopped. */
static bool sleep_sampled(struct ws_ctx *c, uint64_t ns)
{
	uint64_t t = ws_now();

	if (!ws_sleep(ns))
		return false;
	ws_wake(c, ws_now() - t);
	return true;
}

/*
 * One sequence step for @ns of wall time (ktstr WorkPhase): spin; sleep
 * (sample: full elapsed); yield (sample: each yield); io (16 x 4 KiB pwrites
 * then a sampled 100 us sleep, repeated); alu-hot (iteration cost per 1024
 * rounds).
 */
static int seq_run_step(struct ws_ctx *c, enum ws_step kind, uint64_t ns)
{
	uint64_t end = ws_now() + ns, blk = 0;
	int err;

	switch (kind) {
	case WS_STEP_SPIN:
		ws_spin_for(c, ns);
		break;
	case WS_STEP_SLEEP:
		sleep_sampled(c, ns);
		break;
	case WS_STEP_YIELD:
		while (!ws_stopping() && ws_now() < end) {
			ws_yield_sampled(c);
			ws_tick(c, 1);
		}
		break;
	case WS_STEP_IO:
		while (!ws_stopping() && ws_now() < end) {
			if ((err = write_blocks(c, blk, 16)))
				return err;
			blk += 16;
			ws_tick(c, 16);
			sleep_sampled(c, 100000);
		}
		break;
	case WS_STEP_ALU:
		while (!ws_stopping() && ws_now() < end) {
			uint64_t t = ws_now();

			seq_sink = ws_alu(1024);
			ws_iter_cost(c, ws_now() - t);
			ws_tick(c, 1024);
		}
		break;
	}
	return 0;
}

int ws_sequence(struct ws_ctx *c)
{
	const struct ws_group *g = c->g;

	while (!ws_stopping()) {
		for (unsigned s = 0; s < g->nseq && !ws_stopping(); s++) {
			int err = seq_run_step(c, g->seq[s].kind, g->seq[s].amount * 1000000ULL);

			if (err)
				return err;
		}
		ws_iter(c);
	}
	return 0;
}

int ws_sequence_prep(struct ws_ctx *c)
{
	for (unsigned s = 0; s < c->g->nseq; s++)
		if (c->g->seq[s].kind == WS_STEP_IO)
			return io_prep(c, false);
	return 0;
}
