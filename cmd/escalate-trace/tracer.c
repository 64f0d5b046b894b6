// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tracer.c — load bpf/escalate_trace.bpf.c once, attach it only for the
 * length of each trace window, filtered by the target's tgid, on the
 * cheapest syscall hook the kernel accepts (hook.c).
 *
 * Window accounting: the window opens when the programs are attached and the
 * filter is set, and closes after --trace-for, when the target exits (then
 * the result is partial and the window ends at the last thread's exit), or
 * on SIGINT/SIGTERM.  thread_ns is the sum over the target's threads of the
 * part of the window each was alive: threads listed in /proc/PID/task at the
 * start count from the start, threads created later from their creation,
 * threads that exit until their exit.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "agg.h"
#include "bpfutil.h"
#include "clock.h"
#include "errors.h"
#include "escalate.h"
#include "escalate_trace.skel.h"
#include "hook.h"
#include "proc.h"

struct esc_thread {
	uint64_t first_ns, exit_ns;
};

struct esc_tracer {
	struct escalate_trace_bpf *skel;
	struct esc_agg_maps agg;
	struct esc_figs figs;
	esc_interval_fn on_interval;
	void *on_interval_arg;
	struct esc_hooks *hooks;
};

int esc_tracer_open(struct esc_tracer **tp, enum esc_hook hook, int verbose)
{
	char why[128] = "";
	struct esc_tracer *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	tk_libbpf_quiet(verbose);
	tk_bump_memlock();
	t->agg.ncpus = libbpf_num_possible_cpus();
	if (t->agg.ncpus <= 0) {
		err = t->agg.ncpus ? t->agg.ncpus : -EINVAL;
		goto fail;
	}
	err = esc_hooks_load(&t->hooks, &t->skel, hook, why, sizeof(why));
	if (why[0])
		tk_info(1, "syscall hook: %s", why);
	if (err)
		goto fail;
	t->agg.arr = bpf_map__fd(t->skel->maps.agg);
	t->agg.over = bpf_map__fd(t->skel->maps.agg_over);
	t->agg.hists = bpf_map__fd(t->skel->maps.agg_hists);
	t->agg.errs = bpf_map__fd(t->skel->maps.agg_errs);
	*tp = t;
	return 0;
fail:
	esc_tracer_close(t);
	return err;
}

void esc_tracer_close(struct esc_tracer *t)
{
	if (!t)
		return;
	esc_hooks_free(t->hooks);
	free(t);
}

void esc_tracer_figures(struct esc_tracer *t, const struct esc_figs *f,
			esc_interval_fn on_interval, void *arg)
{
	t->figs = *f;
	t->on_interval = on_interval;
	t->on_interval_arg = arg;
}

static void clear_hash(int fd)
{
	uint32_t key, next;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

static int reset_maps(struct esc_tracer *t)
{
	int err = esc_agg_reset(&t->agg);

	if (err)
		return err;
	clear_hash(bpf_map__fd(t->skel->maps.threads));
	clear_hash(bpf_map__fd(t->skel->maps.tgids));
	return 0;
}

/* Threads alive at the start count from the window's start. */
static void seed_threads(struct esc_tracer *t, pid_t pid, uint64_t start_ns)
{
	int fd = bpf_map__fd(t->skel->maps.threads);
	struct esc_thread v = { .first_ns = start_ns };
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long tid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || tid > INT32_MAX)
			continue;
		bpf_map_update_elem(fd, &(uint32_t){ (uint32_t)tid }, &v, BPF_NOEXIST);
	}
	closedir(d);
}

/* Drain both slots into r->all; r->sc = its rows over all threads. */
static int collect_stats(struct esc_tracer *t, struct esc_trace_result *r)
{
	int err = esc_agg_drain(&t->agg, 0, &r->all);

	if (!err)
		err = esc_agg_drain(&t->agg, 1, &r->all);
	if (err)
		return err;
	esc_sc_table_fold(&r->all, !t->figs.per_thread);
	esc_sc_table_sort(&r->all);
	return esc_sc_table_totals(&r->all, &r->sc, &r->nsc);
}

