// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * procid.c — what OTLP's process entity needs to know about a traced
 * process: pid + creation time (its identity), executable and arguments,
 * read from /proc.  The creation time is /proc/stat's btime plus the
 * process's starttime, as ps(1) computes it, so it is the same on every read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "escalate.h"
#include "parse.h"
#include "proc.h"

/* Read up to @size - 1 bytes of @path into @buf; returns the length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got < size - 1) {
		n = read(fd, buf + got, size - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/* Boot time (CLOCK_REALTIME, s) from /proc/stat's btime line. */
static int boot_time_s(uint64_t *s)
{
	char buf[8192], *p;

	if (read_small("/proc/stat", buf, sizeof(buf)) < 0)
		return -EIO;
	p = strstr(buf, "\nbtime ");
	if (!p)
		return -EINVAL;
	p += 7;
	p[strcspn(p, "\n")] = '\0';
	return tk_parse_u64(p, 1, UINT64_MAX / TK_NSEC_PER_SEC / 2, s) ? -EINVAL : 0;
}

/* comm from /proc/PID/stat (between the first '(' and the last ')'). */
static void stat_comm(pid_t pid, char *out, size_t size)
{
	char path[32], buf[512], *l, *r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return;
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (l && r && r > l)
		snprintf(out, size, "%.*s", (int)(r - l - 1), l + 1);
}

int esc_proc_identity(pid_t pid, uint64_t born_by_boot_ns, struct esc_proc_id *id)
{
	char path[40];
	uint64_t start_boot, btime;
	ssize_t n;
	int err;

	memset(id, 0, sizeof(*id));
	err = tk_proc_start_boot_ns(pid, &start_boot);
	if (err)
		return err;
	if (born_by_boot_ns != ESC_ANY_PROCESS && start_boot > born_by_boot_ns)
		return -ESRCH;
	err = boot_time_s(&btime);
	if (err)
		return err;
	id->pid = pid;
	id->start_real_ns = btime * TK_NSEC_PER_SEC + start_boot;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, id->exe_path, sizeof(id->exe_path) - 1);
	id->exe_path[n > 0 ? n : 0] = '\0';
	if (n > 0 && (size_t)n < sizeof(id->exe_path) - 1) {
		const char *slash = strrchr(id->exe_path, '/');

		snprintf(id->exe_name, sizeof(id->exe_name), "%.255s", slash ? slash + 1 : id->exe_path);
	} else {
		id->exe_path[0] = '\0';   /* gone (zombie), hidden or truncated */
		stat_comm(pid, id->exe_name, sizeof(id->exe_name));
	}

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, id->args, sizeof(id->args));
	if (n > 0) {
		/* keep whole arguments only: a truncated tail is dropped */
		if (id->args[n - 1] != '\0') {
			char *last = memrchr(id->args, '\0', (size_t)n);

			n = last ? last - id->args + 1 : 0;
		}
		id->args_len = (size_t)n;
	}
	id->valid = true;
	return 0;
}
