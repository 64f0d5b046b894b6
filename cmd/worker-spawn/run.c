// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * run.c — one run: spawn, place and start the workers, drive them (duration,
 * phase epochs, progress line), then hand over to collect.c.
 *
 * Two-phase start: every worker places itself (affinity, policy, nice),
 * writes one byte to the ready pipe and blocks on the start pipe; the parent
 * then moves them into their cgroups and writes one 's' per worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "errors.h"
#include "output.h"

#define READY_TIMEOUT_NS (10 * TK_NSEC_PER_SEC)

static void on_stop_signal(int sig)
{
	(void)sig;
	ws_stop_flag = 1;
}

static void install_worker_signals(bool fork_mode)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;   /* no SA_RESTART: blocking calls see EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (fork_mode) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int mkpipe(int *rd, int *wr)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	*rd = fds[0];
	*wr = fds[1];
	return 0;
}

/* issue 15: the topology the llc, smt-pair and cross-cgroup affinities draw on. */
struct topo {
	struct tk_cpuset *llc;     /* LLC domains within the allowed CPUs */
	unsigned nllc;
	struct tk_cpuset all;      /* every online CPU (sysfs), for cross-cgroup */
};

/* The set of @kind for worker @gidx: false when the host has none. */
static bool pick_topo(enum ws_affinity_kind kind, unsigned gidx, const struct tk_cpuset *on,
		      const struct topo *t, struct tk_cpuset *set)
{
	unsigned cpus[2];

	switch (kind) {
	case WS_AFF_LLC:
		if (t->nllc)
			*set = t->llc[gidx % t->nllc];
		return t->nllc > 0;
	case WS_AFF_SMT_PAIR:   /* worker pairs share one core's two siblings */
		if (ws_topo_smt_pair(on, gidx / 2, cpus))
			return false;
		tk_cpuset_set(set, cpus[0]);
		tk_cpuset_set(set, cpus[1]);
		return true;
	default:   /* cross-cgroup: every online CPU, past the inherited cpuset */
		*set = t->all;
		return tk_cpuset_count(set) > 0;
	}
}

/* The cpuset worker @gidx of @g gets, from the online CPUs @on. */
static bool pick_set(const struct ws_group *g, unsigned gidx, const struct tk_cpuset *on,
		     const struct topo *topo, uint64_t *rng, struct tk_cpuset *set)
{
	unsigned cpus[WS_MAX_CPUS], n = 0;

	for (unsigned i = 0; i < WS_MAX_CPUS; i++)
		if (tk_cpuset_isset(on, i))
			cpus[n++] = i;
	memset(set, 0, sizeof(*set));
	switch (g->aff.kind) {
	case WS_AFF_LIST:
		*set = g->aff.set;
		return true;
	case WS_AFF_SINGLE:
		if (n)
			tk_cpuset_set(set, cpus[gidx % n]);
		return n > 0;
	case WS_AFF_RANDOM:
		for (unsigned k = 0; k < g->aff.k && k < n; k++) {
			unsigned j = k + tk_rand_below(rng, n - k), t = cpus[k];

			cpus[k] = cpus[j];
			cpus[j] = t;
			tk_cpuset_set(set, cpus[k]);
		}
		return n > 0;
	case WS_AFF_LLC: case WS_AFF_SMT_PAIR: case WS_AFF_CROSS_CGROUP:
		return pick_topo(g->aff.kind, gidx, on, topo, set);
	default:
		return false;
	}
}

/* In a forked worker: close every inherited fd that is not its own. */
static void close_foreign(struct ws_engine *e, unsigned self)
{
	for (unsigned i = 0; i < e->n; i++) {
		close_fd(&e->p[i].report_rd);
		if (i != self)
			close_fd(&e->p[i].report_wr);
	}
	for (unsigned u = 0; u < 4 * e->nunits; u++)
		if (e->pair_fds[u] != e->p[self].ctx.rfd && e->pair_fds[u] != e->p[self].ctx.wfd)
			close_fd(&e->pair_fds[u]);
	for (unsigned u = 0; e->ures && u < e->nunits; u++)   /* issue 15: wake */
		if (&e->ures[u] != e->p[self].ctx.ures)
			ws_unit_res_close_fds(&e->ures[u]);
	close_fd(&e->start_wr);
	close_fd(&e->ready_rd);
}

