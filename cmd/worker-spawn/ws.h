/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ws.h — worker-spawn: shared types.
 *
 * A run is a list of groups (-w TYPE -n N).  Each worker is a forked process
 * (or a thread, or a thread of one forked leader: --mode pcomm, pcomm.c) that
 * places itself (affinity, policy, nice), waits on the
 * start pipe, runs its work type while the telemetry layer (telemetry.c)
 * samples it, and on SIGUSR1 writes a struct ws_report (wire.c encoding) to
 * its report pipe.  The parent (run.c) spawns and drives the workers, then
 * collects, reaps and synthesises sentinel reports for workers that sent
 * none (collect.c).  main then reduces the results once (summary.c) and
 * hands the run, read-only from there, to the printers (output.c) and the
 * --assert checks (check.c).
 *
 * Who reports errors: a callee returns 0 or -errno and hands its message
 * (and fix) up; main prints it once with tk_error() and picks the exit code.
 * ws_run() keeps its first failure in run->err_msg and run->err_fix.  Not
 * errors of the run, so printed where they arise: usage errors (the spec.c
 * parsers and ws_scx_validate() exit 2 through tk_usage_error() before any
 * worker starts), warnings (tk_warn(): -q silences them) and failed checks
 * (ws_check(), ws_scx_check(): one line each, the count returned).  A
 * worker's own failures are data: its report carries them (affinity_error,
 * sched_policy_error, exit_info) and the printers show them.
 */
#ifndef WS_H
#define WS_H

#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "parse.h"
#include "stats.h"

#define WS_MAX_SAMPLES   100000   /* reservoir cap (MAX_WAKE_SAMPLES) */
#define WS_MAX_MIGR      4096     /* migration events kept; the count goes on */
#define WS_MAX_CPUS      TK_CPUSET_MAX
#define WS_MAX_NODES     1024
#define WS_MAX_STR       512
#define WS_MAX_SLICES    256
#define WS_MAX_PHASE_SAMPLES 8192 /* per reservoir per phase (MAX_PHASE_WAKE_SAMPLES) */
#define WS_MAX_GROUPS    64
#define WS_MAX_WORKERS   4096
#define WS_MAX_PARAMS    16
#define WS_CHECKPOINT    1024     /* work units between checkpoints */
#define WS_POLL_NS       (100 * 1000000ULL) /* blocking re-check period */

enum ws_type {
	WS_SPIN_WAIT, WS_YIELD_HEAVY, WS_MIXED, WS_BURSTY, WS_PIPE_IO,
	WS_FUTEX_PING_PONG, WS_FUTEX_FAN_OUT, WS_FAN_OUT_COMPUTE,
	WS_CACHE_PRESSURE, WS_CACHE_YIELD, WS_CACHE_PIPE, WS_IO_SYNC_WRITE,
	WS_IO_RAND_READ, WS_IO_CONVOY, WS_NICE_SWEEP, WS_AFFINITY_CHURN,
	WS_POLICY_CHURN, WS_MUTEX_CONTENTION, WS_FORK_EXIT, WS_ALU_HOT,
	WS_SMT_SIBLING_SPIN, WS_IPC_VARIANCE, WS_TIMER_LATENCY, WS_IDLE_CHURN,
	WS_SEQUENCE,
	/* issue 15: wake */
	WS_WAKE_CHAIN, WS_THUNDERING_HERD, WS_EPOLL_STORM, WS_ASYMMETRIC_WAKER,
	WS_PRODUCER_CONSUMER,
	/* issue 15: mem */
	WS_CROSS_AFFINITY_CHURN, WS_NUMA_MIGRATION_CHURN, WS_NUMA_WORKING_SET_SWEEP,
	WS_PAGE_FAULT_CHURN, WS_CGROUP_CHURN, WS_CGROUP_ATTACH_STORM,
	/* issue 15: rt */
	WS_PRIORITY_INVERSION, WS_RT_STARVATION, WS_PREEMPT_STORM, WS_SIGNAL_STORM,
	/* issue 15: net, bench */
	WS_NET_TRAFFIC, WS_IRQ_WAKE, WS_SCHBENCH, WS_TAOBENCH,
	WS_EXEC, WS_NTYPES
};

/* Reservoirs a type fills: wake latencies, iteration costs, timer latencies. */
enum { WS_FILL_WAKE = 1, WS_FILL_ITER = 2, WS_FILL_TIMER = 4 };

