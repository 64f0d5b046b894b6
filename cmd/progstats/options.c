// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats' options: the argp table, the parsers, the cross-option checks
 * and the --baseline file read before the run starts (run.h).
 */
#include <argp.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "cli.h"
#include "errors.h"
#include "parse.h"
#include "recw.h"
#include "run.h"

enum {
	OPT_ID = 0x100, OPT_NAME, OPT_TYPE, OPT_PID, OPT_SORT, OPT_TOP, OPT_PIDS,
	OPT_ONCE, OPT_ONELINE, OPT_MAX_NS, OPT_MAX_MISS, OPT_MIN_EPS, OPT_WALK, OPT_GROUP,
	OPT_NO_TUI, OPT_SAVE, OPT_BASELINE, OPT_FAIL_ON, OPT_DUTY,
	OPT_WIDE, OPT_FIELDS, OPT_WHERE, OPT_COMM, OPT_NAME_RE,
};

static const char *const walk_names[] = { "auto", "iter", "syscall" };
static const char *const sort_names[] = {
	"cpu_pct", "id", "name", "prog_type", "cnt", "nsecs", "misses", "ns_per_call",
	"period_ns_per_call", "events_per_sec", "miss_rate",
};
#define NSORT TK_ARRAY_SIZE(sort_names)

struct ps_env ps_env = { .filter = { .type = -1 }, .sort = -1 };
struct ps_baseline ps_base;

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
		if (ps_env.filter.nids == PS_MAX_IDS)
			tk_usage_error("use --name or --type for wider selections",
				       "--id: at most %d ids", PS_MAX_IDS);
		ps_env.filter.ids[ps_env.filter.nids++] = (__u32)tk_u64_or_err(arg, 1, UINT32_MAX, "--id");
		break;
	case OPT_NAME:
		if (!*arg || strlen(arg) >= PS_NAME_MAX)
			tk_usage_error("give 1 to 127 bytes of the program name",
				       "--name '%s': empty or too long", arg);
		ps_env.filter.name = arg;
		break;
	case OPT_TYPE:
		ps_env.filter.type = parse_type(arg);
		break;
	case OPT_PID:
		ps_env.pid = (__u32)tk_u64_or_err(arg, 1, 4194304, "--pid");
		break;
	case OPT_SORT:
		ps_env.sort = -1;
		ps_env.sortspec.n = 0;
		for (size_t i = 0; i < NSORT; i++)
			if (!strcmp(arg, sort_names[i]))
				ps_env.sort = (int)i;
		if (ps_env.sort < 0)
			ps_sort_parse(&ps_env.sortspec, arg);  /* keys, directions, new fields */
		break;
	case OPT_WIDE:
		ps_wide_all(&ps_env.wide);
		ps_env.wide_set = true;
		break;
	case OPT_FIELDS:
		ps_wide_parse(&ps_env.wide, arg);
		ps_env.wide_set = true;
		break;
	case OPT_WHERE:
		ps_where_parse(&ps_env.where, arg);
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) >= 16)
			tk_usage_error("give 1 to 15 bytes of a process name (comm)",
				       "--comm '%s': empty or too long", arg);
		ps_env.comm = arg;
		break;
	case OPT_NAME_RE: {
		int rc;

		if (ps_env.name_re_set)
			regfree(&ps_env.name_re);
		rc = regcomp(&ps_env.name_re, arg, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char why[128];

			regerror(rc, &ps_env.name_re, why, sizeof(why));
			tk_usage_error("give a POSIX extended regular expression, e.g. '^tpstat_'",
				       "--name-re '%s': %s", arg, why);
		}
		ps_env.name_re_set = true;
		break;
	}
	case OPT_TOP:
		ps_env.top = tk_u64_or_err(arg, 1, UINT32_MAX, "--top");
		break;
	case OPT_GROUP:
		if (strcmp(arg, "obj"))
			tk_usage_error("use --group obj", "--group '%s': unknown grouping", arg);
		ps_env.group = true;
		break;
	case OPT_PIDS:
		ps_env.pids = true;
		break;
	case OPT_ONCE:
		ps_env.once = true;
		break;
	case OPT_ONELINE:
		ps_env.oneline = true;
		break;
	case OPT_MAX_NS:
		ps_env.max_ns = tk_double_or_err(arg, 0, 1e15, "--max-ns-per-call");
		ps_env.thresholds |= PS_TH_NS;
		break;
	case OPT_MAX_MISS:
		ps_env.max_miss = tk_double_or_err(arg, 0, 1, "--max-miss-rate");
		ps_env.thresholds |= PS_TH_MISS;
		break;
	case OPT_MIN_EPS:
		ps_env.min_eps = tk_double_or_err(arg, 0, 1e15, "--min-events-per-sec");
		ps_env.thresholds |= PS_TH_EPS;
		break;
	case OPT_WALK:
		ps_env.walk = -1;
		for (int i = 0; i < 3; i++)
			if (!strcmp(arg, walk_names[i]))
				ps_env.walk = i;
		if (ps_env.walk < 0)
			tk_usage_error("use auto, iter or syscall", "--walk '%s': unknown walk", arg);
		break;
	case OPT_NO_TUI:
		ps_env.no_tui = true;
		break;
	case OPT_SAVE:
	case OPT_BASELINE:
		if (!*arg)
			tk_usage_error("give a file name", "--%s '': empty file name",
				       key == OPT_SAVE ? "save" : "baseline");
		*(key == OPT_SAVE ? &ps_env.save : &ps_env.baseline) = arg;
		break;
	case OPT_FAIL_ON:
		if (ps_base.nrules == PS_RULES_MAX)
			tk_usage_error("combine fewer rules", "--fail-on: at most %d rules", PS_RULES_MAX);
		if (ps_rule_parse(arg, &ps_base.rules[ps_base.nrules]))
			tk_usage_error("write FIELD, > or <, a signed change, optionally %: "
				       "'ns_per_call>+20%', 'events_per_sec<-50%'",
				       "--fail-on '%s': not a rule", arg);
		ps_base.nrules++;
		break;
	case OPT_DUTY:
		if (ps_duty_parse(arg, &ps_env.duty_on, &ps_env.duty_every))
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
	if (ps_env.once && (tk_cli.interval_set || tk_cli.count_set || tk_cli.duration_set))
		tk_usage_error("drop --once, or drop -i/-c/-d",
			       "--once takes one cumulative sample; -i, -c and -d do not apply");
	if (ps_env.once && (ps_env.thresholds & PS_TH_EPS))
		tk_usage_error("drop --once to measure rates over an interval",
			       "--min-events-per-sec needs an interval, not --once");
	if (ps_env.once && ps_env.wide_set && !ps_env.wide.only)
		ps_wide_drop_period(&ps_env.wide);
	if (ps_env.oneline && ps_env.wide_set)
		tk_usage_error("drop --oneline, or drop --wide/--fields",
			       "--oneline has fixed fields; --wide and --fields apply to the table and records");
	if (ps_env.oneline && tk_out.fmt != TK_FMT_TEXT)
		tk_usage_error("drop -j/-o, or drop --oneline",
			       "--oneline is a text form; it cannot be combined with -j or -o %s",
			       tk_format_name(tk_out.fmt));
	if (ps_base.nrules && !ps_env.baseline)
		tk_usage_error("add --baseline FILE (a --save snapshot)",
			       "--fail-on needs --baseline to compare with");
	if (ps_env.duty_on && (ps_env.once || tk_cli.interval_set))
		tk_usage_error(ps_env.once ? "drop --once or --stats-duty" :
			       "drop -i: --stats-duty ON/EVERY samples once every EVERY",
			       "--stats-duty cannot be combined with %s", ps_env.once ? "--once" : "-i");
}

