/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * linereader.h — the bounded stdin line reader (linereader.c), shared by
 * the serial loop (stream.c) and the reader thread of the threaded mode
 * (pipeline.c).
 */
#ifndef ESCALATE_LINEREADER_H
#define ESCALATE_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESC_RD_CHUNK (256 * 1024)

/* Lines longer than @max are returned with too_long set and data cut. */
struct esc_line_reader {
	int fd;
	char *buf;               /* read buffer, ESC_RD_CHUNK bytes */
	size_t pos, end;
	const char *data;        /* the line's @len bytes: in @buf when one read
				    held all of it, else @line (valid until the next call) */
	char *line;              /* a line assembled across reads, NUL-terminated */
	size_t len, cap, max;
	bool too_long, eof;
	bool poll;               /* poll() before read() so a stop is seen */
	bool *quit;              /* with poll: give up (-ECANCELED) once set (atomic) */
	uint64_t read_boot_ns;   /* CLOCK_BOOTTIME of the last read() */
};

/* 1 = a line (without '\n') at lr->data, 0 = EOF, <0 = -errno. */
int esc_lr_next(struct esc_line_reader *lr);
/* Input buffered: esc_lr_next() returns without calling read(). */
bool esc_lr_buffered(const struct esc_line_reader *lr);

/*
 * Put the calling thread on glibc's static "C" locale object.  json-c 0.16
 * duplicates the thread's locale and makes a new one on every parse; from
 * that object both are lock- and allocation-free (from the global locale
 * they take glibc's locale lock, which serialises parser threads).  Nothing
 * here ever calls setlocale(), so output formatting is unchanged.
 */
void esc_thread_c_locale(void);

#endif
