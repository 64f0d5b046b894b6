/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cli.h — argp conventions shared by every command.
 *
 * A command describes its own options in a struct tk_cli_cmd and hands it to
 * tk_cli_parse(), which adds the common options the mask selects as an argp
 * child of the command's parser:
 *   -j, --json              JSON lines (same as -o json)
 *   -o, --output FMT        text | json | prom (| csv with TK_OPT_CSV)
 *   -i, --interval DUR      sampling interval (250ms, 2s, 1.5)
 *   -c, --count N           stop after N intervals
 *   -d, --duration DUR      stop after DUR
 *   -q, --quiet             no warnings or progress on stderr
 *   -v, --verbose           more detail on stderr (repeatable)
 *   --textfile PATH         the Prometheus exposition, also to PATH (textfile.h)
 *   -V, --version           "TOOL (telkit) VERSION (git DESCRIBE)" (version.h)
 * Values are checked with the parse.h *_or_err helpers (exit 2 on error).
 * tk_cli_parse() wraps argp_parse(): unknown options also exit 2, and the
 * output module (output.h) is initialised from the result.  tk_out is the
 * one place the format, -q and -v are kept: read them there, not here.
 */
#ifndef TELKIT_CLI_H
#define TELKIT_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#include "output.h"

enum {
	TK_OPT_FORMAT   = 1 << 0, /* -j, -o */
	TK_OPT_INTERVAL = 1 << 1, /* -i */
	TK_OPT_COUNT    = 1 << 2, /* -c */
	TK_OPT_DURATION = 1 << 3, /* -d */
	TK_OPT_VERBOSE  = 1 << 4, /* -q, -v */
	TK_OPT_TEXTFILE = 1 << 5, /* --textfile */
	TK_OPT_ALL      = 0x3f,
	TK_OPT_CSV      = 1 << 6, /* -o csv too: the command writes its own CSV rows */
};

/* The timing options; -j/-o, -q and -v land in tk_out (output.h). */
struct tk_cli {
	uint64_t interval_ns;   /* default set by the command before parsing */
	uint64_t count;         /* 0 = unlimited */
	uint64_t duration_ns;   /* 0 = unlimited */
	bool interval_set, count_set, duration_set;
	bool format_set;        /* -j or -o was given (a format asked for, text included) */
};
extern struct tk_cli tk_cli;

/* A command's own command line, as tk_cli_parse() takes it. */
struct tk_cli_cmd {
	const char *tool;                   /* command name: errors, records, --help */
	const struct argp_option *options;  /* the command's own options */
	argp_parser_t parser;               /* and their parser */
	const char *args_doc;               /* argp's args_doc, or NULL */
	const char *doc;                    /* argp's doc */
	unsigned common;                    /* TK_OPT_* mask of common options taken */
	const char *common_header;          /* --help heading over them, or NULL */
	int common_group;                   /* their --help group (argp_child.group) */
};

/*
 * Parse argv with @cmd's options plus the common child, then initialise the
 * output module (tk_out: tool, format, quiet, verbose).  While argp runs,
 * tk_out stays text, not quiet, not verbose: the command's parser and its
 * usage errors see the defaults.  Exits 2 on any usage error.
 */
void tk_cli_parse(const struct tk_cli_cmd *cmd, int argc, char **argv);

/*
 * Version string "TOOL (telkit) X.Y.Z"; assign to argp_program_version (it
 * turns -V on; tk_cli_parse() prints the build's version, version.h, instead).
 */
#define TK_VERSION_STRING(tool) tool " (telkit) " TELKIT_VERSION

#endif
