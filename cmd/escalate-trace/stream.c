// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stream.c — stdin mode: bounded line reader, field problems counted and
 * reported once per field, detection per brick, escalation; the serial
 * (--threads 1) loop.
 */
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "buf.h"
#include "clock.h"
#include "errors.h"
#include "output.h"
#include "proc.h"
#include "run.h"
#include "stream.h"

static int lr_fill(struct esc_line_reader *lr)
{
	ssize_t n;

	for (;;) {
		if (lr->poll) {
			struct pollfd p = { .fd = lr->fd, .events = POLLIN };

			if (__atomic_load_n(lr->quit, __ATOMIC_ACQUIRE))
				return -ECANCELED;
			if (poll(&p, 1, 100) == 0)
				continue;
		}
		n = read(lr->fd, lr->buf, ESC_RD_CHUNK);
		if (n >= 0)
			break;
		if (errno != EINTR || tk_stop_requested())
			return -errno;
	}
	lr->read_boot_ns = tk_now_boot_ns();
	lr->pos = 0;
	lr->end = (size_t)n;
	if (!n)
		lr->eof = true;
	return 0;
}

static int lr_append(struct esc_line_reader *lr, const char *p, size_t n)
{
	if (lr->len + n > lr->max) {
		lr->too_long = true;
		n = lr->len < lr->max ? lr->max - lr->len : 0;
	}
	if (tk_grow((void **)&lr->line, &lr->cap, lr->len + n + 1, 4096))
		return -ENOMEM;
	memcpy(lr->line + lr->len, p, n);
	lr->len += n;
	lr->line[lr->len] = '\0';
	return 0;
}

bool esc_lr_buffered(const struct esc_line_reader *lr)
{
	return lr->pos < lr->end || lr->eof;
}

int esc_lr_next(struct esc_line_reader *lr)
{
	int err;

	lr->len = 0;
	lr->too_long = false;
	for (;;) {
		char *nl;

		if (lr->pos == lr->end) {
			if (lr->eof)
				return lr->len || lr->too_long ? 1 : 0;
			err = lr_fill(lr);
			if (err)
				return err;
			continue;
		}
		nl = memchr(lr->buf + lr->pos, '\n', lr->end - lr->pos);
		err = lr_append(lr, lr->buf + lr->pos,
				(nl ? (size_t)(nl - lr->buf) : lr->end) - lr->pos);
		if (err)
			return err;
		if (nl) {
			lr->pos = (size_t)(nl - lr->buf) + 1;
			return 1;
		}
		lr->pos = lr->end;
	}
}

static const char *const problem_text[] = {
	[ESC_FS_MISSING] = "missing", [ESC_FS_BAD] = "not a finite non-negative number",
};

/*
 * Count field problems; warn once per field.  --strict makes them fatal:
 * the error is printed and -EBADMSG returned, so that the caller stops its
 * threads before exiting 2.
 */
static int note_fields(struct esc_run *r, const struct esc_sample *s)
{
	for (int f = 0; f < ESC_F_NR; f++) {
		enum esc_field_status st = s->st[f];
		const char *key = r->env->fields.key[f];
		uint64_t *cnt;

		if (st != ESC_FS_MISSING && st != ESC_FS_BAD)
			continue;
		cnt = st == ESC_FS_MISSING ? &r->c.missing[f] : &r->c.bad[f];
		if (r->env->strict) {
			tk_error("fix the input or drop --strict",
				 "stdin line %llu: field '%s' (%s) %s",
				 (unsigned long long)r->c.lines, key, esc_field_opt(f),
				 f == ESC_F_NAME && st == ESC_FS_BAD ?
				 "is not a non-empty string or integer" : problem_text[st]);
			return -EBADMSG;
		}
		if (!r->c.missing[f] && !r->c.bad[f])
			tk_warn("stdin line %llu: field '%s' (%s) %s; further problems "
				"with this field are only counted (see the summary)",
				(unsigned long long)r->c.lines, key, esc_field_opt(f),
				problem_text[st]);
		(*cnt)++;
	}
	return 0;
}

static int note_malformed(struct esc_run *r, bool too_long)
{
	if (r->env->strict) {
		tk_error("fix the input or drop --strict",
			 "stdin line %llu: %s", (unsigned long long)r->c.lines,
			 too_long ? "line longer than --max-line" : "not one JSON object");
		return -EBADMSG;
	}
	if (!r->c.malformed)
		tk_warn("stdin line %llu: %s; further malformed lines are only counted",
			(unsigned long long)r->c.lines,
			too_long ? "line longer than --max-line" : "not one JSON object");
	r->c.malformed++;
	return 0;
}

int esc_line_done(struct esc_run *r, bool too_long, enum esc_line_status ls,
		  struct esc_sample *s, uint64_t read_boot)
{
	struct esc_env *env = r->env;
	struct esc_verdict v;
	int err;

	r->c.lines++;
	if (too_long || ls == ESC_LINE_MALFORMED)
		return note_malformed(r, too_long);
	if (ls == ESC_LINE_SKIPPED) {
		r->c.skipped_type++;
		return 0;
	}
	r->c.records++;
	if (note_fields(r, s))
		return -EBADMSG;
	if (s->st[ESC_F_NAME] != ESC_FS_OK ||
	    (s->st[ESC_F_VALUE] != ESC_FS_OK && s->st[ESC_F_CLIFF] != ESC_FS_OK &&
	     s->st[ESC_F_GPU] != ESC_FS_OK)) {
		r->c.skipped_samples++;
		return 0;
	}
	if (env->have_budget_us) {
		s->budget_us = env->budget_us;
		s->st[ESC_F_BUDGET] = ESC_FS_OK;
	}
	err = esc_detect(r->bricks, s, &v);
	if (err == -ENOSPC) {
		if (!r->c.bricks_dropped++)
			tk_warn("more than %zu bricks: samples of new bricks are dropped "
				"(raise --max-bricks)", env->max_bricks);
		return 0;
	}
	if (err)
		return err;
	if (v.reason == ESC_NONE)
		return 0;
	if (s->st[ESC_F_PID] == ESC_FS_OK)
		return esc_escalate(r, s->name, &v, v.reason, (pid_t)s->pid,
				    tk_record_boot_ns(s->ts_ns, read_boot), -1);
	return esc_escalate(r, s->name, &v, v.reason, env->pid, env->start_boot_ns, -1);
}

void esc_thread_c_locale(void)
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);

	if (c)
		uselocale(c);
}

/* --threads 1: read, parse and account each line in turn. */
static int stream_serial(struct esc_run *r)
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
			fwrite(lr.line, 1, lr.len, out);
			fputc('\n', out);
			if (tk_flush())
				break;
		}
		if (!lr.too_long)
			ls = esc_extract_tok(tok, lr.line, lr.len, &r->env->fields, &s);
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

int esc_stream_main(struct esc_run *r)
{
	return r->env->threads >= 2 ? esc_stream_threaded(r) : stream_serial(r);
}
