// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exec.c — `--exec CMD --runs N` (each run's wall time is a sample of brick
 * CMD; an escalation re-runs CMD once under the tracer, from its exec on)
 * and `--manual --pid PID` (trace now).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "errors.h"
#include "output.h"
#include "run.h"

/*
 * Fork `sh -c CMD`.  With @gate, the child first waits for one byte on a
 * pipe (the tracer writes it once attached); *gate_w gets the write end.
 */
static pid_t spawn(const char *cmd, bool gate, int *gate_w)
{
	int p[2] = { -1, -1 };
	pid_t pid;
	char c;

	if (gate && pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		pid = -errno;
		if (gate) {
			close(p[0]);
			close(p[1]);
		}
		return pid;
	}
	if (!pid) {
		signal(SIGPIPE, SIG_DFL);
		if (gate) {
			close(p[1]);
			if (read(p[0], &c, 1) != 1)
				_exit(127);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (gate) {
		close(p[0]);
		*gate_w = p[1];
	}
	return pid;
}

/* Wait for @pid; on a stop request terminate it.  Returns the wait status. */
static int reap(pid_t pid)
{
	bool killed = false;
	int status = 0;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
		if (tk_stop_requested() && !killed) {
			kill(pid, SIGTERM);
			killed = true;
		}
	}
	return status;
}

static int emit_run(const char *cmd, uint64_t run, double wall_us, int status,
		    const struct esc_verdict *v)
{
	struct json_object *rec = tk_record_new("sample");

	tk_rec_str(rec, "brick_name", cmd);
	tk_rec_u64(rec, "run", run);
	tk_rec_dbl(rec, "wall_us", wall_us);
	tk_rec_i64(rec, "exit_code", WIFEXITED(status) ? WEXITSTATUS(status) :
		   -(int64_t)WTERMSIG(status));
	tk_rec_dbl(rec, "cv", v->cv);
	if (v->eff_valid)
		tk_rec_dbl(rec, "efficiency", v->efficiency);
	return tk_emit(rec);
}

/*
 * Run the command again under the tracer for @v's escalation.  A failed
 * fork is reported and the runs go on; a lost stdout stops them through
 * tk_stop_requested().
 */
static void traced_run(struct esc_run *r, const struct esc_verdict *v)
{
	int gate_w = -1;
	pid_t pid = spawn(r->env->exec_cmd, true, &gate_w);

	if (pid < 0) {
		tk_error(NULL, "--exec: fork: %s", strerror(-pid));
		return;
	}
	esc_escalate(r, r->env->exec_cmd, v, v->reason, pid, ESC_ANY_PROCESS, gate_w);
	/* rate-limited or untraced: the gate is still shut; closing it frees the child */
	close(gate_w);
	reap(pid);
}

int esc_exec_main(struct esc_run *r)
{
	const char *cmd = r->env->exec_cmd;
	struct esc_sample s = { 0 };
	struct esc_verdict v;
	int status, err;

	snprintf(s.name, sizeof(s.name), "%s", cmd);
	s.st[ESC_F_NAME] = s.st[ESC_F_VALUE] = ESC_FS_OK;
	if (r->env->have_budget_us) {
		s.budget_us = r->env->budget_us;
		s.st[ESC_F_BUDGET] = ESC_FS_OK;
	}
	for (uint64_t run = 1; run <= r->env->runs && !tk_stop_requested(); run++) {
		uint64_t t0 = tk_now_mono_ns();
		pid_t pid = spawn(cmd, false, NULL);

		if (pid < 0) {
			tk_error(NULL, "--exec: fork: %s", strerror(-pid));
			return TK_EXIT_RUNTIME;
		}
		status = reap(pid);
		if (tk_stop_requested())
			break;
		s.value_us = (double)(tk_now_mono_ns() - t0) / 1000.0;
		r->c.lines++;
		r->c.records++;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (!r->c.exec_failures++)
				tk_warn("--exec: run %llu of '%s' exited with status %d; further "
					"failures are only counted", (unsigned long long)run, cmd,
					WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
		err = esc_detect(r->bricks, &s, &v);
		if (err)
			return TK_EXIT_RUNTIME;
		if (emit_run(cmd, run, s.value_us, status, &v))
			break;
		if (v.reason != ESC_NONE)
			traced_run(r, &v);
	}
	return 0;
}

int esc_manual_main(struct esc_run *r)
{
	struct esc_verdict v = { .reason = ESC_MANUAL };
	char path[64], comm[64] = "manual";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)r->env->pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	if (r->env->have_budget_us) {
		v.budget_us = r->env->budget_us;
	}
	esc_escalate(r, comm, &v, ESC_MANUAL, r->env->pid, r->env->start_boot_ns, -1);
	return r->c.traced ? 0 : TK_EXIT_RUNTIME;
}