/*
 * One interval (-i): switch the programs to the other slot, wait for those
 * still in the old one, drain it, report it, keep it for the totals.
 */
static int interval_done(struct esc_tracer *t, struct esc_trace_result *r,
			 uint64_t from, uint64_t to)
{
	struct escalate_trace_bpf__bss *bss = t->skel->bss;
	struct esc_trace_result iv = { .pid = r->pid, .traced = true };
	unsigned slot = bss->agg_slot & 1;
	int err;

	__atomic_store_n(&bss->agg_slot, slot ^ 1, __ATOMIC_SEQ_CST);
	esc_agg_quiesce();
	err = esc_agg_drain(&t->agg, slot, &iv.all);
	if (!err) {
		esc_sc_table_fold(&iv.all, !t->figs.per_thread);
		esc_sc_table_sort(&iv.all);
		err = esc_sc_table_totals(&iv.all, &iv.sc, &iv.nsc);
	}
	if (!err) {
		iv.start_real_ns = r->start_real_ns + (from - r->start_mono_ns);
		iv.window_ns = to - from;
		iv.end_real_ns = iv.start_real_ns + iv.window_ns;
		iv.intervals = ++r->intervals;
		iv.sc_lost = bss->agg_lost;
		t->on_interval(t->on_interval_arg, &iv);
		err = esc_sc_table_merge(&r->all, &iv.all);
	}
	esc_trace_result_free(&iv);
	return err;
}

/* Sum thread lifetimes inside [start, end]; returns the last exit seen. */
static uint64_t collect_threads(struct esc_tracer *t, uint64_t start, uint64_t end,
				bool exited, struct esc_trace_result *r)
{
	int fd = bpf_map__fd(t->skel->maps.threads);
	uint32_t key, *prev = NULL;
	uint64_t last_exit = 0;
	struct esc_thread v;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (v.exit_ns > last_exit)
			last_exit = v.exit_ns;
	}
	if (exited && last_exit > start && last_exit < end)
		end = last_exit;
	prev = NULL;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		uint64_t from, to;

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		from = v.first_ns > start ? v.first_ns : start;
		to = v.exit_ns && v.exit_ns < end ? v.exit_ns : end;
		r->threads++;
		if (to > from)
			r->thread_ns += to - from;
	}
	return end;
}

/*
 * Wait until @deadline, the target's exit (true) or a stop request; with
 * -i, report an interval each interval_ns on the way.
 */
static bool wait_exit(struct esc_tracer *t, struct esc_trace_result *r, int pidfd,
		      uint64_t deadline)
{
	uint64_t step = t->on_interval ? t->figs.interval_ns : 0;
	uint64_t from = r->start_mono_ns, next = step ? from + step : UINT64_MAX;

	for (;;) {
		uint64_t now = tk_now_mono_ns(), until = next < deadline ? next : deadline;
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int ms, n;

		if (now >= deadline || tk_stop_requested())
			return false;
		if (now >= next) {
			if (interval_done(t, r, from, now))
				step = 0;
			from = now;
			next = step ? next + step : UINT64_MAX;
			while (next <= now)
				next += step;
			continue;
		}
		ms = (int)((until - now + 999999) / 1000000);
		n = poll(&p, 1, ms > 100 ? 100 : ms);
		if (n > 0)
			return true;
	}
}

static unsigned count_keys(int fd)
{
	uint32_t key, *prev = NULL;
	unsigned n = 0;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		n++;
	}
	return n;
}

