// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe.c — --probe: what this host supports, as observed facts: io_uring
 * opcodes (io_uring_get_probe) and setup flags (a real io_uring_setup each),
 * NVMe generic devices with nsid/LBA size/capacity (Identify Namespace),
 * libcuda and its devices (with the host-registration and mapping attributes
 * the cuda targets need), and peer-to-peer DMA hints (nvidia-fs, p2pdma).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "array.h"
#include "output.h"
#include "ingest.h"

static struct json_object *fact(const char *item, const char *name)
{
	struct json_object *r = tk_record_new("event");

	tk_rec_str(r, "event", "probe");
	tk_rec_str(r, "item", item);
	tk_rec_str(r, "name", name);
	return r;
}

static void fact_bool(const char *item, const char *name, bool yes, const char *detail)
{
	struct json_object *r = fact(item, name);

	tk_rec_bool(r, "supported", yes);
	if (detail)
		tk_rec_str(r, "detail", detail);
	tk_emit(r);
}

static void probe_uring(void)
{
	static const struct { int op; const char *name; } ops[] = {
		{ IORING_OP_READ_FIXED, "READ_FIXED" }, { IORING_OP_READ, "READ" },
		{ IORING_OP_READV, "READV" }, { IORING_OP_URING_CMD, "URING_CMD" },
	};
	static const struct { unsigned f; const char *name; } flags[] = {
		{ IORING_SETUP_SQE128 | IORING_SETUP_CQE32, "SQE128|CQE32" },
		{ IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN" },
		{ IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "SINGLE_ISSUER|DEFER_TASKRUN" },
		{ IORING_SETUP_SQPOLL, "SQPOLL" },
	};
	struct io_uring_probe *p = io_uring_get_probe();

	if (!p) {
		fact_bool("io_uring", "io_uring_get_probe", false, "io_uring unavailable or disabled");
		return;
	}
	for (size_t i = 0; i < TK_ARRAY_SIZE(ops); i++)
		fact_bool("io_uring_op", ops[i].name, io_uring_opcode_supported(p, ops[i].op), NULL);
	io_uring_free_probe(p);
	for (size_t i = 0; i < TK_ARRAY_SIZE(flags); i++) {
		struct io_uring r;
		int err = io_uring_queue_init(4, &r, flags[i].f);

		if (!err)
			io_uring_queue_exit(&r);
		fact_bool("io_uring_setup", flags[i].name, !err, err ? strerror(-err) : NULL);
	}
}

static void probe_nvme(void)
{
	glob_t g;
	size_t n = 0;

	if (!glob("/dev/ng*n*", 0, NULL, &g))
		n = g.gl_pathc;
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = fact("nvme_generic", g.gl_pathv[i]);
		struct nvme_geom geo;
		uint32_t nsid = 0;
		int fd = open(g.gl_pathv[i], O_RDONLY | O_CLOEXEC), status = 0, err;

		err = fd < 0 ? -errno : nvme_ns_query(fd, &nsid, &geo, &status);
		if (fd >= 0)
			close(fd);
		tk_rec_bool(r, "supported", !err);
		if (err) {
			tk_rec_str(r, "detail", strerror(-err));
		} else {
			tk_rec_u64(r, "nsid", nsid);
			tk_rec_u64(r, "lba_size", geo.lba_size);
			tk_rec_u64(r, "capacity_bytes", geo.nsze << geo.lba_shift);
			tk_rec_u64(r, "metadata_bytes", geo.ms);
		}
		tk_emit(r);
	}
	if (!n)
		fact_bool("nvme_generic", "/dev/ng*n*", false, "no NVMe generic char device");
	globfree(&g);
}

static void probe_cuda(void)
{
	static struct cuda_probe_info info;
	char why[256] = "";
	int n = cuda_probe(&info, why, sizeof(why));
	struct json_object *r = fact("cuda", "libcuda.so.1");

	tk_rec_bool(r, "supported", n >= 0);
	if (n < 0)
		tk_rec_str(r, "detail", why);
	if (info.test_double)
		tk_rec_str(r, "driver", "test double");
	tk_emit(r);
	for (int i = 0; i < n && i < CUDA_PROBE_MAX; i++) {
		const struct cuda_probe_dev *d = &info.dev[i];

		r = fact("cuda_device", d->name);
		tk_rec_u64(r, "ordinal", i);
		/* what cuda-host and cuda-device need: registration and mapping */
		tk_rec_bool(r, "supported", d->host_register && d->can_map);
		tk_rec_bool(r, "host_register_supported", d->host_register);
		tk_rec_bool(r, "can_map_host_memory", d->can_map);
		tk_rec_bool(r, "pageable_memory_uses_host_page_tables", d->pageable_hpt);
		if (info.test_double)
			tk_rec_str(r, "driver", "test double");
		tk_emit(r);
	}
}

static bool kconfig_has(const char *opt)
{
	struct utsname u;
	char path[128], line[256];
	size_t len = strlen(opt);
	bool yes = false;
	FILE *f;

	if (uname(&u))
		return false;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, opt, len) && line[len] == '=' && (line[len + 1] == 'y' || line[len + 1] == 'm'))
			yes = true;
	fclose(f);
	return yes;
}

static void probe_p2p(void)
{
	glob_t g;
	bool fs = !access("/proc/driver/nvidia-fs/stats", R_OK);
	size_t n = 0;

	fact_bool("p2p", "nvidia-fs", fs, fs ? "/proc/driver/nvidia-fs/stats present" :
		  "nvidia-fs module not loaded");
	if (!glob("/sys/bus/pci/devices/*/p2pmem", 0, NULL, &g))
		n = g.gl_pathc;
	globfree(&g);
	{
		char d[96];

		snprintf(d, sizeof(d), "%zu PCI device(s) publish p2pmem; CONFIG_PCI_P2PDMA %s",
			 n, kconfig_has("CONFIG_PCI_P2PDMA") ? "set" : "not set or unknown");
		fact_bool("p2p", "p2pdma", n > 0, d);
	}
}

int probe_run(void)
{
	struct utsname u;
	struct json_object *r = fact("kernel", "release");

	tk_rec_str(r, "detail", uname(&u) ? "unknown" : u.release);
	tk_emit(r);
	probe_uring();
	probe_nvme();
	probe_cuda();
	probe_p2p();
	return 0;
}