static void *thread_main(void *arg)
{
	struct ws_engine *e = ((void **)arg)[0];
	struct ws_proc *p = ((void **)arg)[1];
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	atomic_store(&p->tid, gettid());
	ws_worker_main(&p->ctx, e->start_rd, e->ready_wr, p->report_wr,
		       p->set_valid ? &p->set : NULL);
	close_fd(&p->report_wr);
	free(arg);
	return NULL;
}

static int spawn_one(struct ws_engine *e, unsigned i)
{
	struct ws_proc *p = &e->p[i];
	pid_t parent = getpid();

	if (e->o->thread_mode) {
		void **arg = malloc(2 * sizeof(void *));

		if (!arg)
			return -ENOMEM;
		arg[0] = e;
		arg[1] = p;
		if (pthread_create(&p->th, NULL, thread_main, arg)) {
			free(arg);
			return -EAGAIN;
		}
		p->th_started = p->spawned = true;
		return 0;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		int rc;

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		install_worker_signals(true);
		close_foreign(e, i);
		rc = ws_worker_main(&p->ctx, e->start_rd, e->ready_wr, p->report_wr,
				    p->set_valid ? &p->set : NULL);
		_exit(rc);
	}
	setpgid(p->pid, p->pid);
	close_fd(&p->report_wr);
	p->spawned = true;
	return 0;
}

/* Read the topology when a group asks for llc or cross-cgroup. */
static int load_topo(const struct ws_opts *o, const struct tk_cpuset *online, struct topo *t)
{
	int err = 0;

	for (unsigned g = 0; g < o->ngroups && !err; g++) {
		enum ws_affinity_kind k = o->groups[g].aff.kind;

		if (k == WS_AFF_LLC && !t->llc) {
			err = ws_topo_llcs(online, &t->llc, &t->nllc);
			if (err == -ENOENT)   /* no cache topology: the workers say so */
				err = 0;
		} else if (k == WS_AFF_CROSS_CGROUP && !tk_cpuset_count(&t->all)) {
			if (ws_topo_online(&t->all))
				err = 0;   /* empty: the workers run where they are */
		}
	}
	return err;
}

static int setup_workers(struct ws_engine *e, const struct tk_cpuset *on, const struct topo *topo,
			 uint64_t rng);

static int setup(struct ws_engine *e)
{
	struct ws_opts *o = e->o;
	struct tk_cpuset online;
	struct topo topo = { 0 };
	uint64_t rng = o->seed ? o->seed : (tk_now_mono_ns() | 1);
	int err;

	if ((err = ws_online_cpus(&online)))
		return err;
	if ((err = load_topo(o, &online, &topo)))
		return err;
	err = setup_workers(e, &online, &topo, rng);
	free(topo.llc);
	return err;
}

