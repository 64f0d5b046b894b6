// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* options.c — argp table and option checks of nvme-gpu-ingest. */
#include <argp.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "errors.h"
#include "parse.h"
#include "ingest.h"

const char *argp_program_version = TK_VERSION_STRING(TOOL);
static const char doc[] =
"Read files, block devices or NVMe namespaces with io_uring straight into\n"
"registered (optionally CUDA-pinned, GPU-visible) memory and prove it:\n"
"telemetry counters, zero CPU bounce, validation rules and checksums.\n"
"\n"
"EXAMPLES:\n"
"  nvme-gpu-ingest --verify --validate big.bin\n"
"  nvme-gpu-ingest --direct --qd 32 --chunk 1M -j /dev/nvme0n1\n"
"  nvme-gpu-ingest --path passthrough --length 1G /dev/ng0n1\n"
"  nvme-gpu-ingest --target cuda-device --device 0 data.bin\n"
"  nvme-gpu-ingest --probe\n"
"  nvme-gpu-ingest --direct --threads 4 --cpus 0-3 /dev/nvme[0-3]n1\n"
"  nvme-gpu-ingest --rw randread --bs 4k --iodepth 32 --runtime 10s /data/dir";

enum {
	OPT_PATH = 0x100, OPT_TARGET, OPT_DIRECT, OPT_QD, OPT_CHUNK, OPT_SLOTS,
	OPT_OFFSET, OPT_LENGTH, OPT_LOOP, OPT_SQPOLL, OPT_DEVICE, OPT_VERIFY,
	OPT_VALIDATE, OPT_PROBE, OPT_CHECK, OPT_NOWAIT,
	/* issue 16: many sources */
	OPT_RW, OPT_RUNTIME, OPT_THREADS, OPT_CPUS, OPT_NUMA, OPT_HIPRI,
	OPT_BS, OPT_IODEPTH, OPT_SIZE, /* fio's names: errors name the spelling used */
};

static const struct argp_option options[] = {
	{ "path", OPT_PATH, "PATH", 0, "registered (READ_FIXED, default) or passthrough (NVMe URING_CMD on /dev/ngXnY)", 0 },
	{ "target", OPT_TARGET, "KIND", 0, "host (default), cuda-host or cuda-device", 0 },
	{ "direct", OPT_DIRECT, NULL, 0, "O_DIRECT reads (registered path)", 0 },
	{ "qd", OPT_QD, "N", 0, "Reads in flight (default 16)", 0 },
	{ "chunk", OPT_CHUNK, "SIZE", 0, "Bytes per read, multiple of 4KiB (default 1MiB)", 0 },
	{ "slots", OPT_SLOTS, "N", 0, "Registered buffers, >= qd (default qd, 2*qd for cuda-device)", 0 },
	{ "offset", OPT_OFFSET, "SIZE", 0, "Start offset in every source (default 0)", 0 },
	{ "length", OPT_LENGTH, "SIZE", 0, "Bytes to read from every source (default: to the end)", 0 },
	{ "loop", OPT_LOOP, "N", 0, "Read every source N times (default 1)", 0 },
	{ "nowait", OPT_NOWAIT, NULL, 0, "Reads with RWF_NOWAIT (page-cache hits complete inline); -EAGAIN is retried blocking", 0 },
	{ "sqpoll", OPT_SQPOLL, NULL, 0, "Kernel SQ polling thread (IORING_SETUP_SQPOLL)", 0 },
	{ "device", OPT_DEVICE, "N", 0, "CUDA device ordinal (default 0)", 0 },
	{ "verify", OPT_VERIFY, NULL, 0, "crc32 of landed bytes vs an independent read; mismatch exits 3", 0 },
	{ "validate", OPT_VALIDATE, NULL, 0, "Check the zero-copy telemetry rules; a failure exits 3", 0 },
	{ "rw", OPT_RW, "MODE", 0, "read (default: chunks in order) or randread (every chunk once, in random order)", 0 },
	{ "bs", OPT_BS, "SIZE", 0, "Same as --chunk (fio, gdsio -i)", 0 },
	{ "iodepth", OPT_IODEPTH, "N", 0, "Same as --qd (fio)", 0 },
	{ "size", OPT_SIZE, "SIZE", 0, "Same as --length (fio, gdsio -s)", 0 },
	{ "runtime", OPT_RUNTIME, "DUR", 0, "Read for DUR, looping over the sources (fio time_based, gdsio -T)", 0 },
	{ "threads", OPT_THREADS, "N", 0, "Worker threads, one io_uring each (default: one per device, capped by CPUs)", 0 },
	{ "cpus", OPT_CPUS, "LIST", 0, "Pin worker k to the k-th CPU of LIST (\"0-3,8\"), round robin", 0 },
	{ "numa", OPT_NUMA, "auto|N|off", 0, "Slot memory on the device's NUMA node (auto, default), node N, or no policy", 0 },
	{ "hipri", OPT_HIPRI, NULL, 0, "Polled completions (IORING_SETUP_IOPOLL) for --direct or passthrough reads; passthrough polls by itself when the driver has poll queues", 0 },
	{ "probe", OPT_PROBE, NULL, 0, "Print what this host supports and exit", 0 },
	{ "check", OPT_CHECK, "FILE", 0, "Validate the last summary record in FILE (JSON lines, - = stdin) and exit", 0 },
	{ 0 },
};

