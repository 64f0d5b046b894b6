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

#include "bpfutil.h"
#include "clock.h"
#include "errors.h"
#include "escalate.h"
#include "escalate_trace.skel.h"
#include "hook.h"
#include "proc.h"

struct esc_sc_val {
	uint64_t count, errors, time_ns;
};
struct esc_thread {
	uint64_t first_ns, exit_ns;
};

struct esc_tracer {
	struct escalate_trace_bpf *skel;
	struct esc_hooks *hooks;
	int ncpus;
	struct esc_sc_val *percpu;   /* ncpus values, one lookup's buffer */
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
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		err = t->ncpus ? t->ncpus : -EINVAL;
		goto fail;
	}
	t->percpu = calloc((size_t)t->ncpus, sizeof(*t->percpu));
	if (!t->percpu) {
		err = -ENOMEM;
		goto fail;
	}
	err = esc_hooks_load(&t->hooks, &t->skel, hook, why, sizeof(why));
	if (why[0])
		tk_info(1, "syscall hook: %s", why);
	if (err)
		goto fail;
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
	free(t->percpu);
	free(t);
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
	int fd = bpf_map__fd(t->skel->maps.stats);

	memset(t->percpu, 0, (size_t)t->ncpus * sizeof(*t->percpu));
	for (uint32_t k = 0; k < ESC_NR_SYSCALLS; k++)
		if (bpf_map_update_elem(fd, &k, t->percpu, BPF_ANY))
			return -errno;
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

static int cmp_sc(const void *a, const void *b)
{
	const struct esc_sc_stat *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static int collect_stats(struct esc_tracer *t, struct esc_trace_result *r)
{
	int fd = bpf_map__fd(t->skel->maps.stats);

	r->sc = calloc(ESC_NR_SYSCALLS, sizeof(*r->sc));
	if (!r->sc)
		return -ENOMEM;
	for (uint32_t k = 0; k < ESC_NR_SYSCALLS; k++) {
		struct esc_sc_stat s = { .nr = k };

		if (bpf_map_lookup_elem(fd, &k, t->percpu))
			return -errno;
		for (int c = 0; c < t->ncpus; c++) {
			s.count += t->percpu[c].count;
			s.errors += t->percpu[c].errors;
			s.time_ns += t->percpu[c].time_ns;
		}
		if (s.count || s.time_ns)
			r->sc[r->nsc++] = s;
	}
	qsort(r->sc, r->nsc, sizeof(*r->sc), cmp_sc);
	return 0;
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

/* Wait until @deadline, the target's exit (true) or a stop request. */
static bool wait_exit(int pidfd, uint64_t deadline)
{
	for (;;) {
		uint64_t now = tk_now_mono_ns();
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int ms, n;

		if (now >= deadline || tk_stop_requested())
			return false;
		ms = (int)((deadline - now + 999999) / 1000000);
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
	seed_threads(t, pid, start);
	__atomic_store_n(&bss->target_tgid, (uint32_t)pid, __ATOMIC_SEQ_CST);
	r->start_real_ns = tk_now_real_ns();
	if (ready_fd >= 0 && write(ready_fd, "g", 1) != 1)
		tk_info(1, "trace handshake: %s", strerror(errno));
	tk_info(1, "tracing pid %d for %.3fs", (int)pid, (double)dur_ns / 1e9);

	exited = wait_exit(pidfd, start + dur_ns);
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
}
