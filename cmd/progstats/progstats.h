/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * progstats.h — shared state of the progstats command.
 *
 *   collect.c  run-time stats on/off, one pass over every loaded program
 *              (a "snapshot", ascending by id), deltas and derived metrics
 *   iter.c     the iterator walk (iter/bpf_prog BPF), the GET_NEXT_ID walk's
 *              fast replacement
 *   pids.c     which processes hold which program (iter/task_file BPF)
 *   objs.c     programs grouped by their libbpf object (--group obj)
 *   print.c    text table, --oneline, JSON records, Prometheus exposition
 *   csv.c      -o csv: the JSON sample records as CSV rows
 *   save.c     --save: the last sample's records into a file, atomically
 *   baseline.c --baseline/--fail-on: this run against a saved snapshot
 *   duty.c     --stats-duty: stats on for a window of each period, scaled
 *   tui.c      the live screen on a terminal (ncurses)
 *   holders.c  processes holding BPF_ENABLE_STATS fds (stats on without the sysctl)
 *   details.c  --wide / --fields: GET_INFO figures, maps, CPU share, run history
 *   links.c    attach points from the kernel's link objects
 *   pins.c     pinned paths of programs and links on every bpffs mount
 *   fields.c   the field table: --fields, --where, multi-key --sort
 *   wide.c     the new fields in the table, JSON records and Prometheus
 *   main.c     options, sampling loop, filters, sort, thresholds
 *
 * Errors follow errors.h: callees return 0 or -errno and main.c prints.
 */
#ifndef PROGSTATS_H
#define PROGSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include <stdio.h>
#include <json-c/json.h>

#include "../../bpf/progstats_pids.h"
#include "../../bpf/progstats_progs.h"
#include "../../bpf/progstats_holders.h"

struct json_object;

#define PS_NAME_MAX 128
#define PS_MAX_IDS  64
#define PS_MAX_MAPS 64               /* the kernel's MAX_USED_MAPS */

/* One program in one pass.  Cumulative counters are the kernel's. */
struct ps_prog {
	__u32 id, type;
	__u32 btf_id;                /* BTF object id: shared by one libbpf object */
	char kname[16];              /* kernel's (maybe truncated) name */
	char name[PS_NAME_MAX];      /* full name (BTF func name when truncated) */
	char tag[17];
	uint64_t cnt, nsecs, misses; /* run_cnt, run_time_ns, recursion_misses */
	uint64_t ts_ns;              /* CLOCK_MONOTONIC when read */
	/* period: since this program's previous read (0 for a new program) */
	uint64_t period_ns, d_cnt, d_nsecs, d_misses;
	double ns_per_call, miss_rate;               /* cumulative */
	double period_ns_per_call, events_per_sec, cpu_pct, period_miss_rate;
	uint64_t on_ns;              /* --stats-duty: the stats window measured */
	bool is_new;
	unsigned flagged;            /* thresholds already reported (PS_TH_*) */
	/*
	 * Filled only when a --wide, --fields, --where or --sort field needs
	 * them (struct ps_need); zero otherwise.
	 */
	double cpu_pct_norm;         /* cpu_pct / online CPUs */
	double bpf_share_pct;        /* % of the pass's BPF run time (period; --once: nsecs) */
	uint64_t since_cnt, since_nsecs;   /* since progstats first saw the program */
	uint64_t base_cnt, base_nsecs;     /* the counters then */
	double since_ns_per_call;
	double npc_min, npc_p50, npc_p99, npc_max; /* period ns/call over the run */
	uint32_t npc_samples;        /* periods with runs behind them */
	bool info_ok;                /* the GET_INFO figures below are filled */
	uint32_t bytes_xlated, bytes_jited, verified_insns, uid;
	uint64_t bytes_memlock;      /* fdinfo memlock */
	uint64_t loaded_at;          /* load time, s since the epoch */
	uint32_t map_count;          /* its map ids: details.c's side table */
	uint64_t map_memlock;        /* its maps' fdinfo memlock, summed */
	uint32_t link_count;         /* links to it (--fields links) */
};

struct ps_snap {
	struct ps_prog *v;
	size_t n;
	size_t cap;                      /* bytes at v (tk_grow) */
};

struct ps_filter {
	__u32 ids[PS_MAX_IDS];
	size_t nids;
	int type;                    /* -1 = any */
	const char *name;            /* case-insensitive substring, or NULL */
};

/* BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) fd, or the sysctl fallback. */
struct ps_stats {
	int fd;                      /* -1 when not held */
	bool sysctl_restore;         /* we wrote 1 to the sysctl: write 0 back */
};

