/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * account.h — per-line accounting of the stdin modes (account.c): both the
 * serial loop (stream.c) and the threaded mode (pipeline.c) feed every line,
 * in input order, to esc_line_done(); only who calls esc_extract_tok() (the
 * main thread, or a parser thread ahead of it) differs, so their output is
 * byte-identical.
 */
#ifndef ESCALATE_ACCOUNT_H
#define ESCALATE_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "run.h"

/*
 * Account one input line (the main thread, in input order): @ls/@s are
 * esc_extract_tok()'s results (ignored when @too_long); @read_boot_ns is
 * when the line was read.  0, -ENOMEM, -EPIPE, or -EBADMSG: a --strict
 * failure, already reported (the caller stops and exits 2).
 */
int esc_line_done(struct esc_run *r, bool too_long, enum esc_line_status ls,
		  struct esc_sample *s, uint64_t read_boot_ns);

#endif