/* -ESRCH (r->error set) when @pid's process started after @born_by_boot_ns. */
static int check_identity(pid_t pid, uint64_t born_by_boot_ns, struct esc_trace_result *r)
{
	uint64_t started;

	if (born_by_boot_ns == ESC_ANY_PROCESS || tk_proc_start_boot_ns(pid, &started) ||
	    started <= born_by_boot_ns)
		return 0;
	r->pid_reused = true;
	snprintf(r->error, sizeof(r->error),
		 "pid %d was reused: its process started %.3fs after the pid was named",
		 (int)pid, (double)(started - born_by_boot_ns) / 1e9);
	return -ESRCH;
}

int esc_trace_run(struct esc_tracer *t, pid_t pid, uint64_t born_by_boot_ns, uint64_t dur_ns,
		  bool follow, int ready_fd, struct esc_trace_result *r)
{
	struct escalate_trace_bpf__bss *bss = t->skel->bss;
	uint64_t start, end, misses;
	char why[128] = "";
	bool exited;
	int pidfd, err;

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		err = -errno;
		snprintf(r->error, sizeof(r->error), "pid %d: %s", (int)pid, strerror(-err));
		return err;
	}
	/* the pidfd pins this process: a later reuse is seen as its exit */
	err = check_identity(pid, born_by_boot_ns, r);
	if (err)
		goto out;
	err = reset_maps(t);
	if (err) {
		snprintf(r->error, sizeof(r->error), "resetting maps: %s", strerror(-err));
		goto out;
	}
	err = esc_hooks_attach(t->hooks, &r->hook, why, sizeof(why));
	if (why[0])
		tk_info(1, "syscall hook: %s", why);
	if (err) {
		snprintf(r->error, sizeof(r->error), "attach: %s", why[0] ? why : strerror(-err));
		goto out;
	}
	tk_info(2, "syscall hook: %s", esc_hook_name(r->hook));
	misses = esc_hooks_misses(t->hooks);
	start = tk_now_mono_ns();
	bss->gen++;
	bss->win_start_ns = start;
	bss->lost = 0;
	bss->follow = follow;
	bss->agg_slot = 0;
	bss->agg_lost = 0;
	bss->agg_per_thread = t->figs.per_thread;
	bss->agg_hist = t->figs.hist;
	r->start_mono_ns = start;
	seed_threads(t, pid, start);
	__atomic_store_n(&bss->target_tgid, (uint32_t)pid, __ATOMIC_SEQ_CST);
	r->start_real_ns = tk_now_real_ns();
	if (ready_fd >= 0 && write(ready_fd, "g", 1) != 1)
		tk_info(1, "trace handshake: %s", strerror(errno));
	tk_info(1, "tracing pid %d for %.3fs", (int)pid, (double)dur_ns / 1e9);

	exited = wait_exit(t, r, pidfd, start + dur_ns);
	__atomic_store_n(&bss->target_tgid, 0, __ATOMIC_SEQ_CST);
	end = tk_now_mono_ns();
	r->missed = esc_hooks_misses(t->hooks) - misses;
	esc_hooks_detach(t->hooks);

	r->traced = true;
	r->partial = exited;
	{
		uint64_t e0 = end;

		end = collect_threads(t, start, end, exited, r);
		tk_info(2, "window: exited=%d detach at +%lluus, last thread exit at +%lluus",
			exited, (unsigned long long)(e0 - start) / 1000,
			(unsigned long long)(end - start) / 1000);
	}
	r->window_ns = end - start;
	r->end_real_ns = r->start_real_ns + r->window_ns;
	r->lost = bss->lost;
	r->sc_lost = bss->agg_lost;
	r->processes = 1 + count_keys(bpf_map__fd(t->skel->maps.tgids));
	err = collect_stats(t, r);
	if (err)
		snprintf(r->error, sizeof(r->error), "reading stats: %s", strerror(-err));
out:
	close(pidfd);
	return err;
}

void esc_trace_result_free(struct esc_trace_result *r)
{
	free(r->sc);
	r->sc = NULL;
	r->nsc = 0;
	esc_sc_table_free(&r->all);
}
