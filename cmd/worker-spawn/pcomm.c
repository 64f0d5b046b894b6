// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pcomm.c — --mode pcomm (ktstr's pcomm): one forked leader process whose
 * threads are the workers.  The leader keeps every worker's fds, starts one
 * thread per worker, joins them and exits; the parent talks to the threads
 * through their tids (a MAP_SHARED array) and reaps the leader once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "engine.h"

struct pcomm_arg {
	struct ws_engine *e;
	unsigned i;
};

static void *pcomm_thread(void *arg)
{
	struct pcomm_arg a = *(struct pcomm_arg *)arg;
	struct ws_proc *p = &a.e->p[a.i];
	sigset_t ss;

	free(arg);
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	atomic_store(&a.e->tids[a.i], gettid());
	ws_worker_main(&p->ctx, a.e->start_rd, a.e->ready_wr, p->report_wr,
		       p->set_valid ? &p->set : NULL);
	close(p->report_wr);
	return NULL;
}

/*
 * In the leader: start every worker thread, join them, exit.  SIGUSR1's
 * handler (the thread-local stop flag) came with the fork from ws_run().
 */
static void __attribute__((noreturn)) leader_main(struct ws_engine *e)
{
	pthread_t *th = calloc(e->n, sizeof(*th));
	bool *up = calloc(e->n, sizeof(*up));

	for (unsigned i = 0; i < e->n; i++)
		if (e->p[i].report_rd >= 0)
			close(e->p[i].report_rd);
	close(e->start_wr);
	close(e->ready_rd);
	for (unsigned i = 0; th && up && i < e->n; i++) {
		struct pcomm_arg *a = malloc(sizeof(*a));

		if (!a)
			break;
		a->e = e;
		a->i = i;
		up[i] = pthread_create(&th[i], NULL, pcomm_thread, a) == 0;
		if (!up[i])
			free(a);
	}
	for (unsigned i = 0; th && up && i < e->n; i++)
		if (up[i])
			pthread_join(th[i], NULL);
	_exit(0);
}

int ws_pcomm_spawn(struct ws_engine *e)
{
	pid_t parent = getpid();

	e->tids = mmap(NULL, e->n * sizeof(*e->tids), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e->tids == MAP_FAILED) {
		e->tids = NULL;
		return -ENOMEM;
	}
	fflush(NULL);
	e->leader = fork();
	if (e->leader < 0) {
		e->leader = 0;
		return -errno;
	}
	if (e->leader == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		leader_main(e);
	}
	setpgid(e->leader, e->leader);
	for (unsigned i = 0; i < e->n; i++) {
		close(e->p[i].report_wr);
		e->p[i].report_wr = -1;
		e->p[i].spawned = true;
	}
	return 0;
}

void ws_pcomm_reap(struct ws_engine *e, uint64_t deadline)
{
	siginfo_t si;
	int status;

	e->leader_kind = WS_EXIT_TIMED_OUT;
	e->leader_code = 0;
	if (e->leader <= 0)
		return;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, e->leader, &si, WEXITED | WNOHANG | WNOWAIT)) {
			e->leader_kind = WS_EXIT_WAIT_FAILED;
			e->leader_code = errno;
			break;
		}
		if (si.si_pid) {
			e->leader_kind = si.si_code == CLD_EXITED ? WS_EXIT_EXITED : WS_EXIT_SIGNALED;
			e->leader_code = si.si_status;
			break;
		}
		if (tk_now_mono_ns() >= deadline)
			break;
		usleep(5000);
	}
	kill(-e->leader, SIGKILL);   /* alive or a zombie: the pgid is still ours */
	while (waitpid(e->leader, &status, 0) < 0 && errno == EINTR)
		;
	e->leader = 0;
}

void ws_pcomm_free(struct ws_engine *e)
{
	if (e->tids)
		munmap(e->tids, e->n * sizeof(*e->tids));
	e->tids = NULL;
}
