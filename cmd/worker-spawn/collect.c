// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * collect.c — stop (SIGUSR1), collect every report under one shared 5 s
 * deadline, reap (WNOHANG peek, killpg SIGKILL, blocking reap), and
 * synthesise sentinel reports for workers that sent none.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "engine.h"

#define COLLECT_NS (5 * TK_NSEC_PER_SEC)
#define READ_ROOM  65536          /* free bytes every read() gets */
#define REPORT_MAX (64u << 20)    /* a bigger report is undecodable */

static void signal_stop(struct ws_engine *e)
{
	for (unsigned i = 0; i < e->n; i++) {
		struct ws_proc *p = &e->p[i];

		if (!p->spawned)
			continue;
		if (p->ctx.g->type == WS_EXEC && p->pid > 0)
			p->sched_ok = p->sched_ok && ws_schedstat_read(p->pid, &p->sched1);
		if (e->o->thread_mode || e->o->pcomm) {
			pid_t tid = ws_engine_tid(e, i);

			if (tid > 0)
				syscall(SYS_tgkill, ws_engine_tgid(e, i), tid, SIGUSR1);
		} else {
			kill(p->pid, SIGUSR1);
		}
	}
}

/* A frame is complete once its header's body length has arrived. */
static bool frame_complete(const struct ws_proc *p)
{
	size_t frame = ws_report_frame_len(p->buf, p->len);

	return frame && p->len >= frame;
}