/* iter.c: one record per program per pass from our iter/bpf_prog program. */
struct ps_iter {
	struct progstats_progs_bpf *skel;
	int link_fd;                     /* -1 when closed */
	struct progstats_prog_rec *v;    /* the last pass, ascending by id */
	size_t cap;                      /* bytes at v */
	__u32 self_id, self_type;        /* our program, as GET_INFO sees it */
	__u8 self_tag[8];
	char self_name[PROGSTATS_NAME_LEN];
	/*
	 * Our program's run_cnt in the last pass: the kernel counts an
	 * iterator's runs only while run-time stats are on, and it ran once
	 * for every program before its own record.  0 with @before_self > 0:
	 * nobody held stats on during the pass.
	 */
	uint64_t self_cnt;
	size_t before_self;              /* records of lower ids than ours */
	bool full_ok;                    /* a pass passed the self check */
	bool slim;                       /* the program writes slim records */
	int ncpu;                        /* possible CPUs: the per-CPU array's */
};
int ps_iter_open(struct ps_iter *it);
/*
 * Slim records from the next pass on (PROGSTATS_REC_SLIM: no name, BTF id
 * or func_info count), once a pass of full records passed the self check;
 * a map update when the mode changes.  0 or -errno.
 */
int ps_iter_slim(struct ps_iter *it, bool slim);
/* One pass into it->v (*n records); -EBADMSG when the records do not match
 * what GET_INFO says of our own program (a kernel of another layout). */
int ps_iter_read(struct ps_iter *it, size_t *n);
void ps_iter_close(struct ps_iter *it);

/* collect.c */
int ps_stats_enable(struct ps_stats *s);
void ps_stats_disable(struct ps_stats *s);
/* kernel.bpf_stats_enabled: 1, 0, or -errno. */
int ps_stats_sysctl(void);
/*
 * One pass; @prev (may be NULL) supplies cached full names.  @it (NULL, or
 * closed: the GET_NEXT_ID walk) selects the iterator walk.
 */
int ps_collect(struct ps_snap *cur, const struct ps_snap *prev, const struct ps_filter *f,
	       struct ps_iter *it);
/* Deltas and derived metrics of @cur against @prev (NULL: all new). */
void ps_derive(struct ps_snap *cur, const struct ps_snap *prev);
const struct ps_prog *ps_snap_find(const struct ps_snap *s, __u32 id);
/* The same tag: both are tk_prog_tag_hex()'s 16 digits (a fixed-size compare, not strcmp). */
static inline bool ps_same_tag(const char *a, const char *b)
{
	return !__builtin_memcmp(a, b, 16);
}
void ps_snap_free(struct ps_snap *s);

/* pids.c */
struct ps_pids {
	struct progstats_pids_bpf *skel;
	struct bpf_link *link;
	struct progstats_pid_entry *v;   /* ascending (prog_id, pid), unique */
	size_t n;
	size_t cap;                      /* bytes at v */
};
int ps_pids_open(struct ps_pids *p);
int ps_pids_refresh(struct ps_pids *p);
/* Holders of @prog_id: returns the count, *first the index into p->v. */
size_t ps_pids_of(const struct ps_pids *p, __u32 prog_id, size_t *first);
bool ps_pids_holds(const struct ps_pids *p, __u32 prog_id, __u32 pid);
void ps_pids_close(struct ps_pids *p);

/* objs.c: programs grouped by libbpf object (the BTF object they share). */
#define PS_OBJ_NAME_MAX 24           /* map names: 15 bytes; "btf:4294967295" */

/* One object of a pass: its programs' counters summed. */
struct ps_obj {
	__u32 btf_id;                /* 0: the programs without BTF */
	char name[PS_OBJ_NAME_MAX];
	const char *from;            /* "struct_ops", "data_map", "btf_id" or "none" */
	bool mixed;                  /* members of more than one program type */
	struct ps_prog sum;          /* summed counters, derived from the sums */
	size_t first, n;             /* members: view v[first .. first + n) */
};

/* An object's name, kept while the object has programs. */
struct ps_objname {
	__u32 btf_id;
	bool fallback;               /* no named map found (yet): retried on a walk */
	char name[PS_OBJ_NAME_MAX];
	const char *from;
};

