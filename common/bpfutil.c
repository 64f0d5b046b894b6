// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"

int tk_bump_memlock(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	return setrlimit(RLIMIT_MEMLOCK, &r) ? -errno : 0;
}

static int libbpf_verbosity;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBBPF_DEBUG && libbpf_verbosity < 2) ||
	    (level != LIBBPF_DEBUG && libbpf_verbosity < 1))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void tk_libbpf_quiet(int verbose)
{
	libbpf_verbosity = verbose;
	libbpf_set_print(print_fn);
}

/* GET_NEXT_ID -> cb until the ids run out (ENOENT) or cb returns non-zero. */
static int id_walk(int (*next_id)(__u32, __u32 *), tk_id_cb cb, void *ctx)
{
	__u32 id = 0;

	for (;;) {
		int err;

		if (next_id(id, &id))
			return errno == ENOENT ? 0 : -errno;
		err = cb(id, ctx);
		if (err)
			return err;
	}
}

int tk_prog_id_foreach(tk_id_cb cb, void *ctx)
{
	return id_walk(bpf_prog_get_next_id, cb, ctx);
}

int tk_map_id_foreach(tk_id_cb cb, void *ctx)
{
	return id_walk(bpf_map_get_next_id, cb, ctx);
}

/* One walk with its info buffer: each id -> GET_FD_BY_ID -> OBJ_GET_INFO_BY_FD -> cb. */
struct info_walk {
	int (*fd_by_id)(__u32);
	void *info;
	__u32 info_size;
	tk_prog_cb prog_cb;   /* one of the two */
	tk_map_cb map_cb;
	void *ctx;
};

/* An object that vanished between two steps (ENOENT) is skipped. */
static int info_step(uint32_t id, void *ctx)
{
	struct info_walk *w = ctx;
	__u32 len = w->info_size;
	int fd, err;

	fd = w->fd_by_id(id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(w->info, 0, w->info_size);
	if (bpf_obj_get_info_by_fd(fd, w->info, &len)) {
		err = -errno;
		close(fd);
		return err == -ENOENT ? 0 : err;
	}
	err = w->prog_cb ? w->prog_cb(fd, w->info, w->ctx) : w->map_cb(fd, w->info, w->ctx);
	close(fd);
	return err;
}

int tk_prog_foreach(tk_prog_cb cb, void *ctx)
{
	struct bpf_prog_info info;
	struct info_walk w = { bpf_prog_get_fd_by_id, &info, sizeof(info), cb, NULL, ctx };

	return id_walk(bpf_prog_get_next_id, info_step, &w);
}

int tk_map_foreach(tk_map_cb cb, void *ctx)
{
	struct bpf_map_info info;
	struct info_walk w = { bpf_map_get_fd_by_id, &info, sizeof(info), NULL, cb, ctx };

	return id_walk(bpf_map_get_next_id, info_step, &w);
}

const char *tk_prog_type_name(unsigned type, char *buf, size_t size)
{
	const char *s = libbpf_bpf_prog_type_str((enum bpf_prog_type)type);

	if (s)
		return s;
	snprintf(buf, size, "unknown:%u", type);
	return buf;
}

const char *tk_map_type_name(unsigned type, char *buf, size_t size)
{
	const char *s = libbpf_bpf_map_type_str((enum bpf_map_type)type);

	if (s)
		return s;
	snprintf(buf, size, "unknown:%u", type);
	return buf;
}

struct btf *tk_btf_load_by_id(uint32_t id)
{
	struct btf *btf = btf__load_from_kernel_by_id(id);

	return libbpf_get_error(btf) ? NULL : btf;
}

void tk_prog_full_name(int fd, const struct bpf_prog_info *info, char *out, size_t size)
{
	struct bpf_func_info finfo;
	struct bpf_prog_info pinfo;
	__u32 len = sizeof(pinfo);
	const struct btf_type *t;
	struct btf *btf;

	snprintf(out, size, "%s", info->name);
	if (strlen(info->name) < BPF_OBJ_NAME_LEN - 1 || !info->btf_id || !info->nr_func_info)
		return;
	/* Fetch just the first func_info record, as bpftool does. */
	memset(&pinfo, 0, sizeof(pinfo));
	memset(&finfo, 0, sizeof(finfo));
	pinfo.nr_func_info = 1;
	pinfo.func_info_rec_size = sizeof(finfo);
	pinfo.func_info = (__u64)(unsigned long)&finfo;
	if (bpf_obj_get_info_by_fd(fd, &pinfo, &len))
		return;
	btf = tk_btf_load_by_id(info->btf_id);
	if (!btf)
		return;
	t = btf__type_by_id(btf, finfo.type_id);
	if (t && btf_is_func(t)) {
		const char *name = btf__name_by_offset(btf, t->name_off);

		if (name && *name)
			snprintf(out, size, "%s", name);
	}
	btf__free(btf);
}

void tk_prog_tag_hex(const uint8_t tag[8], char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[tag[i] >> 4];
		out[2 * i + 1] = hex[tag[i] & 15];
	}
	out[16] = '\0';
}
