// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: pinned paths.  Every bpf filesystem in /proc/self/mounts is
 * walked (at most PIN_DEPTH deep, PIN_MAX files); each file is opened with
 * BPF_OBJ_GET, and /proc/self/fd names what it is (anon_inode:bpf-prog or
 * bpf-link) while its fdinfo gives the id.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "buf.h"
#include "progstats.h"

#define PIN_DEPTH 8
#define PIN_MAX 65536

/* "key:\t123" in our fdinfo of @fd. */
static int fdinfo_u32(int fd, const char *key, __u32 *out)
{
	char path[64], buf[2048];
	const char *m;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	m = strstr(buf, key);
	if (!m)
		return -ENOENT;
	*out = (__u32)strtoul(m + strlen(key), NULL, 10);
	return 0;
}

static int add_pin(struct ps_pins *p, const char *path)
{
	char proc[64], what[64];
	struct ps_pin *x;
	bool link;
	__u32 id = 0;
	ssize_t n;
	int fd = bpf_obj_get(path), err = 0;

	if (fd < 0)
		return 0;  /* not a BPF object, or gone */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, what, sizeof(what) - 1);
	what[n > 0 ? n : 0] = '\0';
	link = !strcmp(what, "anon_inode:bpf-link");
	if ((!link && strcmp(what, "anon_inode:bpf-prog")) ||
	    fdinfo_u32(fd, link ? "link_id:" : "prog_id:", &id))
		goto out;
	if (tk_grow((void **)&p->v, &p->cap, (p->n + 1) * sizeof(*p->v), 32 * sizeof(*p->v))) {
		err = -ENOMEM;
		goto out;
	}
	x = &p->v[p->n++];
	x->id = id;
	x->link = link;
	snprintf(x->path, sizeof(x->path), "%s", path);
out:
	close(fd);
	return err;
}

static int walk(struct ps_pins *p, const char *dir, int depth, size_t *seen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	if (!d)
		return 0;
	while (!err && (e = readdir(d)) && *seen < PIN_MAX) {
		char path[sizeof(p->v->path)];

		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;  /* longer than we keep: skipped */
		(*seen)++;
		if (e->d_type == DT_DIR && depth < PIN_DEPTH)
			err = walk(p, path, depth + 1, seen);
		else if (e->d_type == DT_REG)
			err = add_pin(p, path);
	}
	closedir(d);
	return err;
}

static int cmp_pin(const void *a, const void *b)
{
	const struct ps_pin *x = a, *y = b;

	if (x->link != y->link)
		return x->link ? 1 : -1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->path, y->path);
}

int ps_pins_refresh(struct ps_pins *p)
{
	char line[1024], dev[256], dir[512], type[64];
	size_t seen = 0;
	int err = 0;
	FILE *f;

	p->n = 0;
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %511s %63s", dev, dir, type) == 3 && !strcmp(type, "bpf"))
			err = walk(p, dir, 0, &seen);
	fclose(f);
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), cmp_pin);
	return err;
}

size_t ps_pins_of(const struct ps_pins *p, bool link, __u32 id, size_t *first)
{
	size_t lo = 0, hi = p->n, n = 0;
	struct ps_pin key = { .id = id, .link = link };

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_pin(&p->v[mid], &key) < 0 && (p->v[mid].link != link || p->v[mid].id != id))
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < p->n && p->v[lo + n].link == link && p->v[lo + n].id == id)
		n++;
	return n;
}

void ps_pins_free(struct ps_pins *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}
