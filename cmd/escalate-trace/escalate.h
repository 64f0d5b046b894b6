/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * escalate.h — shared types of escalate-trace.
 *
 * Data flow: a JSON line -> esc_extract() (input.c, pure) -> struct esc_sample
 * -> esc_detect() on the brick's sliding window (detect.c) -> a reason ->
 * esc_rl_allow() (ratelimit.c) -> esc_trace_run() (tracer.c, BPF; its
 * per-syscall maps drained by agg.c into tables, sctable.c) ->
 * esc_breakdown_build() (breakdown.c) -> esc_report_*() (report.c; the
 * per-syscall rows in figures.c) and esc_otlp_submit() (otlp.c).
 *
 * Errors follow errors.h: callees return 0 or -errno (with a sentence in an
 * error field, such as the trace's error or the exporter's last_error, where
 * the errno is not enough); main.c and the modes of run.h print and return
 * the exit code.  Exceptions: esc_line_done() (account.h) prints a --strict
 * failure itself and returns -EBADMSG; esc_otlp_start() warns about each
 * OTEL_EXPORTER_OTLP_* value it ignores (otlp_config.c).
 */
#ifndef ESCALATE_H
#define ESCALATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- reasons (seed EscalationReason, OTLP values) ---------------------- */
enum esc_reason {
	ESC_NONE = 0,
	ESC_CV_EXCEEDED,
	ESC_EFFICIENCY_LOW,
	ESC_BOTH,
	ESC_MEMORY_CLIFF,
	ESC_GPU_TRANSFER,
	ESC_MANUAL,
	ESC_OUTLIER,         /* --detect outlier (not in the seed) */
	ESC_CHANGE_POINT,    /* --detect change_point (not in the seed) */
	ESC_REASON_NR,
};
const char *esc_reason_name(enum esc_reason r);        /* "cv_exceeded" ... */
const char *esc_reason_description(enum esc_reason r); /* seed's description */

/* ---- input field extraction (input.c) ---------------------------------- */
enum esc_field {
	ESC_F_NAME, ESC_F_VALUE, ESC_F_BUDGET, ESC_F_PID, ESC_F_CLIFF, ESC_F_GPU,
	ESC_F_NR,
};
const char *esc_field_opt(enum esc_field f);  /* "--value" ... */

enum esc_field_status {
	ESC_FS_UNUSED = 0,   /* field not asked for */
	ESC_FS_OK,
	ESC_FS_MISSING,      /* key absent (or null) */
	ESC_FS_BAD,          /* present but not a finite non-negative number / string */
};

enum esc_line_status {
	ESC_LINE_OK = 0,
	ESC_LINE_MALFORMED,  /* not JSON, not one object, NUL byte, too long */
	ESC_LINE_SKIPPED,    /* --type given and the record's type differs */
};

#define ESC_NAME_MAX 256

/* Which keys to read.  NULL key = field not used.  Keys may be dotted paths. */
struct esc_fields {
	const char *key[ESC_F_NR];
	const char *type;         /* only records with "type" == this; NULL = all */
	double value_scale;       /* multiply the value by this to get µs */
};

struct esc_sample {
	enum esc_field_status st[ESC_F_NR];
	char name[ESC_NAME_MAX];  /* UTF-8 sanitised brick name */
	double value_us;
	double budget_us;
	double cliff;
	double gpu_pct;
	int64_t pid;
	uint64_t ts_ns;           /* the record's "ts_ns" (CLOCK_REALTIME), 0 = none */
};

/*
 * Pure: parse one line (@len bytes, need not be NUL-terminated) and fill
 * @out.  Never prints, never allocates beyond json-c's parse of the line.
 */
enum esc_line_status esc_extract(const char *line, size_t len,
				 const struct esc_fields *f, struct esc_sample *out);
/*
 * The same with a caller-owned tokener from esc_tokener_new() (reset on each
 * call, so results never depend on earlier lines); saves an allocation per
 * line.  Free it with json_tokener_free().
 */
struct json_tokener;
struct json_tokener *esc_tokener_new(void);
enum esc_line_status esc_extract_tok(struct json_tokener *tok, const char *line, size_t len,
				     const struct esc_fields *f, struct esc_sample *out);