enum ws_exit_kind {
	WS_EXIT_NONE, WS_EXIT_EXITED, WS_EXIT_SIGNALED, WS_EXIT_TIMED_OUT,
	WS_EXIT_WAIT_FAILED,
	WS_EXIT_PANICKED,        /* thread mode: the worker's body failed; parent-side only */
};

enum ws_affinity_kind {
	WS_AFF_INHERIT, WS_AFF_LIST, WS_AFF_RANDOM, WS_AFF_SINGLE,
	/* issue 15: ktstr LlcAligned, SmtSiblingPair, CrossCgroup */
	WS_AFF_LLC, WS_AFF_SMT_PAIR, WS_AFF_CROSS_CGROUP,
};

struct ws_affinity {
	enum ws_affinity_kind kind;
	struct tk_cpuset set;   /* WS_AFF_LIST */
	unsigned k;             /* WS_AFF_RANDOM */
};

#define WS_SCHED_EXT 7           /* SCHED_EXT (sched_ext, Linux 6.12+) */

struct ws_policy {
	int policy;             /* SCHED_* ; -1 = leave alone (normal) */
	int prio;
	uint64_t runtime, deadline, period;   /* SCHED_DEADLINE, ns */
	bool set;
};

/* One sequence step: kind in {spin, sleep, yield, io, alu-hot}. */
enum ws_step { WS_STEP_SPIN, WS_STEP_SLEEP, WS_STEP_YIELD, WS_STEP_IO, WS_STEP_ALU };
struct ws_seq_step {
	enum ws_step kind;
	uint64_t amount;        /* ms, every kind (ktstr WorkPhase durations) */
};

/* issue 15: wake — parameters of the wake-topology types (spec_wake.c, work_wake.c) */
struct ws_wake_params {
	unsigned depth;                  /* wake-chain: stages per ring */
	bool futex;                      /* wake-chain: futex hops (default: pipe) */
	uint64_t work_per_hop_ns;        /* wake-chain: spin per hop */
	unsigned waiters;                /* thundering-herd: the herd */
	uint64_t batches, inter_batch_ns;
	unsigned producers, consumers;   /* epoll-storm, producer-consumer-imbalance */
	uint64_t events_per_burst, gap_ns;          /* epoll-storm */
	struct ws_policy waker_class, wakee_class;  /* asymmetric-waker */
	uint64_t produce_rate_hz, consume_iters, queue_depth;   /* producer-consumer */
};

/* issue 15: mem. --mempolicy MODE[:NODES]: set_mempolicy() in every worker. */
struct ws_mempol {
	bool set;
	int mode;                /* MPOL_* */
	struct tk_cpuset nodes;  /* empty: none given */
	char arg[64];            /* as given, for messages */
};

struct ws_group {
	unsigned idx;
	enum ws_type type;
	char spec[256];          /* the -w argument, for output */
	unsigned n;              /* workers */
	unsigned unit;           /* group size of the type (pairs, fan-out+1) */
	/* type parameters (see work types table in the man page) */
	uint64_t p_burst, p_sleep, p_size, p_stride, p_spin, p_interval_us;
	uint64_t p_fanout, p_hot, p_cold, p_period, p_width, p_blocks;
	bool p_precise;          /* idle-churn precise_timing */
	char p_file[256];
	char exec_cmd[1024];
	struct ws_seq_step seq[WS_MAX_PARAMS];
	unsigned nseq;
	/* placement */
	struct ws_affinity aff;
	struct ws_policy pol;
	int nice;
	bool nice_set;
	char cgroup[256];        /* relative to /sys/fs/cgroup, or absolute */
	bool aff_set, cgroup_set;
	bool no_telemetry;       /* copied from ws_opts */
	bool phased;             /* --phases: keep per-phase samples (telemetry.c) */
	bool pol_deferred;       /* --policy-delay: the parent sets the policy */
	/* issue 15: wake */
	struct ws_wake_params wk;
	/* issue 15: mem (mem_spec.c, mem_place.c, work_mem.c) */
	uint64_t p_region, p_touches, p_period_ms;   /* region_kib (bytes), touches, ms */
	struct tk_cpuset p_nodes;    /* numa-working-set-sweep target_nodes; none = no bind */
	unsigned p_groups;           /* cgroup-churn groups */
	char p_dest[64];             /* cgroup-attach-storm dest (a name we make) */
	bool p_reap_wait;            /* cgroup-attach-storm reap=waitpid */
	struct ws_mempol mpol;       /* --mempolicy */
	char mem_cg[320];            /* the group's cgroup, absolute (ws_mem_setup) */
	unsigned mem_made;           /* cgroups ws_mem_setup() made under it */
	/* issue 15: rt (spec_rt.c parses them, work_rt.c runs them) */
	struct {
		uint64_t high, medium, low;          /* priority-inversion tiers */
		uint64_t hold_iters, work_iters, window_ms;
		bool pi;                              /* pi_mode=pi: FUTEX_LOCK_PI */
		uint64_t rt_workers, cfs_workers, rt_priority, burst_iters;
		uint64_t rt_burst_iters, rt_sleep_us, signals_per_iter;
		uint64_t rttime_us;                   /* RLIMIT_RTTIME of its FIFO workers */
	} rt;
	/* issue 15: net, bench (net-traffic, irq-wake, schbench, taobench) */
	uint64_t p_frame_bytes;          /* net: frame length */
	uint64_t p_messages, p_footprint, p_operations;   /* schbench (and p_sleep) */
	uint64_t p_threads;              /* schbench worker_threads, taobench slow_threads */
	uint64_t p_hit_pct, p_cache_mib, p_rate, p_slow_us, p_clients;   /* taobench */
	/* issue 15: schbench -R, -A, --split, -L (work_bench.c, sb_aux.c) */
	uint64_t p_sb_rps, p_sb_auto;    /* requests_per_sec, auto_rps (0: off) */
	int p_sb_split;                  /* split_percent 0..100; -1: no split */
	bool p_sb_nolock;                /* skip_locking */
	uint64_t p_slow_p99_us;          /* taobench: the fetch's Pareto p99 (0: fixed) */
	bool p_warm;                     /* taobench warm_start */
};

