// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * source.c — opening inputs for the registered path: regular files and
 * block devices, buffered or O_DIRECT.  O_DIRECT alignment comes from the
 * kernel (statx STATX_DIOALIGN, BLKSSZGET), never from a guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "errors.h"
#include "ingest.h"

static uint32_t dio_align(int fd, bool is_blk)
{
	struct statx stx;
	int lbs = 0;

	if (is_blk && !ioctl(fd, BLKSSZGET, &lbs) && lbs > 0)
		return lbs;
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align)
		return stx.stx_dio_offset_align;
	return 4096;
}

/* Range [start, end) from --offset/--length, clipped to the size. */
void source_range(struct source *s, const struct ingest_args *args, uint64_t chunk)
{
	s->start = args->offset < s->size ? args->offset : s->size;
	s->end = s->size;
	if (args->length && args->length < s->end - s->start)
		s->end = s->start + args->length;
	s->nchunks = (s->end - s->start + chunk - 1) / chunk;
}

int source_open(struct source *s, const struct ingest_args *args, uint64_t chunk)
{
	struct stat st;
	int flags = O_RDONLY | O_CLOEXEC;

	if (args->direct)
		flags |= O_DIRECT;
	s->fd = open(s->name, flags);
	if (s->fd < 0) {
		int err = -errno;

		tk_error(err == -EACCES || err == -EPERM ? "check the permissions or run as root" :
			 err == -EINVAL ? "this file system does not support O_DIRECT; drop --direct" :
			 "give an existing file or block device",
			 "cannot open '%s': %s", s->name, strerror(-err));
		return err;
	}
	if (fstat(s->fd, &st)) {
		int err = -errno;

		tk_error(NULL, "cannot stat '%s': %s", s->name, strerror(-err));
		return err;
	}
	s->is_blk = S_ISBLK(st.st_mode);
	if (s->is_blk) {
		if (ioctl(s->fd, BLKGETSIZE64, &s->size)) {
			int err = -errno;

			tk_error(NULL, "BLKGETSIZE64 on '%s': %s", s->name, strerror(-err));
			return err;
		}
	} else if (S_ISREG(st.st_mode)) {
		s->size = st.st_size;
	} else {
		tk_error("give a regular file or a block device (or --path passthrough for /dev/ngXnY)",
			 "'%s' is neither a regular file nor a block device", s->name);
		return -EINVAL;
	}
	s->align = args->direct ? dio_align(s->fd, s->is_blk) : 1;
	if (args->direct && (args->offset % s->align || chunk % s->align)) {
		tk_error("align --offset and --chunk to the logical block size",
			 "'%s' needs %u-byte aligned O_DIRECT offsets", s->name, s->align);
		return -EINVAL;
	}
	return 0;
}

void source_close(struct source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->crc);
	s->crc = NULL;
}