/* ---- detection (detect.c) ---------------------------------------------- */
struct esc_thresholds {
	double cv;           /* > triggers, default 15 */
	double efficiency;   /* < triggers, default 25 */
	double cliff;        /* drop % > triggers, default 30 */
	double gpu;          /* > triggers, default 50 */
	size_t window;       /* samples per brick, default 100 */
	size_t min_samples;  /* no CV, efficiency, cliff or robust verdict below, default 10 */
	uint64_t hold;       /* --for: consecutive samples a condition must hold, default 1 */
	uint64_t cooldown_ns;/* a brick that escalated is quiet this long, default 60s */
	unsigned detect;     /* ESC_DETECT_* mask (--detect), default 0 */
	double outlier_z;    /* modified z-score > triggers, default 6 */
	double alpha;        /* significance of the change-point test, default 1e-4 */
	bool exact;          /* the window's figures on every sample (--exec reports
				them per run; the differential test's oracle) */
};
#define ESC_DETECT_OUTLIER 1u
#define ESC_DETECT_CHANGE  2u

/* What one sample's detectors computed. */
struct esc_verdict {
	enum esc_reason reason;
	size_t n;                /* samples in the window, current included */
	double mean_us;          /* window mean (the "actual") */
	double cv;               /* 0 when not computable */
	bool cv_valid;
	double efficiency;       /* budget/mean*100; 0 when no budget */
	bool eff_valid;
	double cliff_median;     /* median of the preceding window */
	double cliff_drop;       /* % below the median */
	bool cliff_valid;
	double gpu_pct;
	bool gpu_valid;
	double budget_us;
	/* --detect outlier: the sample against the preceding window */
	double out_median, out_mad, out_z;
	bool out_valid;
	/* --detect change_point: over the window, current sample included */
	uint64_t cp_index;       /* the brick's sample number (from 0) that starts segment 2 */
	size_t cp_n1, cp_n2;
	double cp_mean1, cp_mean2, cp_p;
	bool cp_valid;
	/* why a firing condition did not escalate: --for pending, --cooldown */
	bool pending, suppressed;
};

struct esc_bricks;
struct esc_bricks *esc_bricks_new(const struct esc_thresholds *t, size_t max_bricks);
void esc_bricks_free(struct esc_bricks *b);
size_t esc_bricks_count(const struct esc_bricks *b);
/*
 * Add @s to its brick's window and run the detectors: the seed's rules
 * (those on the window need t->min_samples values), then t->detect's; a
 * firing reason escalates only after t->hold samples in a row and outside
 * the brick's cooldown, else v->reason is ESC_NONE with v->pending or
 * v->suppressed set.  The window's figures (n, mean_us, cv, efficiency,
 * budget_us) are those of the two-pass computation whenever v->reason is
 * not ESC_NONE or t->exact is set; otherwise, when running sums prove that
 * neither the CV nor the efficiency rule can fire, only v->n (and v->mean_us
 * on a sample the change point is tested on) is filled.  Returns 0, -ENOSPC when a new brick would exceed the
 * cap (sample dropped) or -ENOMEM.
 */
int esc_detect(struct esc_bricks *b, const struct esc_sample *s,
	       struct esc_verdict *v);
/* Samples whose condition held but that --cooldown kept quiet. */
uint64_t esc_bricks_suppressed(const struct esc_bricks *b);

/* Whole-run statistics of one brick's --value samples (µs), for baselines. */
struct esc_brick_stats {
	const char *name;        /* valid while the bricks live */
	uint64_t n;
	double mean, sd, min, max;   /* sd: sample (n - 1) standard deviation */
};
/* All bricks, sorted by name, into a new array (caller frees).  0 or -ENOMEM. */
int esc_bricks_stats(const struct esc_bricks *b, struct esc_brick_stats **out, size_t *n);

/* ---- rate limiter (ratelimit.c) ---------------------------------------- */
struct esc_ratelimit {
	uint64_t max;          /* escalations per window */
	uint64_t interval_ns;
	uint64_t start_ns;     /* start of the current window */
	uint64_t count;        /* allowed in the current window */
	uint64_t denied;       /* total denied */
};
void esc_rl_init(struct esc_ratelimit *rl, uint64_t max, uint64_t interval_ns);
/* Fixed window: reset when now - start >= interval; allow while count < max. */
bool esc_rl_allow(struct esc_ratelimit *rl, uint64_t now_ns);
/* "100/60s" -> max, interval.  0 or -EINVAL. */
int esc_rl_parse(const char *s, uint64_t *max, uint64_t *interval_ns);