struct ws_migration {
	uint64_t at_ns;          /* from worker start */
	uint32_t from, to;
};

struct ws_samples {
	uint32_t n;
	uint64_t *v;
	uint64_t total;          /* observations, including dropped ones */
};

/*
 * The u64 fields of a phase slice, in struct, wire and JSON order: X(name,
 * how), where how says what closing a slice does with the running totals
 * (telemetry.c): DELTA (end minus start, saturating), MAX (the phase's own
 * maximum) or OWN (set on its own: the start, the derived off-CPU time).
 */
#define WS_SLICE_FIELDS(X) \
	X(start_ns, OWN) X(wall_ns, DELTA) X(cpu_ns, DELTA) X(off_cpu_ns, OWN) \
	X(work_units, DELTA) X(iterations, DELTA) X(migration_count, DELTA) \
	X(wake_total, DELTA) X(wake_sum_ns, DELTA) X(wake_max_ns, MAX) \
	X(iter_total, DELTA) X(iter_sum_ns, DELTA) X(iter_max_ns, MAX) \
	X(timer_total, DELTA) X(timer_sum_ns, DELTA) X(timer_max_ns, MAX) \
	X(run_delay_ns, DELTA) X(run_count, DELTA) \
	X(schedstat_cpu_time_ns, DELTA) X(vmstat_numa_pages_migrated, DELTA) \
	X(max_gap_ms, MAX) X(max_gap_cpu, MAX)

struct ws_numa;

/*
 * Per-phase subset of the telemetry (pushed when the phase epoch moves):
 * the u64 fields, then (issue 15, ktstr PhaseSlice) the CPUs the phase ran
 * on, the NUMA pages at its end and its own samples (at most
 * WS_MAX_PHASE_SAMPLES per reservoir; total counts every one).  The vectors
 * are owned by the slice (ws_report_free).
 */
struct ws_phase_slice {
	uint32_t phase;
#define WS_SLICE_MEMBER(name, how) uint64_t name;
	WS_SLICE_FIELDS(WS_SLICE_MEMBER)
#undef WS_SLICE_MEMBER
	uint32_t ncpus; uint32_t *cpus_used;         /* ascending */
	uint32_t nnuma; struct ws_numa *numa;
	struct ws_samples wake, iter, timer;
};
#define WS_SLICE_ONE(name, how) + 1
enum { WS_SLICE_U64S = 0 WS_SLICE_FIELDS(WS_SLICE_ONE) };   /* u64 fields per slice */
#undef WS_SLICE_ONE

/*
 * issue 15: bench — a benchmark type's figures (schbench, taobench) for one
 * phase, or for the whole run (phase WS_BENCH_WHOLE).  f[] by kind, in the
 * order of WS_SCHBENCH_FIELDS / WS_TAOBENCH_FIELDS (work_bench.c fills them,
 * output.c names them).  Latencies in ns.
 */
