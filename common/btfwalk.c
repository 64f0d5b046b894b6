// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* btfwalk.c — the vmlinux BTF functions a callback picks (btfwalk.h). */
#include <errno.h>
#include <bpf/btf.h>

#include "btfwalk.h"

int tk_btf_for_each_func(tk_btf_func_pick pick, void *pick_ctx, tk_btf_func_fn fn,
			 void *fn_ctx)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool any = false;
	int err = 0;

	if (!btf)
		return errno ? -errno : -ENOENT;
	for (__u32 id = 1, nt = btf__type_cnt(btf); id < nt && !err; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;

		if (!btf_is_func(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || !pick(btf, name, pick_ctx))
			continue;
		any = true;
		err = fn(id, name, fn_ctx);
	}
	btf__free(btf);
	return err ? err : any ? 0 : -ENOENT;
}
