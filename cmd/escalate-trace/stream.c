// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stream.c — stdin mode, serial (--threads 1): read, parse and account each
 * line in turn.  The threaded mode is pipeline.c; both read with
 * linereader.c and account with account.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "account.h"
#include "clock.h"
#include "errors.h"
#include "linereader.h"
#include "output.h"
#include "run.h"

int esc_stream_serial(struct esc_run *r)
{
	struct esc_line_reader lr = { .fd = STDIN_FILENO, .max = r->env->max_line };
	struct json_tokener *tok = esc_tokener_new();
	struct esc_sample s;
	enum esc_line_status ls = ESC_LINE_MALFORMED;
	FILE *out = tk_out.out ? tk_out.out : stdout;
	int n, err = 0;

	esc_thread_c_locale();
	lr.buf = malloc(ESC_RD_CHUNK);
	if (!lr.buf || !tok)
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	while (!tk_stop_requested()) {
		n = esc_lr_next(&lr);
		if (n <= 0) {
			if (n < 0 && n != -EINTR) {
				tk_error(NULL, "reading stdin: %s", strerror(-n));
				err = TK_EXIT_RUNTIME;
			}
			break;
		}
		if (r->env->tee) {
			fwrite(lr.data, 1, lr.len, out);
			fputc('\n', out);
			if (tk_flush())
				break;
		}
		if (!lr.too_long)
			ls = esc_extract_tok(tok, lr.data, lr.len, &r->env->fields, &s);
		n = esc_line_done(r, lr.too_long, ls, &s, lr.read_boot_ns);
		if (n == -EBADMSG) {
			err = TK_EXIT_USAGE;
			break;
		}
		if (n == -ENOMEM) {
			tk_error(NULL, "out of memory");
			err = TK_EXIT_RUNTIME;
			break;
		}
	}
	json_tokener_free(tok);
	free(lr.buf);
	free(lr.line);
	return err;
}
