// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * escalate_empty [HOOK [clock]] — attach bpf/test_escalate_trace_empty.bpf.c's
 * EMPTY programs on HOOK (tp_btf, the default; raw_tp; fentry: one
 * fentry+fexit pair per syscall function; fentry_multi: one fentry and one
 * fexit multi-link over them all), print "attached <µs>" (the
 * attach time), and keep them attached until stdin reaches EOF or
 * SIGINT/SIGTERM; then print "detached <µs>" (the detach time).  With
 * "clock" each program reads the clock once (bpf_ktime_get_ns()): the floor
 * of a tracer that times calls.
 * bench/escalate's floors.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpfutil.h"
#include "clock.h"
#include "fnclone.h"
#include "fnmulti.h"
#include "test_escalate_trace_empty.skel.h"

struct empty {
	struct test_escalate_trace_empty_bpf *skel;
	struct bpf_program *p[2];
	struct bpf_link *l[2];
	struct tk_fnclone c[2];
	struct tk_fnmulti m[2];
	int fentry, multi;
};

static int load(struct empty *e, const char *hook, int clock)
{
	char fn[64] = "";
	int err;

	e->skel = test_escalate_trace_empty_bpf__open();
	if (!e->skel)
		return -errno;
	e->skel->rodata->read_clock = clock;
	e->multi = !strcmp(hook, "fentry_multi");
	e->fentry = e->multi || !strcmp(hook, "fentry");
	if (!strcmp(hook, "tp_btf"))
		e->p[0] = e->skel->progs.esc_empty_enter, e->p[1] = e->skel->progs.esc_empty_exit;
	else if (!strcmp(hook, "raw_tp"))
		e->p[0] = e->skel->progs.esc_empty_raw_enter, e->p[1] = e->skel->progs.esc_empty_raw_exit;
	else if (e->fentry)
		e->p[0] = e->skel->progs.esc_empty_fentry, e->p[1] = e->skel->progs.esc_empty_fexit;
	else
		return -EINVAL;
	bpf_program__set_autoload(e->p[0], true);
	bpf_program__set_autoload(e->p[1], true);
	err = test_escalate_trace_empty_bpf__load(e->skel);
	if (err || !e->fentry)
		return err;
	if (e->multi) {
		err = tk_fnmulti_load(&e->m[0], e->p[0], false, tk_fnclone_x64_syscall, NULL);
		if (!err)
			err = tk_fnmulti_load(&e->m[1], e->p[1], true, tk_fnclone_x64_syscall, e);
		return err;
	}
	err = tk_fnclone_load(&e->c[0], e->p[0], tk_fnclone_x64_syscall, NULL, fn, sizeof(fn));
	if (!err)
		err = tk_fnclone_load(&e->c[1], e->p[1], tk_fnclone_x64_syscall, e, fn, sizeof(fn));
	if (err)
		fprintf(stderr, "escalate_empty: copy for %s: %s\n", fn, strerror(-err));
	return err;
}

static int attach(struct empty *e)
{
	char fn[64] = "";
	int err = 0;

	if (e->multi) {
		for (int i = 0; i < 2 && !err; i++)
			err = tk_fnmulti_attach(&e->m[i]);
		return err;
	}
	if (e->fentry) {
		for (int i = 0; i < 2 && !err; i++)
			err = tk_fnclone_attach(&e->c[i], fn, sizeof(fn));
		if (err)
			fprintf(stderr, "escalate_empty: attach to %s: %s\n", fn, strerror(-err));
		return err;
	}
	for (int i = 0; i < 2; i++) {
		e->l[i] = bpf_program__attach(e->p[i]);
		if (!e->l[i])
			return -errno;
	}
	return 0;
}

static void detach(struct empty *e)
{
	for (int i = 0; i < 2; i++) {
		tk_fnmulti_detach(&e->m[i]);
		tk_fnclone_detach(&e->c[i]);
		bpf_link__destroy(e->l[i]);
		e->l[i] = NULL;
	}
}

int main(int argc, char **argv)
{
	const char *hook = argc > 1 ? argv[1] : "tp_btf";
	int clock = argc > 2 && !strcmp(argv[2], "clock");
	struct empty e = { 0 };
	uint64_t t0;
	char c;
	int err;

	tk_stop_install();
	tk_libbpf_quiet(0);
	tk_bump_memlock();
	err = load(&e, hook, clock);
	if (err) {
		fprintf(stderr, "escalate_empty: load %s: %s\n", hook, strerror(-err));
		goto out;
	}
	t0 = tk_now_mono_ns();
	err = attach(&e);
	if (err) {
		fprintf(stderr, "escalate_empty: attach %s: %s\n", hook, strerror(-err));
		goto out;
	}
	printf("attached %llu\n", (unsigned long long)(tk_now_mono_ns() - t0) / 1000);
	fflush(stdout);
	while (!tk_stop_requested()) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

		if (poll(&p, 1, 100) > 0 && read(STDIN_FILENO, &c, 1) <= 0)
			break;
	}
	t0 = tk_now_mono_ns();
	detach(&e);
	printf("detached %llu\n", (unsigned long long)(tk_now_mono_ns() - t0) / 1000);
out:
	detach(&e);
	tk_fnmulti_free(&e.m[0]);
	tk_fnmulti_free(&e.m[1]);
	tk_fnclone_free(&e.c[0]);
	tk_fnclone_free(&e.c[1]);
	test_escalate_trace_empty_bpf__destroy(e.skel);
	return err ? 1 : 0;
}
