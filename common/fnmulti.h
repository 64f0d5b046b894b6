/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fnmulti.h — one fentry or fexit program on many kernel functions through
 * one tracing-multi link (BPF_TRACE_FENTRY_MULTI / FEXIT_MULTI, Linux 7.2).
 *
 * libbpf 1.1 (Debian bookworm) predates these attach types: the program is
 * loaded from a loaded template's instructions (as in fnclone.h) with the
 * multi attach type, and the link made with the raw bpf(2) call, using the
 * values of the 7.2 UAPI header.  An older kernel refuses the load (EINVAL):
 * callers fall back to fnclone.h.  All functions return 0 or a negative errno.
 */
#ifndef TELKIT_FNMULTI_H
#define TELKIT_FNMULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>

#include "fnclone.h"

struct tk_fnmulti {
	int prog_fd;     /* -1: not loaded */
	int link_fd;     /* -1: detached */
	__u32 attach_type;
	__u32 *ids;      /* BTF ids of the target functions */
	size_t n, cap;   /* ids held, room for */
};

/* A zeroed struct is "not loaded": free and detach do nothing. */
/* Load @tmpl as a multi program (@fexit: FEXIT_MULTI) for the functions @pick takes. */
int tk_fnmulti_load(struct tk_fnmulti *m, const struct bpf_program *tmpl, bool fexit,
		    tk_fnclone_pick pick, void *ctx);
int tk_fnmulti_attach(struct tk_fnmulti *m);
void tk_fnmulti_detach(struct tk_fnmulti *m);
unsigned long long tk_fnmulti_misses(const struct tk_fnmulti *m);
void tk_fnmulti_free(struct tk_fnmulti *m);

#endif