struct ps_objs {
	struct ps_obj *v;            /* the pass's objects, in print order */
	size_t n, cap;
	struct ps_objname *names;    /* ascending by btf_id */
	size_t nnames;
	const struct ps_prog **tmp;  /* scratch: the view reordered */
	size_t tmp_cap;
};
struct ps_view;
/*
 * Group the sorted view @view by object, keep the programs' order inside each
 * object, order the objects by @cmp (a qsort comparator of ps_prog pointers)
 * applied to their sums, keep the first @top objects (0: all), and point
 * view->objs at the result.  Names of objects not seen before cost one walk
 * over the maps.
 */
int ps_objs_group(struct ps_objs *o, struct ps_view *view,
		  int (*cmp)(const void *, const void *), uint64_t top);
void ps_objs_free(struct ps_objs *o);
/* @p's share of @sum in percent: @period: of the period's run time. */
double ps_obj_share(const struct ps_prog *p, const struct ps_prog *sum, bool period);

/* holders.c: processes other than @self with an anon_inode:bpf-stats fd. */
struct ps_holder {
	pid_t pid;
	char comm[16];
};
struct ps_holders {
	struct ps_holder *v;         /* ascending by pid */
	size_t n;
	size_t cap;                  /* bytes at v */
	struct progstats_holders_bpf *skel;  /* the iter/task_file finder */
	bool iter_failed;            /* it would not load: /proc only */
	struct progstats_holder_rec *recs;   /* its last pass */
	size_t recs_cap;             /* bytes at recs */
};
/*
 * @self_holds: we hold a stats fd (the finder must see it);
 * @others_expected: stats are on, not through us or the sysctl (it must
 * find someone).  Otherwise the /proc walk decides.
 */
int ps_holders_scan(struct ps_holders *h, pid_t self, bool self_holds, bool others_expected);
/* "comm(pid),comm(pid)" (unescaped: the printers escape). */
void ps_holders_format(const struct ps_holders *h, char *buf, size_t size);
void ps_holders_free(struct ps_holders *h);

/* links.c: one link object, its target as bpftool link show names it. */
struct ps_link {
	__u32 id, prog_id, type;
	char type_name[24];          /* raw_tracepoint, tracing, cgroup, xdp, ... */
	char attach[32];             /* attach type, "" when the type has none */
	char target[256];            /* tracepoint, function, cgroup path, ifname, path:offset */
	uint64_t missed;             /* kprobe / kprobe_multi missed runs */
	bool has_missed;
	__u32 ops_btf_id;            /* struct_ops: BTF object of its map (and programs) */
};
struct ps_links {
	struct ps_link *v;           /* ascending by (prog_id, id) */
	size_t n;
	size_t cap;                  /* bytes at v */
	struct btf *vmlinux;         /* fentry/tp_btf target names: the last BTF object */
	__u32 vmlinux_id;            /* its id */
	int cgroup_fd;               /* the cgroup2 mount's fd + 1; 0: not looked up */
};
int ps_links_refresh(struct ps_links *l);
size_t ps_links_of(const struct ps_links *l, __u32 prog_id, size_t *first);
/*
 * The links of one program into @out (at most @max): those naming it, and
 * for a struct_ops program (@ops) the struct_ops links whose map shares its
 * BTF object @btf_id.
 */
#define PS_MAX_LINKS 32
size_t ps_links_for(const struct ps_links *l, __u32 prog_id, __u32 btf_id, bool ops,
		    const struct ps_link **out, size_t max);
void ps_links_free(struct ps_links *l);

/* pins.c: bpffs paths of programs and links (every bpf mount, bounded walk). */
struct ps_pin {
	__u32 id;                    /* program or link id */
	bool link;
	char path[256];
};
struct ps_pins {
	struct ps_pin *v;            /* ascending by (link, id) */
	size_t n;
	size_t cap;                  /* bytes at v */
};
int ps_pins_refresh(struct ps_pins *p);
size_t ps_pins_of(const struct ps_pins *p, bool link, __u32 id, size_t *first);
void ps_pins_free(struct ps_pins *p);

/* fields.c: every per-program field by name, for --fields, --where, --sort. */
enum {
	PS_NEED_INFO = 1,            /* GET_INFO + fdinfo per program */
	PS_NEED_MAPS = 2,            /* the maps' fdinfo memlock */
	PS_NEED_LINKS = 4,
	PS_NEED_PINS = 8,
	PS_NEED_HIST = 16,           /* since-start totals and ns/call history */
	PS_NEED_DERIVED = 32,        /* cpu_pct_norm, bpf_share_pct */
};
struct ps_field {
	const char *name;            /* JSON key */
	const char *col;             /* text column */
	unsigned need;               /* PS_NEED_* */
	bool wide;                   /* one of the new fields (--wide shows it) */
	bool numeric;                /* else a string (sort only) or a list */
	double (*num)(const struct ps_prog *p);
	int (*str)(const struct ps_prog *p, char *buf, size_t size); /* text cell */
};
extern const struct ps_field ps_fields[];
extern const size_t ps_nfields;
const struct ps_field *ps_field_find(const char *name);

