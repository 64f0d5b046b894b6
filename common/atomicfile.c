// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * atomicfile.c — temporary file + rename, see atomicfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"

/* "<dir>/.<base>.XXXXXXXX" with a random suffix. */
static int tmp_name(char *buf, size_t size, const char *path)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	uint32_t r;
	int n;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -errno ? -errno : -EIO;
	n = snprintf(buf, size, "%.*s.%s.%08x", dirlen, path, path + dirlen, r);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int tk_afile_open(struct tk_afile *af, const char *path, mode_t mode)
{
	int fd = -1, err;

	memset(af, 0, sizeof(*af));
	if (!*path || path[strlen(path) - 1] == '/')
		return -EISDIR;
	if (snprintf(af->path, sizeof(af->path), "%s", path) >= (int)sizeof(af->path))
		return -ENAMETOOLONG;
	for (int tries = 0; tries < 16 && fd < 0; tries++) {
		err = tmp_name(af->tmp, sizeof(af->tmp), path);
		if (err)
			goto fail;
		fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST) {
			err = -errno;
			goto fail;
		}
	}
	if (fd < 0) {
		err = -EEXIST;
		goto fail;
	}
	if (mode && fchmod(fd, mode)) {
		err = -errno;
		close(fd);
		unlink(af->tmp);
		goto fail;
	}
	af->f = fdopen(fd, "w");
	if (!af->f) {
		err = -errno;
		close(fd);
		unlink(af->tmp);
		goto fail;
	}
	return 0;
fail:
	af->tmp[0] = '\0';
	return err;
}

int tk_afile_commit(struct tk_afile *af)
{
	int err = 0;

	if (fflush(af->f) || ferror(af->f))
		err = errno ? -errno : -EIO;
	if (!err && fsync(fileno(af->f)))
		err = -errno;
	if (fclose(af->f) && !err)
		err = -errno;
	af->f = NULL;
	if (!err && rename(af->tmp, af->path))
		err = -errno;
	if (err)
		unlink(af->tmp);
	af->tmp[0] = '\0';
	return err;
}

void tk_afile_abort(struct tk_afile *af)
{
	if (af->f)
		fclose(af->f);
	af->f = NULL;
	if (af->tmp[0])
		unlink(af->tmp);
	af->tmp[0] = '\0';
}
