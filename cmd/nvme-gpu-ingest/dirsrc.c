// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dirsrc.c — a directory given as a source stands for every regular file
 * directly in it (not recursive, symlinks not followed, dot files included),
 * in name order (scandir + alphasort), as gdsio -D reads a directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errors.h"
#include "ingest.h"

static int push(char ***names, int *n, char *name)
{
	char **p = realloc(*names, (*n + 1) * sizeof(**names));

	if (!p) {
		free(name);
		return -ENOMEM;
	}
	*names = p;
	p[(*n)++] = name;
	return 0;
}

/* Regular files directly in @dir, opened relative to its fd (no symlink followed). */
static int expand_dir(const char *dir, char ***names, int *n)
{
	struct dirent **ents;
	int dfd, cnt, err = 0, found = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	cnt = scandir(dir, &ents, NULL, alphasort);
	if (cnt < 0) {
		err = -errno;
		close(dfd);
		return err;
	}
	for (int i = 0; i < cnt; i++) {
		struct stat st;
		char *path;

		if (!err && !fstatat(dfd, ents[i]->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode)) {
			if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0)
				err = -ENOMEM;
			else
				err = push(names, n, path);
			found++;
		}
		free(ents[i]);
	}
	free(ents);
	close(dfd);
	if (!err && !found)
		tk_warn("directory '%s' holds no regular file", dir);
	return err;
}

int dirsrc_expand(const struct ingest_args *args, char ***names, int *n)
{
	*names = NULL;
	*n = 0;
	for (int k = 0; k < args->nsrcs; k++) {
		const char *s = args->srcs[k];
		struct stat st;
		char *copy;
		int err;

		if (!stat(s, &st) && S_ISDIR(st.st_mode)) {
			err = expand_dir(s, names, n);
			if (err) {
				tk_error(err == -ENOMEM ? NULL : "give a readable directory",
					 "cannot list directory '%s': %s", s, strerror(-err));
				return err;
			}
			continue;
		}
		copy = strdup(s);
		if (!copy || push(names, n, copy))
			return -ENOMEM;
	}
	if (!*n) {
		tk_error("give a directory with regular files in it, or files", "no source to read");
		return -ENOENT;
	}
	return 0;
}

void dirsrc_free(char **names, int n)
{
	for (int k = 0; k < n; k++)
		free(names[k]);
	free(names);
}
