// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: attach points from the kernel's link objects, one walk of
 * every link (GET_NEXT_ID, GET_FD_BY_ID, GET_INFO) per pass when asked for.
 *
 * The system's UAPI headers may be older than the kernel, so the link info
 * is read into link_info below: a copy of this kernel's (6.18) struct
 * bpf_link_info layout.  The kernel fills at most info_len bytes and says
 * how many it knows; members it does not know stay zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "bpfutil.h"
#include "buf.h"
#include "progstats.h"

/* enum bpf_link_type and enum bpf_perf_event_type, as of 6.18 */
enum {
	LT_RAW_TP = 1, LT_TRACING, LT_CGROUP, LT_ITER, LT_NETNS, LT_XDP, LT_PERF_EVENT,
	LT_KPROBE_MULTI, LT_STRUCT_OPS, LT_NETFILTER, LT_TCX, LT_UPROBE_MULTI, LT_NETKIT,
	LT_SOCKMAP,
};
static const char *const link_types[] = {
	"unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "perf_event",
	"kprobe_multi", "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap",
};
enum { PE_UPROBE = 1, PE_URETPROBE, PE_KPROBE, PE_KRETPROBE, PE_TRACEPOINT, PE_EVENT };

struct link_info {
	__u32 type, id, prog_id;
	union {
		struct { __u64 tp_name; __u32 tp_name_len; __u64 cookie; } raw_tp;
		struct { __u32 attach_type, target_obj_id, target_btf_id; __u64 cookie; } tracing;
		struct { __u64 cgroup_id; __u32 attach_type; } cgroup;
		struct { __u64 target_name; __u32 target_name_len; } iter;
		struct { __u32 netns_ino, attach_type; } netns;
		struct { __u32 ifindex; } xdp;
		struct { __u32 map_id; } struct_ops;
		struct { __u32 pf, hooknum; __s32 priority; __u32 flags; } netfilter;
		struct { __u64 addrs; __u32 count, flags; __u64 missed, cookies; } kprobe_multi;
		struct {
			__u64 path, offsets, ref_ctr_offsets, cookies;
			__u32 path_size, count, flags, pid;
		} uprobe_multi;
		struct {
			__u32 type;
			union {
				struct { __u64 file_name; __u32 name_len, offset; __u64 cookie, ref; } uprobe;
				struct {
					__u64 func_name; __u32 name_len, offset;
					__u64 addr, missed, cookie;
				} kprobe;
				struct { __u64 tp_name; __u32 name_len; __u64 cookie; } tracepoint;
			};
		} perf_event;
		struct { __u32 ifindex, attach_type; } tcx;   /* netkit too */
		struct { __u32 map_id, attach_type; } sockmap;
		__u8 pad[128];
	};
};

static void attach_name(__u32 type, char *buf, size_t size)
{
	const char *s = libbpf_bpf_attach_type_str((enum bpf_attach_type)type);

	if (s)
		snprintf(buf, size, "%s", s);
	else
		snprintf(buf, size, "attach_type:%u", type);
}

static void ifname(__u32 ifindex, char *buf, size_t size)
{
	char n[IF_NAMESIZE];

	if (if_indextoname(ifindex, n))
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "ifindex:%u", ifindex);
}

/* The cgroup2 mount, for cgroup ids -> paths (open_by_handle_at); kept in @l. */
static int cgroup_root(struct ps_links *l)
{
	char line[1024], dev[256], dir[512], type[64];
	int fd = -1;
	FILE *f;

	if (l->cgroup_fd)
		return l->cgroup_fd - 1;  /* the fd + 1; 0 before the first look */
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 && !strcmp(type, "cgroup2"))
			fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fclose(f);
	l->cgroup_fd = fd + 1;
	return fd;
}

static void cgroup_path(struct ps_links *l, uint64_t cgid, char *buf, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = 0xfe /* FILEID_KERNFS */ } };
	char proc[64];
	int root = cgroup_root(l), fd;
	ssize_t n = -1;

	memcpy(h.fh.f_handle, &cgid, sizeof(cgid));
	fd = root < 0 ? -1 : open_by_handle_at(root, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		n = readlink(proc, buf, size - 1);
		close(fd);
	}
	if (n > 0)
		buf[n] = '\0';
	else
		snprintf(buf, size, "cgroup_id:%" PRIu64, cgid);
}

