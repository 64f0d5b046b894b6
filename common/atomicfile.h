/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * atomicfile.h — write a file so that readers see the old one or the whole
 * new one, never a part, and a planted symlink is never followed.
 *
 * tk_afile_open() creates a temporary file in the target's directory with
 * O_CREAT|O_EXCL|O_NOFOLLOW (a random name, retried on EEXIST);
 * tk_afile_commit() flushes, fsyncs and renames it over the target (a
 * symlink at the target is replaced, not followed); tk_afile_abort()
 * removes it.  Every path out of open calls exactly one of the two.
 * Callees in the errors.h sense: 0 or -errno, nothing printed.
 */
#ifndef TELKIT_ATOMICFILE_H
#define TELKIT_ATOMICFILE_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

struct tk_afile {
	FILE *f;                 /* write the contents here */
	char path[PATH_MAX];     /* the target */
	char tmp[PATH_MAX];      /* the temporary file, "" once committed or aborted */
};

/*
 * @mode 0: 0666 less the umask; else exactly @mode (fchmod: a file another
 * user's reader needs, e.g. node_exporter's).  -ENAMETOOLONG, -EISDIR, or
 * open()'s or fchmod()'s -errno.
 */
int tk_afile_open(struct tk_afile *af, const char *path, mode_t mode);
/* 0, or the -errno of the write, fsync or rename (the temporary is removed). */
int tk_afile_commit(struct tk_afile *af);
void tk_afile_abort(struct tk_afile *af);

#endif