/* --baseline: read it now, so a bad file or rule stops the run before it starts. */
static void load_baseline(void)
{
	struct ps_view none = { .stats = "" };
	struct ps_prog zero = { 0 };
	struct tk_recw *filled;
	struct json_object *rec;
	size_t bad_line;
	int err;

	if (!ps_env.baseline)
		return;
	err = ps_baseline_load(&ps_base, ps_env.baseline, &bad_line);
	if (err == -ENOENT || err == -EACCES || err == -EISDIR)
		tk_usage_error("give a file written by --save", "--baseline '%s': %s",
			       ps_env.baseline, strerror(-err));
	if (err == -ENOMEM)
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	if (err)
		tk_usage_error("give a file written by --save (JSON sample records, one per line)",
			       "--baseline '%s': line %zu: %s", ps_env.baseline, bad_line,
			       err == -E2BIG ? "line too long" : "not a sample record");
	/* A rule names a numeric field of the sample record, or of the baseline's. */
	filled = tk_recw_new("sample");
	ps_fill_sample(filled, &none, &zero, NULL);
	rec = tk_recw_to_json(filled, NULL);
	tk_recw_free(filled);
	for (size_t i = 0; i < ps_base.nrules; i++) {
		struct json_object *v;

		if (json_object_object_get_ex(rec, ps_base.rules[i].field, &v) &&
		    (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
			continue;
		if (!ps_baseline_has_field(&ps_base, i)) {
			json_object_put(rec);
			tk_usage_error("use a numeric field of the sample records, e.g. ns_per_call, "
				       "period_ns_per_call, events_per_sec, cpu_pct, cnt",
				       "--fail-on '%s': no numeric field '%s'", ps_base.rules[i].text,
				       ps_base.rules[i].field);
		}
	}
	json_object_put(rec);
}

void ps_options_parse(int argc, char **argv)
{
	static const struct tk_cli_cmd cli = {
		"progstats", opts, parse_arg, NULL, doc, TK_OPT_ALL | TK_OPT_CSV, NULL, 0,
	};

	tk_cli_parse(&cli, argc, argv);
	check_combos();
	load_baseline();
	if (ps_env.sort < 0)
		ps_env.sort = ps_env.once ? S_NSECS : S_CPU;
}

void ps_options_free(void)
{
	if (ps_env.name_re_set)
		regfree(&ps_env.name_re);
	ps_baseline_free(&ps_base);
}
