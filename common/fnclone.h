/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fnclone.h — one fentry/fexit program per kernel function, without one
 * program per function in the object file.
 *
 * A tracing program is verified against one target function
 * (attach_btf_id), and only freplace programs may be re-targeted at attach,
 * so tracing many functions takes one program each.  tk_fnclone_load()
 * takes a program libbpf has already loaded (its instructions are then
 * final: CO-RE relocated, map fds embedded) and loads a copy of it for each
 * vmlinux BTF function a callback picks.  The copies are only sound when
 * the template reads no argument whose type differs between targets (read
 * none, and the return value with bpf_get_func_ret(): then any prototype
 * will do).
 *
 * All functions return 0 or a negative errno.
 */
#ifndef TELKIT_FNCLONE_H
#define TELKIT_FNCLONE_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfwalk.h"

struct tk_fnclone {
	size_t n;
	int *prog_fd;    /* n program fds */
	int *link_fd;    /* n link fds, -1 while detached */
	char **name;     /* n target function names */
};

/* Trace function @name of @btf (vmlinux)?  (btfwalk.h) */
typedef tk_btf_func_pick tk_fnclone_pick;
/*
 * Load copies of @tmpl (loaded, BPF_PROG_TYPE_TRACING) for every vmlinux
 * function @pick says yes to.  On error nothing stays loaded; @errfn (may
 * be NULL) names the function that was refused.
 */
int tk_fnclone_load(struct tk_fnclone *c, const struct bpf_program *tmpl, tk_fnclone_pick pick,
		    void *ctx, char *errfn, size_t errsz);
/*
 * A tk_fnclone_pick for the function of each x86_64 syscall: __x64_sys_X,
 * or, where BTF has no such name, __do_sys_X (argument-less syscalls:
 * __x64_sys_X is an alias of it).  @fexit non-NULL: leave out exit and
 * exit_group (fexit is refused on functions that never return).
 */
bool tk_fnclone_x64_syscall(const struct btf *btf, const char *name, void *fexit);

/* Attach every copy (raw tracepoint open); all or none. */
int tk_fnclone_attach(struct tk_fnclone *c, char *errfn, size_t errsz);
void tk_fnclone_detach(struct tk_fnclone *c);
/* Sum of the copies' recursion_misses (runs the kernel skipped). */
unsigned long long tk_fnclone_misses(const struct tk_fnclone *c);
void tk_fnclone_free(struct tk_fnclone *c);

#endif
