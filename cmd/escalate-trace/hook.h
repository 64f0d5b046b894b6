/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * hook.h — which kernel hook carries escalate_trace.bpf.c's per-syscall
 * programs, chosen at run time (tracer.c calls down here).
 *
 * Cheapest first: fentry/fexit on every __x64_sys_* function (no syscall
 * tracepoint: other tasks stay off the syscall slow path), then tp_btf on
 * raw_syscalls sys_enter/sys_exit, then raw_tp on the same tracepoints.
 * With ESC_HOOK_AUTO each is tried in that order, at load and again at
 * attach; a named hook is the only one tried.
 */
#ifndef ESCALATE_HOOK_H
#define ESCALATE_HOOK_H

#include <stddef.h>

#include "escalate.h"

struct escalate_trace_bpf;
struct esc_hooks;

/*
 * Open and load the skeleton with the programs of @want (AUTO: every hook
 * that loads), plus the fentry copies.  0 or -errno; @why (may be NULL)
 * says which hook was refused and why when nothing loads.
 */
int esc_hooks_load(struct esc_hooks **hp, struct escalate_trace_bpf **skel, enum esc_hook want,
		   char *why, size_t whysz);
/*
 * Attach the cheapest loaded hook that attaches, and the fork/exit hooks.
 * Sets *@used.  0 or -errno (@why says which hook failed on what).
 */
int esc_hooks_attach(struct esc_hooks *h, enum esc_hook *used, char *why, size_t whysz);
void esc_hooks_detach(struct esc_hooks *h);
/* Entry-program runs the kernel skipped (recursion), all CPUs, since load. */
unsigned long long esc_hooks_misses(const struct esc_hooks *h);
/* Detach, unload, destroy the skeleton. */
void esc_hooks_free(struct esc_hooks *h);

#endif