enum ws_bench_kind { WS_BENCH_SCHBENCH = 1, WS_BENCH_TAOBENCH = 2 };
#define WS_BENCH_WHOLE   UINT32_MAX
#define WS_BENCH_NF      24
#define WS_SCHBENCH_FIELDS(X) \
	X(wakeup_p50) X(wakeup_p90) X(wakeup_p99) X(wakeup_p999) X(wakeup_min) \
	X(wakeup_max) X(wakeup_samples) X(request_p50) X(request_p90) X(request_p99) \
	X(request_p999) X(request_min) X(request_max) X(request_samples) \
	X(sched_delay_msg) X(sched_delay_worker) X(loop_count) X(wall_ns) \
	X(rps_goal) X(rps_target_hit) X(rps_p50) X(rps_p90) X(rps_p99) X(rps_samples)
#define WS_TAOBENCH_FIELDS(X) \
	X(requests) X(hits) X(misses) X(wall_ns) X(open_loop) X(serve_p50) X(serve_p90) \
	X(serve_p99) X(serve_p999) X(serve_max) X(serve_samples) X(late) \
	X(get_cmds) X(get_misses) X(serve_min)
/* taobench: the mean of its value-size table (work_taobench.c), bytes */
#define WS_TB_MEAN_VALUE 332
#define WS_SB_IDX(name) WS_SB_##name,
#define WS_TB_IDX(name) WS_TB_##name,
enum { WS_SCHBENCH_FIELDS(WS_SB_IDX) WS_SCHBENCH_NF };
enum { WS_TAOBENCH_FIELDS(WS_TB_IDX) WS_TAOBENCH_NF };
#undef WS_SB_IDX
#undef WS_TB_IDX
struct ws_bench {
	uint32_t phase;
	uint8_t kind;            /* enum ws_bench_kind */
	uint64_t f[WS_BENCH_NF];
};

struct ws_numa {
	uint32_t node;
	uint64_t pages;
};

/* WorkerReport: every seed field, same names and meanings. */
struct ws_report {
	int32_t tid;
	uint64_t work_units, cpu_time_ns, wall_time_ns, off_cpu_ns;
	uint64_t migration_count;
	uint32_t ncpus;  uint32_t *cpus_used;        /* ascending */
	uint32_t nmigr;  struct ws_migration *migrations;
	uint64_t max_gap_ms; uint32_t max_gap_cpu; uint64_t max_gap_at_ms;
	struct ws_samples wake, iter, timer;
	struct ws_samples handoff;       /* issue 15: handoff (ws_type_handoff types) */
	uint64_t iterations;
	uint64_t run_delay_ns, run_count, sched_cpu_ns;
	bool completed;
	uint32_t nnuma;  struct ws_numa *numa;
	uint64_t vmstat_migrated;
	uint8_t exit_kind; int32_t exit_code;      /* exit_info; NONE on live reports */
	bool is_messenger;
	uint32_t group_idx;
	char *affinity_error, *sched_policy_error; /* NULL = None */
	uint32_t nslices; struct ws_phase_slice *slices;
	/* issue 15: bench — per phase, then the whole run (WS_BENCH_WHOLE) */
	uint32_t nbench; struct ws_bench *bench;
	/* parent-side, not on the wire: the kernel's view at the end of the run */
	int32_t eff_policy;      /* sched_getattr() policy; -1 = not read */
	int8_t ext_enabled;      /* /proc/.../sched ext.enabled; -1 = no such line */
	char *exit_message;      /* WS_EXIT_PANICKED: what failed (malloc'd) */
};

/* --- work type table (types.c) ------------------------------------------ */
struct ws_ctx;
struct ws_type_info {
	const char *name;
	int fills;                       /* WS_FILL_* */
	int (*run)(struct ws_ctx *c);    /* the work loop: 0 or -errno */
	int (*prep)(struct ws_ctx *c);   /* before the start barrier, or NULL */
	void (*fini)(struct ws_ctx *c);  /* after the loop, or NULL */
	const char *keys;                /* k=v keys it accepts, comma-separated */
	const char *desc;
};
extern const struct ws_type_info ws_types[WS_NTYPES];
int ws_type_lookup(const char *name, enum ws_type *t);
/* Reservoirs group @g fills (Sequence depends on its steps). */
int ws_group_fills(const struct ws_group *g);
/*
 * issue 15: handoff — does type @t also fill the handoff figure (the waker's
 * timestamp to the wakee running, beside its blocked-interval wake samples)?
 */
bool ws_type_handoff(enum ws_type t);

