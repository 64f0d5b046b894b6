// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * devinfo.c — which device a source lives on, and that device's NUMA node,
 * from sysfs: /sys/dev/{block,char}/MAJ:MIN is a link to the device; a
 * partition's parent directory is its disk; the node is in the device's
 * (or its controller's) numa_node file.  A regular file lives on the disk of
 * its file system (st_dev); a file system without a block device (tmpfs,
 * overlay) is named by its MAJ:MIN and has no node.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ingest.h"

static int read_int(const char *dir, const char *file, int dflt)
{
	char path[PATH_MAX + 32], buf[32];
	FILE *f;
	int v = dflt;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return dflt;
	f = fopen(path, "re");
	if (!f)
		return dflt;
	if (fgets(buf, sizeof(buf), f))
		v = atoi(buf);
	fclose(f);
	return v;
}

static bool has(const char *dir, const char *file)
{
	char path[PATH_MAX + 32];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return false;
	return !access(path, F_OK);
}

/* The node of the device at sysfs directory @dir: its device, or the controller's. */
static int sysfs_node(const char *dir)
{
	static const char *const where[] = { "device/numa_node", "device/device/numa_node" };

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		int n = read_int(dir, where[i], -1);

		if (n >= 0)
			return n;
	}
	return -1;
}

/* The dev_t in sysfs file @dir/dev ("8:0"), or @dflt. */
static dev_t read_dev(const char *dir, dev_t dflt)
{
	char path[PATH_MAX + 8];
	unsigned ma, mi;
	FILE *f;
	int n = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/dev", dir) >= sizeof(path))
		return dflt;
	f = fopen(path, "re");
	if (!f)
		return dflt;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	return n == 2 ? makedev(ma, mi) : dflt;
}

void devinfo_get(int fd, struct device *d)
{
	char link[64], dir[PATH_MAX];
	struct stat st;
	dev_t dev;
	bool chr;
	char *base;

	memset(d, 0, sizeof(*d));
	d->node = -1;
	if (fstat(fd, &st))
		return;
	chr = S_ISCHR(st.st_mode);
	dev = S_ISBLK(st.st_mode) || chr ? st.st_rdev : st.st_dev;
	d->key = (unsigned long long)dev | (chr ? 1ULL << 63 : 0);
	snprintf(d->name, sizeof(d->name), "%u:%u", major(dev), minor(dev));
	snprintf(link, sizeof(link), "/sys/dev/%s/%u:%u", chr ? "char" : "block", major(dev), minor(dev));
	if (!realpath(link, dir))
		return;
	if (!chr && has(dir, "partition")) { /* a partition: its disk is the parent */
		base = strrchr(dir, '/');
		if (base)
			*base = 0;
		d->key = read_dev(dir, dev);
	}
	base = strrchr(dir, '/');
	if (base && base[1])
		snprintf(d->name, sizeof(d->name), "%.63s", base + 1);
	d->node = sysfs_node(dir);
}

bool devinfo_node_exists(int n)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
	return n >= 0 && !access(path, F_OK);
}