/* ---- syscall names and breakdown (syscalls.c, breakdown.c) ------------- */
#define ESC_NR_SYSCALLS 512        /* most rows --top lists */
#define ESC_SC_COMPAT 0x80000000u  /* in a syscall number: the 32-bit compat ABI */
#define ESC_SC_BADID 0x7fffffffu   /* ids outside [0, 2^31) */
/* @nr's name (libaudit, the ABI given by ESC_SC_COMPAT), or "sys_N" in @buf. */
const char *esc_syscall_name(unsigned nr, char *buf, size_t size);
/* "x86_64", "i386", ...: the ABI of @nr (libaudit's machine name). */
const char *esc_syscall_abi(unsigned nr);
/* Largest syscall number libaudit knows for @nr's ABI (ids beyond get sys_N). */
unsigned esc_syscall_max(bool compat);

enum esc_cat { ESC_CAT_MMAP, ESC_CAT_FUTEX, ESC_CAT_IOCTL, ESC_CAT_READ,
	       ESC_CAT_WRITE, ESC_CAT_OTHER, ESC_CAT_NR };
const char *esc_cat_name(enum esc_cat c);
enum esc_cat esc_syscall_cat(const char *name);

#define ESC_HIST_BUCKETS 64        /* bucket i: [2^i, 2^(i+1)) ns; 0 holds 0 too */

/* One syscall's figures (in one thread with --per-thread, else all threads). */
struct esc_sc_stat {
	unsigned nr;                  /* number | ESC_SC_COMPAT */
	uint32_t tid;                 /* 0: all threads */
	uint64_t count;               /* calls entered in the window */
	uint64_t returned;            /* of which returned in it (timed) */
	uint64_t errors, time_ns;
	uint64_t min_ns, max_ns;      /* min_ns UINT64_MAX while nothing returned */
	unsigned __int128 sq_ns;      /* sum of squared times, ns^2 */
	uint64_t hist[ESC_HIST_BUCKETS];  /* with --hist */
};

/* Failures of one syscall with one errno. */
struct esc_sc_errno {
	unsigned nr;
	uint32_t tid;
	uint32_t err;
	uint64_t count;
};

/* Rows keyed by (nr, tid) and errno rows keyed by (nr, tid, err). */
struct esc_sc_table {
	struct esc_sc_stat *rows;
	size_t n, cap;
	struct esc_sc_errno *errs;
	size_t nerr, cap_err;
};
/* Append (unsorted); 0 or -ENOMEM. */
int esc_sc_table_add(struct esc_sc_table *t, const struct esc_sc_stat *s);
int esc_sc_table_add_errno(struct esc_sc_table *t, const struct esc_sc_errno *e);
/* Append all of @src to @dst, then fold rows with equal keys.  0 or -ENOMEM. */
int esc_sc_table_merge(struct esc_sc_table *dst, const struct esc_sc_table *src);
/* Fold rows (and errno rows) with equal keys; with @all_threads, tid -> 0 first. */
void esc_sc_table_fold(struct esc_sc_table *t, bool all_threads);
/* Sort rows by tid, then time desc, count desc, nr. */
void esc_sc_table_sort(struct esc_sc_table *t);
void esc_sc_table_free(struct esc_sc_table *t);
/* @t's rows folded over threads, sorted by time desc (malloc'd).  0 or -ENOMEM. */
int esc_sc_table_totals(const struct esc_sc_table *t, struct esc_sc_stat **rows, size_t *n);

/* Derived figures of a row (breakdown.c); 0 when nothing returned. */
double esc_sc_mean_ns(const struct esc_sc_stat *s);
double esc_sc_stddev_ns(const struct esc_sc_stat *s);   /* population */
uint64_t esc_sc_min_ns(const struct esc_sc_stat *s);    /* 0 when none */

/* What escalate-trace reports per syscall beyond the seed (--per-thread,
 * --hist, -i). */
struct esc_figs {
	bool per_thread, hist;
	uint64_t interval_ns;         /* 0: no interval records */
};

/* The seed's SyscallBreakdown, in µs, plus what we know about the window. */
struct esc_breakdown {
	uint64_t cat_us[ESC_CAT_NR];
	uint64_t syscall_us;     /* sum of the categories (saturating) */
	uint64_t total_us;       /* thread-time of the window, see man page */
	uint64_t compute_us;     /* total - syscall, saturating */
	double overhead_pct;     /* syscall / total * 100, 0 when total is 0 */
	const char *dominant;    /* max category, last on ties (seed); "none" */
	uint64_t calls, errors;
};
void esc_breakdown_build(const struct esc_sc_stat *st, size_t n, uint64_t total_ns,
			 struct esc_breakdown *b);

