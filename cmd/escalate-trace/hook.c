// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * hook.c — load and attach escalate_trace.bpf.c on the cheapest syscall
 * hook the kernel accepts (see hook.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "escalate_trace.skel.h"
#include "fnclone.h"
#include "fnmulti.h"
#include "hook.h"

struct esc_hooks {
	struct escalate_trace_bpf *skel;
	enum esc_hook lo, hi;          /* the hooks loaded, cheapest first */
	enum esc_hook used;            /* attached now (AUTO: none) */
	struct tk_fnmulti me, mx;      /* fentry / fexit multi-links */
	struct tk_fnclone fe, fx;      /* fentry / fexit copies */
	struct bpf_link *sys[2];       /* tp_btf or raw_tp enter/exit */
	struct bpf_link *sched[2];     /* fork, exit */
};

static const char *const hook_names[ESC_HOOK_NR] = {
	[ESC_HOOK_AUTO] = "auto", [ESC_HOOK_FENTRY_MULTI] = "fentry_multi",
	[ESC_HOOK_FENTRY] = "fentry",
	[ESC_HOOK_TP_BTF] = "tp_btf", [ESC_HOOK_RAW_TP] = "raw_tp",
};

const char *esc_hook_name(enum esc_hook h)
{
	return h < ESC_HOOK_NR ? hook_names[h] : "?";
}

int esc_hook_parse(const char *s, enum esc_hook *h)
{
	for (int i = 0; i < ESC_HOOK_NR; i++)
		if (!strcmp(s, hook_names[i])) {
			*h = (enum esc_hook)i;
			return 0;
		}
	return -EINVAL;
}

/* The entry [0] and exit [1] programs of a hook. */
static void hook_progs(struct escalate_trace_bpf *s, enum esc_hook k, struct bpf_program *p[2])
{
	switch (k) {
	case ESC_HOOK_FENTRY_MULTI:
	case ESC_HOOK_FENTRY:
		p[0] = s->progs.esc_fentry, p[1] = s->progs.esc_fexit;
		break;
	case ESC_HOOK_TP_BTF:
		p[0] = s->progs.esc_sys_enter, p[1] = s->progs.esc_sys_exit;
		break;
	default:
		p[0] = s->progs.esc_raw_enter, p[1] = s->progs.esc_raw_exit;
		break;
	}
}

static int load_range(struct esc_hooks *h, enum esc_hook lo, enum esc_hook hi)
{
	struct escalate_trace_bpf *s = escalate_trace_bpf__open();
	int err;

	if (!s)
		return -errno ? -errno : -ENOMEM;
	for (enum esc_hook k = lo; k <= hi; k++) {
		struct bpf_program *p[2];

		hook_progs(s, k, p);
		bpf_program__set_autoload(p[0], true);
		bpf_program__set_autoload(p[1], true);
	}
	err = escalate_trace_bpf__load(s);
	if (err) {
		escalate_trace_bpf__destroy(s);
		return err < 0 ? err : -EINVAL;
	}
	h->skel = s;
	h->lo = lo;
	h->hi = hi;
	return 0;
}

/* One copy of the fentry/fexit templates per __x64_sys_* function. */
static int load_copies(struct esc_hooks *h, char *why, size_t whysz)
{
	char fn[64] = "";
	int err;

	err = tk_fnclone_load(&h->fe, h->skel->progs.esc_fentry, tk_fnclone_x64_syscall, NULL, fn,
			      sizeof(fn));
	if (!err)
		err = tk_fnclone_load(&h->fx, h->skel->progs.esc_fexit, tk_fnclone_x64_syscall, h, fn,
				      sizeof(fn));
	if (err) {
		tk_fnclone_free(&h->fe);
		if (why)
			snprintf(why, whysz, "fentry: loading on %s: %s", fn[0] ? fn : "the syscall functions",
				 strerror(-err));
	}
	return err;
}

/* One fentry and one fexit multi-link over the syscall functions. */
static int load_multi(struct esc_hooks *h, char *why, size_t whysz)
{
	int err;

	err = tk_fnmulti_load(&h->me, h->skel->progs.esc_fentry, false, tk_fnclone_x64_syscall, NULL);
	if (!err)
		err = tk_fnmulti_load(&h->mx, h->skel->progs.esc_fexit, true, tk_fnclone_x64_syscall, h);
	if (err) {
		tk_fnmulti_free(&h->me);
		if (why)
			snprintf(why, whysz, "fentry_multi: load: %s", strerror(-err));
	}
	return err;
}

int esc_hooks_load(struct esc_hooks **hp, struct escalate_trace_bpf **skel, enum esc_hook want,
		   char *why, size_t whysz)
{
	enum esc_hook lo = want == ESC_HOOK_AUTO ? ESC_HOOK_FENTRY_MULTI : want;
	enum esc_hook hi = want == ESC_HOOK_AUTO ? ESC_HOOK_RAW_TP : want;
	struct esc_hooks *h = calloc(1, sizeof(*h));
	int err = -EINVAL;

	if (!h)
		return -ENOMEM;
	for (; lo <= hi; lo++) {
		err = load_range(h, lo, hi);
		if (!err)
			break;
		if (why)
			snprintf(why, whysz, "%s: load: %s", esc_hook_name(lo), strerror(-err));
	}
	if (!err && h->lo == ESC_HOOK_FENTRY_MULTI && load_multi(h, why, whysz)) {
		if (h->hi == ESC_HOOK_FENTRY_MULTI)
			err = -EOPNOTSUPP;
		h->lo = ESC_HOOK_FENTRY;
	}
	if (!err && h->lo == ESC_HOOK_FENTRY && load_copies(h, why, whysz)) {
		if (h->hi == ESC_HOOK_FENTRY)
			err = -EPERM;
		h->lo = ESC_HOOK_TP_BTF;
	}
	if (err) {
		esc_hooks_free(h);
		return err;
	}
	*hp = h;
	*skel = h->skel;
	return 0;
}

static int attach_link(struct bpf_program *p, struct bpf_link **l)
{
	*l = bpf_program__attach(p);
	if (!*l) {
		int err = -errno;

		return err ? err : -EINVAL;
	}
	return 0;
}

static int attach_hook(struct esc_hooks *h, enum esc_hook k, char *fn, size_t fnsz)
{
	struct bpf_program *p[2];
	int err;

	if (k == ESC_HOOK_FENTRY_MULTI) {
		err = tk_fnmulti_attach(&h->me);
		if (!err)
			err = tk_fnmulti_attach(&h->mx);
		if (err)
			tk_fnmulti_detach(&h->me);
		return err;
	}
	if (k == ESC_HOOK_FENTRY) {
		if (!h->fe.n)   /* not loaded: the multi-links were */
			return -ENOENT;
		err = tk_fnclone_attach(&h->fe, fn, fnsz);
		if (!err)
			err = tk_fnclone_attach(&h->fx, fn, fnsz);
		if (err)
			tk_fnclone_detach(&h->fe);
		return err;
	}
	hook_progs(h->skel, k, p);
	err = attach_link(p[0], &h->sys[0]);
	if (!err)
		err = attach_link(p[1], &h->sys[1]);
	if (err)
		esc_hooks_detach(h);
	return err;
}

int esc_hooks_attach(struct esc_hooks *h, enum esc_hook *used, char *why, size_t whysz)
{
	int err = -EINVAL;

	for (enum esc_hook k = h->lo; k <= h->hi; k++) {
		char fn[64] = "";

		err = attach_hook(h, k, fn, sizeof(fn));
		if (!err) {
			h->used = k;
			break;
		}
		if (why)
			snprintf(why, whysz, "%s: attach%s%s: %s", esc_hook_name(k), fn[0] ? " to " : "",
				 fn, strerror(-err));
	}
	if (!err)
		err = attach_link(h->skel->progs.esc_fork, &h->sched[0]);
	if (!err)
		err = attach_link(h->skel->progs.esc_task_exit, &h->sched[1]);
	if (err) {
		if (why && h->used)
			snprintf(why, whysz, "sched_process_fork/exit: attach: %s", strerror(-err));
		esc_hooks_detach(h);
		return err;
	}
	*used = h->used;
	return 0;
}

void esc_hooks_detach(struct esc_hooks *h)
{
	tk_fnmulti_detach(&h->me);
	tk_fnmulti_detach(&h->mx);
	tk_fnclone_detach(&h->fe);
	tk_fnclone_detach(&h->fx);
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(h->sys[i]);
		bpf_link__destroy(h->sched[i]);
		h->sys[i] = h->sched[i] = NULL;
	}
	h->used = ESC_HOOK_AUTO;
}

unsigned long long esc_hooks_misses(const struct esc_hooks *h)
{
	struct bpf_program *p[2];
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	if (h->used == ESC_HOOK_FENTRY_MULTI)
		return tk_fnmulti_misses(&h->me);
	if (h->used == ESC_HOOK_FENTRY)
		return tk_fnclone_misses(&h->fe);
	if (h->used == ESC_HOOK_AUTO)
		return 0;
	hook_progs(h->skel, h->used, p);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p[0]), &info, &len))
		return 0;
	return info.recursion_misses;
}

void esc_hooks_free(struct esc_hooks *h)
{
	if (!h)
		return;
	esc_hooks_detach(h);
	tk_fnmulti_free(&h->me);
	tk_fnmulti_free(&h->mx);
	tk_fnclone_free(&h->fe);
	tk_fnclone_free(&h->fx);
	escalate_trace_bpf__destroy(h->skel);
	free(h);
}
