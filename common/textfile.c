// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "clock.h"
#include "errors.h"
#include "output.h"
#include "prom.h"
#include "textfile.h"

static const char *textfile;
static struct tk_prom_set *set;
static const char *set_tool;
static int failed;              /* the first write's -errno */
static bool own;                /* the command publishes its own expositions */

void tk_textfile_set(const char *path)
{
	textfile = path;
	tk_output_observe(path ? tk_textfile_record : NULL);
}

bool tk_textfile_active(void)
{
	return textfile != NULL;
}

int tk_replace_file(const char *path, const char *buf, size_t len)
{
	struct tk_afile af;
	int err = tk_afile_open(&af, path, 0644);   /* node_exporter may run as another user */

	if (err)
		return err;
	if (len && fwrite(buf, 1, len, af.f) != len) {
		err = errno ? -errno : -EIO;
		tk_afile_abort(&af);
		return err;
	}
	return tk_afile_commit(&af);
}

/* atexit: a failed write makes the exit status 1 (textfile.h). */
static void exit_failed(void)
{
	fflush(stdout);
	_exit(TK_EXIT_RUNTIME);
}

static int fail(int err)
{
	if (!failed) {
		failed = err;
		tk_error("free space in its file system or point --textfile at a writable directory",
			 "--textfile '%s': %s; the file is left as it was", textfile,
			 strerror(-err));
		atexit(exit_failed);
	}
	tk_stop_request();
	return err;
}

static int publish(const char *buf, size_t len)
{
	int err;

	if (!textfile || failed)
		return failed;
	err = tk_replace_file(textfile, buf, len);
	return err ? fail(err) : 0;
}

int tk_textfile_publish(const char *buf, size_t len)
{
	own = true;
	return publish(buf, len);
}

int tk_textfile_record(struct json_object *rec)
{
	const char *type = json_object_get_string(json_object_object_get(rec, "type"));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!textfile || own || failed || !tk_prom_is_metric_record(rec))
		return failed;
	if (!set && !(set = tk_prom_set_new()))
		return fail(-ENOMEM);
	if (!type || !strcmp(type, "sample"))
		tk_prom_set_clear(set);
	set_tool = tk_out.tool ? tk_out.tool : "telkit";
	if ((err = tk_prom_record(set, rec)))
		return fail(err);
	if (!(f = open_memstream(&buf, &len)))
		return fail(-ENOMEM);
	tk_prom_set_write(f, set, set_tool);
	err = fclose(f) ? -ENOMEM : 0;
	err = err ? fail(err) : publish(buf, len);
	free(buf);
	return err;
}