/* --- run configuration (spec.c, main.c) ---------------------------------- */
enum ws_assert_kind {
	WS_A_NOT_STARVED, WS_A_PARITY, WS_A_WAKE, WS_A_TIMER, WS_A_ISOLATION,
	WS_A_MAX_MIGR, WS_A_SCX_EVENTS,
	/* issue 15: mem */
	WS_A_PAGE_LOCALITY, WS_A_CROSS_NODE,
	/* issue 15: report checks (check_report.c) */
	WS_A_MIN_ITER_RATE, WS_A_ITER_COST, WS_A_WAKE_WORKER,
};
#define WS_A_NKINDS (WS_A_WAKE_WORKER + 1)
/* The --assert names by kind (spec.c); max-migrations is written "=N". */
extern const char *const ws_assert_names[WS_A_NKINDS];
#define WS_SCX_NAME      64       /* event name bytes, NUL included */
#define WS_SCX_BOUNDS    16       /* NAME=MAX pairs per scx-events-clean */
struct ws_scx_bound {
	char name[WS_SCX_NAME];  /* canonical: upper case, SCX_EV_ prefix */
	uint64_t max;
};
struct ws_assert {
	enum ws_assert_kind kind;
	double gap_ms, spread, cv, min_rate, p99_ns;
	double numa_bound;       /* issue 15: mem: page-locality F, cross-node-migration R */
	double min_iter_rate;    /* min-iteration-rate=R: iterations per wall second */
	uint64_t max;
	struct ws_scx_bound bounds[WS_SCX_BOUNDS];   /* scx-events-clean */
	unsigned nbounds;
};

struct ws_opts {
	struct ws_group groups[WS_MAX_GROUPS];
	unsigned ngroups;
	struct ws_group defaults;        /* placement given before any -w */
	bool thread_mode;
	bool pcomm;                      /* --mode pcomm: threads of one forked leader */
	bool samples;
	bool no_telemetry;               /* benchmark baseline: no checkpoints */
	uint64_t duration_ns;
	uint64_t phases[WS_MAX_SLICES];
	unsigned nphases;
	struct ws_assert asserts[32];
	unsigned nasserts;
	uint64_t seed;
	uint64_t policy_delay_ns;        /* --policy-delay; 0 = workers set it */
};

void ws_group_parse(const char *arg, struct ws_group *g);         /* exit 2 */
/*
 * alias.c: the reference's name for a parameter of type @t becomes ours in
 * *@key (and a KiB size or a duration value is converted into @vbuf, *@val
 * pointing there).  0, or -EINVAL for a value the alias cannot convert.
 */
int ws_param_alias(enum ws_type t, const char **key, const char **val, char *vbuf,
		   size_t vsize);
/* The reference names @t accepts, comma-separated ("" when none). */
void ws_param_aliases_of(enum ws_type t, char *buf, size_t size);
/*
 * alias.c: the integer @val of parameter @key in -w @arg, within
 * @min..@max; anything else is a usage error naming both (exit 2).
 */
uint64_t ws_param_u64(const char *arg, const char *key, const char *val, uint64_t min,
		      uint64_t max);
void ws_affinity_parse(const char *arg, struct ws_affinity *a);  /* exit 2 */
void ws_policy_parse(const char *arg, struct ws_policy *p);      /* exit 2 */
void ws_assert_parse(const char *arg, struct ws_assert *a);      /* exit 2 */
void ws_phases_parse(const char *arg, struct ws_opts *o);        /* exit 2 */
void ws_groups_finish(struct ws_opts *o);                        /* exit 2 */

/* --- issue 15: mem (mem_spec.c, mem_place.c, mem_check.c) --------------- */
/* Defaults of the mem types; called by set_defaults(). */
void ws_mem_defaults(struct ws_group *g);
/* A k=v of a mem type: true when taken (exit 2 on a bad value). */
bool ws_mem_param(struct ws_group *g, const char *arg, const char *key, const char *val);
void ws_mempolicy_parse(const char *arg, struct ws_mempol *m);        /* exit 2 */
/* page-locality=F, cross-node-migration=R: true when @arg is one (exit 2 if bad). */
bool ws_mem_assert_parse(const char *arg, struct ws_assert *a);
/* Checks that need the whole group list; warns when one NUMA node limits a type. */
void ws_mem_groups_finish(struct ws_opts *o);                       /* exit 2 */
/* Online NUMA nodes (/sys/devices/system/node/online; node 0 without it). */
int ws_online_nodes(struct tk_cpuset *nodes);
/* The CPUs of NUMA node @node (its sysfs cpulist); 0 or -errno. */
int ws_node_cpus(unsigned node, struct tk_cpuset *cpus);
/* The NUMA types (their group summary says how many nodes they had). */
bool ws_mem_numa_type(const struct ws_group *g);
unsigned ws_mem_numa_nodes(void);
/* set_mempolicy(2) with @nodes (NULL: none); 0 or -1 with errno. */
long ws_set_mempolicy(int mode, const struct tk_cpuset *nodes);
/*
 * Parent, before any worker: try each group's --mempolicy on this thread
 * (and undo it), make the cgroups the cgroup types rotate through under
 * g->mem_cg.  0 or -errno with @msg/@fix set.
 */
