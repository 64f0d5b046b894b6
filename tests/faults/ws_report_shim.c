// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ws_report_shim — LD_PRELOAD fault injector for tests/83-faults-worker-spawn.bats
 * (built by the test with cc -shared; not part of any command).  It wraps
 * write(): when a worker writes its report (a buffer starting with the
 * "WSR1" magic), WS_FAULT decides what reaches the pipe instead:
 *   half    the first half, then _exit(0)         (dying mid-report)
 *   header  the first 11 bytes, then _exit(0)     (not even a header)
 *   hang    the first half, then sleep forever    (stuck holding the pipe)
 *   huge    a header claiming ~4 GiB, then zeros until killed (hostile)
 * Every other write passes through untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	const char *mode = getenv("WS_FAULT");
	static const char zeros[65536];

	if (!real)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (!mode || n < 12 || memcmp(buf, "WSR1", 4))
		return real(fd, buf, n);
	if (!strcmp(mode, "header")) {
		real(fd, buf, 11);
		_exit(0);
	}
	if (!strcmp(mode, "huge")) {
		unsigned char hdr[12];

		memcpy(hdr, buf, 8);
		memset(hdr + 8, 0xff, 4);
		hdr[8] = 0xf0;
		real(fd, hdr, sizeof(hdr));
		for (;;)
			if (real(fd, zeros, sizeof(zeros)) < 0)
				_exit(1);
	}
	real(fd, buf, n / 2);
	if (!strcmp(mode, "hang"))
		for (;;)
			pause();
	_exit(0);
}