static struct ingest_args args = { .qd = 16, .chunk = 1 << 20, .loops = 1, .numa = NUMA_AUTO };
static bool slots_set, loop_set;
static uint64_t runtime_ns;
static size_t srcs_cap;         /* bytes allocated for args.srcs */

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_PATH:
		if (path_by_name(arg, &args.path))
			tk_usage_error("use registered or passthrough", "--path '%s': unknown path", arg);
		break;
	case OPT_TARGET:
		if (!strcmp(arg, "host"))
			args.target = TARGET_HOST;
		else if (!strcmp(arg, "cuda-host"))
			args.target = TARGET_CUDA_HOST;
		else if (!strcmp(arg, "cuda-device"))
			args.target = TARGET_CUDA_DEVICE;
		else
			tk_usage_error("use host, cuda-host or cuda-device", "--target '%s': unknown target", arg);
		break;
	case OPT_DIRECT:
		args.direct = true;
		break;
	case OPT_QD:
	case OPT_IODEPTH:
		args.qd = tk_u64_or_err(arg, 1, 4096, key == OPT_QD ? "--qd" : "--iodepth");
		break;
	case OPT_CHUNK:
	case OPT_BS: {
		const char *name = key == OPT_CHUNK ? "--chunk" : "--bs";

		args.chunk = tk_size_or_err(arg, name);
		if (!args.chunk || args.chunk % 4096 || args.chunk > URING_MAX_BUF_SIZE)
			tk_usage_error("give a multiple of 4KiB up to 1GiB, e.g. 1MiB",
				       "%s '%s': not a multiple of 4096 in [4KiB, 1GiB]", name, arg);
		break;
	}
	case OPT_SLOTS:
		args.slots = tk_u64_or_err(arg, 1, 65536, "--slots");
		slots_set = true;
		break;
	case OPT_OFFSET:
		args.offset = tk_size_or_err(arg, "--offset");
		break;
	case OPT_LENGTH:
	case OPT_SIZE: {
		const char *name = key == OPT_LENGTH ? "--length" : "--size";

		args.length = tk_size_or_err(arg, name);
		if (!args.length)
			tk_usage_error(key == OPT_LENGTH ? "give a size > 0 or leave --length out" :
				       "give a size > 0 or leave --size out", "%s '%s': must be > 0", name, arg);
		break;
	}
	case OPT_LOOP:
		args.loops = tk_u64_or_err(arg, 1, 1000000, "--loop");
		loop_set = true;
		break;
	case OPT_RW:
		if (!strcmp(arg, "read"))
			args.rw = RW_READ;
		else if (!strcmp(arg, "randread"))
			args.rw = RW_RANDREAD;
		else
			tk_usage_error("use read or randread", "--rw '%s': unknown mode", arg);
		break;
	case OPT_RUNTIME:
		runtime_ns = tk_duration_or_err(arg, 0, "--runtime");
		break;
	case OPT_THREADS:
		args.threads = tk_u64_or_err(arg, 1, 1024, "--threads");
		break;
	case OPT_CPUS: {
		struct tk_cpuset set;
		cpu_set_t allowed;

		if (tk_parse_cpulist(arg, &set) || !tk_cpuset_count(&set))
			tk_usage_error("give a CPU list such as 0-3,8", "--cpus '%s': not a CPU list", arg);
		if (!sched_getaffinity(0, sizeof(allowed), &allowed))
			for (unsigned c = 0; c < TK_CPUSET_MAX; c++)
				if (tk_cpuset_isset(&set, c) && (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)))
					tk_usage_error("give CPUs this process may run on (taskset -p $$, nproc)",
						       "--cpus '%s': CPU %u is not available", arg, c);
		args.cpus = arg;
		break;
	}
	case OPT_HIPRI:
		args.hipri = true;
		break;
	case OPT_NUMA:
		if (!strcmp(arg, "auto"))
			args.numa = NUMA_AUTO;
		else if (!strcmp(arg, "off"))
			args.numa = NUMA_OFF;
		else if ((args.numa = (int)tk_u64_or_err(arg, 0, 1023, "--numa")), !devinfo_node_exists(args.numa))
			tk_usage_error("give auto, off or an online node (ls /sys/devices/system/node)",
				       "--numa %s: no such NUMA node", arg);
		break;
	case OPT_NOWAIT:
		args.nowait = true;
		break;
	case OPT_SQPOLL:
		args.sqpoll = true;
		break;
	case OPT_DEVICE:
		args.device = tk_u64_or_err(arg, 0, 1024, "--device");
		break;
	case OPT_VERIFY:
		args.verify = true;
		break;
	case OPT_VALIDATE:
		args.validate = true;
		break;
	case OPT_PROBE:
		args.probe = true;
		break;
	case OPT_CHECK:
		args.check = arg;
		break;
	case ARGP_KEY_ARG:
		if (tk_grow((void **)&args.srcs, &srcs_cap, (args.nsrcs + 1) * sizeof(*args.srcs),
			    8 * sizeof(*args.srcs)))
			tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
		args.srcs[args.nsrcs++] = arg;
		break;
	case ARGP_KEY_END:
		if (!args.probe && !args.check && !args.nsrcs)
			tk_usage_error("name a FILE or DEVICE to read (or use --probe)",
				       "no FILE|DEVICE given");
		if (!slots_set)
			args.slots = args.target == TARGET_CUDA_DEVICE ? 2 * args.qd : args.qd;
		if (args.slots < args.qd)
			tk_usage_error("give --slots >= --qd", "--slots %u is less than --qd %u",
				       args.slots, args.qd);
		if (args.threads > 1 && args.target != TARGET_HOST)
			tk_usage_error("use --threads 1 with a cuda target",
				       "--threads %u: a cuda target takes one worker", args.threads);
		if (args.slots > URING_MAX_REG_BUFFERS)
			tk_usage_error("give --slots <= 16384 (or fewer, larger --chunk slots)",
				       "--slots %u: io_uring registers at most %u buffers per ring",
				       args.slots, URING_MAX_REG_BUFFERS);
		if ((uint64_t)args.slots * args.chunk > (64ULL << 30))
			tk_usage_error("lower --slots or --chunk", "--slots x --chunk exceeds 64GiB of registered memory");
		if (args.direct && args.offset % 512)
			tk_usage_error("give an --offset that is a multiple of the logical block size",
				       "--offset %llu is not 512-byte aligned as --direct needs",
				       (unsigned long long)args.offset);
		if (args.hipri && !args.direct && args.path != PATH_PASSTHROUGH)
			tk_usage_error("add --direct or use --path passthrough",
				       "--hipri polls O_DIRECT or passthrough reads only (the kernel refuses buffered ones)");
		if (args.path == PATH_PASSTHROUGH && args.nowait)
			tk_usage_error("drop --nowait or use --path registered",
				       "--nowait applies to --path registered reads only");
		if (args.path == PATH_PASSTHROUGH && args.offset % 512)
			tk_usage_error("give an --offset that is a multiple of the LBA size",
				       "--offset %llu is not LBA aligned for --path passthrough",
				       (unsigned long long)args.offset);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct ingest_args *args_parse(int argc, char **argv)
{
	static const struct tk_cli_cmd cli = {
		TOOL, options, parse_arg, "FILE|DEVICE...", doc, TK_OPT_ALL, "Output:", 0,
	};

	tk_cli_parse(&cli, argc, argv);
	if (runtime_ns) { /* fio time_based: loop until the time is up */
		if (tk_cli.duration_set && tk_cli.duration_ns != runtime_ns)
			tk_usage_error("give one of --runtime and --duration", "--runtime and --duration disagree");
		tk_cli.duration_ns = runtime_ns;
		tk_cli.duration_set = true;
		if (!loop_set)
			args.loops = 1000000;
	}
	args.samples = tk_out.fmt != TK_FMT_TEXT || tk_cli.interval_set;
	return &args;
}

static const char *const path_names[] = {
	[PATH_REGISTERED] = "registered",
	[PATH_PASSTHROUGH] = "passthrough",
};

const char *path_name(enum ingest_path p)
{
	return path_names[p];
}

int path_by_name(const char *name, enum ingest_path *p)
{
	for (size_t i = 0; i < TK_ARRAY_SIZE(path_names); i++)
		if (!strcmp(name, path_names[i])) {
			*p = i;
			return 0;
		}
	return -EINVAL;
}

const char *target_name(enum ingest_target t)
{
	switch (t) {
	case TARGET_CUDA_HOST:
		return "cuda-host";
	case TARGET_CUDA_DEVICE:
		return "cuda-device";
	default:
		return "host";
	}
}