/* ---- syscall hook (hook.c) ---------------------------------------------- */
/* Cheapest first: auto tries them in this order (--hook). */
enum esc_hook {
	ESC_HOOK_AUTO = 0,
	ESC_HOOK_FENTRY_MULTI,    /* one fentry and one fexit multi-link (7.2+) */
	ESC_HOOK_FENTRY,          /* fentry/fexit per syscall function */
	ESC_HOOK_TP_BTF,          /* raw_syscalls sys_enter/sys_exit, tp_btf */
	ESC_HOOK_RAW_TP,          /* the same, raw_tp */
	ESC_HOOK_NR,
};
/* "auto", "fentry_multi", "fentry", "tp_btf", "raw_tp" */
const char *esc_hook_name(enum esc_hook h);
/* 0, or -EINVAL for a name not above. */
int esc_hook_parse(const char *s, enum esc_hook *h);

/* ---- tracer (tracer.c) -------------------------------------------------- */
struct esc_trace_result {
	bool traced;              /* false: could not trace (see error) */
	char error[128];
	pid_t pid;
	bool partial;             /* the target exited before the window ended */
	bool pid_reused;          /* the pid now names a newer process: untraced */
	uint64_t start_real_ns, end_real_ns;
	uint64_t start_mono_ns;   /* the window's start, CLOCK_MONOTONIC */
	uint64_t window_ns;       /* wall-clock length of the window */
	uint64_t thread_ns;       /* sum over threads of their time in the window */
	unsigned threads;         /* threads seen in the window */
	unsigned processes;       /* the target + followed children */
	uint64_t lost;            /* tid slots the BPF side could not track */
	uint64_t missed;          /* sys_enter runs the kernel skipped (any process) */
	uint64_t sc_lost;         /* syscall figures a full map refused */
	enum esc_hook hook;       /* the mechanism that traced (AUTO: none) */
	struct esc_sc_stat *sc;   /* per-syscall (all threads), sorted by time desc */
	size_t nsc;
	struct esc_sc_table all;  /* rows per (syscall, tid); errno rows */
	unsigned intervals;       /* interval records emitted (-i) */
};
struct esc_tracer;
/*
 * Open and load the BPF programs of @hook (AUTO: every hook the kernel
 * loads, cheapest first), not attached.  0 or -errno.
 */
int esc_tracer_open(struct esc_tracer **tp, enum esc_hook hook, int verbose);
void esc_tracer_close(struct esc_tracer *t);
/*
 * Figures to collect from the next esc_trace_run() on.  With
 * @f->interval_ns, @on_interval(@arg, @iv) is called with each interval's
 * figures (a result whose sc/all hold that interval only) while tracing.
 */
typedef int (*esc_interval_fn)(void *arg, const struct esc_trace_result *iv);
void esc_tracer_figures(struct esc_tracer *t, const struct esc_figs *f,
			esc_interval_fn on_interval, void *arg);
/* @born_by_boot_ns value: no identity check (e.g. our own child). */
#define ESC_ANY_PROCESS UINT64_MAX
/*
 * Trace @pid's syscalls (all threads) for @dur_ns, or until it exits;
 * with @follow also the processes it (or they) fork.  A process that
 * started after @born_by_boot_ns (CLOCK_BOOTTIME) holds a reused pid: it is
 * not traced (-ESRCH, r->pid_reused).
 * @ready_fd >= 0: write one byte to it once attached (--exec handshake).
 * Fills @r (caller frees r->sc).  0, or -errno with r->error set.
 */
int esc_trace_run(struct esc_tracer *t, pid_t pid, uint64_t born_by_boot_ns, uint64_t dur_ns,
		  bool follow, int ready_fd, struct esc_trace_result *r);
void esc_trace_result_free(struct esc_trace_result *r);

/* ---- the traced process's identity, for OTLP (procid.c) ----------------- */
struct esc_proc_id {
	bool valid;
	pid_t pid;
	uint64_t start_real_ns;   /* creation time: /proc/stat btime + starttime */
	char exe_name[256];       /* basename of /proc/PID/exe, else its comm */
	char exe_path[512];       /* "" when /proc/PID/exe cannot be read */
	char args[4096];          /* /proc/PID/cmdline: NUL-terminated arguments, */
	size_t args_len;          /* whole ones only (a longer tail is left out) */
};
/*
 * Read @pid's identity from /proc.  -ESRCH when it is gone or started after
 * @born_by_boot_ns (ESC_ANY_PROCESS: no check).  0 or -errno.
 */
