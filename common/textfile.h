/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * textfile.h — --textfile PATH: node_exporter's textfile collector reads
 * the run's Prometheus exposition from PATH.
 *
 * Each exposition (an interval's sample record and the summary records
 * after it, or a whole text a command renders itself) replaces PATH at once:
 * a temporary file is made in PATH's directory (O_EXCL|O_NOFOLLOW, mode
 * 0644), written, fsync'ed and renamed over PATH, so a reader sees the old
 * file or the new one, never a torn or partial one; a planted symlink at
 * PATH is replaced, not followed.  The format of stdout (-o, -j) is not
 * changed by --textfile.
 *
 * Exception to errors.h's rule: a failed write (a full disk, a read-only
 * directory) is printed here, once, as one line naming PATH; the run is then
 * asked to stop (tk_stop_request) and the process exits 1 whatever main
 * returns, after the command's own cleanup.  PATH keeps its last complete
 * exposition and no temporary file is left behind.
 */
#ifndef TELKIT_TEXTFILE_H
#define TELKIT_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* Use @path (kept, not copied) for the rest of the run. */
void tk_textfile_set(const char *path);
bool tk_textfile_active(void);

/*
 * A record (output.h) on its way out: a sample record starts a new
 * exposition, a summary record adds to it; other records are ignored.  PATH
 * is replaced after each.  0 or -errno (the failure handled as above).
 */
int tk_textfile_record(struct json_object *rec);

/*
 * Replace PATH with the exposition @buf of @len bytes.  0 or -errno (as
 * above).  A command that renders its own expositions calls this before its
 * first record: records no longer touch PATH from then on.
 */
int tk_textfile_publish(const char *buf, size_t len);

/* Replace @path with @len bytes of @buf as described above; 0 or -errno, prints nothing. */
int tk_replace_file(const char *path, const char *buf, size_t len);

#endif