/* fentry/fexit/tp_btf targets: a type name in a kernel BTF object. */
static void btf_target(struct ps_links *l, __u32 obj, __u32 type_id, char *buf, size_t size)
{
	const struct btf_type *t;
	const char *name;

	if (!l->vmlinux || l->vmlinux_id != obj) {
		btf__free(l->vmlinux);
		l->vmlinux = tk_btf_load_by_id(obj);
		l->vmlinux_id = obj;
	}
	t = l->vmlinux ? btf__type_by_id(l->vmlinux, type_id) : NULL;
	name = t ? btf__name_by_offset(l->vmlinux, t->name_off) : NULL;
	if (name && !strncmp(name, "btf_trace_", 10))
		name += 10;   /* tp_btf: the typedef btf_trace_<tracepoint> */
	if (name && *name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "btf:%u/%u", obj, type_id);
}

static void map_name(__u32 map_id, char *buf, size_t size, __u32 *btf_id)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(map_id);

	memset(&info, 0, sizeof(info));
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.name[0]) {
		snprintf(buf, size, "%s", info.name);
		*btf_id = info.btf_id;
	} else
		snprintf(buf, size, "map:%u", map_id);
	if (fd >= 0)
		close(fd);
}

/* Ask again with buffers for the names this link type carries. */
static int refetch(int fd, struct link_info *li, char *name, size_t size)
{
	__u32 len = sizeof(*li), type = li->type;

	switch (type) {
	case LT_RAW_TP:
	case LT_ITER:
	case LT_UPROBE_MULTI:
	case LT_PERF_EVENT:
		memset(li, 0, sizeof(*li));
		break;
	default:
		return 0;
	}
	switch (type) {
	case LT_RAW_TP:
		li->raw_tp.tp_name = (__u64)(unsigned long)name;
		li->raw_tp.tp_name_len = (__u32)size;
		break;
	case LT_ITER:
		li->iter.target_name = (__u64)(unsigned long)name;
		li->iter.target_name_len = (__u32)size;
		break;
	case LT_UPROBE_MULTI:
		li->uprobe_multi.path = (__u64)(unsigned long)name;
		li->uprobe_multi.path_size = (__u32)size;
		break;
	case LT_PERF_EVENT:
		/* file_name, func_name and tp_name share the place and length */
		li->perf_event.uprobe.file_name = (__u64)(unsigned long)name;
		li->perf_event.uprobe.name_len = (__u32)size;
		break;
	default:
		return 0;
	}
	return bpf_obj_get_info_by_fd(fd, li, &len) ? -errno : 0;
}

static void describe(struct ps_links *l, const struct link_info *li, const char *name,
		     struct ps_link *k)
{
	size_t n = sizeof(k->target);

	switch (li->type) {
	case LT_RAW_TP:
	case LT_ITER:
		snprintf(k->target, n, "%s", name);
		break;
	case LT_TRACING:
		attach_name(li->tracing.attach_type, k->attach, sizeof(k->attach));
		if (li->tracing.target_btf_id)
			btf_target(l, li->tracing.target_obj_id, li->tracing.target_btf_id, k->target, n);
		break;
	case LT_CGROUP:
		attach_name(li->cgroup.attach_type, k->attach, sizeof(k->attach));
		cgroup_path(l, li->cgroup.cgroup_id, k->target, n);
		break;
	case LT_NETNS:
		attach_name(li->netns.attach_type, k->attach, sizeof(k->attach));
		snprintf(k->target, n, "netns:%u", li->netns.netns_ino);
		break;
	case LT_XDP:
		ifname(li->xdp.ifindex, k->target, n);
		break;
	case LT_TCX:
	case LT_NETKIT:
		attach_name(li->tcx.attach_type, k->attach, sizeof(k->attach));
		ifname(li->tcx.ifindex, k->target, n);
		break;
	case LT_STRUCT_OPS:
		/* the link holds a map, not a program: its programs share the map's BTF */
		map_name(li->struct_ops.map_id, k->target, n, &k->ops_btf_id);
		break;
	case LT_SOCKMAP:
		attach_name(li->sockmap.attach_type, k->attach, sizeof(k->attach));
		map_name(li->sockmap.map_id, k->target, n, &(__u32){ 0 });
		break;
	case LT_NETFILTER:
		snprintf(k->target, n, "pf:%u hook:%u prio:%d", li->netfilter.pf,
			 li->netfilter.hooknum, li->netfilter.priority);
		break;
	case LT_KPROBE_MULTI:
		snprintf(k->target, n, "%u functions", li->kprobe_multi.count);
		k->missed = li->kprobe_multi.missed;
		k->has_missed = true;
		break;
	case LT_UPROBE_MULTI:
		snprintf(k->target, n, "%s (%u offsets)", name, li->uprobe_multi.count);
		break;
	case LT_PERF_EVENT:
		switch (li->perf_event.type) {
		case PE_UPROBE:
		case PE_URETPROBE:
			snprintf(k->attach, sizeof(k->attach), "%s",
				 li->perf_event.type == PE_UPROBE ? "uprobe" : "uretprobe");
			snprintf(k->target, n, "%s:0x%x", name, li->perf_event.uprobe.offset);
			break;
		case PE_KPROBE:
		case PE_KRETPROBE:
			snprintf(k->attach, sizeof(k->attach), "%s",
				 li->perf_event.type == PE_KPROBE ? "kprobe" : "kretprobe");
			snprintf(k->target, n, "%s+0x%x", name, li->perf_event.kprobe.offset);
			k->missed = li->perf_event.kprobe.missed;
			k->has_missed = true;
			break;
		case PE_TRACEPOINT:
			snprintf(k->attach, sizeof(k->attach), "tracepoint");
			snprintf(k->target, n, "%s", name);
			break;
		default:
			snprintf(k->attach, sizeof(k->attach), "event");
			break;
		}
		break;
	}
}