#define PS_MAX_KEYS 8
struct ps_sort {
	const struct ps_field *key[PS_MAX_KEYS];
	bool desc[PS_MAX_KEYS];
	size_t n;
};
/* "FIELD[:asc|:desc][,...]"; exits 2 naming the input. */
void ps_sort_parse(struct ps_sort *s, const char *arg);
int ps_sort_cmp(const struct ps_sort *s, const struct ps_prog *x, const struct ps_prog *y);

#define PS_MAX_WHERE 16
struct ps_where {
	const struct ps_field *f[PS_MAX_WHERE];
	int op[PS_MAX_WHERE];
	double val[PS_MAX_WHERE];
	size_t n;
};
/* "FIELD OP NUMBER", OP one of > >= < <= == !=; exits 2 naming the input. */
void ps_where_parse(struct ps_where *w, const char *arg);
bool ps_where_match(const struct ps_where *w, const struct ps_prog *p);

/* The fields shown beyond the defaults: --wide (all new ones) or --fields. */
struct ps_wide {
	const struct ps_field *f[64];
	size_t n;
	bool only;                   /* --fields: the table shows ID and these */
	unsigned need;               /* PS_NEED_* of everything asked for */
	const struct ps_links *links;
	const struct ps_pins *pins;
	uint64_t maps_total, maps_memlock_total;   /* distinct maps of the view */
};
/* "a,b,c"; exits 2 naming an unknown field. */
void ps_wide_parse(struct ps_wide *w, const char *arg);
void ps_wide_all(struct ps_wide *w);
/* --wide --once: leave out what needs periods (ns/call spread, CPU% of all CPUs). */
void ps_wide_drop_period(struct ps_wide *w);

/* details.c: fill what @need asks for (after ps_derive). */
struct ps_details {
	struct ps_links links;
	struct ps_pins pins;
	struct ps_hist *hist;        /* ns/call rings, ascending by id */
	size_t nhist, hist_cap;
	struct map_mem *maps;        /* the last pass's maps and memlock, by id */
	size_t nmaps;
	/* The last pass's map ids per program (PS_NEED_INFO), ascending by id:
	 * kept out of struct ps_prog, whose every byte each pass touches. */
	struct ps_prog_maps *pmaps;
	size_t npmaps;
	int ncpu;                    /* online CPUs */
};
int ps_details_fill(struct ps_details *d, struct ps_snap *cur, const struct ps_snap *prev,
		    unsigned need, bool once);
/* Distinct maps of the view's programs and their memlock, summed. */
void ps_details_totals(const struct ps_details *d, const struct ps_view *view,
		       struct ps_wide *w);
void ps_details_free(struct ps_details *d);

/* wide.c: the new fields' output. */
struct tk_table_col;
struct tk_recw;
void ps_wide_json(struct tk_recw *rec, const struct ps_wide *w, const struct ps_prog *p);
void ps_wide_prom(FILE *f, const struct ps_view *view);
/* Field @f of @p as a table cell. */
void ps_wide_cell(const struct ps_wide *w, const struct ps_field *f, const struct ps_prog *p,
		  char *buf, size_t size);
/* The w->n columns of the fields, into @cols. */
void ps_wide_cols(const struct ps_wide *w, struct tk_table_col *cols);
/* --fields: the table of ID, NAME and the fields (the header is printed before). */
int ps_wide_table(const struct ps_view *view, FILE *f);

/* print.c */
struct ps_view {
	const struct ps_prog **v;    /* filtered, sorted, --top applied */
	size_t n;
	size_t total;                /* programs seen in the pass */
	size_t cap;                  /* room in v */
	bool once;                   /* cumulative only (no period columns) */
	const char *stats;           /* "held", "sysctl" or "not_enabled" */
	uint64_t period_ns;          /* loop period (header only) */
	uint64_t seq;                /* sample number, 0 for --once */
	const struct ps_pids *pids;  /* NULL unless --pids */
	const struct ps_obj *objs;   /* --group obj: v in object order, else NULL */
	size_t nobjs;
	double duty;                 /* --stats-duty: on / period; 0: stats all the time */
	const struct ps_holders *holders;  /* other processes holding stats on */
	const struct ps_wide *wide;  /* --wide / --fields, or NULL */
};
int ps_print_table(const struct ps_view *view);
int ps_print_oneline(const struct ps_view *view);
int ps_print_json(const struct ps_view *view);
int ps_print_prom(const struct ps_view *view);
/* --textfile: @view's exposition replaces the file (textfile.h); 0 or -errno. */
int ps_publish_textfile(const struct ps_view *view);
int ps_emit_event(const char *what, const struct ps_prog *p);
/* Refill @rec (a "sample" record, recw.h) with @p's fields; @of: its object or NULL. */
void ps_fill_sample(struct tk_recw *rec, const struct ps_view *view,
		    const struct ps_prog *p, const struct ps_obj *of);
