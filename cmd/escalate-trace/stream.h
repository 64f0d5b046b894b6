/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * stream.h — stdin mode internals shared by stream.c (line reader, per-line
 * accounting, the serial loop) and pipeline.c (threaded parsing).
 *
 * Both paths feed every line, in input order, to esc_line_done(); only who
 * calls esc_extract_tok() (the main thread, or a parser thread ahead of it)
 * differs, so their output is byte-identical.
 */
#ifndef ESCALATE_STREAM_H
#define ESCALATE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run.h"

#define ESC_RD_CHUNK (256 * 1024)

/* Lines longer than @max are returned with too_long set and data cut. */
struct esc_line_reader {
	int fd;
	char *buf;               /* read buffer, ESC_RD_CHUNK bytes */
	size_t pos, end;
	char *line;              /* assembled line, NUL-terminated */
	size_t len, cap, max;
	bool too_long, eof;
	bool poll;               /* poll() before read() so a stop is seen */
	bool *quit;              /* with poll: give up (-ECANCELED) once set (atomic) */
	uint64_t read_boot_ns;   /* CLOCK_BOOTTIME of the last read() */
};

/* 1 = a line (without '\n'), 0 = EOF, <0 = -errno. */
int esc_lr_next(struct esc_line_reader *lr);
/* Input buffered: esc_lr_next() returns without calling read(). */
bool esc_lr_buffered(const struct esc_line_reader *lr);

/*
 * Account one input line (the main thread, in input order): @ls/@s are
 * esc_extract_tok()'s results (ignored when @too_long); @read_boot_ns is
 * when the line was read.  0, -ENOMEM, -EPIPE, or -EBADMSG: a --strict
 * failure, already reported (the caller stops and exits 2).
 */
int esc_line_done(struct esc_run *r, bool too_long, enum esc_line_status ls,
		  struct esc_sample *s, uint64_t read_boot_ns);

/*
 * Put the calling thread on glibc's static "C" locale object.  json-c 0.16
 * duplicates the thread's locale and makes a new one on every parse; from
 * that object both are lock- and allocation-free (from the global locale
 * they take glibc's locale lock, which serialises parser threads).  Nothing
 * here ever calls setlocale(), so output formatting is unchanged.
 */
void esc_thread_c_locale(void);

/* Threaded stdin mode (pipeline.c), env->threads >= 2 parser threads. */
int esc_stream_threaded(struct esc_run *r);

#endif