int ws_mem_setup(struct ws_opts *o, const char (*cg_abs)[320], char *msg, size_t size,
		 const char **fix);
/* Parent, after every worker is reaped: remove what ws_mem_setup() made. */
void ws_mem_teardown(struct ws_opts *o);
/* Worker: set its --mempolicy; NULL or a malloc'd error text. */
char *ws_mempolicy_apply(const struct ws_mempol *m);
/*
 * The NUMA checks over the run: failures; *@unrun counts the groups it could
 * not run on.  On a machine where it cannot be evaluated at all (one NUMA
 * node) it returns 0 and sets *@skip_why (static text); else NULL.
 */
struct ws_run;
unsigned ws_mem_check(const struct ws_run *run, const struct ws_assert *a, unsigned *unrun,
		      const char **skip_why);
/* --- issue 15: rt work types (spec_rt.c) --------------------------------- */
/* Set the rt parameters' defaults of @g (any type; only rt types read them). */
void ws_rt_defaults(struct ws_group *g);
/* Parse rt key @k=@v of -w @arg into @g: true when @k is an rt key; exit 2 on a bad value. */
bool ws_rt_param(struct ws_group *g, const char *arg, const char *k, const char *v);
/* Group size of an rt type (0: not an rt type); exit 2 on a bad tier count. */
unsigned ws_rt_unit(const struct ws_group *g);
/*
 * Before any worker starts: the rt types need RT permitted (a probe child
 * tries SCHED_FIFO), RT throttling on (sched_rt_runtime_us not -1) and, for
 * the types whose FIFO workers never block, two allowed CPUs.  Exit 2 naming
 * the type and the reason otherwise.  Sets each rt group's rttime_us: the
 * run length (o->duration_ns or the phases) plus WS_RT_GRACE_NS.
 */
#define WS_RT_GRACE_NS   (5 * 1000000000ULL)
void ws_rt_preflight(struct ws_opts *o);

/* --- the report wire format (wire.c) ------------------------------------- */
#define WS_REPORT_MAGIC   0x31525357u  /* "WSR1" little-endian */
#define WS_REPORT_VERSION 2            /* 2: phase slices carry CPUs, NUMA, samples */
/* Encode into a malloc'd buffer; 0 or -ENOMEM. */
int ws_report_encode(const struct ws_report *r, uint8_t **buf, size_t *len);
/*
 * Decode @len bytes.  Pure: no I/O, every count bounded, trailing bytes and
 * truncation rejected.  0, -EINVAL (malformed), -EPROTO (version), -ENOMEM.
 * On error @r is left zeroed (nothing to free).
 */
int ws_report_decode(const uint8_t *buf, size_t len, struct ws_report *r);
void ws_report_free(struct ws_report *r);
/* The whole frame's length once its header has arrived (@len >= 12), else 0. */
size_t ws_report_frame_len(const uint8_t *buf, size_t len);
/* "exited:7", "signaled:9", "timed_out", "wait_failed:10", "panicked" or "" */
void ws_exit_info_str(const struct ws_report *r, char *buf, size_t size);

/* --- placement (place.c) -------------------------------------------------- */
/* Apply affinity to @tid; NULL or a malloc'd error text. */
char *ws_apply_affinity(pid_t tid, const struct tk_cpuset *set);
char *ws_apply_policy(pid_t tid, const struct ws_policy *p);
/* "normal", "fifo", "ext", ...; NULL for a number it does not know. */
const char *ws_policy_name(int policy);
/*
 * The kernel's view of thread @tid of process @tgid: its policy
 * (sched_getattr) and the ext.enabled line of /proc/TGID/task/TID/sched
 * (1: on the sched_ext class, -1: no such line, a kernel without sched_ext).
 * 0 or -errno (the thread is gone).
 */
