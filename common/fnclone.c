// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fnclone.c — copies of a loaded tracing program, one per kernel function
 * (see fnclone.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "fnclone.h"

/* Each copy takes a program fd and a link fd: lift the soft limit. */
static void bump_nofile(size_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need + 256)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int grow(struct tk_fnclone *c, size_t cap)
{
	int *p = realloc(c->prog_fd, cap * sizeof(*p));
	int *l;
	char **n;

	if (!p)
		return -ENOMEM;
	c->prog_fd = p;
	l = realloc(c->link_fd, cap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	c->link_fd = l;
	n = realloc(c->name, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->name = n;
	return 0;
}

static int load_one(struct tk_fnclone *c, const struct bpf_program *tmpl, __u32 btf_id,
		    const char *fn)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = bpf_program__expected_attach_type(tmpl),
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, bpf_program__name(tmpl), "Dual BSD/GPL",
			       bpf_program__insns(tmpl), bpf_program__insn_cnt(tmpl), &o);

	if (fd < 0)
		return -errno;
	c->name[c->n] = strdup(fn);
	if (!c->name[c->n]) {
		close(fd);
		return -ENOMEM;
	}
	c->prog_fd[c->n] = fd;
	c->link_fd[c->n] = -1;
	c->n++;
	return 0;
}

#define X64 "__x64_sys_"
#define DO "__do_sys_"

bool tk_fnclone_x64_syscall(const struct btf *btf, const char *fn, void *fexit)
{
	char x64[128];

	if (!strncmp(fn, X64, strlen(X64)))
		return !fexit || (strcmp(fn, X64 "exit") && strcmp(fn, X64 "exit_group"));
	if (strncmp(fn, DO, strlen(DO)) ||
	    snprintf(x64, sizeof(x64), X64 "%s", fn + strlen(DO)) >= (int)sizeof(x64))
		return false;
	return btf__find_by_name_kind(btf, x64, BTF_KIND_FUNC) < 0;
}

/* One tk_fnclone_load(): what each picked function's copy needs. */
struct load_walk {
	struct tk_fnclone *c;
	const struct bpf_program *tmpl;
	size_t cap;
	char *errfn;
	size_t errsz;
};

static int load_picked(__u32 id, const char *fn, void *ctx)
{
	struct load_walk *w = ctx;
	int err;

	if (w->c->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		bump_nofile(2 * w->cap);
		err = grow(w->c, w->cap);
		if (err)
			return err;
	}
	err = load_one(w->c, w->tmpl, id, fn);
	if (err && w->errfn)
		snprintf(w->errfn, w->errsz, "%s", fn);
	return err;
}

int tk_fnclone_load(struct tk_fnclone *c, const struct bpf_program *tmpl, tk_fnclone_pick pick,
		    void *ctx, char *errfn, size_t errsz)
{
	struct load_walk w = { c, tmpl, 0, errfn, errsz };
	int err;

	memset(c, 0, sizeof(*c));
	if (bpf_program__fd(tmpl) < 0)
		return -EINVAL;
	err = tk_btf_for_each_func(pick, ctx, load_picked, &w);
	if (err)
		tk_fnclone_free(c);
	return err;
}

int tk_fnclone_attach(struct tk_fnclone *c, char *errfn, size_t errsz)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->link_fd[i] >= 0)
			continue;
		c->link_fd[i] = bpf_raw_tracepoint_open(NULL, c->prog_fd[i]);
		if (c->link_fd[i] < 0) {
			int err = -errno;

			c->link_fd[i] = -1;
			if (errfn)
				snprintf(errfn, errsz, "%s", c->name[i]);
			tk_fnclone_detach(c);
			return err;
		}
	}
	return 0;
}

void tk_fnclone_detach(struct tk_fnclone *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->link_fd[i] >= 0)
			close(c->link_fd[i]);
		c->link_fd[i] = -1;
	}
}

unsigned long long tk_fnclone_misses(const struct tk_fnclone *c)
{
	unsigned long long sum = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(c->prog_fd[i], &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

void tk_fnclone_free(struct tk_fnclone *c)
{
	if (!c)
		return;
	tk_fnclone_detach(c);
	for (size_t i = 0; i < c->n; i++) {
		close(c->prog_fd[i]);
		free(c->name[i]);
	}
	free(c->prog_fd);
	free(c->link_fd);
	free(c->name);
	memset(c, 0, sizeof(*c));
}
