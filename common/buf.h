/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * buf.h — growable byte buffers: the doubling realloc and the read-to-EOF
 * loop that every "slurp a pass" reader needs.  A buffer is a (pointer,
 * capacity in bytes) pair owned by the caller and kept between calls, so a
 * steady-state pass allocates nothing.  Both return 0 or a negative errno.
 */
#ifndef TELKIT_BUF_H
#define TELKIT_BUF_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Make *@cap >= @need: double from *@cap (or from @first when the buffer is
 * still empty) and realloc *@buf.  On -ENOMEM the old buffer is kept.
 */
int tk_grow(void **buf, size_t *cap, size_t need, size_t first);

/*
 * Read @fd to EOF into *@buf from offset 0, growing it (tk_grow, @first) so
 * that every read() has at least @room bytes: seq_file based fds (BPF
 * iterators) never split a record across reads but fail a read too small
 * for one.  EINTR is retried.  Returns the bytes read, or a negative errno.
 */
ssize_t tk_read_to_eof(int fd, void **buf, size_t *cap, size_t first, size_t room);

#endif
