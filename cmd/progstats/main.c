// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats — per-BPF-program run-time statistics (bpftop, scriptable).
 * Holds BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) exactly while it runs, walks
 * every loaded program each interval and reports counters, deltas and
 * bpftop's derived metrics as a table, one-liners, JSON or Prometheus.
 */
#include <argp.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "bpfutil.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "escape.h"
#include "parse.h"
#include "progstats.h"
#include "textfile.h"

enum {
	OPT_ID = 0x100, OPT_NAME, OPT_TYPE, OPT_PID, OPT_SORT, OPT_TOP, OPT_PIDS,
	OPT_ONCE, OPT_ONELINE, OPT_MAX_NS, OPT_MAX_MISS, OPT_MIN_EPS, OPT_WALK, OPT_GROUP,
	OPT_NO_TUI, OPT_SAVE, OPT_BASELINE, OPT_FAIL_ON, OPT_DUTY,
	OPT_WIDE, OPT_FIELDS, OPT_WHERE, OPT_COMM, OPT_NAME_RE,
};

/* How a pass finds the programs: iter/bpf_prog, or GET_NEXT_ID per program. */
enum walk { W_AUTO, W_ITER, W_SYSCALL };
static const char *const walk_names[] = { "auto", "iter", "syscall" };

enum sort_key {
	S_CPU, S_ID, S_NAME, S_TYPE, S_CNT, S_NSECS, S_MISSES, S_NPC, S_PNPC, S_EPS, S_MR,
};
static const char *const sort_names[] = {
	"cpu_pct", "id", "name", "prog_type", "cnt", "nsecs", "misses", "ns_per_call",
	"period_ns_per_call", "events_per_sec", "miss_rate",
};
#define NSORT TK_ARRAY_SIZE(sort_names)

/* Threshold bits, also kept per program so each breach is named once. */
enum { PS_TH_NS = 1, PS_TH_MISS = 2, PS_TH_EPS = 4 };

static struct env {
	struct ps_filter filter;
	__u32 pid;
	int sort;                /* -1 = default */
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
} env = { .filter = { .type = -1 }, .sort = -1 };

static struct ps_baseline base;

const char *argp_program_version = TK_VERSION_STRING("progstats");
static const char doc[] =
"Per-BPF-program run-time statistics: counts, run time, recursion misses.\v"
"Enables BPF run-time stats (BPF_ENABLE_STATS) only while it runs.\n\n"
"Examples:\n"
"  progstats                      # top-like table every second, by CPU %\n"
"  progstats -i 2 -c 5 --top 10   # 5 samples of the 10 busiest programs\n"
"  progstats -j --pids            # JSON sample records with holder processes\n"
"  progstats --once -o prom       # cumulative counters for node_exporter\n"
"  progstats --oneline -c 1 --name xdp\n"
"  progstats --group obj --type struct_ops   # one line per scheduler, its ops below\n"
"  progstats -d 30s --max-ns-per-call 500   # exit 3 if any program is slower\n"
"  progstats -c 10 --save base.json          # a snapshot for later runs\n"
"  progstats -c 10 --baseline base.json --fail-on 'ns_per_call>+20%'\n"
"  progstats -o csv --stats-duty 1s/10s      # CSV rows; stats on 1 s in 10\n\n"
"On a terminal (no -j/-o/--oneline/--group/--once) a live screen: q quit, </> sort column,\n"
"r reverse, / filter, p pause, Enter detail pane, arrows/j/k select.\n";