int ws_read_sched(pid_t tgid, pid_t tid, int32_t *policy, int8_t *ext_enabled);
int ws_online_cpus(struct tk_cpuset *set);
/* mkdir -p under the cgroup2 mount: levels made (0: existed) or -errno. */
int ws_cgroup_create(const char *path, char *abs, size_t size);
/* Thread mode: the @levels deepest directories of @abs become "threaded". */
int ws_cgroup_make_threaded(const char *abs, int levels);
int ws_cgroup_attach(const char *abs, pid_t pid, bool thread);
/* Remove @abs and then its parents, @levels directories in all. */
void ws_cgroup_remove(const char *abs, int levels);

/* --- CPU topology (topo.c), from /sys/devices/system/cpu ----------------- */
/* The online CPUs (sysfs "online"): 0 or -errno. */
int ws_topo_online(struct tk_cpuset *set);
/*
 * The last-level cache domains (highest-level data/unified cache's
 * shared_cpu_list) cut to @within, distinct, non-empty, by lowest CPU:
 * *@sets malloc'd (free it), *@n of them.  0, -ENOENT (none), -ENOMEM.
 */
int ws_topo_llcs(const struct tk_cpuset *within, struct tk_cpuset **sets, unsigned *n);
/*
 * The (@idx modulo their count)-th SMT sibling pair (thread_siblings_list,
 * its two lowest CPUs) with both CPUs in @within (NULL: any), lowest first.
 * 0 or -ENOENT (no core with two siblings).
 */
int ws_topo_smt_pair(const struct tk_cpuset *within, unsigned idx, unsigned cpus[2]);

/* --- sched_ext sysfs (scx.c) ---------------------------------------------- */
/*
 * What /sys/kernel/sched_ext says at one moment: state, switch_all,
 * nr_rejected, enable_seq, and with a scheduler attached root/ops and
 * root/events ("SCX_EV_NAME N" lines).  Contents are hostile: every file is
 * read into a bounded buffer, names must be [A-Z0-9_], counts are bounded.
 * The directory can be replaced by $TELKIT_SCX_SYSFS (a test double).
 */
#define WS_SCX_EVENTS    64       /* event counters read at most */
#define WS_SCX_OPS       128      /* SCX_OPS_NAME_LEN */
struct ws_scx_event {
	char name[WS_SCX_NAME];
	uint64_t val;
};
struct ws_scx_snap {
	bool present;                 /* the sched_ext directory exists */
	char state[32];               /* "" when unreadable */
	int64_t switch_all, nr_rejected, enable_seq;   /* -1 when unreadable */
	bool has_ops;                 /* root/ops read: a scheduler is attached */
	char ops[WS_SCX_OPS];
	int events_err;               /* 0, -ENOENT (absent), -EBADMSG, -E2BIG, ... */
	unsigned nev;
	struct ws_scx_event ev[WS_SCX_EVENTS];
};
struct ws_scx {
	struct ws_scx_snap t0, t1;    /* before the workers start, after they end */
	bool changed;                 /* the scheduler at the end is not the one at the start */
	bool deltas;                  /* d[] valid: same scheduler, events read twice */
	uint64_t d[WS_SCX_EVENTS];    /* per t1.ev[] */
};
/* The sched_ext sysfs directory: $TELKIT_SCX_SYSFS or /sys/kernel/sched_ext. */
const char *ws_scx_dir(void);
/*
 * Pure: parse @len bytes of root/events into @ev (at most @max).  Every line
 * must be "NAME N" (NAME [A-Z0-9_], shorter than WS_SCX_NAME, no repeats).
 * 0, -EBADMSG (malformed) or -E2BIG (more than @max).
 */
int ws_scx_parse_events(const char *buf, size_t len, struct ws_scx_event *ev, unsigned max,
			unsigned *n);
/* "fallback", "scx_ev_fallback" -> "SCX_EV_FALLBACK"; -EINVAL if not [A-Za-z0-9_]. */
int ws_scx_canon(const char *in, char *out, size_t size);
void ws_scx_snapshot(struct ws_scx_snap *s);
/* Compare t0 and t1: changed, deltas (warns once when they cannot be given). */
void ws_scx_finish(struct ws_scx *x);
/* Exit 2 when an scx-events-clean name is not among the kernel's counters. */
void ws_scx_validate(const struct ws_scx_snap *s, const struct ws_opts *o);