int esc_proc_identity(pid_t pid, uint64_t born_by_boot_ns, struct esc_proc_id *id);

/* ---- one escalation: everything reported about it (report.c) ------------ */
struct esc_event {
	char brick[ESC_NAME_MAX];
	enum esc_reason reason;
	struct esc_verdict v;
	uint64_t budget_us, actual_us;
	struct esc_trace_result tr;
	struct esc_breakdown bd;
	uint64_t seq;             /* escalation number in this run */
	struct esc_proc_id proc;  /* the traced process (OTLP resource) */
	const struct esc_figs *figs;  /* NULL: the seed's figures only */
};
void esc_event_finish(struct esc_event *e);  /* derive bd from tr */
/* Emit the TraceResult record (json or text block).  0 or -EPIPE. */
int esc_report_event(const struct esc_event *e, unsigned top);
/* The `otlp` attribute object of @e (new json-c object). */
struct json_object *esc_otlp_attrs(const struct esc_event *e);
/* An interval record of @e's trace in progress (-i).  0 or -EPIPE. */
int esc_report_interval(const struct esc_event *e, const struct esc_trace_result *iv,
			unsigned top);
int esc_report_rate_limited(const char *brick, enum esc_reason r,
			    const struct esc_ratelimit *rl, uint64_t now_ns);

/* ---- OTLP/HTTP export (otlp.c) ------------------------------------------ */
struct esc_otlp;
/* Where the per-syscall table goes. */
enum esc_otlp_syscalls {
	ESC_OTLP_SC_LOGS = 0,     /* log records with event_name, tied to the span */
	ESC_OTLP_SC_SPAN_EVENTS,  /* the old form: top 10 as span events */
	ESC_OTLP_SC_NONE,
};
#define ESC_OTLP_HEADERS_MAX 32
/*
 * Options; what is left 0/NULL comes from the OTEL_EXPORTER_OTLP_* variables
 * (otlp_config.c), then the defaults.
 */
struct esc_otlp_opts {
	const char *url;          /* --otlp: the traces URL, as is */
	const char *logs_url;     /* --otlp-logs: the logs URL, as is */
	const char *headers[ESC_OTLP_HEADERS_MAX];  /* --otlp-header KEY=VALUE */
	unsigned nheaders;
	int compression;          /* -1 unset, 0 none, 1 gzip */
	enum esc_otlp_syscalls syscalls;
	size_t queue;             /* bounded queue length (requests) */
	unsigned retries;         /* per request, on 429/502/503/504/transport */
	uint64_t timeout_ns;      /* per HTTP attempt; 0 = env or 2s */
	uint64_t flush_ns;        /* how long exit waits for the queue */
	size_t max_body;          /* largest request body (uncompressed) */
};
struct esc_otlp_stats {
	uint64_t queued, sent, retried, dropped, failed;
	uint64_t too_large;       /* requests over max_body that cannot be split */
	uint64_t partial;         /* responses with a partial_success */
	uint64_t rejected_spans, rejected_logs;
	char last_error[96];      /* why the last failed export failed, or "" */
	char last_partial[96];    /* the last partial_success error_message */
};
/*
 * True when OTLP export is asked for: --otlp, or the environment names an
 * endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or _TRACES_ENDPOINT).
 */
bool esc_otlp_wanted(const struct esc_otlp_opts *o);
/* Pure: 0 when @kv is KEY=VALUE with a token key and no control bytes; -EINVAL. */
int esc_otlp_header_check(const char *kv);
/*
 * Resolve the endpoints and start the sender.  0, or -errno with a sentence
 * in @err and, for -EINVAL (options that cannot be honoured), a fix in *fix.
 */
int esc_otlp_start(struct esc_otlp **op, const struct esc_otlp_opts *o,
		   char *err, size_t errsz, const char **fix);
/* Never blocks: a full queue drops the request (counted). */
void esc_otlp_submit(struct esc_otlp *o, const struct esc_event *e);
/* Drain (up to flush_ns), stop the thread, fill @st. */
void esc_otlp_stop(struct esc_otlp *o, struct esc_otlp_stats *st);

#endif
