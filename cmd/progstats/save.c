// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats --save FILE: the last sample's records, as JSON lines, written
 * to a temporary file created O_EXCL|O_NOFOLLOW in FILE's directory, synced,
 * then renamed over FILE: a reader sees the old file or the whole new one,
 * and a symlink planted at FILE or at a temporary name is never followed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <json-c/json.h>

#include "output.h"
#include "progstats.h"

#define TMP_TRIES 16

/* "DIR/.BASE.XXXXXXXX" beside @path; -ENAMETOOLONG when it does not fit. */
static int tmp_name(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	unsigned rnd = 0;
	int n;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned)getpid() ^ (unsigned)(uintptr_t)buf;
	n = snprintf(buf, size, "%.*s.%s.%08x", dirlen, path, base, rnd);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int write_one(struct json_object *rec, const struct ps_prog *p, void *ctx)
{
	FILE *f = ctx;

	(void)p;
	fputs(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
					     JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int ps_save(const char *path, const struct ps_view *view)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd = -1, err = -EEXIST;

	if (!*path || path[strlen(path) - 1] == '/')
		return -EISDIR;
	for (int i = 0; i < TMP_TRIES && err == -EEXIST; i++) {
		err = tmp_name(path, tmp, sizeof(tmp));
		if (err)
			return err;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		err = fd < 0 ? -errno : 0;
	}
	if (err)
		return err;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	err = ps_foreach_sample(view, write_one, f);
	if (!err && fflush(f))
		err = -errno;
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
out:
	if (err)
		unlink(tmp);
	return err;
}
