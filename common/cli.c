// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "cli.h"
#include "errors.h"
#include "parse.h"
#include "textfile.h"
#include "version.h"

struct tk_cli tk_cli = { .interval_ns = 1000000000ULL };

enum { OPT_TEXTFILE = 0x7401 };  /* long-only */

static const struct argp_option all_opts[] = {
	{ "json", 'j', NULL, 0, "Write JSON lines (same as -o json)", -1 },
	{ "output", 'o', "FMT", 0, "Output format: text, json or prom", -1 },
	{ "interval", 'i', "DUR", 0, "Sampling interval (e.g. 250ms, 2s, 1.5)", -1 },
	{ "count", 'c', "N", 0, "Stop after N intervals", -1 },
	{ "duration", 'd', "DUR", 0, "Stop after DUR (e.g. 10s, 2m)", -1 },
	{ "quiet", 'q', NULL, 0, "No warnings or progress on stderr", -1 },
	{ "verbose", 'v', NULL, 0, "More detail on stderr (repeatable)", -1 },
	{ "textfile", OPT_TEXTFILE, "PATH", 0, "Also write each interval's Prometheus "
	  "exposition to PATH, replaced atomically (node_exporter textfile collector)", -1 },
};
static const unsigned opt_mask[] = {
	TK_OPT_FORMAT, TK_OPT_FORMAT, TK_OPT_INTERVAL, TK_OPT_COUNT,
	TK_OPT_DURATION, TK_OPT_VERBOSE, TK_OPT_VERBOSE, TK_OPT_TEXTFILE,
};
#define NOPTS TK_ARRAY_SIZE(all_opts)

/* The options of the mask common_child() was given, then argp's terminator. */
static struct argp_option child_opts[NOPTS + 1];
static unsigned child_mask;

/* -j/-o, -q and -v as given: published to tk_out once argp is done. */
static struct {
	enum tk_format fmt;
	bool fmt_set, json;
	bool quiet;
	int verbose;
} given;

/* --textfile PATH: a file name in an existing directory. */
static void textfile_or_err(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat st;

	if (!*path || (slash && !slash[1]))
		tk_usage_error("name a file, e.g. /var/lib/node_exporter/textfile/NAME.prom",
			       "--textfile '%s': not a file name", path);
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		tk_usage_error("create the directory first", "--textfile '%s': %s is not a directory",
			       path, dir);
	tk_textfile_set(path);
}

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		given.json = true;
		break;
	case 'o':
		if (tk_format_parse(arg, &given.fmt) ||
		    (given.fmt == TK_FMT_CSV && !(child_mask & TK_OPT_CSV)))
			tk_usage_error(child_mask & TK_OPT_CSV ? "use text, json, prom or csv" :
				       "use text, json or prom", "--output '%s': unknown format", arg);
		given.fmt_set = true;
		break;
	case 'i':
		tk_cli.interval_ns = tk_duration_or_err(arg, 0, "--interval");
		tk_cli.interval_set = true;
		break;
	case 'c':
		tk_cli.count = tk_u64_or_err(arg, 1, UINT64_MAX, "--count");
		tk_cli.count_set = true;
		break;
	case 'd':
		tk_cli.duration_ns = tk_duration_or_err(arg, 0, "--duration");
		tk_cli.duration_set = true;
		break;
	case OPT_TEXTFILE:
		textfile_or_err(arg);
		break;
	case 'q':
		given.quiet = true;
		break;
	case 'v':
		given.verbose++;
		break;
	case ARGP_KEY_END:
		if (given.json && given.fmt_set && given.fmt != TK_FMT_JSON)
			tk_usage_error("give either -j or -o FMT", "-j and -o %s contradict each other",
				       tk_format_name(given.fmt));
		if (given.json)
			given.fmt = TK_FMT_JSON;
		tk_cli.format_set = given.json || given.fmt_set;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct argp common_argp = { child_opts, parse_common, NULL, NULL, NULL, NULL, NULL };

/* The child parser for the options selected by @mask. */
static const struct argp *common_child(unsigned mask)
{
	size_t n = 0;

	child_mask = mask;
	for (size_t i = 0; i < NOPTS; i++) {
		if (!(mask & opt_mask[i]))
			continue;
		child_opts[n] = all_opts[i];
		if (all_opts[i].key == 'o' && (mask & TK_OPT_CSV))
			child_opts[n].doc = "Output format: text, json, prom or csv";
		n++;
	}
	memset(&child_opts[n], 0, sizeof(child_opts[n]));
	return &common_argp;
}

