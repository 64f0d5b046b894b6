/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * btfwalk.h — the kernel functions vmlinux BTF describes, walked once with
 * a callback that picks which of them a caller wants (fnclone.h loads a
 * program copy per picked function, fnmulti.h collects their BTF ids).
 */
#ifndef TELKIT_BTFWALK_H
#define TELKIT_BTFWALK_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/btf.h>

/* Is function @name of @btf (vmlinux) wanted? */
typedef bool (*tk_btf_func_pick)(const struct btf *btf, const char *name, void *ctx);
/* A picked function: its BTF id and name (valid during the call).  0 goes on. */
typedef int (*tk_btf_func_fn)(__u32 id, const char *name, void *ctx);

/*
 * Load the vmlinux BTF and, in BTF id order, call @fn(id, name, @fn_ctx)
 * for each BTF_KIND_FUNC that @pick(btf, name, @pick_ctx) takes.  Returns
 * 0; the first nonzero value @fn returns (the walk stops there); -ENOENT
 * when @pick took no function; or the BTF load's negative errno.
 */
int tk_btf_for_each_func(tk_btf_func_pick pick, void *pick_ctx, tk_btf_func_fn fn,
			 void *fn_ctx);

#endif
