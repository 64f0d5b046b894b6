/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ingest.h — shared state of nvme-gpu-ingest.
 *
 * Data flow: sources (files, block devices, NVMe generic char devices) are cut
 * into chunks; each chunk is read by one io_uring SQE straight into a slot of
 * the target region (host anonymous memory or CUDA-registered pinned memory)
 * that is registered with io_uring.  No payload byte is copied in user space:
 * cpu_bounce_bytes exists only to prove that (no code path increments it);
 * buffered reads are still copied from the page cache by the kernel (the
 * man page lists the copies of each mode).
 *
 * The read path is picked once, in main.c, as an ops table (struct
 * ingest_path_ops, fio's ioengine_ops shape): registered.c or passthru.c.
 * The parsed options are read-only; values the run derives from them (the
 * effective chunk size, the source ranges) live in struct engine.
 *
 * Errors follow errors.h: callees return 0 or -errno and main.c prints
 * (engine_run() leaves its message in err_msg; check_run() and probe_run()
 * are modes and return an exit code).  Exceptions, which print their own
 * error: the path openers (source_open(), passthru_open()), cuda_attach()
 * (so target_init() for a cuda target) and verify_sources().
 */
#ifndef NVME_GPU_INGEST_H
#define NVME_GPU_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

#include "stats.h"

#define TOOL "nvme-gpu-ingest"

enum ingest_path { PATH_REGISTERED = 0, PATH_PASSTHROUGH };
enum ingest_target { TARGET_HOST = 0, TARGET_CUDA_HOST, TARGET_CUDA_DEVICE };
enum ingest_rw { RW_READ = 0, RW_RANDREAD };
/* --numa: NUMA_AUTO = the device's node from sysfs, NUMA_OFF = no policy, else a node. */
#define NUMA_AUTO (-1)
#define NUMA_OFF (-2)
/* What the kernel refuses at io_uring_register_buffers (io_uring/rsrc.c). */
#define URING_MAX_REG_BUFFERS 16384U
#define URING_MAX_BUF_SIZE (1ULL << 30)

const char *path_name(enum ingest_path p);
/* "registered" / "passthrough" -> *@p; -EINVAL for another name. */
int path_by_name(const char *name, enum ingest_path *p);
const char *target_name(enum ingest_target t);

/* The parsed command line (options.c); never written once parsed. */
struct ingest_args {
	enum ingest_path path;
	enum ingest_target target;
	bool direct, sqpoll, verify, validate, probe;
	bool nowait;            /* RWF_NOWAIT first, blocking retry on -EAGAIN */
	bool hipri;             /* --hipri: polled completions (IORING_SETUP_IOPOLL) */
	unsigned qd;            /* reads in flight at most */
	unsigned slots;         /* registered buffers (>= qd) */
	uint64_t chunk;         /* bytes per read */
	uint64_t offset;        /* start of the range in every source */
	uint64_t length;        /* 0 = to the end */
	uint64_t loops;         /* passes over every source */
	int device;             /* CUDA device ordinal */
	const char *check;      /* --check FILE: validate a saved summary */
	bool samples;           /* emit sample records every interval */
	enum ingest_rw rw;      /* --rw: chunks in order, or each once in random order */
	unsigned threads;       /* --threads, 0 = one per device, capped by CPUs */
	const char *cpus;       /* --cpus LIST (validated), NULL = no pinning */
	int numa;               /* --numa: node, NUMA_AUTO or NUMA_OFF */
	char **srcs;            /* as given; directories are expanded by dirsrc.c */
	int nsrcs;
};
/* Parse the command line (a usage error exits 2); the result is read-only. */
const struct ingest_args *args_parse(int argc, char **argv);

/*
 * The eight counters of the seed, in its order: the one list of their names,
 * X(field) each.  It makes the fields of struct telemetry, the counter keys
 * of sample and summary records (report.c) and the keys --check reads back
 * (check.c); man/nvme-gpu-ingest.8 documents them under OUTPUT.
 */
#define TEL_SEED_COUNTERS(X)                                                   \
	X(submitted_bytes) X(completed_bytes)                                  \
	X(submitted_reads) X(completed_reads)                                  \
	X(registered_mapped_read_submissions) X(gpudirect_nvme_submissions)   \
	X(cpu_bounce_bytes) X(failed_completions)

/* The seed's counters, plus what the engine counts beyond them. */
struct telemetry {
#define TEL_FIELD(f) uint64_t f;
	TEL_SEED_COUNTERS(TEL_FIELD)
#undef TEL_FIELD
	/* not part of the seed */
	uint64_t eagain_retries, short_reads, h2d_bytes;
};
/* One input: opened by its path's opener (source.c for files and block devices, nvme_dev.c for passthrough). */
struct source {
	const char *name;       /* as given */
	char dev[64];           /* generic char device used for passthrough */
	int fd;
	bool is_blk, is_chr;
	uint64_t size;          /* bytes (file size or capacity) */
	uint32_t align;         /* logical block size for O_DIRECT/passthrough */
	uint64_t start, end;    /* [start, end) byte range to read */
	uint32_t nsid;          /* passthrough only */
	uint32_t lba_shift;     /* passthrough only */
	uint32_t max_xfer;      /* passthrough: bytes per command, 0 = no cap */
	bool io_poll;           /* passthrough: the namespace has poll queues (sysfs queue/io_poll) */
	uint32_t *crc;          /* per-chunk crc32 (verify), first pass only */
	uint64_t nchunks;
	uint32_t crc_landed, crc_source;
	bool verified;          /* crc_* are valid */
	/* issue 16: many sources at once (workers.c, devinfo.c) */
	unsigned devi;          /* index into run->dev: the device it lives on */
	unsigned worker;        /* index into run->w: the ring that reads it */
	uint64_t perm_a, perm_b; /* --rw randread: chunk k is read as (a*k+b) mod nchunks */
	struct telemetry tel;   /* this source's share of its ring's counters */
	uint64_t cpu_ns;        /* its share of its ring thread's CPU time (by bytes) */
};
/*
 * The registered path's opener: open @s->name (a regular file or a block
 * device, O_DIRECT with --direct) and fill its size and alignment, checked
 * against --offset and the effective @chunk; the range is left to
 * source_range(), once the chunk size is final.  0, or -errno with the
 * error printed.
 */
int source_open(struct source *s, const struct ingest_args *args, uint64_t chunk);
/* Set start/end/nchunks from --offset/--length and @chunk, clipped to s->size. */
void source_range(struct source *s, const struct ingest_args *args, uint64_t chunk);
void source_close(struct source *s);

uint64_t tel_inflight_reads(const struct telemetry *t);
/* The counter of submissions made on path @p (registered_mapped_read_ or gpudirect_nvme_). */
uint64_t *tel_path_counter(struct telemetry *t, enum ingest_path p);
uint64_t tel_path_submissions(const struct telemetry *t, enum ingest_path p);
/* One validate_completed_zero_copy rule that failed. */
struct tel_violation {
	const char *rule;
	char detail[160];
	const char *fix;
};
/* Check the seed's rules in order; fills up to @max violations, returns count. */
int tel_validate(const struct telemetry *t, enum ingest_path p,
		 struct tel_violation *v, int max);
/* The rule of target @k (cuda-device: h2d_bytes == completed_bytes); as tel_validate. */
int tel_validate_target(const struct telemetry *t, enum ingest_target k,
			struct tel_violation *v, int max);


/* Target memory: one region cut into slots (target.c, cuda.c). */
#define HUGE_ALIGN (2UL << 20)
struct target {
	enum ingest_target kind;
	uint8_t *base;          /* HUGE_ALIGN-aligned start of the slots */
	size_t size, slot_size;
	void *map;              /* the whole mapping (base rounded down) */
	size_t map_len;
	bool thp;               /* MADV_HUGEPAGE accepted */
	unsigned nslots;
	uint64_t dev_ptr;       /* device address of base (cuda-host/device) */
	void *cuda;             /* struct cuda_state when a cuda target */
	bool test_double;       /* the CUDA driver is telkit's test double */
	char cuda_err[192];     /* the CUDA call that failed during the run */
};
int target_init(struct target *t, enum ingest_target kind, unsigned nslots,
		size_t slot_size, int device);
void target_fini(struct target *t);
/* cuda-device: start the H2D copy of slot @i (@len bytes).  0 or -errno. */
int target_copy_start(struct target *t, unsigned i, size_t len);
/* 1 when slot @i's copy is done (or none was started), 0 if busy, -errno. */
int target_copy_poll(struct target *t, unsigned i, bool wait);
/*
 * The first @len bytes of slot @i where they finally landed, for --verify:
 * host: the slot itself; cuda-host: read back through the slot's
 * device-mapped address; cuda-device: read back from the device buffer
 * (valid until the slot's next copy).  cuda targets copy into a buffer of
 * their own, valid until the next call.  NULL with *@err set on failure.
 */
const uint8_t *target_readback(struct target *t, unsigned i, size_t len, int *err);
/* cuda-device: nanoseconds at least one H2D copy was running (from events). */
uint64_t target_h2d_busy_ns(const struct target *t);
/* cuda.c; the run-time calls leave their failure in t->cuda_err. */
int cuda_attach(struct target *t, int device);
void cuda_detach(struct target *t);
int cuda_copy_start(struct target *t, unsigned i, size_t len);
int cuda_copy_poll(struct target *t, unsigned i, bool wait);
const uint8_t *cuda_readback(struct target *t, unsigned i, size_t len, int *err);
uint64_t cuda_h2d_busy_ns(const struct target *t);
#define CUDA_PROBE_MAX 16
struct cuda_probe_dev {
	char name[96];
	int host_register;      /* CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED */
	int can_map;            /* CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY */
	int pageable_hpt;       /* ..._PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES */
};
struct cuda_probe_info {
	bool test_double;
	struct cuda_probe_dev dev[CUDA_PROBE_MAX];
};
/* Number of devices (the first CUDA_PROBE_MAX filled), or -errno with @why. */
int cuda_probe(struct cuda_probe_info *info, char *why, size_t len);

/* Ring setup with fio-style EINVAL fallback (ring.c). */
struct ring {
	struct io_uring ring;
	unsigned flags;         /* flags the kernel accepted */
	unsigned dropped;       /* optional flags dropped on EINVAL */
	bool ready, bufs_registered;
};
int ring_init(struct ring *r, unsigned entries, unsigned required, bool sqpoll);
int ring_register(struct ring *r, struct target *t);
void ring_fini(struct ring *r);
/* "SINGLE_ISSUER|DEFER_TASKRUN" for flags; writes into @buf. */
const char *ring_flag_names(unsigned flags, char *buf, size_t len);

/* Per-slot state of the engine. */
enum slot_state { SLOT_FREE = 0, SLOT_PREPPED, SLOT_INFLIGHT, SLOT_COPYING };
struct slot {
	enum slot_state state;
	unsigned src;           /* index into the source array */
	uint64_t chunk;         /* chunk number within the source range */
	uint64_t off;           /* byte offset of the chunk in the source */
	uint64_t want;          /* source bytes this chunk must deliver */
	uint64_t done;          /* bytes delivered so far */
	uint64_t io_off;        /* offset of the current SQE (aligned) */
	uint64_t io_len;        /* length of the current SQE */
	uint64_t io_skip;       /* bytes of the current SQE already counted */
	uint64_t t_submit;
	bool first_pass;
	bool blocking;          /* -EAGAIN seen: retry without RWF_NOWAIT */
	enum { ACCT_NEW, ACCT_RESUB, ACCT_RETRY } acct;
};

/*
 * One read path (fio's struct ioengine_ops): registered_ops (registered.c)
 * or passthru_ops (passthru.c), picked once by main.c from --path.  The
 * engine, setup and report call through it and never test the path again.
 */
struct engine;
struct ingest_path_ops {
	enum ingest_path path;
	unsigned ring_flags;    /* io_uring setup flags the path requires */
	bool direct;            /* reads always bypass the page cache */
	bool uring_cmd;         /* IORING_OP_URING_CMD: IORING_URING_CMD_FIXED tried first */
	/* Open @s->name and fill its size and alignment (checked against @chunk);
	 * 0, or -errno with the error printed. */
	int (*open)(struct source *s, const struct ingest_args *args, uint64_t chunk);
	/* Fill @sqe for slot @i (e->slots[i].io_off/io_len set). */
	void (*prep)(struct engine *e, struct io_uring_sqe *sqe, unsigned i);
	/* Completion -> bytes (>= 0) or -errno; may leave the message in e->err_msg. */
	int64_t (*result)(struct engine *e, unsigned i, const struct io_uring_cqe *cqe);
};
extern const struct ingest_path_ops registered_ops, passthru_ops;

/* The engine (engine.c): the slots ring, driven through the path's ops. */
struct engine {
	const struct ingest_args *args; /* parsed command line, read-only */
	const struct ingest_path_ops *ops;
	uint64_t chunk;         /* effective bytes per read: --chunk, lowered to the controller's cap */
	struct ring r;
	struct target tgt;
	struct source *src;
	unsigned nsrc;
	struct slot *slots;
	unsigned inflight;
	struct telemetry tel;
	struct tk_reservoir lat;
	bool cmd_fixed;         /* uring_cmd path: IORING_URING_CMD_FIXED in use */
	int first_err;          /* first -errno seen (0 = none) */
	char err_msg[256];
	uint64_t t_start, t_end;
	uint64_t total_bytes;   /* bytes the whole run should land */
	bool stopped;           /* stop requested before the end */
	/* issue 16: one engine per worker thread (workers.c) */
	unsigned id;            /* worker index */
	bool threaded;          /* one of several workers: the main thread samples */
	bool files_registered;  /* sources are io_uring fixed files (index = e->src[k]) */
	bool iopoll;            /* ring set up with IORING_SETUP_IOPOLL */
	int cpu;                /* pinned CPU, -1 = none */
	int node;               /* NUMA node of the slot memory policy, -1 = none */
	struct tk_reservoir *dlat; /* per device (run->ndev, those of this worker set up) */
	uint64_t cpu_ns;        /* CPU time of the worker thread (RUSAGE_THREAD) */
	unsigned run_threads, run_devices; /* of the whole run, for the summary */
	unsigned qd, nslots;    /* this ring's: --qd and --slots times the devices it reads */
};

/* A device the sources live on (devinfo.c): a disk, an NVMe namespace. */
struct device {
	char name[64];          /* sysfs name: "nvme0n1", "loop3", "sda"; else "MAJ:MIN" */
	unsigned long long key; /* dev_t of the whole disk (or of the file system) */
	int node;               /* NUMA node from sysfs, -1 when unknown */
	unsigned nsrc, nworkers;
};
/*
 * Identify the device @fd lives on (a block device itself, the disk under a
 * file's file system, the namespace under /dev/ngXnY): fills @d's name, key
 * and node.  Never fails: unknown parts stay "MAJ:MIN" / -1.
 */
void devinfo_get(int fd, struct device *d);
/* Number of NUMA nodes online (1 when sysfs says nothing); node @n exists? */
bool devinfo_node_exists(int n);

/* The whole run: every source, the devices, one engine per worker thread. */
struct run {
	const struct ingest_args *args;
	const struct ingest_path_ops *ops;
	uint64_t chunk;
	struct source *src;     /* sorted by worker: each worker reads a contiguous slice */
	unsigned nsrc;
	struct device *dev;
	unsigned ndev;
	struct engine *w;
	unsigned nw;
	uint64_t total_bytes;
	uint64_t t_start, t_end, cpu_ns; /* cpu_ns: whole process (RUSAGE_SELF), all threads */
	char **names;           /* expanded source names (dirsrc.c) */
	int nnames;
};
/*
 * Expand every directory among @args->srcs into the regular files directly
 * in it (sorted by name); other names pass through.  0 or -errno with the
 * error printed.  dirsrc_free() releases what it made.
 */
int dirsrc_expand(const struct ingest_args *args, char ***names, int *n);
void dirsrc_free(char **names, int n);
/*
 * workers.c: assign the sources to workers (each device its own ring when
 * there are threads enough), set every worker up (slot memory on the
 * device's NUMA node, ring, registered buffers and files), run them in
 * threads pinned per --cpus, and join.  workers_plan() sorts run->src.
 * 0 or -errno (setup errors printed; run errors left in each w[k].err_msg).
 */
int workers_plan(struct run *r);
int workers_setup(struct run *r);
int workers_run(struct run *r);
void workers_fini(struct run *r);

/*
 * Read every source range e->args->loops times through e->ops into the
 * target's slots (sources open, target mapped, ring set up and registered).
 * Returns 0, or the first -errno with its message in e->err_msg; in-flight
 * reads and copies are drained either way.
 */
int engine_run(struct engine *e);

/* Pure NVMe identify-namespace decoding (nvme_id.c); fuzzed. */
struct nvme_geom {
	uint64_t nsze;          /* namespace size in logical blocks */
	uint32_t lba_size;      /* bytes */
	uint32_t lba_shift;
	uint16_t ms;            /* metadata bytes per LBA */
	uint8_t lbaf;           /* format index in use */
	bool extended;          /* metadata interleaved with data */
};
int nvme_id_ns_decode(const uint8_t *buf, size_t len, struct nvme_geom *g);
/* nsid + geometry of an open namespace fd (libnvme); @status = NVMe status. */
int nvme_ns_query(int fd, uint32_t *nsid, struct nvme_geom *g, int *status);
/* "/dev/nvme0n1" or "nvme0n1" -> "/dev/ng0n1"; /dev/ngXnY unchanged. */
int nvme_generic_name(const char *in, char *out, size_t len);
/*
 * The passthrough path's opener (nvme_dev.c): open the NVMe generic char
 * device behind @s->name, as source_open() does for files.  0, or -errno
 * with the error printed.
 */
int passthru_open(struct source *s, const struct ingest_args *args, uint64_t chunk);

/*
 * Verify (verify.c): checksum landed chunks and re-read the source.
 * verify_chunk() when slot @i's chunk landed, verify_copied() when its H2D
 * copy finished (cuda-device); 0 or -errno (a CUDA failure in e->tgt.cuda_err).
 */
int verify_chunk(struct engine *e, unsigned i);
int verify_copied(struct engine *e, unsigned i);
int verify_sources(struct engine *e, int *mismatches);

/* Output (report.c). */
void report_progress(const struct engine *e, bool final);
int report_sample(const struct engine *e, uint64_t period_ns,
		  uint64_t bytes_in_period);
void report_summary(const struct engine *e);
/* The seed's counters plus inflight_reads and path_submissions, into record @r. */
struct json_object;
void report_counters(struct json_object *r, const struct telemetry *t, enum ingest_path p);
/* eagain_retries, short_reads and h2d_bytes into record @r. */
void report_retries(struct json_object *r, const struct telemetry *t);
/* report_retries(), then lat_p50/p99/max_us, into record @r. */
void report_retries_lat(struct json_object *r, const struct telemetry *t,
			const struct tk_summary *lat);
/* iops, lat_mean/p90/p999_us, cpu_s, cpu_s_per_gib into record @r. */
void report_perf(struct json_object *r, uint64_t reads, uint64_t bytes, uint64_t ns,
		 uint64_t cpu_ns, const struct tk_summary *lat);
/* The verify event of source @s; @e names the read-back (its target). */
void report_verify(const struct engine *e, const struct source *s);
void report_violations(const struct tel_violation *v, int n);

int probe_run(void);
/*
 * --check (check.c): validate the counters of the last summary in @path
 * ("-" = stdin).  Exit code: 0 when every rule holds, 3 with the failed rules
 * printed; an unreadable file or one without a summary exits 2.
 */
int check_run(const char *path);

#endif