/* --- the run (run.c, collect.c) ------------------------------------------- */
/* The reservoirs of a report, for code that walks all three. */
enum ws_res { WS_RES_WAKE, WS_RES_ITER, WS_RES_TIMER, WS_NRES };
static inline const struct ws_samples *ws_samples_of(const struct ws_report *r, enum ws_res k)
{
	return k == WS_RES_WAKE ? &r->wake : k == WS_RES_ITER ? &r->iter : &r->timer;
}
static inline const struct ws_samples *ws_slice_samples(const struct ws_phase_slice *s,
							enum ws_res k)
{
	return k == WS_RES_WAKE ? &s->wake : k == WS_RES_ITER ? &s->iter : &s->timer;
}

/*
 * One worker: its report and what the parent knows of it (collect.c), then
 * the figures derived from it once (ws_reduce).
 */
struct ws_result {
	struct ws_report rep;
	const struct ws_group *group;
	struct tk_cpuset set;            /* the cpuset it was given (isolation) */
	bool set_valid;
	/* ws_reduce() */
	struct tk_summary res[WS_NRES];  /* each reservoir (zeros when empty) */
	struct tk_summary handoff;       /* issue 15: handoff */
	bool offcpu_measured;            /* it has a wall time */
	double offcpu_pct;               /* off-CPU % of its wall time */
	struct tk_summary (*slice_res)[WS_NRES];   /* per phase slice, each reservoir */
};

/* Per-group (or whole-run) reduction of the results (ktstr cgroup_stats). */
struct ws_sum {
	unsigned workers, completed, sentinels;
	uint64_t work_units, iterations, migrations;
	double offcpu_avg, offcpu_min, offcpu_max, offcpu_spread;   /* % */
	uint64_t worst_gap_ms; uint32_t worst_gap_cpu; int32_t worst_gap_tid;
	struct tk_summary res[WS_NRES];  /* the group's samples pooled */
	uint64_t res_total[WS_NRES];     /* observations, including dropped ones */
	struct tk_summary handoff;       /* issue 15: handoff, pooled */
	uint64_t handoff_total;
	bool has_handoff;                /* a worker in scope is of a handoff type */
	double wake_tail_ratio;
	double run_delay_mean_ns; uint64_t run_delay_worst_ns;
	double migration_ratio, iterations_per_worker, iterations_per_cpu_sec;
	double cross_node;
};

struct ws_run {
	struct ws_opts *o;
	struct ws_result *results;       /* one per worker, in spawn order */
	unsigned nworkers;
	struct ws_sum *sums;             /* ws_reduce(): per group, then the run */
	struct ws_scx scx;
	char err_msg[1024];              /* the first failure, for main to print */
	const char *err_fix;             /* its fix, or NULL */
};
/*
 * Spawn, drive and collect one run.  0 or -errno, with err_msg/err_fix set;
 * the results are there either way (nworkers of them) for the printers.
 */
int ws_run(struct ws_opts *o, struct ws_run *run);
void ws_run_free(struct ws_run *run);

/* --- reduce, print, check (summary.c, output.c, check.c) ------------------ */
/*
 * Derive every figure the printers and checks read, once: each result's
 * reservoir summaries and off-CPU %, and run->sums[0..ngroups] (the last is
 * the whole run).  0 or -ENOMEM.  After it, nothing writes the run.
 */
int ws_reduce(struct ws_run *run);
void ws_output(const struct ws_run *run);
/*
 * Failures count; *@unrun: checks that could not run (no sched_ext, ...);
 * *@inconclusive: checks that had nothing to measure (never a pass);
 * *@skipped: checks this machine cannot evaluate (one NUMA node), each
 * written as a "check" record with the reason and warned about.
 */
int ws_check(const struct ws_run *run, unsigned *unrun, unsigned *inconclusive,
	     unsigned *skipped);
/* The run summary's "scx" object (NULL: no sched_ext), scx-events-clean. */
struct json_object;
struct json_object *ws_scx_json(const struct ws_scx *x);
unsigned ws_scx_check(const struct ws_scx *x, const struct ws_assert *a, unsigned *unrun);

/* issue 15: bench — the benchmark objects of the JSON records (bench_json.c) */
/* "schbench_whole" / "taobench_whole" on the report of a benchmark worker. */
void ws_bench_report_json(struct json_object *rec, const struct ws_report *r);
/* "schbench" / "taobench" on the phase slice object @o of @phase, if any. */
void ws_bench_slice_json(struct json_object *o, const struct ws_report *r, uint32_t phase);
/*
 * "schbench" / "taobench" on group @g's summary: counts summed over its
 * workers, latencies and delays the worst worker's (min: the lowest), wall
 * the longest; nothing when the group has no benchmark.
 */
void ws_bench_group_json(struct json_object *rec, const struct ws_run *run, unsigned g);

#endif
