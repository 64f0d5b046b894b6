// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"

int tk_grow(void **buf, size_t *cap, size_t need, size_t first)
{
	size_t c = *cap ? *cap : (first ? first : 64);
	void *nb;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	nb = realloc(*buf, c);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = c;
	return 0;
}

ssize_t tk_read_to_eof(int fd, void **buf, size_t *cap, size_t first, size_t room)
{
	size_t have = 0;

	for (;;) {
		ssize_t k;
		int err = tk_grow(buf, cap, have + room, first);

		if (err)
			return err;
		k = read(fd, (char *)*buf + have, *cap - have);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return (ssize_t)have;
		have += (size_t)k;
	}
}