/* Every worker's context, cpuset and pipes. */
static int setup_workers(struct ws_engine *e, const struct tk_cpuset *on, const struct topo *topo,
			 uint64_t rng)
{
	struct ws_opts *o = e->o;
	struct tk_cpuset online = *on;
	unsigned w = 0, unit = 0;
	int err;


	for (unsigned g = 0; g < o->ngroups; g++) {
		e->n += o->groups[g].n;
		e->nunits += o->groups[g].n / o->groups[g].unit;
	}
	e->p = calloc(e->n, sizeof(*e->p));
	e->pair_fds = malloc((4 * e->nunits + 1) * sizeof(int));
	e->ures = calloc(e->nunits + 1, sizeof(*e->ures));   /* issue 15: wake */
	e->shsize = sizeof(struct ws_shared) + e->nunits * sizeof(struct ws_unit);
	e->sh = mmap(NULL, e->shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e->sh == MAP_FAILED)
		e->sh = NULL;
	if (!e->p || !e->pair_fds || !e->sh || !e->ures)
		return -ENOMEM;
	for (unsigned i = 0; i < 4 * e->nunits; i++)
		e->pair_fds[i] = -1;
	for (unsigned i = 0; i < e->n; i++) {
		e->p[i].report_rd = e->p[i].report_wr = -1;
		e->p[i].eff_policy = e->p[i].ext_enabled = -1;
	}
	if ((err = mkpipe(&e->start_rd, &e->start_wr)) || (err = mkpipe(&e->ready_rd, &e->ready_wr)))
		return err;
	for (unsigned g = 0; g < o->ngroups; g++) {
		const struct ws_group *grp = &o->groups[g];
		bool piped = grp->type == WS_PIPE_IO || grp->type == WS_CACHE_PIPE;

		for (unsigned k = 0; k < grp->n; k++, w++) {
			struct ws_proc *p = &e->p[w];
			struct ws_ctx *c = &p->ctx;
			unsigned u = unit + k / grp->unit;

			c->g = grp;
			c->gidx = k;
			c->widx = w;
			c->role = k % grp->unit;
			c->unit = &e->sh->units[u];
			c->sh = e->sh;
			c->rng = rng ^ ((uint64_t)(w + 1) * 0x9E3779B97F4A7C15ULL);
			c->rfd = c->wfd = -1;
			c->ures = &e->ures[u];   /* issue 15: wake */
			c->efd = -1;
			if (c->role == 0 && (err = ws_unit_res_open(grp, c->ures)))
				return err;
			p->set_valid = pick_set(grp, k, &online, topo, &rng, &p->set);
			c->allowed = online;   /* affinity-churn roams every online CPU */
			if (piped && c->role == 0) {
				if ((err = mkpipe(&e->pair_fds[4 * u], &e->pair_fds[4 * u + 1])) ||
				    (err = mkpipe(&e->pair_fds[4 * u + 2], &e->pair_fds[4 * u + 3])))
					return err;
			}
			if (piped) {   /* role 0 writes pipe A, reads pipe B; role 1 the reverse */
				c->wfd = e->pair_fds[4 * u + (c->role ? 3 : 1)];
				c->rfd = e->pair_fds[4 * u + (c->role ? 0 : 2)];
			}
			if ((err = mkpipe(&p->report_rd, &p->report_wr)))
				return err;
			fcntl(p->report_rd, F_SETFL, O_NONBLOCK);
		}
		unit += grp->n / grp->unit;
	}
	return 0;
}

/* Keep the run's first failure (-errno @err), its message and fix, for main. */
static int __attribute__((format(printf, 4, 5)))
fail(struct ws_run *run, int err, const char *fix, const char *fmt, ...)
{
	va_list ap;

	if (run->err_msg[0])
		return err;
	va_start(ap, fmt);
	vsnprintf(run->err_msg, sizeof(run->err_msg), fmt, ap);
	va_end(ap);
	run->err_fix = fix;
	return err;
}

static int make_cgroups(struct ws_engine *e, struct ws_run *run)
{
	for (unsigned g = 0; g < e->o->ngroups; g++) {
		const struct ws_group *grp = &e->o->groups[g];
		int r;

		if (!grp->cgroup_set)
			continue;
		r = ws_cgroup_create(grp->cgroup, e->cg_abs[g], sizeof(e->cg_abs[g]));
		if (r < 0) {
			e->cg_abs[g][0] = '\0';
			return fail(run, r, "give a path relative to (or under) the cgroup v2 mount; "
				    "run as root", "--cgroup '%s': cannot create: %s", grp->cgroup,
				    r == -ENODEV ? "no cgroup v2 hierarchy is mounted" :
				    r == -EXDEV ? "not under the cgroup v2 mount" : strerror(-r));
		}
		e->cg_made[g] = r;
		if (e->o->thread_mode) {
			/* the leaf (existing or not) and every parent this run made */
			r = ws_cgroup_make_threaded(e->cg_abs[g], r > 1 ? r : 1);
			if (r)
				tk_warn("%s: cannot make it threaded: %s", e->cg_abs[g], strerror(-r));
		}
	}
	return 0;
}

