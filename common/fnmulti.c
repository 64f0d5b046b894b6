// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fnmulti.c — one tracing-multi link over many kernel functions (fnmulti.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "fnmulti.h"

/* From the Linux 7.2 UAPI (include/uapi/linux/bpf.h), absent from older headers. */
#define TK_BPF_TRACE_FENTRY_MULTI 59
#define TK_BPF_TRACE_FEXIT_MULTI 60

/* BPF_LINK_CREATE's attr with link_create.tracing_multi (7.2 layout). */
struct tk_link_create_multi {
	__u32 prog_fd, target_fd, attach_type, flags;
	__aligned_u64 ids, cookies;
	__u32 cnt;
	__u32 pad[7];    /* up to the 64 bytes of link_create */
};

/* A picked function: its BTF id joins m->ids. */
static int add_id(__u32 id, const char *name, void *ctx)
{
	struct tk_fnmulti *m = ctx;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 512;
		__u32 *p = realloc(m->ids, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		m->ids = p;
		m->cap = cap;
	}
	m->ids[m->n++] = id;
	return 0;
}

int tk_fnmulti_load(struct tk_fnmulti *m, const struct bpf_program *tmpl, bool fexit,
		    tk_fnclone_pick pick, void *ctx)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	int err;

	memset(m, 0, sizeof(*m));
	m->prog_fd = m->link_fd = -1;
	m->attach_type = fexit ? TK_BPF_TRACE_FEXIT_MULTI : TK_BPF_TRACE_FENTRY_MULTI;
	o.expected_attach_type = (enum bpf_attach_type)m->attach_type;
	err = tk_btf_for_each_func(pick, ctx, add_id, m);
	if (!err) {
		m->prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, bpf_program__name(tmpl), "Dual BSD/GPL",
					   bpf_program__insns(tmpl), bpf_program__insn_cnt(tmpl), &o);
		if (m->prog_fd < 0)
			err = -errno;
	}
	if (err)
		tk_fnmulti_free(m);
	return err;
}

int tk_fnmulti_attach(struct tk_fnmulti *m)
{
	struct tk_link_create_multi a;
	long fd;

	if (!m->ids)
		return -ENOENT;
	if (m->link_fd >= 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)m->prog_fd;
	a.attach_type = m->attach_type;
	a.ids = (__u64)(unsigned long)m->ids;
	a.cnt = (__u32)m->n;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0)
		return -errno;
	m->link_fd = (int)fd;
	return 0;
}

void tk_fnmulti_detach(struct tk_fnmulti *m)
{
	if (m->ids && m->link_fd >= 0)
		close(m->link_fd);
	m->link_fd = -1;
}

unsigned long long tk_fnmulti_misses(const struct tk_fnmulti *m)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (!m->ids || m->prog_fd < 0 || bpf_obj_get_info_by_fd(m->prog_fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

void tk_fnmulti_free(struct tk_fnmulti *m)
{
	if (!m || !m->ids)   /* never loaded (or zeroed) */
		return;
	tk_fnmulti_detach(m);
	if (m->prog_fd >= 0)
		close(m->prog_fd);
	free(m->ids);
	memset(m, 0, sizeof(*m));
	m->prog_fd = m->link_fd = -1;
}
