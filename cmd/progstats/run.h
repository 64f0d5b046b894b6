/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * run.h — the run shared by progstats' entry and its three layers:
 *   main.c     the entry: open what the options ask for, the sampling loops
 *   pass.c     one sample pass: walk, derive, details, output gathered in memory
 *   select.c   what a pass shows: filters, thresholds, sort, group, print
 *   options.c  the argp table, the option parsers, cross-option checks
 * Calls go down this list (or sideways), never up.
 */
#ifndef PROGSTATS_RUN_H
#define PROGSTATS_RUN_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "progstats.h"

/* How a pass finds the programs: iter/bpf_prog, or GET_NEXT_ID per program. */
enum walk { W_AUTO, W_ITER, W_SYSCALL };

/* --sort's single legacy keys; several keys or other fields use ps_env.sortspec. */
enum sort_key {
	S_CPU, S_ID, S_NAME, S_TYPE, S_CNT, S_NSECS, S_MISSES, S_NPC, S_PNPC, S_EPS, S_MR,
};

/* Threshold bits, also kept per program so each breach is named once. */
enum { PS_TH_NS = 1, PS_TH_MISS = 2, PS_TH_EPS = 4 };

/* What the options asked for; final after ps_options_parse(). */
struct ps_env {
	struct ps_filter filter;
	__u32 pid;
	int sort;                /* enum sort_key (the default resolved by ps_options_parse) */
	uint64_t top;
	bool pids, once, oneline;
	double max_ns, max_miss, min_eps;
	unsigned thresholds;     /* PS_TH_* given */
	int walk;                /* enum walk */
	bool group;              /* --group obj */
	bool no_tui;
	const char *save;        /* --save FILE */
	const char *baseline;    /* --baseline FILE */
	uint64_t duty_on, duty_every;  /* --stats-duty ON/EVERY */
	struct ps_sort sortspec; /* --sort with keys beyond one legacy field */
	struct ps_wide wide;     /* --wide / --fields */
	bool wide_set;
	struct ps_where where;   /* --where */
	const char *comm;        /* --comm: a holder's comm contains it */
	regex_t name_re;         /* --name-re */
	bool name_re_set;
};

/* --- options.c ------------------------------------------------------- */
extern struct ps_env ps_env;
extern struct ps_baseline ps_base;  /* --baseline FILE and its --fail-on rules */

/*
 * Parse the command line into tk_cli/tk_out and ps_env, check the
 * combinations and read --baseline.  Bad input exits 2 (tk_usage_error).
 */
void ps_options_parse(int argc, char **argv);
/* What ps_options_parse holds (the --name-re regex, the baseline). */
void ps_options_free(void);

/* --- select.c -------------------------------------------------------- */
extern struct ps_tui *ps_screen;       /* the live screen, when it is up (main.c opens it) */
extern struct ps_details ps_det;       /* --wide/--fields details, filled by pass.c */

/* Every ps_need bit the asked-for fields, predicates and sort keys need. */
unsigned ps_need_mask(void);
/*
 * Filter @cur by the options, check thresholds (*@breached), sort, group,
 * cut to --top and print @view in the chosen form.  Negative errno, reported.
 */
int ps_report(struct ps_snap *cur, struct ps_view *view, const struct ps_pids *pids,
	      bool *breached);
/* What ps_report keeps between passes (objects, details). */
void ps_select_free(void);

/* --- pass.c ---------------------------------------------------------- */
/* Open the walk --walk asks for (auto: the iterator if it loads).  Reported. */
int ps_walk_open(void);
/* Walk the programs into @cur (and holders into @pids).  Reported. */
int ps_pass_collect(struct ps_snap *cur, const struct ps_snap *prev, struct ps_pids *pids,
		    struct ps_view *view);
/* Stats holders and the fields asked for beyond the counters; @baseline: no holders. */
int ps_pass_fill(struct ps_snap *cur, const struct ps_snap *prev, struct ps_view *view,
		 bool baseline);
/*
 * One pass: collect, compare with @prev (NULL for --once), report; its
 * output gathered in memory and written at once.  Reported.
 */
int ps_pass_sample(struct ps_snap *cur, const struct ps_snap *prev, struct ps_pids *pids,
		   struct ps_view *view, bool *breached);
/* The walk, holders and output buffer the passes kept. */
void ps_pass_free(void);

#endif
