// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats --save FILE: the last sample's records, as JSON lines, written
 * to a temporary file created O_EXCL|O_NOFOLLOW in FILE's directory, synced,
 * then renamed over FILE: a reader sees the old file or the whole new one,
 * and a symlink planted at FILE or at a temporary name is never followed.
 */
#include <errno.h>
#include <stdio.h>
#include <json-c/json.h>

#include "atomicfile.h"
#include "output.h"
#include "progstats.h"

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
	struct tk_afile af;
	int err = tk_afile_open(&af, path, 0);

	if (err)
		return err;
	err = ps_foreach_sample(view, write_one, af.f);
	if (err) {
		tk_afile_abort(&af);
		return err;
	}
	return tk_afile_commit(&af);
}
