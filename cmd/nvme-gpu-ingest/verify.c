// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * verify.c — --verify: zlib crc32 of the bytes where they finally landed
 * (per chunk, combined in source order with crc32_combine, since chunks
 * complete out of order) against a crc32 of the same range read again with
 * plain pread() through a separate file descriptor.  Where they landed:
 * host, the slot; cuda-host, the slot read back through its device-mapped
 * address; cuda-device, the device buffer read back after the slot's H2D
 * copy finished (target_readback).  The re-read buffer is verification
 * only; nothing from it reaches the target memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>

#include "errors.h"
#include "ingest.h"

#define REREAD_SIZE (1 << 20)

/* crc32 of slot @i's chunk as read from where it landed. */
static int chunk_crc(struct engine *e, unsigned i)
{
	const struct slot *s = &e->slots[i];
	struct source *src = &e->src[s->src];
	const uint8_t *buf;
	int err = 0;

	if (!src->crc)
		return 0;
	buf = target_readback(&e->tgt, i, s->want, &err);
	if (!buf)
		return err;
	src->crc[s->chunk] = crc32(crc32(0, NULL, 0), buf, s->want);
	return 0;
}

int verify_chunk(struct engine *e, unsigned i)
{
	if (e->tgt.kind == TARGET_CUDA_DEVICE)
		return 0; /* verify_copied(), once the bytes are in GPU memory */
	return chunk_crc(e, i);
}

int verify_copied(struct engine *e, unsigned i)
{
	return chunk_crc(e, i);
}

static uint32_t landed_crc(const struct source *s, uint64_t chunk)
{
	uLong crc = crc32(0, NULL, 0);

	for (uint64_t k = 0; k < s->nchunks; k++) {
		uint64_t off = s->start + k * chunk;
		uint64_t len = s->end - off < chunk ? s->end - off : chunk;

		crc = crc32_combine(crc, s->crc[k], (z_off_t)len);
	}
	return crc;
}

/* The block device behind a generic char device: /dev/ng0n1 -> /dev/nvme0n1. */
static const char *reread_name(const struct source *s, char *buf, size_t len)
{
	const char *base = strrchr(s->dev, '/');

	if (!s->is_chr || !base || strncmp(base, "/ng", 3))
		return s->name;
	snprintf(buf, len, "/dev/nvme%s", base + 3);
	return buf;
}

/* @fd is not the file @s had open: its path was renamed over during the run. */
static bool replaced(const struct source *s, int fd)
{
	struct stat a, b;

	if (s->is_chr || fstat(s->fd, &a) || fstat(fd, &b))
		return false;
	return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

static int reread_crc(const struct source *s, uint32_t *out, bool *other)
{
	char name[80];
	const char *path = reread_name(s, name, sizeof(name));
	uint8_t *buf = malloc(REREAD_SIZE);
	uLong crc = crc32(0, NULL, 0);
	uint64_t off = s->start;
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		tk_error("make the source readable again for --verify",
			 "--verify: cannot reopen '%s': %s", path, strerror(errno));
		goto out;
	}
	*other = replaced(s, fd);
	while (off < s->end) {
		size_t want = s->end - off < REREAD_SIZE ? s->end - off : REREAD_SIZE;
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -ENODATA;
			tk_error("check the source did not change during the run",
				 "--verify: re-reading '%s' at %llu: %s", path,
				 (unsigned long long)off, n < 0 ? strerror(errno) : "unexpected end of file");
			goto out;
		}
		crc = crc32(crc, buf, n);
		off += n;
	}
	*out = crc;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

int verify_sources(struct engine *e, int *mismatches)
{
	*mismatches = 0;
	for (unsigned k = 0; k < e->nsrc; k++) {
		struct source *s = &e->src[k];
		bool other = false;
		int err;

		if (!s->crc && s->nchunks)
			continue;
		s->crc_landed = s->nchunks ? landed_crc(s, e->chunk) : 0;
		err = reread_crc(s, &s->crc_source, &other);
		if (err)
			return err;
		s->verified = true;
		if (s->crc_landed == s->crc_source)
			continue;
		(*mismatches)++;
		if (other)
			tk_error("keep the source in place until the run ends",
				 "--verify: '%s' was replaced during the run: landed crc32 %08x != source crc32 %08x (the file there now)",
				 s->name, s->crc_landed, s->crc_source);
		else
			tk_error("the bytes that landed differ from the source: check the device and memory (dmesg)",
				 "--verify: '%s' landed crc32 %08x != source crc32 %08x",
				 s->name, s->crc_landed, s->crc_source);
	}
	return 0;
}
