// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * worker-spawn — scheduler-stressing workers with per-worker scheduling
 * telemetry (ktstr WorkerReport semantics).
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "ws.h"

const char *argp_program_version = TK_VERSION_STRING("worker-spawn");
const char *argp_program_bug_address = TK_BUG_ADDRESS;

static const char doc[] =
"Spawn groups of scheduler-stressing workers and report per-worker scheduling "
"telemetry.\v"
"Work types: spin-wait yield-heavy mixed bursty pipe-io futex-ping-pong futex-fan-out "
"fan-out-compute cache-pressure cache-yield cache-pipe io-sync-write io-rand-read "
"io-convoy nice-sweep affinity-churn policy-churn mutex-contention fork-exit alu-hot "
"smt-sibling-spin ipc-variance timer-latency idle-churn sequence exec:CMD\n\n"
"Placement options (--affinity, --policy, --nice, --cgroup) apply to the group of the "
"last -w; given before any -w they apply to every group.\n\n"
"EXAMPLES:\n"
"  worker-spawn -w spin-wait -n 4 -d 5s\n"
"  worker-spawn -w pipe-io -n 2 -w spin-wait -n 2 --affinity 0 -j\n"
"  worker-spawn -w timer-latency:interval_us=1000 --policy fifo:50 --assert timer:p99_ns=200000\n"
"  worker-spawn -w futex-fan-out:fanout=3 -n 8 --phases 2s,2s --cgroup ws-test";

enum {
	OPT_MODE = 256, OPT_AFFINITY, OPT_POLICY, OPT_NICE, OPT_CGROUP, OPT_PHASES,
	OPT_SAMPLES, OPT_ASSERT, OPT_SEED, OPT_NO_TEL, OPT_POLICY_DELAY,
};

static const struct argp_option opts[] = {
	{ "work", 'w', "TYPE[:K=V,..]", 0, "Start a group of this work type (repeatable)", 0 },
	{ "workers", 'n', "N", 0, "Workers in the current group (default: its group size)", 0 },
	{ "mode", OPT_MODE, "fork|thread", 0, "Workers are processes (default) or threads", 0 },
	{ "affinity", OPT_AFFINITY, "AFF", 0, "inherit, CPULIST, random:K or single", 1 },
	{ "policy", OPT_POLICY, "POL", 0,
	  "normal, batch, idle, ext, fifo:P, rr:P or deadline:RUNTIME/DEADLINE/PERIOD", 1 },
	{ "policy-delay", OPT_POLICY_DELAY, "DUR", 0, "Set --policy DUR after the start, "
	  "from the parent, instead of before it (workers start on the class they inherit)", 1 },
	{ "nice", OPT_NICE, "N", 0, "Nice value -20..19", 1 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "cgroup v2 path (under /sys/fs/cgroup) to create and run the group in", 1 },
	{ "phases", OPT_PHASES, "D1,D2,..", 0, "Run in phases (instead of -d); workers "
	  "report per-phase slices", 2 },
	{ "samples", OPT_SAMPLES, NULL, 0, "Include the raw sample vectors in JSON", 2 },
	{ "assert", OPT_ASSERT, "CHECK", 0, "not-starved[:gap_ms=,spread=], "
	  "throughput-parity[:cv=,min_rate=], wake[:p99_ns=,cv=], timer[:p99_ns=], isolation, "
	  "max-migrations=N, scx-events-clean[:NAME=MAX,..] (repeatable; exit 3 on failure)", 2 },
	{ "seed", OPT_SEED, "N", 0, "Seed for random affinity and sampling", 2 },
	{ "no-telemetry", OPT_NO_TEL, NULL, 0, "No checkpoints (migrations, gaps, phases): "
	  "the benchmark baseline", 2 },
	{ 0 },
};

static struct ws_opts o;

static struct ws_group *cur(void)
{
	return o.ngroups ? &o.groups[o.ngroups - 1] : &o.defaults;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct ws_group *g;

