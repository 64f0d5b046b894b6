// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nvme_dev.c — opening an NVMe namespace for passthrough: /dev/nvmeXnY is
 * mapped to its generic char device /dev/ngXnY; nsid, LBA size and capacity
 * come from libnvme (NVME_IOCTL_ID, Identify Namespace), the per-command
 * transfer cap from the block queue limits in sysfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <libnvme.h>

#include "errors.h"
#include "ingest.h"

static uint64_t sysfs_u64(const char *blk, const char *attr)
{
	char path[160];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", blk, attr);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Bytes one passthrough command may move: max_hw_sectors, segments, NLB. */
static uint32_t max_transfer(const struct source *s)
{
	char blk[64];
	uint64_t kb, segs, cap = (uint64_t)65536 << s->lba_shift;

	snprintf(blk, sizeof(blk), "nvme%s", s->dev + strlen("/dev/ng"));
	kb = sysfs_u64(blk, "max_hw_sectors_kb");
	segs = sysfs_u64(blk, "max_segments");
	if (kb && kb * 1024 < cap)
		cap = kb * 1024;
	if (segs && segs * 4096 < cap)
		cap = segs * 4096;
	cap = cap >> s->lba_shift << s->lba_shift;
	cap = cap / 4096 * 4096;
	return cap > UINT32_MAX ? 0 : (uint32_t)cap;
}

/* The namespace's queue has poll queues (nvme.poll_queues > 0): io_poll reads 1. */
static bool io_poll_queues(const struct source *s)
{
	char blk[64];

	snprintf(blk, sizeof(blk), "nvme%s", s->dev + strlen("/dev/ng"));
	return sysfs_u64(blk, "io_poll") == 1;
}

int nvme_ns_query(int fd, uint32_t *nsid, struct nvme_geom *g, int *status)
{
	struct nvme_id_ns ns;
	int err;

	*status = 0;
	if (nvme_get_nsid(fd, nsid))
		return -errno;
	err = nvme_identify_ns(fd, *nsid, &ns);
	if (err > 0) {
		*status = err;
		return -EIO;
	}
	if (err < 0)
		return -errno;
	return nvme_id_ns_decode((const uint8_t *)&ns, sizeof(ns), g);
}

int passthru_open(struct source *s, const struct ingest_args *args, uint64_t chunk)
{
	struct nvme_geom g;
	struct stat st;
	int err, status;

	if (nvme_generic_name(s->name, s->dev, sizeof(s->dev))) {
		tk_error("give /dev/nvmeXnY or /dev/ngXnY, or use --path registered for files",
			 "'%s' is not an NVMe namespace device", s->name);
		return -EINVAL;
	}
	s->fd = open(s->dev, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		err = -errno;
		tk_error(err == -ENOENT ? "the kernel needs NVMe generic char devices (5.13+); check ls /dev/ng*" :
			 "run as root", "cannot open '%s': %s", s->dev, strerror(-err));
		return err;
	}
	if (fstat(s->fd, &st) || !S_ISCHR(st.st_mode)) {
		tk_error("give /dev/ngXnY", "'%s' is not a character device", s->dev);
		return -EINVAL;
	}
	s->is_chr = true;
	err = nvme_ns_query(s->fd, &s->nsid, &g, &status);
	if (err) {
		if (status)
			tk_error("check the namespace with nvme id-ns", "identify namespace on '%s': NVMe status 0x%x (%s)",
				 s->dev, status, nvme_status_to_string(status, false));
		else
			tk_error("check the namespace with nvme id-ns", "identify namespace on '%s': %s",
				 s->dev, strerror(-err));
		return err;
	}
	if (g.extended && g.ms) {
		tk_error("format the namespace without interleaved metadata or use --path registered",
			 "'%s': extended-LBA format (%u metadata bytes per block) is not supported",
			 s->dev, g.ms);
		return -EOPNOTSUPP;
	}
	s->size = g.nsze << g.lba_shift;
	s->align = g.lba_size;
	s->lba_shift = g.lba_shift;
	if (args->offset % s->align) {
		tk_error("align --offset to the LBA size", "--offset %llu is not a multiple of %s's %u-byte LBA",
			 (unsigned long long)args->offset, s->dev, s->align);
		return -EINVAL;
	}
	if (chunk % s->align) {
		tk_error("give a --chunk that is a multiple of the LBA size", "--chunk is not a multiple of %s's %u-byte LBA",
			 s->dev, s->align);
		return -EINVAL;
	}
	s->max_xfer = max_transfer(s);
	s->io_poll = io_poll_queues(s);
	return 0;
}