static int cmp_link(const void *a, const void *b)
{
	const struct ps_link *x = a, *y = b;

	if (x->prog_id != y->prog_id)
		return x->prog_id < y->prog_id ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* One link by id; 1 when it went away meanwhile. */
static int add_link(struct ps_links *l, __u32 id)
{
	struct link_info li;
	__u32 len = sizeof(li);
	char name[256] = "";
	struct ps_link *k;
	int fd = bpf_link_get_fd_by_id(id), err = 0;

	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	memset(&li, 0, sizeof(li));
	if (bpf_obj_get_info_by_fd(fd, &li, &len) || (err = refetch(fd, &li, name, sizeof(name)))) {
		err = err ? err : -errno;
		goto out;
	}
	name[sizeof(name) - 1] = '\0';
	if (tk_grow((void **)&l->v, &l->cap, (l->n + 1) * sizeof(*l->v), 64 * sizeof(*l->v))) {
		err = -ENOMEM;
		goto out;
	}
	k = &l->v[l->n++];
	memset(k, 0, sizeof(*k));
	k->id = li.id;
	k->prog_id = li.prog_id;
	k->type = li.type;
	if (li.type < TK_ARRAY_SIZE(link_types))
		snprintf(k->type_name, sizeof(k->type_name), "%s", link_types[li.type]);
	else
		snprintf(k->type_name, sizeof(k->type_name), "link_type:%u", li.type);
	describe(l, &li, name, k);
out:
	close(fd);
	return err == -ENOENT ? 1 : err;
}

int ps_links_refresh(struct ps_links *l)
{
	__u32 id = 0;
	int err = 0;

	l->n = 0;
	while (!err) {
		if (bpf_link_get_next_id(id, &id)) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		err = add_link(l, id);
		if (err == 1)
			err = 0;
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_link);
	return err;
}

size_t ps_links_of(const struct ps_links *l, __u32 prog_id, size_t *first)
{
	size_t lo = 0, hi = l->n, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].prog_id < prog_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < l->n && l->v[lo + n].prog_id == prog_id)
		n++;
	return n;
}

size_t ps_links_for(const struct ps_links *l, __u32 prog_id, __u32 btf_id, bool ops,
		    const struct ps_link **out, size_t max)
{
	size_t first, n = ps_links_of(l, prog_id, &first), k = 0;

	for (size_t i = 0; i < n && k < max; i++)
		out[k++] = &l->v[first + i];
	n = ops && btf_id ? ps_links_of(l, 0, &first) : 0;
	for (size_t i = 0; i < n && k < max; i++)
		if (l->v[first + i].ops_btf_id == btf_id)
			out[k++] = &l->v[first + i];
	return k;
}

void ps_links_free(struct ps_links *l)
{
	if (l->cgroup_fd > 0)
		close(l->cgroup_fd - 1);
	btf__free(l->vmlinux);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