	switch (key) {
	case 'w':
		if (o.ngroups >= WS_MAX_GROUPS)
			tk_usage_error("use at most 64 groups", "-w '%s': too many groups", arg);
		g = &o.groups[o.ngroups];
		*g = o.defaults;
		g->n = 0;
		ws_group_parse(arg, g);
		o.ngroups++;
		break;
	case 'n':
		cur()->n = tk_u64_or_err(arg, 1, WS_MAX_WORKERS, "-n");
		break;
	case OPT_MODE:
		if (strcmp(arg, "fork") && strcmp(arg, "thread"))
			tk_usage_error("use fork or thread", "--mode '%s': unknown mode", arg);
		o.thread_mode = !strcmp(arg, "thread");
		break;
	case OPT_AFFINITY:
		ws_affinity_parse(arg, &cur()->aff);
		cur()->aff_set = true;
		break;
	case OPT_POLICY:
		ws_policy_parse(arg, &cur()->pol);
		break;
	case OPT_POLICY_DELAY:
		o.policy_delay_ns = tk_duration_or_err(arg, 0, "--policy-delay");
		if (!o.policy_delay_ns)
			tk_usage_error("give a delay above 0", "--policy-delay '%s': zero delay", arg);
		break;
	case OPT_NICE:
		cur()->nice = tk_i64_or_err(arg, -20, 19, "--nice");
		cur()->nice_set = true;
		break;
	case OPT_CGROUP:
		if (!*arg || strlen(arg) >= sizeof(cur()->cgroup) || strstr(arg, ".."))
			tk_usage_error("give a path under /sys/fs/cgroup without '..'",
				       "--cgroup '%s': bad path", arg);
		snprintf(cur()->cgroup, sizeof(cur()->cgroup), "%s", arg);
		cur()->cgroup_set = true;
		break;
	case OPT_PHASES:
		ws_phases_parse(arg, &o);
		break;
	case OPT_SAMPLES:
		o.samples = true;
		break;
	case OPT_ASSERT:
		if (o.nasserts >= sizeof(o.asserts) / sizeof(o.asserts[0]))
			tk_usage_error("use fewer --assert", "--assert '%s': too many checks", arg);
		ws_assert_parse(arg, &o.asserts[o.nasserts++]);
		break;
	case OPT_NO_TEL:
		o.no_telemetry = true;
		break;
	case OPT_SEED:
		o.seed = tk_u64_or_err(arg, 0, UINT64_MAX, "--seed");
		break;
	case ARGP_KEY_ARG:
		tk_usage_error("work types go after -w", "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --policy-delay needs a --policy to delay and a run that outlasts it. */
static void check_policy_delay(void)
{
	uint64_t total = o.duration_ns;
	bool any = false;

	if (!o.policy_delay_ns)
		return;
	if (o.nphases)
		for (unsigned i = total = 0; i < o.nphases; i++)
			total += o.phases[i];
	for (unsigned i = 0; i < o.ngroups; i++)
		any |= o.groups[i].pol.set;
	if (!any)
		tk_usage_error("give --policy too", "--policy-delay: no group has a --policy");
	if (o.policy_delay_ns >= total)
		tk_usage_error("make the run longer than the delay", "--policy-delay: %.3f s is not "
			       "shorter than the run (%.3f s)", o.policy_delay_ns / 1e9, total / 1e9);
}

int main(int argc, char **argv)
{
	static const struct argp_child children[] = {
		{ NULL, 0, "Common options:", 10 }, { 0 },
	};
	struct argp_child kids[2] = { children[0], children[1] };
	struct argp argp = { opts, parse_arg, NULL, doc, kids, NULL, NULL };
	struct ws_run run;
	unsigned unrun = 0;
	int err, fails = 0;

	kids[0].argp = tk_cli_argp(TK_OPT_FORMAT | TK_OPT_DURATION | TK_OPT_VERBOSE);
	tk_cli_parse("worker-spawn", &argp, argc, argv, NULL);
	if (!o.ngroups) {
		struct ws_group *g = &o.groups[o.ngroups++];
		unsigned n = o.defaults.n;

		*g = o.defaults;
		ws_group_parse("spin-wait", g);
		g->n = n;
	}
	if (o.nphases && tk_cli.duration_set)
		tk_usage_error("give either -d or --phases", "-d and --phases both set the run length");
	o.duration_ns = tk_cli.duration_set ? tk_cli.duration_ns : 5 * TK_NSEC_PER_SEC;
	ws_groups_finish(&o);
	check_policy_delay();
	for (unsigned i = 0; i < o.ngroups; i++) {
		o.groups[i].no_telemetry = o.no_telemetry;
		o.groups[i].pol_deferred = o.policy_delay_ns > 0;
	}
	tk_stop_install();
	err = ws_run(&o, &run);
	if (run.nworkers)
		ws_output(&run);
	if (!err && !tk_out.broken)
		fails = ws_check(&run, &unrun);
	ws_run_free(&run);
	if (fails)
		return TK_EXIT_CHECK;
	return err || unrun ? TK_EXIT_RUNTIME : TK_EXIT_OK;
}