static void read_some(struct ws_proc *p)
{
	for (;;) {
		ssize_t r;

		if (p->len + READ_ROOM > REPORT_MAX ||
		    tk_grow((void **)&p->buf, &p->cap, p->len + READ_ROOM, 2 * READ_ROOM)) {
			p->done = true;   /* oversized or no memory: undecodable */
			return;
		}
		r = read(p->report_rd, p->buf + p->len, p->cap - p->len);
		if (r > 0) {
			p->len += r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			p->done = true;
		if (frame_complete(p))
			p->done = true;
		return;
	}
}

static void gather(struct ws_engine *e, uint64_t deadline)
{
	struct pollfd *pf = calloc(e->n, sizeof(*pf));
	unsigned *idx = calloc(e->n, sizeof(*idx));

	if (!pf || !idx)
		goto out;
	for (;;) {
		uint64_t now = tk_now_mono_ns();
		unsigned n = 0;

		for (unsigned i = 0; i < e->n; i++) {
			struct ws_proc *p = &e->p[i];

			if (!p->done && p->spawned && p->report_rd >= 0) {
				pf[n].fd = p->report_rd;
				pf[n].events = POLLIN;
				idx[n++] = i;
			}
		}
		if (!n || now >= deadline)
			break;
		if (poll(pf, n, (deadline - now) / 1000000 + 1) <= 0)
			continue;
		for (unsigned k = 0; k < n; k++)
			if (pf[k].revents)
				read_some(&e->p[idx[k]]);
	}
out:
	free(pf);
	free(idx);
}

static void sentinel_from_status(struct ws_report *r, int kind, int code)
{
	r->exit_kind = kind;
	r->exit_code = code;
	r->completed = false;
}

/* Fork mode: peek (WNOWAIT), kill the process group, reap; fill @r's exit_info. */
static void reap_proc(struct ws_proc *p, struct ws_report *r, bool have_report,
		      uint64_t deadline)
{
	siginfo_t si;
	struct rusage ru;
	int status = 0, kind = WS_EXIT_NONE, code = 0, rc;
	pid_t w;

	/* without a report, give it until the shared deadline to exit on its own */
	for (;;) {
		memset(&si, 0, sizeof(si));
		rc = waitid(P_PID, p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
		if (rc || si.si_pid || have_report || tk_now_mono_ns() >= deadline)
			break;
		usleep(5000);
	}
	if (rc) {
		kind = WS_EXIT_WAIT_FAILED;
		code = errno;
	} else if (si.si_pid == 0) {
		kind = WS_EXIT_TIMED_OUT;
	} else if (si.si_code == CLD_EXITED) {
		kind = WS_EXIT_EXITED;
		code = si.si_status;
	} else {
		kind = WS_EXIT_SIGNALED;
		code = si.si_status;
	}
	/* the group leader is alive or a zombie here, so its pgid is still ours */
	kill(-p->pid, SIGKILL);
	do
		w = wait4(p->pid, &status, 0, &ru);
	while (w < 0 && errno == EINTR);
	if (w < 0 && kind != WS_EXIT_WAIT_FAILED) {
		kind = WS_EXIT_WAIT_FAILED;
		code = errno;
	}
	if (have_report)
		return;
	sentinel_from_status(r, kind, code);
	if (p->ctx.g->type != WS_EXEC || w < 0)
		return;
	/* exec: the parent fills what it can */
	r->wall_time_ns = tk_now_mono_ns() - p->t_start;
	r->cpu_time_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * TK_NSEC_PER_SEC +
			 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * TK_NSEC_PER_USEC;
	r->off_cpu_ns = tk_sat_sub_u64(r->wall_time_ns, r->cpu_time_ns);
	if (p->sched_ok) {
		r->sched_cpu_ns = tk_sat_sub_u64(p->sched1.cpu_ns, p->sched0.cpu_ns);
		r->run_delay_ns = tk_sat_sub_u64(p->sched1.run_delay_ns, p->sched0.run_delay_ns);
		r->run_count = tk_sat_sub_u64(p->sched1.run_count, p->sched0.run_count);
	}
	/* stopped by our SIGUSR1 or exited 0: it ran to its natural end */
	r->completed = (kind == WS_EXIT_EXITED && code == 0) ||
		       (kind == WS_EXIT_SIGNALED && code == SIGUSR1);
}

static void join_thread(struct ws_proc *p, struct ws_report *r, bool have_report,
			uint64_t deadline)
{
	struct timespec ts;
	uint64_t until = tk_now_real_ns() + tk_sat_sub_u64(deadline, tk_now_mono_ns()) +
			 100 * TK_NSEC_PER_MSEC;

	ts.tv_sec = until / TK_NSEC_PER_SEC;
	ts.tv_nsec = until % TK_NSEC_PER_SEC;
	if (pthread_timedjoin_np(p->th, NULL, &ts) == 0) {
		p->joined = true;
	} else {
		p->timed_out = true;
		pthread_detach(p->th);
	}
	if (!have_report)
		sentinel_from_status(r, p->joined ? WS_EXIT_EXITED : WS_EXIT_TIMED_OUT, 0);
	if (p->joined && p->ctx.fail_msg[0]) {   /* ktstr Panicked: the body failed */
		r->exit_kind = WS_EXIT_PANICKED;
		r->exit_code = 0;
		r->exit_message = strndup(p->ctx.fail_msg, sizeof(p->ctx.fail_msg));
		r->completed = false;
	}
}

void ws_collect(struct ws_engine *e, struct ws_run *run)
{
	uint64_t deadline = tk_now_mono_ns() + COLLECT_NS;

	signal_stop(e);
	gather(e, deadline);
	if (e->o->pcomm)   /* its threads have sent what they will */
		ws_pcomm_reap(e, deadline);
	run->results = calloc(e->n + 1, sizeof(*run->results));
	run->nworkers = run->results ? e->n : 0;
	for (unsigned i = 0; i < e->n; i++) {
		struct ws_proc *p = &e->p[i];
		struct ws_report tmp, *r = run->results ? &run->results[i].rep : &tmp;
		bool ok = p->len && ws_report_decode(p->buf, p->len, r) == 0;

		if (ok && r->group_idx != p->ctx.g->idx)   /* not ours: distrust it */
			ws_report_free(r), ok = false;
		if (!ok) {
			memset(r, 0, sizeof(*r));
			r->tid = ws_engine_tid(e, i);
			r->group_idx = p->ctx.g->idx;
		}
		if (p->spawned && e->o->pcomm) {
			if (!ok)   /* no report: how the leader ended */
				sentinel_from_status(r, e->leader_kind, e->leader_code);
		} else if (p->spawned && e->o->thread_mode)
			join_thread(p, r, ok, deadline);
		else if (p->spawned)
			reap_proc(p, r, ok, deadline);
		else if (!ok)
			sentinel_from_status(r, WS_EXIT_WAIT_FAILED, ECHILD);
		r->eff_policy = p->eff_policy;
		r->ext_enabled = p->ext_enabled;
		if (p->pol_err) {   /* --policy-delay: the parent made the switch */
			free(r->sched_policy_error);
			r->sched_policy_error = p->pol_err;
			p->pol_err = NULL;
		}
		if (r == &tmp) {
			ws_report_free(r);
			continue;
		}
		run->results[i].group = p->ctx.g;
		run->results[i].set = p->set;
		run->results[i].set_valid = p->set_valid;
	}
}
