// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Opening one element (key) of a map, and reading it: mmap or one lookup per tick. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"
#include "bpfwatch.h"

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static bool is_array(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static bool is_hash(uint32_t type)
{
	return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool int_size(uint32_t n)
{
	return n == 1 || n == 2 || n == 4 || n == 8;
}

void bw_key_desc(const struct bw_map *m, char *buf, size_t size)
{
	buf[0] = '\0';
	if (is_array(m->type) && m->max_entries)
		snprintf(buf, size, "0..%u", m->max_entries - 1);
	else if (!is_hash(m->type) || !int_size(m->key_size))
		return;
	else if (!m->btf || !m->key_type_id)
		snprintf(buf, size, "u%u", m->key_size * 8);
	else if (bw_int_type(m->btf, m->key_type_id, buf, size))
		buf[0] = '\0';
}

/* Is @k a key map @m can take?  0, or -EDOM with @err. */
static int check_key(const struct bw_map *m, struct bw_key k, char *err, size_t errsz)
{
	char tn[32], kt[64];

	if (!k.set)
		return 0;
	if (is_array(m->type)) {
		if (k.v < m->max_entries)
			return 0;
		snprintf(err, errsz, "KEY %llu is past the last index %u of map %s (id %u, "
			 "max_entries %u)", (unsigned long long)k.v, m->max_entries - 1, m->name,
			 m->id, m->max_entries);
		return -EDOM;
	}
	if (!is_hash(m->type)) {
		snprintf(err, errsz, "map %s (id %u) is a %s map; KEY works with array, per-CPU "
			 "array and hash maps", m->name, m->id,
			 tk_map_type_name(m->type, tn, sizeof(tn)));
		return -EDOM;
	}
	if (m->btf && m->key_type_id && bw_int_type(m->btf, m->key_type_id, kt, sizeof(kt))) {
		snprintf(err, errsz, "map %s (id %u) has a %s key, not an integer; KEY works with "
			 "integer keys only", m->name, m->id, kt);
		return -EDOM;
	}
	if (!int_size(m->key_size)) {
		snprintf(err, errsz, "map %s (id %u) has a %u-byte key; KEY works with integer "
			 "keys of 1, 2, 4 or 8 bytes", m->name, m->id, m->key_size);
		return -EDOM;
	}
	if (m->key_size < 8 && k.v >> (m->key_size * 8)) {
		snprintf(err, errsz, "KEY %llu does not fit the %u-byte key of map %s (id %u)",
			 (unsigned long long)k.v, m->key_size, m->name, m->id);
		return -EDOM;
	}
	return 0;
}

/* @k as @size native-endian bytes (all zero when unset). */
static void put_key(uint8_t *buf, uint32_t size, struct bw_key k)
{
	uint8_t u8 = (uint8_t)k.v;
	uint16_t u16 = (uint16_t)k.v;
	uint32_t u32 = (uint32_t)k.v;

	memset(buf, 0, size);
	if (!k.set)
		return;
	switch (size) {
	case 1: memcpy(buf, &u8, 1); break;
	case 2: memcpy(buf, &u16, 2); break;
	case 4: memcpy(buf, &u32, 4); break;
	case 8: memcpy(buf, &k.v, 8); break;
	}
}

/* mmap an mmapable array and point at element @key.  true when mapped. */
static bool try_mmap(struct bw_map *m)
{
	size_t elem = ((size_t)m->value_size + 7) / 8 * 8;
	size_t sz = elem * m->max_entries;
	long page = sysconf(_SC_PAGESIZE);

	if (m->type != BPF_MAP_TYPE_ARRAY || !(m->flags & BPF_F_MMAPABLE) || page <= 0)
		return false;
	m->mm_len = (sz + page - 1) / page * page;
	m->mm = mmap(NULL, m->mm_len, PROT_READ, MAP_SHARED, m->fd, 0);
	if (m->mm == MAP_FAILED) {
		m->mm = NULL;
		return false;
	}
	m->mm_val = (const volatile uint8_t *)m->mm + elem * (m->key.set ? m->key.v : 0);
	return true;
}

static void copy_info(struct bw_map *m, const struct bw_mapent *e, struct bw_key key)
{
	m->id = e->id;
	memcpy(m->name, e->name, sizeof(m->name));
	m->type = e->type;
	m->flags = e->flags;
	m->key_size = e->key_size;
	m->value_size = e->value_size;
	m->max_entries = e->max_entries;
	m->key_type_id = e->btf_key_type_id;
	m->value_type_id = e->btf_value_type_id;
	m->percpu = is_percpu(e->type);
	m->key = key;
}

int bw_map_open(const struct bw_reg *r, uint32_t id, struct bw_key key, bool allow_mmap,
		struct bw_map **out, char *err, size_t errsz)
{
	const struct bw_mapent *e = bw_reg_find((struct bw_reg *)r, id);
	struct bw_map *m;
	int ret, ncpu;

	if (!e) {
		snprintf(err, errsz, "map id %u is gone", id);
		return -ENOENT;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	copy_info(m, e, key);
	m->fd = bpf_map_get_fd_by_id(id);
	if (m->fd < 0) {
		ret = -errno;
		snprintf(err, errsz, "cannot open map id %u: %s", id, strerror(errno));
		free(m);
		return ret;
	}
	bw_obj_of(r, e, m->obj, sizeof(m->obj));
	if (e->btf_id) {
		m->btf = tk_btf_load_by_id(e->btf_id);
		if (!m->btf) {
			ret = errno ? -errno : -EINVAL;
			snprintf(err, errsz, "cannot load BTF id %u of map %s: %s", e->btf_id,
				 e->name, strerror(-ret));
			goto fail;
		}
	}
	ret = check_key(m, key, err, errsz);
	if (ret)
		goto fail;
	ncpu = m->percpu ? libbpf_num_possible_cpus() : 1;
	if (ncpu <= 0) {
		ret = ncpu ? ncpu : -EINVAL;
		snprintf(err, errsz, "cannot count possible CPUs");
		goto fail;
	}
	m->ncpu = (unsigned)ncpu;
	m->stride = m->percpu ? ((size_t)m->value_size + 7) / 8 * 8 : m->value_size;
	if (allow_mmap && try_mmap(m)) {
		m->mmapped = true;
		m->valid = true;
		*out = m;
		return 0;
	}
	m->buf = calloc(m->ncpu, m->stride ? m->stride : 1);
	m->keybuf = calloc(1, m->key_size ? m->key_size : 1);
	if (!m->buf || !m->keybuf) {
		ret = -ENOMEM;
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	put_key(m->keybuf, m->key_size, key);
	*out = m;
	return 0;
fail:
	bw_map_close(m);
	return ret;
}

void bw_map_close(struct bw_map *m)
{
	if (!m)
		return;
	if (m->mm)
		munmap(m->mm, m->mm_len);
	if (m->fd >= 0)
		close(m->fd);
	btf__free(m->btf);
	free(m->buf);
	free(m->keybuf);
	free(m);
}

void bw_map_read(struct bw_map *m)
{
	if (m->mmapped)
		return;
	m->valid = !bpf_map_lookup_elem(m->fd, m->keybuf, m->buf);
}
