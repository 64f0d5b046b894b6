// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "parse.h"
#include "proc.h"

int tk_proc_stat_starttime(const char *line, size_t len, uint64_t *ticks)
{
	const char *p = NULL, *end = line + len, *f;
	char num[24];
	size_t n;

	for (const char *q = line; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p)
		return -EINVAL;
	/* after ") ": field 3 (state) ... field 22 (starttime) */
	p++;
	for (int field = 3; field <= 22; field++) {
		while (p < end && *p == ' ')
			p++;
		f = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == f)
			return -EINVAL;
		if (field < 22)
			continue;
		n = (size_t)(p - f);
		if (n >= sizeof(num))
			return -EINVAL;
		memcpy(num, f, n);
		num[n] = '\0';
		return tk_parse_u64(num, 0, UINT64_MAX, ticks) ? -EINVAL : 0;
	}
	return -EINVAL;
}

int tk_proc_start_boot_ns(pid_t pid, uint64_t *ns)
{
	char path[32], buf[1024];
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks;
	ssize_t n;
	int fd, err;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf));
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err == -ESRCH ? -ESRCH : err;
	err = tk_proc_stat_starttime(buf, (size_t)n, &ticks);
	if (err)
		return err;
	if (hz <= 0)
		hz = 100;
	*ns = ticks / (uint64_t)hz * TK_NSEC_PER_SEC +
	      ticks % (uint64_t)hz * (TK_NSEC_PER_SEC / (uint64_t)hz);
	return 0;
}

uint64_t tk_record_boot_ns(uint64_t ts_real_ns, uint64_t read_boot_ns)
{
	uint64_t now_real = tk_now_real_ns(), now_boot = tk_now_boot_ns();
	uint64_t read_real, age;

	if (!ts_real_ns || now_boot < read_boot_ns)
		return read_boot_ns;
	read_real = now_real - (now_boot - read_boot_ns);
	if (ts_real_ns > read_real)
		return read_boot_ns;
	age = read_real - ts_real_ns;
	return age >= read_boot_ns ? read_boot_ns : read_boot_ns - age;
}