/* --- one-line diagnosis before argp sees the command line ---------------- */

/* Long options argp adds itself; "HANG" is its hidden --HANG[=SECS] debugging option. */
static const char *const builtin_long[] = { "help", "usage", "version", "program-name", "HANG" };

/* Exact match, else the unique option that @lname abbreviates (getopt rules). */
static const struct argp_option *find_long(const struct argp *a, const char *lname,
					   size_t llen, const struct argp_option **prefix, int *nprefix)
{
	for (const struct argp_option *o = a->options; o && (o->name || o->key || o->doc); o++) {
		if (!o->name || strncmp(o->name, lname, llen))
			continue;
		if (strlen(o->name) == llen)
			return o;
		if (!*prefix || *prefix != o)
			(*nprefix)++;
		*prefix = o;
	}
	for (const struct argp_child *c = a->children; c && c->argp; c++) {
		const struct argp_option *o = find_long(c->argp, lname, llen, prefix, nprefix);

		if (o)
			return o;
	}
	return NULL;
}

static const struct argp_option *find_short(const struct argp *a, int key)
{
	for (const struct argp_option *o = a->options; o && (o->name || o->key || o->doc); o++)
		if (o->key == key && !(o->flags & OPTION_DOC))
			return o;
	for (const struct argp_child *c = a->children; c && c->argp; c++) {
		const struct argp_option *o = find_short(c->argp, key);

		if (o)
			return o;
	}
	return NULL;
}

static bool builtin(const char *lname, size_t llen)
{
	for (size_t i = 0; i < TK_ARRAY_SIZE(builtin_long); i++)
		if (!strncmp(builtin_long[i], lname, llen))
			return true;
	return false;
}

/* Reject unknown options and missing values with one line (argp prints two). */
static void precheck(const struct argp *argp, int argc, char **argv)
{
	char fix[128];

	snprintf(fix, sizeof(fix), "see '%s --help'", tk_out.tool);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return;
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] == '-') {
			const struct argp_option *o, *pre = NULL;
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			int npre = 0;

			o = find_long(argp, a + 2, len, &pre, &npre);
			if (!o && npre == 1)
				o = pre;
			if (!o && builtin(a + 2, len))
				continue;
			if (!o)
				tk_usage_error(fix, npre > 1 ? "ambiguous option '%s'" : "unknown option '%s'", a);
			if (!o->arg && eq)
				tk_usage_error(fix, "option '--%s' takes no value", o->name);
			if (o->arg && !(o->flags & OPTION_ARG_OPTIONAL) && !eq) {
				if (i + 1 >= argc)
					tk_usage_error(fix, "option '%s' needs a value (%s)", a, o->arg);
				i++;
			}
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			const struct argp_option *o = find_short(argp, (unsigned char)*p);

			if (!o && *p != '?' && *p != 'V')
				tk_usage_error(fix, "unknown option '-%c'%s%s", *p,
					       a[2] ? " in " : "", a[2] ? a : "");
			if (o && o->arg && !(o->flags & OPTION_ARG_OPTIONAL)) {
				if (!p[1] && i + 1 >= argc)
					tk_usage_error(fix, "option '-%c' needs a value (%s)", *p, o->arg);
				if (!p[1])
					i++;
				break;
			}
		}
	}
}

/* --version: "TOOL (telkit) VERSION", VERSION with the git describe of the build. */
static void print_version(FILE *f, struct argp_state *state)
{
	fprintf(f, "%s (telkit) %s\n", tk_out.tool, tk_build_version);
}

void tk_cli_parse(const struct tk_cli_cmd *cmd, int argc, char **argv)
{
	struct argp_child kids[2] = {
		{ common_child(cmd->common), 0, cmd->common_header, cmd->common_group },
		{ 0 },
	};
	struct argp argp = {
		cmd->options, cmd->parser, cmd->args_doc, cmd->doc, kids, NULL, NULL,
	};

	tk_output_init(cmd->tool, TK_FMT_TEXT);
	argp_err_exit_status = TK_EXIT_USAGE;
	argp_program_version_hook = print_version;
	precheck(&argp, argc, argv);
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		tk_usage_error(NULL, "invalid command line; see '%s --help'", cmd->tool);
	tk_output_init(cmd->tool, given.fmt);
	tk_out.quiet = given.quiet;
	tk_out.verbose = given.verbose;
}
