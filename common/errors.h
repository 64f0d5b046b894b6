/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * errors.h — exit codes and error reporting shared by every telkit command.
 *
 * Every message is one line on stderr: "<tool>: <what went wrong>; fix: <hint>".
 * In JSON mode the same error is also written to stdout as an `error` record
 * ({"tool","type":"error","ts_ns","error","fix"}) so a pipeline consumer sees it.
 *
 * Who reports an error (one rule for every command):
 *   - A callee returns 0 or -errno and does not print.  When the errno alone
 *     does not say what failed, it leaves a one-line message for its caller
 *     (an @err buffer, a struct's err_msg) and the caller prints that.
 *   - main(), and the mode functions it hands the run to (they return an
 *     exit code, not -errno), print each error once with tk_error() or
 *     tk_die() and pick the exit code from enum tk_exit.
 *   - Bad options and bad input exit at once with tk_usage_error(), where
 *     they are found (the *_or_err parsers of parse.h do).
 *   - Warnings (tk_warn) are printed where they arise: they change no result.
 * A callee that prints its own error says so at its prototype ("-errno, the
 * error printed"); each command's header lists those exceptions.
 */
#ifndef TELKIT_ERRORS_H
#define TELKIT_ERRORS_H

#include <stdarg.h>

enum tk_exit {
	TK_EXIT_OK      = 0, /* success, also after a SIGINT/SIGTERM-requested stop */
	TK_EXIT_RUNTIME = 1, /* a runtime failure (syscall, kernel feature, device) */
	TK_EXIT_USAGE   = 2, /* bad usage or bad input: nothing was done */
	TK_EXIT_CHECK   = 3, /* a requested check or threshold failed */
	TK_EXIT_INCONCLUSIVE = 4, /* no check failed, but one had nothing to measure */
};

/* Report an error; @fix may be NULL.  Honours JSON mode (see output.h). */
void tk_error(const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* tk_error() then exit(TK_EXIT_USAGE).  For bad options and bad input. */
void tk_usage_error(const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* tk_error() then exit(@code). */
void tk_die(int code, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* "<tool>: warning: ..." on stderr unless -q.  Never written to stdout. */
void tk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "<tool>: ..." on stderr when the verbosity (-v count) is >= @level. */
void tk_info(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