static const struct argp_option opts[] = {
	{ "id", OPT_ID, "ID", 0, "Only program ID (repeatable)", 1 },
	{ "name", OPT_NAME, "SUBSTR", 0, "Only programs whose name contains SUBSTR (any case)", 1 },
	{ "type", OPT_TYPE, "TYPE", 0, "Only programs of TYPE (bpftool names: tracing, xdp, ...)", 1 },
	{ "pid", OPT_PID, "PID", 0, "Only programs held open by process PID (implies --pids lookup)", 1 },
	{ "sort", OPT_SORT, "FIELD", 0, "Sort by cpu_pct (default), id, name, prog_type, cnt, nsecs, "
	  "misses, ns_per_call, period_ns_per_call, events_per_sec, miss_rate, or any record "
	  "field; several as FIELD[:asc|:desc],FIELD...", 2 },
	{ "top", OPT_TOP, "N", 0, "Show only the first N programs (objects with --group)", 2 },
	{ "group", OPT_GROUP, "obj", 0, "Group programs by libbpf object: one line per object, "
	  "its programs under it with their share of its run time", 2 },
	{ "pids", OPT_PIDS, NULL, 0, "Show the processes holding each program", 2 },
	{ "once", OPT_ONCE, NULL, 0, "One sample of cumulative counters, stats left as they are", 2 },
	{ "oneline", OPT_ONELINE, NULL, 0, "'name: cnt=N nsecs=N misses=N ns/call=X miss_rate=Y' lines", 2 },
	{ "max-ns-per-call", OPT_MAX_NS, "NS", 0, "Exit 3 if a program averages more than NS per run", 3 },
	{ "max-miss-rate", OPT_MAX_MISS, "R", 0, "Exit 3 if a program's miss rate exceeds R (0..1)", 3 },
	{ "min-events-per-sec", OPT_MIN_EPS, "R", 0, "Exit 3 if a program runs less than R times/s", 3 },
	{ "walk", OPT_WALK, "HOW", 0, "Find programs with a BPF iterator (iter), GET_NEXT_ID calls "
	  "(syscall), or the iterator when it loads (auto, default)", 4 },
	{ "no-tui", OPT_NO_TUI, NULL, 0, "On a terminal too, print lines, not the live screen", 2 },
	{ "save", OPT_SAVE, "FILE", 0, "At the end write the last sample's records (JSON lines) "
	  "to FILE, atomically", 3 },
	{ "baseline", OPT_BASELINE, "FILE", 0, "Compare the last sample with FILE (--save output) "
	  "by program name and tag; report programs new and gone", 3 },
	{ "fail-on", OPT_FAIL_ON, "RULE", 0, "With --baseline: exit 3 when FIELD changed beyond RULE, "
	  "e.g. 'ns_per_call>+20%', 'events_per_sec<-50%', 'cnt>+1000' (repeatable)", 3 },
	{ "stats-duty", OPT_DUTY, "ON/EVERY", 0, "Hold run-time stats only for ON of every EVERY "
	  "(e.g. 1s/10s): one sample per EVERY, counts scaled, marked sampled", 4 },
	{ "comm", OPT_COMM, "COMM", 0, "Only programs held open by a process whose comm contains COMM "
	  "(any case)", 1 },
	{ "name-re", OPT_NAME_RE, "REGEX", 0, "Only programs whose name matches REGEX (POSIX "
	  "extended)", 1 },
	{ "where", OPT_WHERE, "PRED", 0, "Only programs where FIELD OP NUMBER holds, OP one of "
	  "> >= < <= == != (repeatable: all must hold), e.g. 'ns_per_call>500'", 1 },
	{ "wide", OPT_WIDE, NULL, 0, "Add every extra field: links, maps, memlock, sizes, load time, "
	  "uid, pins, CPU% of all CPUs, share of BPF time, since-start totals, ns/call spread", 2 },
	{ "fields", OPT_FIELDS, "LIST", 0, "Show these fields (comma-separated record keys): the "
	  "table shows ID, NAME and them; records add the extra ones", 2 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show this help", -1 },
	{},
};

static int parse_type(const char *s)
{
	for (int t = 0; t < 256; t++) {
		const char *n = libbpf_bpf_prog_type_str((enum bpf_prog_type)t);

		if (n && !strcmp(n, s))
			return t;
	}
	tk_usage_error("use a bpftool type name such as tracing, raw_tracepoint, kprobe, xdp",
		       "--type '%s': unknown program type", s);
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_ID:
		if (env.filter.nids == PS_MAX_IDS)
			tk_usage_error("use --name or --type for wider selections",
				       "--id: at most %d ids", PS_MAX_IDS);
		env.filter.ids[env.filter.nids++] = (__u32)tk_u64_or_err(arg, 1, UINT32_MAX, "--id");
		break;
	case OPT_NAME:
		if (!*arg || strlen(arg) >= PS_NAME_MAX)
			tk_usage_error("give 1 to 127 bytes of the program name",
				       "--name '%s': empty or too long", arg);
		env.filter.name = arg;
		break;
	case OPT_TYPE:
		env.filter.type = parse_type(arg);
		break;
	case OPT_PID:
		env.pid = (__u32)tk_u64_or_err(arg, 1, 4194304, "--pid");
		break;
	case OPT_SORT:
		env.sort = -1;
		env.sortspec.n = 0;
		for (size_t i = 0; i < NSORT; i++)
			if (!strcmp(arg, sort_names[i]))
				env.sort = (int)i;
		if (env.sort < 0)
			ps_sort_parse(&env.sortspec, arg);  /* keys, directions, new fields */
		break;
	case OPT_WIDE:
		ps_wide_all(&env.wide);
		env.wide_set = true;
		break;
	case OPT_FIELDS:
		ps_wide_parse(&env.wide, arg);
		env.wide_set = true;
		break;
	case OPT_WHERE:
		ps_where_parse(&env.where, arg);
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) >= 16)
			tk_usage_error("give 1 to 15 bytes of a process name (comm)",
				       "--comm '%s': empty or too long", arg);
		env.comm = arg;
		break;
	case OPT_NAME_RE: {
		int rc;

		if (env.name_re_set)
			regfree(&env.name_re);
		rc = regcomp(&env.name_re, arg, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char why[128];

			regerror(rc, &env.name_re, why, sizeof(why));
			tk_usage_error("give a POSIX extended regular expression, e.g. '^tpstat_'",
				       "--name-re '%s': %s", arg, why);
		}
		env.name_re_set = true;
		break;
	}
	case OPT_TOP:
		env.top = tk_u64_or_err(arg, 1, UINT32_MAX, "--top");
		break;
	case OPT_GROUP:
		if (strcmp(arg, "obj"))
			tk_usage_error("use --group obj", "--group '%s': unknown grouping", arg);
		env.group = true;
		break;
	case OPT_PIDS:
		env.pids = true;
		break;
	case OPT_ONCE:
		env.once = true;
		break;
	case OPT_ONELINE:
		env.oneline = true;
		break;
	case OPT_MAX_NS:
		env.max_ns = tk_double_or_err(arg, 0, 1e15, "--max-ns-per-call");
		env.thresholds |= PS_TH_NS;
		break;
	case OPT_MAX_MISS:
		env.max_miss = tk_double_or_err(arg, 0, 1, "--max-miss-rate");
		env.thresholds |= PS_TH_MISS;
		break;
	case OPT_MIN_EPS:
		env.min_eps = tk_double_or_err(arg, 0, 1e15, "--min-events-per-sec");
		env.thresholds |= PS_TH_EPS;
		break;
	case OPT_WALK:
		env.walk = -1;
		for (int i = 0; i < 3; i++)
			if (!strcmp(arg, walk_names[i]))
				env.walk = i;
		if (env.walk < 0)
			tk_usage_error("use auto, iter or syscall", "--walk '%s': unknown walk", arg);
		break;
	case OPT_NO_TUI:
		env.no_tui = true;
		break;
	case OPT_SAVE:
	case OPT_BASELINE:
		if (!*arg)
			tk_usage_error("give a file name", "--%s '': empty file name",
				       key == OPT_SAVE ? "save" : "baseline");
		*(key == OPT_SAVE ? &env.save : &env.baseline) = arg;
		break;
	case OPT_FAIL_ON:
		if (base.nrules == PS_RULES_MAX)
			tk_usage_error("combine fewer rules", "--fail-on: at most %d rules", PS_RULES_MAX);
		if (ps_rule_parse(arg, &base.rules[base.nrules]))
			tk_usage_error("write FIELD, > or <, a signed change, optionally %: "
				       "'ns_per_call>+20%', 'events_per_sec<-50%'",
				       "--fail-on '%s': not a rule", arg);
		base.nrules++;
		break;
	case OPT_DUTY:
		if (ps_duty_parse(arg, &env.duty_on, &env.duty_every))
			tk_usage_error("give ON/EVERY durations with ON < EVERY, e.g. 1s/10s",
				       "--stats-duty '%s': not ON/EVERY", arg);
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		tk_usage_error("progstats takes no operands; see 'progstats --help'",
			       "unexpected argument '%s'", arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Cross-option checks, after the common options (-j, -i, ...) are final. */
static void check_combos(void)
{
	if (env.once && (tk_cli.interval_set || tk_cli.count_set || tk_cli.duration_set))
		tk_usage_error("drop --once, or drop -i/-c/-d",
			       "--once takes one cumulative sample; -i, -c and -d do not apply");
	if (env.once && (env.thresholds & PS_TH_EPS))
		tk_usage_error("drop --once to measure rates over an interval",
			       "--min-events-per-sec needs an interval, not --once");
	if (env.once && env.wide_set && !env.wide.only)
		ps_wide_drop_period(&env.wide);
	if (env.oneline && env.wide_set)
		tk_usage_error("drop --oneline, or drop --wide/--fields",
			       "--oneline has fixed fields; --wide and --fields apply to the table and records");
	if (env.oneline && tk_out.fmt != TK_FMT_TEXT)
		tk_usage_error("drop -j/-o, or drop --oneline",
			       "--oneline is a text form; it cannot be combined with -j or -o %s",
			       tk_format_name(tk_out.fmt));
	if (base.nrules && !env.baseline)
		tk_usage_error("add --baseline FILE (a --save snapshot)",
			       "--fail-on needs --baseline to compare with");
	if (env.duty_on && (env.once || tk_cli.interval_set))
		tk_usage_error(env.once ? "drop --once or --stats-duty" :
			       "drop -i: --stats-duty ON/EVERY samples once every EVERY",
			       "--stats-duty cannot be combined with %s", env.once ? "--once" : "-i");
}

/* --baseline: read it now, so a bad file or rule stops the run before it starts. */
static void load_baseline(void)
{
	struct ps_view none = { .stats = "" };
	struct ps_prog zero = { 0 };
	struct json_object *rec;
	size_t bad_line;
	int err;

	if (!env.baseline)
		return;
	err = ps_baseline_load(&base, env.baseline, &bad_line);
	if (err == -ENOENT || err == -EACCES || err == -EISDIR)
		tk_usage_error("give a file written by --save", "--baseline '%s': %s",
			       env.baseline, strerror(-err));
	if (err == -ENOMEM)
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	if (err)
		tk_usage_error("give a file written by --save (JSON sample records, one per line)",
			       "--baseline '%s': line %zu: %s", env.baseline, bad_line,
			       err == -E2BIG ? "line too long" : "not a sample record");
	/* A rule names a numeric field of the sample record, or of the baseline's. */
	rec = tk_record_new("sample");
	ps_fill_sample(rec, &none, &zero, NULL);
	for (size_t i = 0; i < base.nrules; i++) {
		struct json_object *v;

		if (json_object_object_get_ex(rec, base.rules[i].field, &v) &&
		    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
			continue;
		if (!ps_baseline_has_field(&base, i)) {
			json_object_put(rec);
			tk_usage_error("use a numeric field of the sample records, e.g. ns_per_call, "
				       "period_ns_per_call, events_per_sec, cpu_pct, cnt",
				       "--fail-on '%s': no numeric field '%s'", base.rules[i].text,
				       base.rules[i].field);
		}
	}
	json_object_put(rec);
}

static double sort_val(const struct ps_prog *p, int key)
{
	switch (key) {
	case S_CNT: return (double)p->cnt;
	case S_NSECS: return (double)p->nsecs;
	case S_MISSES: return (double)p->misses;
	case S_NPC: return p->ns_per_call;
	case S_PNPC: return p->period_ns_per_call;
	case S_EPS: return p->events_per_sec;
	case S_MR: return p->miss_rate;
	default: return p->cpu_pct;
	}
}

static int cmp_prog(const void *a, const void *b)
{
	const struct ps_prog *x = *(const struct ps_prog *const *)a;
	const struct ps_prog *y = *(const struct ps_prog *const *)b;
	int c = 0;

	if (env.sortspec.n)
		return ps_sort_cmp(&env.sortspec, x, y);
	switch (env.sort) {
	case S_ID:
		break;
	case S_NAME:
		c = strcmp(x->name, y->name);
		break;
	case S_TYPE:
		c = x->type < y->type ? -1 : x->type > y->type;
		break;
	default: {
		double vx = sort_val(x, env.sort), vy = sort_val(y, env.sort);

		c = vx > vy ? -1 : vx < vy;  /* numbers: largest first */
	}
	}
	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

/* Name a breach once per program and threshold; returns true on a breach. */
static bool breach(struct ps_prog *p, unsigned bit, const char *metric, double val,
		   const char *opt, double limit)
{
	char name[PS_NAME_MAX * 4];

	if (p->flagged & bit)
		return true;
	p->flagged |= bit;
	tk_escape_visible(name, sizeof(name), p->name);
	fprintf(stderr, "progstats: threshold: program %u %s: %s %g breaks %s %g\n",
		p->id, name, metric, val, opt, limit);
	ps_emit_event("threshold", p);
	return true;
}

static bool check_thresholds(struct ps_prog *p)
{
	bool bad = false;
	/* Live runs judge the period just measured; --once judges the totals. */
	double npc = env.once ? p->ns_per_call : p->period_ns_per_call;
	double mr = env.once ? p->miss_rate : p->period_miss_rate;

	if ((env.thresholds & PS_TH_NS) && npc > env.max_ns)
		bad |= breach(p, PS_TH_NS, "ns_per_call", npc, "--max-ns-per-call", env.max_ns);
	if ((env.thresholds & PS_TH_MISS) && mr > env.max_miss)
		bad |= breach(p, PS_TH_MISS, "miss_rate", mr, "--max-miss-rate", env.max_miss);
	if ((env.thresholds & PS_TH_EPS) && !p->is_new && p->period_ns &&
	    p->events_per_sec < env.min_eps)
		bad |= breach(p, PS_TH_EPS, "events_per_sec", p->events_per_sec,
			      "--min-events-per-sec", env.min_eps);
	return bad;
}

static struct ps_objs objs;
static struct ps_tui *tui;       /* the live screen, when it is up */
static struct ps_details details;
static struct ps_holders holders;

/* Everything the asked-for fields, predicates and sort keys need collected. */
static unsigned need_mask(void)
{
	unsigned need = env.wide.need;

	for (size_t i = 0; i < env.where.n; i++)
		need |= env.where.f[i]->need;
	for (size_t i = 0; i < env.sortspec.n; i++)
		need |= env.sortspec.key[i]->need;
	if (need & PS_NEED_MAPS)
		need |= PS_NEED_INFO;
	return need;
}

/* --comm: does a holder of @prog_id have a comm containing env.comm? */
static bool comm_holds(const struct ps_pids *pids, __u32 prog_id)
{
	size_t first, n = ps_pids_of(pids, prog_id, &first);

	for (size_t i = 0; i < n; i++)
		if (strcasestr(pids->v[first + i].comm, env.comm))
			return true;
	return false;
}

/* The filters on what the pass collected: --pid, --comm, --name-re, --where. */
static bool wanted(const struct ps_prog *p, const struct ps_pids *pids)
{
	if (env.pid && !ps_pids_holds(pids, p->id, env.pid))
		return false;
	if (env.comm && !comm_holds(pids, p->id))
		return false;
	if (env.name_re_set && regexec(&env.name_re, p->name, 0, NULL, 0))
		return false;
	return !env.where.n || ps_where_match(&env.where, p);
}

/* Filter by holder pid, check thresholds, sort, group, cut, print. */
static int report(struct ps_snap *cur, struct ps_view *view, const struct ps_pids *pids,
		  bool *breached)
{
	int err;

	view->n = 0;
	view->total = cur->n;
	for (size_t i = 0; i < cur->n; i++) {
		struct ps_prog *p = &cur->v[i];

		if (!wanted(p, pids))
			continue;
		if (env.thresholds && check_thresholds(p))
			*breached = true;
		view->v[view->n++] = p;
	}
	if (view->n > 1)   /* view->v is NULL when nothing is loaded */
		qsort(view->v, view->n, sizeof(*view->v), cmp_prog);
	if (env.group && (err = ps_objs_group(&objs, view, cmp_prog, env.top))) {
		tk_error(NULL, "cannot group programs by object: %s", strerror(-err));
		return err;
	}
	if (!env.group && env.top && view->n > env.top)
		view->n = env.top;
	if (view->wide && (view->wide->need & PS_NEED_MAPS))
		ps_details_totals(&details, view, &env.wide);
	if (tk_textfile_active() && (err = ps_publish_textfile(view)))
		return err;
	if (tui)
		return ps_tui_update(tui, view);
	if (env.oneline)
		return ps_print_oneline(view);
	switch (tk_out.fmt) {
	case TK_FMT_JSON:
		return ps_print_json(view);
	case TK_FMT_CSV:
		return ps_print_csv(view);
	case TK_FMT_PROM:
		return ps_print_prom(view);
	default:
		return ps_print_table(view);
	}
}

/* JSON: programs that came or went since the previous pass. */
static int emit_changes(const struct ps_snap *cur, const struct ps_snap *prev)
{
	int err = 0;

	for (size_t i = 0; i < cur->n && !err; i++)
		if (cur->v[i].is_new)
			err = ps_emit_event("appear", &cur->v[i]);
	for (size_t i = 0; i < prev->n && !err; i++) {
		const struct ps_prog *now = ps_snap_find(cur, prev->v[i].id);

		if (!now || strcmp(now->tag, prev->v[i].tag))
			err = ps_emit_event("disappear", &prev->v[i]);
	}
	return err;
}

static int grow_view(struct ps_view *view, size_t n)
{
	const struct ps_prog **v;

	if (n <= view->cap)
		return 0;
	v = realloc(view->v, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	view->v = v;
	view->cap = n;
	return 0;
}

static struct ps_iter iter = { .link_fd = -1 };

/* The walk chosen by --walk; auto falls back once to the GET_NEXT_ID walk. */
static int iter_open(void)
{
	int err;

	if (env.walk == W_SYSCALL)
		return 0;
	err = ps_iter_open(&iter);
	if (!err || env.walk == W_AUTO) {
		if (err)
			tk_info(1, "program iterator unavailable (%s): using the GET_NEXT_ID walk",
				strerror(-err));
		return 0;
	}
	tk_error(err == -EPERM ? "run as root (needs CAP_SYS_ADMIN)" : "use --walk syscall",
		 "cannot load the program iterator: %s", strerror(-err));
	return err;
}

static int collect(struct ps_snap *cur, const struct ps_snap *prev, struct ps_pids *pids,
		   struct ps_view *view)
{
	int err = ps_collect(cur, prev, &env.filter, &iter);

	if (err && iter.link_fd >= 0 && env.walk == W_AUTO && err != -ENOMEM) {
		tk_info(1, "program iterator failed (%s): using the GET_NEXT_ID walk",
			strerror(-err));
		ps_iter_close(&iter);
		err = ps_collect(cur, prev, &env.filter, NULL);
	}
	if (err) {
		tk_error(err == -EPERM ? "run as root (needs CAP_SYS_ADMIN)" :
			 err == -EBADMSG ? "use --walk syscall" : NULL,
			 "cannot walk BPF programs: %s", err == -EBADMSG ?
			 "iterator records do not match this kernel" : strerror(-err));
		return err;
	}
	if (pids->skel && (err = ps_pids_refresh(pids))) {
		tk_error(NULL, "cannot list program holders: %s", strerror(-err));
		return err;
	}
	err = grow_view(view, cur->n);
	if (err)
		tk_error(NULL, "out of memory");
	return err;
}

/*
 * Whether to look for stats holders in /proc this pass (a walk of every
 * process's fds: milliseconds).  Not when the iterator's own run count
 * shows stats were off during the pass (nobody holds them); in a sampling
 * run, which holds stats itself, at most once a second.
 */
static bool holders_due(void)
{
	static uint64_t last;
	uint64_t now = tk_now_mono_ns();

	if (env.once) {
		if (iter.link_fd >= 0 && iter.before_self && !iter.self_cnt) {
			holders.n = 0;
			return false;
		}
		return true;
	}
	if (last && now - last < 1000000000ULL)
		return false;
	last = now;
	return true;
}

/* Stats holders, and the fields asked for beyond the counters. */
static int fill_more(struct ps_snap *cur, const struct ps_snap *prev, struct ps_view *view,
		     bool baseline)
{
	unsigned need = need_mask();
	int err;

	if (!baseline && holders_due()) {
		bool ours = !strcmp(view->stats, "held") || !strcmp(view->stats, "sampled");

		err = ps_holders_scan(&holders, getpid(), ours, !ours && strcmp(view->stats, "sysctl") &&
				      (!env.once || iter.self_cnt));
		if (err)
			tk_warn("cannot list processes holding BPF stats on: %s", strerror(-err));
	}
	if (!baseline) {
		view->holders = &holders;
		if (strcmp(view->stats, "held") && strcmp(view->stats, "sysctl") &&
		    strcmp(view->stats, "sampled"))
			view->stats = holders.n ? "held_by_other" : "not_enabled";
	}
	if (!need)
		return 0;
	err = ps_details_fill(&details, cur, prev, need, env.once);
	if (err)
		tk_error(NULL, "cannot read program details: %s", strerror(-err));
	env.wide.links = &details.links;
	env.wide.pins = &details.pins;
	return err;
}

/* A pass's output, gathered in memory; the buffer is kept from pass to pass. */
static struct {
	FILE *f;
	char *buf;
	size_t len;
} pass_out;

static void pass_out_close(void)
{
	if (pass_out.f)
		fclose(pass_out.f);
	free(pass_out.buf);
}

/*
 * One pass: collect, compare with @prev (NULL for --once), report.  The
 * pass's output is gathered in memory and written at once: one write per
 * sample instead of one per record.
 */
static int sample(struct ps_snap *cur, const struct ps_snap *prev, struct ps_pids *pids,
		  struct ps_view *view, bool *breached)
{
	uint64_t t0 = tk_now_mono_ns();
	int err, ferr;

	if (!pass_out.f && !(pass_out.f = open_memstream(&pass_out.buf, &pass_out.len))) {
		tk_error(NULL, "out of memory");
		return -ENOMEM;
	}
	rewind(pass_out.f);
	tk_out.out = pass_out.f;
	err = collect(cur, prev, pids, view);
	if (!err) {
		ps_derive(cur, prev);
		if (view->duty > 0)
			ps_duty_scale(cur, view->period_ns);
		err = fill_more(cur, prev, view, false);
	}
	if (!err) {
		if (prev)
			err = emit_changes(cur, prev);
		if (!err)
			err = report(cur, view, pids, breached);
	}
	tk_out.out = stdout;
	if (fflush(pass_out.f) && !err) {
		tk_error(NULL, "out of memory");
		err = -ENOMEM;
	}
	if (pass_out.len && !tk_out.broken)
		fwrite(pass_out.buf, 1, pass_out.len, stdout);
	ferr = tk_flush();
	tk_info(1, "sample %llu: %zu programs in %.1f us", (unsigned long long)view->seq,
		cur->n, (double)(tk_now_mono_ns() - t0) / 1e3);
	return err ? err : ferr;
}

/* The live screen: on a terminal, for the interactive forms only. */
static void open_tui(struct ps_pids *pids)
{
	if (env.no_tui || env.once || env.oneline || env.group || tk_out.fmt != TK_FMT_TEXT ||
	    !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return;
	/* Holders for the detail pane: wanted, not required. */
	if (!pids->skel && ps_pids_open(pids))
		tk_info(1, "process iterator unavailable: no holders in the detail pane");
	tui = ps_tui_open(pids->skel ? pids : NULL);
	if (!tui)
		tk_info(1, "cannot draw on this terminal (TERM=%s): printing lines",
			getenv("TERM") ? getenv("TERM") : "");
}

/* With the live screen: read keys until @deadline_ns; true when the run is to end. */
static bool tui_stop(uint64_t deadline_ns, int *err)
{
	int r;

	if (!tui)
		return false;
	r = ps_tui_wait(tui, deadline_ns);
	if (r < 0 && r != -EINTR) {
		tk_error(NULL, "cannot read the terminal: %s", strerror(-r));
		*err = r;
	}
	return r != 0;
}

/* Sample every interval; with the live screen, read keys in between. */
static int live_loop(struct ps_snap *cur, struct ps_snap *prev, struct ps_pids *pids,
		     struct ps_view *view, bool *breached)
{
	struct ps_snap *t;
	struct tk_loop loop;
	int err = collect(prev, NULL, pids, view);  /* the baseline */

	if (err)
		return err;
	ps_derive(prev, NULL);
	err = fill_more(prev, NULL, view, true);
	if (err)
		return err;
	tk_loop_start(&loop, tk_cli.interval_ns, tk_cli.count, tk_cli.duration_ns);
	for (;;) {
		if (tui_stop(ps_loop_next_tick(&loop), &err) || !tk_loop_next(&loop))
			return err;
		view->seq = loop.ticks;
		view->period_ns = tk_loop_period_ns(&loop);
		err = sample(cur, prev, pids, view, breached);
		if (err)
			return err;
		t = prev, prev = cur, cur = t;
	}
}

/* --stats-duty: off until ON before each tick, then a window with stats held. */
static int duty_loop(struct ps_snap *cur, struct ps_snap *prev, struct ps_pids *pids,
		     struct ps_view *view, struct ps_stats *stats, bool *breached)
{
	struct tk_loop loop;
	int err = 0;

	view->duty = (double)env.duty_on / (double)env.duty_every;
	tk_loop_start(&loop, env.duty_every, tk_cli.count, tk_cli.duration_ns);
	while (!err) {
		uint64_t tick = ps_loop_next_tick(&loop);

		if (tui_stop(tick > env.duty_on ? tick - env.duty_on : 0, &err) ||
		    !ps_duty_wait_off(&loop, env.duty_on))
			break;
		err = ps_stats_enable(stats);
		if (err) {
			tk_error(err == -EPERM ? "run as root (needs CAP_SYS_ADMIN)" : NULL,
				 "cannot enable BPF run-time stats: %s", strerror(-err));
			return err;
		}
		tk_info(2, "stats on");
		err = collect(prev, NULL, pids, view);
		if (err)
			return err;
		ps_derive(prev, NULL);
		err = fill_more(prev, NULL, view, true);
		if (err)
			return err;
		if (tui_stop(ps_loop_next_tick(&loop), &err) || !tk_loop_next(&loop))
			break;
		view->seq = loop.ticks;
		view->period_ns = tk_loop_period_ns(&loop);
		err = sample(cur, prev, pids, view, breached);
		ps_stats_disable(stats);
		tk_info(2, "stats off");
	}
	return err;
}

/* After the last sample: --save, then --baseline. */
static int finish(const struct ps_view *view, bool *regressed)
{
	int err = 0;

	if (env.save && (err = ps_save(env.save, view)))
		tk_error("give a writable file in an existing directory",
			 "--save '%s': %s", env.save, strerror(-err));
	if (!err && env.baseline && (err = ps_baseline_check(&base, view, regressed)))
		tk_error(NULL, "cannot compare with the baseline: %s", strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	static const struct tk_cli_cmd cli = {
		"progstats", opts, parse_arg, NULL, doc, TK_OPT_ALL | TK_OPT_CSV, NULL, 0,
	};
	struct ps_snap snaps[2] = { { 0 }, { 0 } };
	struct ps_stats stats = { .fd = -1 };
	struct ps_pids pids = { 0 };
	struct ps_view view = { 0 };
	bool breached = false;
	int err = 0;

	tk_cli_parse(&cli, argc, argv);
	check_combos();
	load_baseline();
	tk_stop_install();
	tk_libbpf_quiet(tk_out.verbose);
	tk_bump_memlock();

	if (env.pids || env.pid || env.comm) {
		err = ps_pids_open(&pids);
		if (err) {
			tk_error("needs root and a kernel with BTF and task_file iterators",
				 "cannot load the process iterator: %s", strerror(-err));
			goto cleanup;
		}
	}
	err = iter_open();
	if (err)
		goto cleanup;
	if (!env.once && !env.duty_on) {
		err = ps_stats_enable(&stats);
		if (err) {
			tk_error(err == -EPERM ? "run as root (needs CAP_SYS_ADMIN)" : NULL,
				 "cannot enable BPF run-time stats: %s", strerror(-err));
			goto cleanup;
		}
	}
	view.once = env.once;
	view.pids = env.pids ? &pids : NULL;
	view.stats = env.duty_on ? "sampled" : stats.fd >= 0 ? "held" :
		     ps_stats_sysctl() == 1 ? "sysctl" : "not_enabled";
	view.wide = env.wide_set ? &env.wide : NULL;
	if (env.sort < 0)
		env.sort = env.once ? S_NSECS : S_CPU;
	open_tui(&pids);

	if (env.once)
		err = sample(&snaps[1], NULL, &pids, &view, &breached);
	else if (env.duty_on)
		err = duty_loop(&snaps[0], &snaps[1], &pids, &view, &stats, &breached);
	else
		err = live_loop(&snaps[0], &snaps[1], &pids, &view, &breached);
	if (!err && !tk_out.broken && (env.once || view.seq))
		err = finish(&view, &breached);
cleanup:
	ps_tui_close(tui);
	ps_stats_disable(&stats);
	ps_pids_close(&pids);
	ps_iter_close(&iter);
	ps_objs_free(&objs);
	ps_details_free(&details);
	ps_holders_free(&holders);
	if (env.name_re_set)
		regfree(&env.name_re);
	ps_snap_free(&snaps[0]);
	ps_snap_free(&snaps[1]);
	ps_baseline_free(&base);
	free(view.v);
	pass_out_close();
	if (tk_out.broken)
		return TK_EXIT_OK;  /* reader went away: stop quietly */
	if (err && err != -EPIPE)
		return TK_EXIT_RUNTIME;
	return breached ? TK_EXIT_CHECK : TK_EXIT_OK;
}
