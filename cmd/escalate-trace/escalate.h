/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * escalate.h — shared types of escalate-trace.
 *
 * Data flow: a JSON line -> esc_extract() (input.c, pure) -> struct esc_sample
 * -> esc_detect() on the brick's sliding window (detect.c) -> a reason ->
 * esc_rl_allow() (ratelimit.c) -> esc_trace_run() (tracer.c, BPF) ->
 * esc_breakdown_build() (breakdown.c) -> esc_report_*() (report.c) and
 * esc_otlp_submit() (otlp.c).
 *
 * Errors follow errors.h: callees return 0 or -errno (with a sentence in an
 * error field, such as the trace's error or the exporter's last_error, where
 * the errno is not enough); main.c and the modes of run.h print and return
 * the exit code.  Exception: esc_line_done() (account.h) prints a --strict
 * failure itself and returns -EBADMSG.
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
};

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
};

struct esc_bricks;
struct esc_bricks *esc_bricks_new(const struct esc_thresholds *t, size_t max_bricks);
void esc_bricks_free(struct esc_bricks *b);
size_t esc_bricks_count(const struct esc_bricks *b);
/*
 * Add @s to its brick's window and run the detectors.  Returns 0,
 * -ENOSPC when a new brick would exceed the cap (sample dropped) or -ENOMEM.
 */
int esc_detect(struct esc_bricks *b, const struct esc_sample *s,
	       struct esc_verdict *v);

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
#define ESC_NR_SYSCALLS 512
const char *esc_syscall_name(unsigned nr, char *buf, size_t size);

enum esc_cat { ESC_CAT_MMAP, ESC_CAT_FUTEX, ESC_CAT_IOCTL, ESC_CAT_READ,
	       ESC_CAT_WRITE, ESC_CAT_OTHER, ESC_CAT_NR };
const char *esc_cat_name(enum esc_cat c);
enum esc_cat esc_syscall_cat(const char *name);

struct esc_sc_stat {
	unsigned nr;
	uint64_t count, errors, time_ns;
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
	uint64_t window_ns;       /* wall-clock length of the window */
	uint64_t thread_ns;       /* sum over threads of their time in the window */
	unsigned threads;         /* threads seen in the window */
	unsigned processes;       /* the target + followed children */
	uint64_t lost;            /* tid slots the BPF side could not track */
	uint64_t missed;          /* sys_enter runs the kernel skipped (any process) */
	enum esc_hook hook;       /* the mechanism that traced (AUTO: none) */
	struct esc_sc_stat *sc;   /* per-syscall, sorted by time desc */
	size_t nsc;
};
struct esc_tracer;
/*
 * Open and load the BPF programs of @hook (AUTO: every hook the kernel
 * loads, cheapest first), not attached.  0 or -errno.
 */
int esc_tracer_open(struct esc_tracer **tp, enum esc_hook hook, int verbose);
void esc_tracer_close(struct esc_tracer *t);
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

/* ---- one escalation: everything reported about it (report.c) ------------ */
struct esc_event {
	char brick[ESC_NAME_MAX];
	enum esc_reason reason;
	struct esc_verdict v;
	uint64_t budget_us, actual_us;
	struct esc_trace_result tr;
	struct esc_breakdown bd;
	uint64_t seq;             /* escalation number in this run */
};
void esc_event_finish(struct esc_event *e);  /* derive bd from tr */
/* Emit the TraceResult record (json or text block).  0 or -EPIPE. */
int esc_report_event(const struct esc_event *e, unsigned top);
/* The `otlp` attribute object of @e (new json-c object). */
struct json_object *esc_otlp_attrs(const struct esc_event *e);
int esc_report_rate_limited(const char *brick, enum esc_reason r,
			    const struct esc_ratelimit *rl, uint64_t now_ns);

/* ---- OTLP/HTTP export (otlp.c) ------------------------------------------ */
struct esc_otlp;
struct esc_otlp_opts {
	const char *url;
	size_t queue;             /* bounded queue length */
	unsigned retries;         /* per request, on 429/502/503/504/transport */
	uint64_t timeout_ns;      /* per HTTP attempt */
	uint64_t flush_ns;        /* how long exit waits for the queue */
};
struct esc_otlp_stats {
	uint64_t queued, sent, retried, dropped, failed;
	char last_error[96];      /* why the last failed export failed, or "" */
};
int esc_otlp_start(struct esc_otlp **op, const struct esc_otlp_opts *o);
/* Never blocks: a full queue drops the request (counted). */
void esc_otlp_submit(struct esc_otlp *o, const struct esc_event *e);
/* Drain (up to flush_ns), stop the thread, fill @st. */
void esc_otlp_stop(struct esc_otlp *o, struct esc_otlp_stats *st);

#endif
