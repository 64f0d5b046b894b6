/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cli.h — argp conventions shared by every command.
 *
 * A command declares its own argp and adds tk_cli_argp(mask) as a child; the
 * child handles the common options the mask selects:
 *   -j, --json              JSON lines (same as -o json)
 *   -o, --output FMT        text | json | prom
 *   -i, --interval DUR      sampling interval (250ms, 2s, 1.5)
 *   -c, --count N           stop after N intervals
 *   -d, --duration DUR      stop after DUR
 *   -q, --quiet             no warnings or progress on stderr
 *   -v, --verbose           more detail on stderr (repeatable)
 *   -V, --version           (argp's own, from argp_program_version)
 * Values are checked with the parse.h *_or_err helpers (exit 2 on error).
 * tk_cli_parse() wraps argp_parse(): unknown options also exit 2, and the
 * output module (output.h) is initialised from the result.
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
	TK_OPT_ALL      = 0x1f,
};

struct tk_cli {
	enum tk_format fmt;
	uint64_t interval_ns;   /* default set by the command before parsing */
	uint64_t count;         /* 0 = unlimited */
	uint64_t duration_ns;   /* 0 = unlimited */
	bool interval_set, count_set, duration_set, fmt_set;
	bool quiet;
	int verbose;
};
extern struct tk_cli tk_cli;

/* The child parser for the options selected by @mask. */
const struct argp *tk_cli_argp(unsigned mask);

/* argp_parse() + output init for @tool.  Exits 2 on any usage error. */
void tk_cli_parse(const char *tool, const struct argp *argp, int argc,
		  char **argv, void *input);

/* Version string "telkit X.Y.Z"; assign to argp_program_version. */
#define TK_VERSION_STRING(tool) tool " (telkit) " TELKIT_VERSION
#define TK_BUG_ADDRESS "https://github.com/telkit/telkit/issues"

#endif
