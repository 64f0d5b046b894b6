// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * linereader.c — the bounded stdin line reader, and the per-thread "C"
 * locale the stdin modes parse under.
 */
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "linereader.h"
#include "proc.h"

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
			if (lr->eof) {
				lr->data = lr->line;
				return lr->len || lr->too_long ? 1 : 0;
			}
			err = lr_fill(lr);
			if (err)
				return err;
			continue;
		}
		nl = memchr(lr->buf + lr->pos, '\n', lr->end - lr->pos);
		if (nl && !lr->len && !lr->too_long &&
		    (size_t)(nl - lr->buf) - lr->pos <= lr->max) {
			/* all of it in this read: no copy */
			lr->data = lr->buf + lr->pos;
			lr->len = (size_t)(nl - lr->buf) - lr->pos;
			lr->pos += lr->len + 1;
			return 1;
		}
		err = lr_append(lr, lr->buf + lr->pos,
				(nl ? (size_t)(nl - lr->buf) : lr->end) - lr->pos);
		if (err)
			return err;
		if (nl) {
			lr->pos = (size_t)(nl - lr->buf) + 1;
			lr->data = lr->line;
			return 1;
		}
		lr->pos = lr->end;
	}
}

void esc_thread_c_locale(void)
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);

	if (c)
		uselocale(c);
}