/* Wait for @n ready bytes (workers that died early never send theirs). */
static void wait_ready(struct ws_engine *e)
{
	uint64_t end = tk_now_mono_ns() + READY_TIMEOUT_NS;
	unsigned got = 0;
	char buf[256];

	while (got < e->n && !tk_stop_requested()) {
		struct pollfd pfd = { .fd = e->ready_rd, .events = POLLIN };
		uint64_t now = tk_now_mono_ns();
		ssize_t r;

		if (now >= end) {
			tk_warn("%u of %u workers did not get ready in time", e->n - got, e->n);
			return;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		r = read(e->ready_rd, buf, sizeof(buf) < e->n - got ? sizeof(buf) : e->n - got);
		if (r > 0)
			got += r;
	}
}

static int attach_cgroups(struct ws_engine *e, struct ws_run *run)
{
	for (unsigned i = 0; i < e->n; i++) {
		struct ws_proc *p = &e->p[i];
		const char *abs = e->cg_abs[p->ctx.g->idx];
		pid_t id = e->o->pcomm ? e->leader : ws_engine_tid(e, i);
		int err;

		if (!p->ctx.g->cgroup_set || !*abs || !p->spawned || id <= 0)
			continue;
		if (e->o->pcomm && i > 0)   /* the leader moves all its threads at once */
			break;
		err = ws_cgroup_attach(abs, id, e->o->thread_mode);
		if (err)
			return fail(run, err, "use fork mode, or a cgroup whose controllers allow the "
				    "move", "--cgroup: cannot move worker %d into %s: %s", id, abs,
				    strerror(-err));
	}
	return 0;
}

static void release(struct ws_engine *e)
{
	for (unsigned i = 0; i < e->n; i++) {
		struct ws_proc *p = &e->p[i];

		p->t_start = tk_now_mono_ns();
		if (p->ctx.g->type == WS_EXEC && p->pid > 0)
			p->sched_ok = ws_schedstat_read(p->pid, &p->sched0);
		if (write(e->start_wr, "s", 1) != 1)
			break;
	}
	close_fd(&e->start_wr);
}

static void progress(const struct ws_engine *e, uint64_t elapsed, uint64_t total, bool end)
{
	if (tk_out.quiet || !isatty(STDERR_FILENO))
		return;
	if (end)
		fprintf(stderr, "\r\033[K");
	else
		fprintf(stderr, "\rworker-spawn: %u workers, %.1f/%.1f s, phase %u",
			e->n, elapsed / 1e9, total / 1e9, atomic_load(&e->sh->epoch));
	fflush(stderr);
}

/* --policy-delay: the parent switches every worker whose group has --policy. */
static void apply_deferred_policy(struct ws_engine *e)
{
	unsigned done = 0, refused = 0;

	for (unsigned i = 0; i < e->n; i++) {
		struct ws_proc *p = &e->p[i];
		pid_t tid = ws_engine_tid(e, i);

		if (!p->ctx.g->pol.set || !p->spawned || tid <= 0)
			continue;
		p->pol_err = ws_apply_policy(tid, &p->ctx.g->pol);
		done++;
		refused += p->pol_err != NULL;
	}
	e->pol_applied = true;
	tk_info(1, "policy set on %u worker%s (%u refused)", done, done == 1 ? "" : "s", refused);
}

/* The run was stopped before --policy-delay: say so where the outcome goes. */
static void note_policy_unset(struct ws_engine *e)
{
	for (unsigned i = 0; i < e->n; i++)
		if (e->p[i].ctx.g->pol.set && e->p[i].spawned)
			e->p[i].pol_err = strdup("not set: the run stopped before --policy-delay");
}

/* The kernel's view of every worker's policy and class, before they stop. */
static void read_back(struct ws_engine *e)
{
	for (unsigned i = 0; i < e->n; i++) {
		struct ws_proc *p = &e->p[i];
		pid_t tid = ws_engine_tid(e, i);

		p->eff_policy = -1;
		p->ext_enabled = -1;
		if (p->spawned && tid > 0)
			ws_read_sched(ws_engine_tgid(e, i), tid, &p->eff_policy, &p->ext_enabled);
	}
}

static void drive(struct ws_engine *e)
{
	struct ws_opts *o = e->o;
	uint64_t total = o->duration_ns, t0 = tk_now_mono_ns(), next_prog = 0;
	uint64_t bound = o->nphases ? o->phases[0] : UINT64_MAX;
	uint64_t pol_at = o->policy_delay_ns ? o->policy_delay_ns : UINT64_MAX;
	unsigned phase = 0;

	if (o->nphases) {
		total = 0;
		for (unsigned i = 0; i < o->nphases; i++)
			total += o->phases[i];
	}
	while (!tk_stop_requested()) {
		uint64_t el = tk_now_mono_ns() - t0, step = 100 * TK_NSEC_PER_MSEC;

		if (el >= total)
			break;
		while (el >= bound && phase + 1 < o->nphases) {
			atomic_fetch_add(&e->sh->epoch, 1);
			bound += o->phases[++phase];
		}
		if (el >= pol_at) {
			apply_deferred_policy(e);
			pol_at = UINT64_MAX;
		}
		if (el >= next_prog) {
			progress(e, el, total, false);
			next_prog = el + 500 * TK_NSEC_PER_MSEC;
		}
		if (total - el < step)
			step = total - el;
		if (bound != UINT64_MAX && bound > el && bound - el < step)
			step = bound - el;
		if (pol_at != UINT64_MAX && pol_at > el && pol_at - el < step)
			step = pol_at - el;
		tk_sleep_ns(step);
	}
	progress(e, 0, 0, true);
}

static void teardown(struct ws_engine *e)
{
	/* a thread that outlived the deadline may still touch e->p and the shared map */
	for (unsigned i = 0; e->p && i < e->n; i++)
		if (e->p[i].timed_out)
			return;
	for (unsigned i = 0; e->p && i < e->n; i++) {
		close_fd(&e->p[i].report_rd);
		close_fd(&e->p[i].report_wr);
		free(e->p[i].buf);
		free(e->p[i].pol_err);
	}
	for (unsigned u = 0; e->pair_fds && u < 4 * e->nunits; u++)
		close_fd(&e->pair_fds[u]);
	for (unsigned u = 0; e->ures && u < e->nunits; u++)   /* issue 15: wake */
		ws_unit_res_free(&e->ures[u]);
	free(e->ures);
	close_fd(&e->start_rd);
	close_fd(&e->start_wr);
	close_fd(&e->ready_rd);
	close_fd(&e->ready_wr);
	ws_mem_teardown(e->o);   /* issue 15: mem: before the cgroups they sit in */
	for (unsigned g = e->o->ngroups; g-- > 0;)   /* later groups may sit in earlier ones' parents */
		ws_cgroup_remove(e->cg_abs[g], e->cg_made[g]);
	if (e->sh)
		munmap(e->sh, e->shsize);
	ws_pcomm_free(e);
	free(e->pair_fds);
	free(e->p);
}

int ws_run(struct ws_opts *o, struct ws_run *run)
{
	struct ws_engine e = { .o = o, .start_rd = -1, .start_wr = -1, .ready_rd = -1,
			       .ready_wr = -1 };
	int err;

	memset(run, 0, sizeof(*run));
	run->o = o;
	ws_scx_snapshot(&run->scx.t0);
	ws_scx_validate(&run->scx.t0, o);
	install_worker_signals(false);
	err = setup(&e);
	if (err) {
		fail(run, err, NULL, "cannot set up %u workers: %s", e.n, strerror(-err));
		goto cleanup;
	}
	err = make_cgroups(&e, run);
	if (!err) {   /* issue 15: mem */
		const char *fix = NULL;
		char msg[512];

		if ((err = ws_mem_setup(o, (const char (*)[320])e.cg_abs, msg, sizeof(msg), &fix)))
			fail(run, err, fix, "%s", msg);
	}
	if (!err && o->pcomm && (err = ws_pcomm_spawn(&e)))
		fail(run, err, "lower -n or raise ulimit -u", "cannot start the pcomm leader: %s",
		     strerror(-err));
	for (unsigned i = 0; !o->pcomm && !err && i < e.n && !tk_stop_requested(); i++) {
		err = spawn_one(&e, i);
		if (err)
			fail(run, err, "lower -n or raise ulimit -u", "cannot start worker %u: %s", i,
			     strerror(-err));
	}
	if (!o->thread_mode) {   /* threads share these fds: they stay open */
		close_fd(&e.ready_wr);
		close_fd(&e.start_rd);
	}
	if (!err) {
		wait_ready(&e);
		err = attach_cgroups(&e, run);
	}
	if (!err && !tk_stop_requested()) {
		release(&e);
		tk_info(1, "running %u worker%s", e.n, e.n == 1 ? "" : "s");
		drive(&e);
		if (o->policy_delay_ns && !e.pol_applied)
			note_policy_unset(&e);
		read_back(&e);
	}
	/* on error the start pipe closes unwritten and workers exit without running */
	close_fd(&e.start_wr);
	ws_collect(&e, run);
	ws_scx_snapshot(&run->scx.t1);
	ws_scx_finish(&run->scx);
cleanup:
	teardown(&e);
	return err;
}

void ws_run_free(struct ws_run *run)
{
	for (unsigned i = 0; run->results && i < run->nworkers; i++) {
		ws_report_free(&run->results[i].rep);
		free(run->results[i].slice_res);
	}
	free(run->results);
	free(run->sums);
	memset(run, 0, sizeof(*run));
}
