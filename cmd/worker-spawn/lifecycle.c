// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lifecycle.c — the worker side of the protocol: place itself, signal ready,
 * wait for the start pipe (30 s, then exit 1), run the work loop until
 * SIGUSR1, send the encoded report down the report pipe.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "errors.h"
#include "telemetry.h"

__thread volatile sig_atomic_t ws_stop_flag;

#define WS_START_TIMEOUT_MS 30000

static int wait_start(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t end = ws_now() + WS_START_TIMEOUT_MS * 1000000ULL;
	char b;

	for (;;) {
		uint64_t now = ws_now();
		int r;

		if (now >= end)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (end - now) / 1000000 + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		/* one 's' byte per worker; EOF means the run was called off */
		r = read(fd, &b, 1);
		if (r == 1 && b == 's')
			return 0;
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return -ECANCELED;
	}
}

static void place(struct ws_ctx *c, const struct tk_cpuset *set)
{
	const struct ws_group *g = c->g;

	if (set)
		c->rep.affinity_error = ws_apply_affinity(0, set);
	if (g->pol.set && !g->pol_deferred)
		c->rep.sched_policy_error = ws_apply_policy(0, &g->pol);
	if (g->mpol.set) {   /* issue 15: mem */
		char *why = ws_mempolicy_apply(&g->mpol);

		if (why)
			tk_warn("worker %d: --mempolicy refused: %s", c->rep.tid, why);
		free(why);
	}
	if (g->nice_set && setpriority(PRIO_PROCESS, c->rep.tid, g->nice) &&
	    !c->rep.sched_policy_error) {
		char buf[128];

		snprintf(buf, sizeof(buf), "setpriority(%d): %s", g->nice, strerror(errno));
		c->rep.sched_policy_error = strdup(buf);
	}
}

static int send_report(struct ws_ctx *c, int fd)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = ws_report_encode(&c->rep, &buf, &len);

	if (!err) {
		/* the stop flag must not cut the report short */
		ws_stop_flag = 0;
		err = ws_write_full(fd, buf, len);
	}
	free(buf);
	return err;
}

int ws_worker_main(struct ws_ctx *c, int start_fd, int ready_fd, int report_fd,
		   const struct tk_cpuset *set)
{
	const struct ws_type_info *ti = &ws_types[c->g->type];
	int err = 0, tel_err;

	c->rep.tid = gettid();
	c->rep.group_idx = c->g->idx;
	c->rep.is_messenger = (c->g->type == WS_FUTEX_FAN_OUT ||
			       c->g->type == WS_FAN_OUT_COMPUTE) && c->role == 0;
	c->iofd = -1;
	place(c, set);
	if (ti->prep && (err = ti->prep(c)))
		snprintf(c->fail_msg, sizeof(c->fail_msg), "%s: preparing: %s", ti->name,
			 strerror(-err));
	if (ws_write_full(ready_fd, "r", 1) || wait_start(start_fd)) {
		if (ti->fini)
			ti->fini(c);
		return 1;
	}
	if (c->g->type == WS_EXEC) {
		dup2(STDERR_FILENO, STDOUT_FILENO);  /* keep our stdout for records */
		execl("/bin/sh", "sh", "-c", c->g->exec_cmd, (char *)NULL);
		return 127;
	}
	/* after a failed prep too: the report's times start here, not at 0 */
	tel_err = ws_tel_begin(c);
	err = err ? err : tel_err;
	if (!err && !ws_stopping())
		err = ti->run(c);
	ws_tel_end(c);
	if (ti->fini)
		ti->fini(c);
	if (err && err != -EINTR && err != -EPIPE) {
		tk_warn("worker %d (%s): %s", c->rep.tid, ti->name, strerror(-err));
		c->rep.completed = false;
		if (!c->fail_msg[0])
			snprintf(c->fail_msg, sizeof(c->fail_msg), "%s: %s", ti->name, strerror(-err));
	}
	err = send_report(c, report_fd);
	if (err && !c->fail_msg[0])
		snprintf(c->fail_msg, sizeof(c->fail_msg), "sending the report: %s", strerror(-err));
	ws_tel_free(c);
	ws_report_free(&c->rep);
	return err ? 1 : 0;
}
