/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * run.h — the run-wide context shared by main.c (options), stream.c and
 * pipeline.c (stdin mode), account.c (one stdin line), exec.c (--exec and
 * --manual), escalate.c (one escalation) and baseline.c (the run's ends).
 */
#ifndef ESCALATE_RUN_H
#define ESCALATE_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "baseline.h"
#include "escalate.h"

struct esc_env {
	struct esc_fields fields;
	struct esc_thresholds th;
	bool have_budget_us;
	double budget_us;          /* --budget-us */
	pid_t pid;                 /* --pid PID (0 = none or field) */
	bool manual, strict, tee, fail_on_escalation;
	bool follow;               /* --follow-children (always with --exec) */
	enum esc_hook hook;        /* --hook (default auto) */
	uint64_t rl_max, rl_interval_ns;
	uint64_t trace_ns;
	unsigned top;
	size_t max_bricks;
	uint64_t max_line;
	const char *exec_cmd;
	uint64_t start_boot_ns;    /* CLOCK_BOOTTIME at start: --pid PID existed by then */
	uint64_t runs;
	unsigned threads;          /* stdin parser threads; 1 = serial */
	struct esc_otlp_opts otlp;
	struct esc_figs figs;      /* --per-thread, --hist, -i */
	const char *baseline_path;       /* --baseline */
	const char *save_baseline_path;  /* --save-baseline */
	double noise_pct;                /* --noise */
	double baseline_alpha;           /* --baseline-alpha */
	bool fail_on_regression;
};

/* Counters reported in the final summary record. */
struct esc_counts {
	uint64_t lines, records, malformed, skipped_type, skipped_samples;
	uint64_t missing[ESC_F_NR], bad[ESC_F_NR];
	uint64_t bricks_dropped;
	uint64_t escalations, traced, trace_failed, rate_limited, pid_reused;
	uint64_t exec_failures;
};

struct esc_run {
	struct esc_env *env;
	struct esc_counts c;
	struct esc_bricks *bricks;
	struct esc_ratelimit rl;
	struct esc_tracer *tracer;
	bool tracer_failed;        /* open failed once: do not retry every time */
	char tracer_error[96];
	struct esc_otlp *otlp;
	struct esc_baseline *baseline;   /* --baseline, loaded */
	uint64_t cmp[ESC_CMP_NR];        /* bricks per comparison verdict */
};

/*
 * An escalation of @brick for @reason: rate-limit, trace @pid (0 = none)
 * if its process started by @born_by_boot_ns (ESC_ANY_PROCESS: no check;
 * @ready_fd >= 0: --exec handshake), report, export.  0 or -EPIPE.
 */
int esc_escalate(struct esc_run *r, const char *brick, const struct esc_verdict *v,
		 enum esc_reason reason, pid_t pid, uint64_t born_by_boot_ns, int ready_fd);

/*
 * The modes main.c picks from; each returns the exit code.
 *   esc_stream_serial    stdin, --threads 1 (stream.c): read, parse and
 *                        account each line in turn
 *   esc_stream_threaded  stdin, --threads N >= 2 parser threads (pipeline.c)
 *   esc_exec_main        --exec (exec.c)
 *   esc_manual_main      --manual (exec.c)
 */
int esc_stream_serial(struct esc_run *r);
int esc_stream_threaded(struct esc_run *r);
int esc_exec_main(struct esc_run *r);
int esc_manual_main(struct esc_run *r);
/* Final `summary` record. */
int esc_report_summary(const struct esc_run *r, const struct esc_otlp_stats *os);

#endif