/* Call @fn with the filled sample record of each program of @view, in order;
 * stops at the first non-zero return, which it returns. */
typedef int (*ps_sample_fn)(struct json_object *rec, const struct ps_prog *p, void *ctx);
int ps_foreach_sample(const struct ps_view *view, ps_sample_fn fn, void *ctx);
/* Per-program one-liner in the seed's form, derived parts elided by guard. */
void ps_format_oneline(const struct ps_prog *p, char *buf, size_t size);

/* csv.c: -o csv */
int ps_csv_row(struct json_object *rec, const struct ps_prog *p, void *ctx);
int ps_print_csv(const struct ps_view *view);

/* save.c: --save; 0 or -errno (nothing left behind on failure). */
int ps_save(const char *path, const struct ps_view *view);

/* baseline.c: --baseline FILE --fail-on RULE (RULE: FIELD>+N[%] or FIELD<-N[%] ...) */
#define PS_RULES_MAX 16
struct ps_rule {
	char field[64];
	char op;                     /* '>' or '<' */
	int sign;                    /* +1 or -1: the change's direction */
	bool pct;                    /* amount in % of the baseline value */
	double amount;
	const char *text;            /* as given */
};
struct ps_base_prog {
	char name[PS_NAME_MAX];
	char tag[17];
	uint64_t id;
	size_t seq;                  /* the order it was read in */
	unsigned has;                /* bit i: val[i] was found */
	double val[PS_RULES_MAX];    /* the rules' fields */
};
struct ps_base_set {
	struct ps_base_prog *v;
	size_t n, cap;               /* cap in bytes (tk_grow) */
};
struct ps_baseline {
	struct ps_rule rules[PS_RULES_MAX];
	size_t nrules;
	struct ps_base_set base, cur;
};
/* -EINVAL when @s is not a rule. */
int ps_rule_parse(const char *s, struct ps_rule *r);
/* Read the sample records of @path; -errno, *bad_line the line at fault. */
int ps_baseline_load(struct ps_baseline *b, const char *path, size_t *bad_line);
/* True when some baseline record has rule @rule's field as a number. */
bool ps_baseline_has_field(const struct ps_baseline *b, size_t rule);
/* Report programs gone/new since the baseline and each rule broken
 * (stderr, and events with -j); *regressed set when a rule broke. */
int ps_baseline_check(struct ps_baseline *b, const struct ps_view *view, bool *regressed);
void ps_baseline_free(struct ps_baseline *b);

/* duty.c: --stats-duty ON/EVERY */
struct tk_loop;
/* -EINVAL malformed, -ERANGE unless 0 < ON < EVERY. */
int ps_duty_parse(const char *s, uint64_t *on_ns, uint64_t *every_ns);
/* Sleep until @on_ns before @l's next tick; false when the loop is over. */
bool ps_duty_wait_off(const struct tk_loop *l, uint64_t on_ns);
/* The period counters of @cur, measured over each program's window, scaled
 * to @period_ns; the window is kept in on_ns. */
void ps_duty_scale(struct ps_snap *cur, uint64_t period_ns);
/* CLOCK_MONOTONIC of @l's next tick. */
uint64_t ps_loop_next_tick(const struct tk_loop *l);

/* tui.c: the live screen.  NULL when this terminal cannot have one. */
struct ps_tui;
struct ps_tui *ps_tui_open(const struct ps_pids *pids);
/* A new sample: copied, remembered for the sparklines, drawn (unless paused). */
int ps_tui_update(struct ps_tui *t, const struct ps_view *view);
/* Keys until @deadline_ns (CLOCK_MONOTONIC): 1 = quit (q, or the terminal
 * went away), 0 = deadline, -EINTR = a stop was requested, -errno. */
int ps_tui_wait(struct ps_tui *t, uint64_t deadline_ns);
/* Restore the terminal, replay what was written to stderr meanwhile. */
void ps_tui_close(struct ps_tui *t);

#endif
