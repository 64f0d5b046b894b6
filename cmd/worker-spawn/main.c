// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * worker-spawn — scheduler-stressing workers with per-worker scheduling
 * telemetry (ktstr WorkerReport semantics).
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "ws.h"

const char *argp_program_version = TK_VERSION_STRING("worker-spawn");

static const char doc[] =
"Spawn groups of scheduler-stressing workers and report per-worker scheduling "
"telemetry.\v"
"Work types: spin-wait yield-heavy mixed bursty pipe-io futex-ping-pong futex-fan-out "
"fan-out-compute cache-pressure cache-yield cache-pipe io-sync-write io-rand-read "
"io-convoy nice-sweep affinity-churn policy-churn mutex-contention fork-exit alu-hot "
"smt-sibling-spin ipc-variance timer-latency idle-churn sequence exec:CMD "
/* issue 15: wake */
"wake-chain thundering-herd epoll-storm asymmetric-waker producer-consumer-imbalance "
/* issue 15: mem */
"cross-affinity-churn numa-migration-churn numa-working-set-sweep page-fault-churn "
"cgroup-churn cgroup-attach-storm "
"priority-inversion rt-starvation preempt-storm signal-storm"   /* issue 15: rt */
"\n\n"
"Placement options (--affinity, --policy, --nice, --cgroup, --mempolicy) apply to the group of the "
"last -w; given before any -w they apply to every group.\n\n"
"EXAMPLES:\n"
"  worker-spawn -w spin-wait -n 4 -d 5s\n"
"  worker-spawn -w pipe-io -n 2 -w spin-wait -n 2 --affinity 0 -j\n"
"  worker-spawn -w timer-latency:interval_us=1000 --policy fifo:50 --assert timer:p99_ns=200000\n"
"  worker-spawn -w futex-fan-out:fanout=3 -n 8 --phases 2s,2s --cgroup ws-test";

enum {
	OPT_MODE = 256, OPT_AFFINITY, OPT_POLICY, OPT_NICE, OPT_CGROUP, OPT_PHASES,
	OPT_SAMPLES, OPT_ASSERT, OPT_SEED, OPT_NO_TEL, OPT_POLICY_DELAY,
	OPT_MEMPOLICY = 400,   /* issue 15: mem */
};

static const struct argp_option opts[] = {
	{ "work", 'w', "TYPE[:K=V,..]", 0, "Start a group of this work type (repeatable)", 0 },
	{ "workers", 'n', "N", 0, "Workers in the current group (default: its group size)", 0 },
	{ "mode", OPT_MODE, "fork|thread|pcomm", 0, "Workers are processes (default), threads, "
	  "or the threads of one forked leader (pcomm)", 0 },
	{ "affinity", OPT_AFFINITY, "AFF", 0, "inherit, CPULIST, random:K, single, llc, smt-pair "
	  "or cross-cgroup", 1 },
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
	  "throughput-parity[:cv=,min_rate=], wake[:p99_ns=,cv=] (pooled per group), "
	  "wake-worker[:p99_ns=], timer[:p99_ns=], iteration-cost[:p99_ns=], isolation, "
	  "max-migrations=N, min-iteration-rate=R, scx-events-clean[:NAME=MAX,..] (repeatable; "
	  "exit 3 on failure, 4 when nothing was measurable)", 2 },
	{ "seed", OPT_SEED, "N", 0, "Seed for random affinity and sampling", 2 },
	{ "no-telemetry", OPT_NO_TEL, NULL, 0, "No checkpoints (migrations, gaps, phases): "
	  "the benchmark baseline", 2 },
	/* issue 15: mem */
	{ "mempolicy", OPT_MEMPOLICY, "MODE[:NODES]", 0, "bind, preferred, interleave, "
	  "preferred-many, weighted-interleave or local: set_mempolicy in every worker", 1 },
	{ 0 },
};

static struct ws_opts cfg;   /* the run configuration the options build */

/* The group the placement options apply to: the last -w, or the defaults before any. */
static struct ws_group *current_group(void)
{
	return cfg.ngroups ? &cfg.groups[cfg.ngroups - 1] : &cfg.defaults;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct ws_group *g;

	switch (key) {
	case 'w':
		if (cfg.ngroups >= WS_MAX_GROUPS)
			tk_usage_error("use at most 64 groups", "-w '%s': too many groups", arg);
		g = &cfg.groups[cfg.ngroups];
		*g = cfg.defaults;
		g->n = 0;
		ws_group_parse(arg, g);
		cfg.ngroups++;
		break;
	case 'n':
		current_group()->n = tk_u64_or_err(arg, 1, WS_MAX_WORKERS, "-n");
		break;
	case OPT_MODE:
		if (strcmp(arg, "fork") && strcmp(arg, "thread") && strcmp(arg, "pcomm"))
			tk_usage_error("use fork, thread or pcomm", "--mode '%s': unknown mode", arg);
		cfg.thread_mode = !strcmp(arg, "thread");
		cfg.pcomm = !strcmp(arg, "pcomm");
		break;
	case OPT_AFFINITY:
		ws_affinity_parse(arg, &current_group()->aff);
		current_group()->aff_set = true;
		break;
	case OPT_POLICY:
		ws_policy_parse(arg, &current_group()->pol);
		break;
	case OPT_POLICY_DELAY:
		cfg.policy_delay_ns = tk_duration_or_err(arg, 0, "--policy-delay");
		if (!cfg.policy_delay_ns)
			tk_usage_error("give a delay above 0", "--policy-delay '%s': zero delay", arg);
		break;
	case OPT_NICE:
		current_group()->nice = tk_i64_or_err(arg, -20, 19, "--nice");
		current_group()->nice_set = true;
		break;
	case OPT_CGROUP:
		if (!*arg || strlen(arg) >= sizeof(current_group()->cgroup) || strstr(arg, ".."))
			tk_usage_error("give a path under /sys/fs/cgroup without '..'",
				       "--cgroup '%s': bad path", arg);
		snprintf(current_group()->cgroup, sizeof(current_group()->cgroup), "%s", arg);
		current_group()->cgroup_set = true;
		break;
	case OPT_PHASES:
		ws_phases_parse(arg, &cfg);
		break;
	case OPT_SAMPLES:
		cfg.samples = true;
		break;
	case OPT_ASSERT:
		if (cfg.nasserts >= TK_ARRAY_SIZE(cfg.asserts))
			tk_usage_error("use fewer --assert", "--assert '%s': too many checks", arg);
		ws_assert_parse(arg, &cfg.asserts[cfg.nasserts++]);
		break;
	case OPT_NO_TEL:
		cfg.no_telemetry = true;
		break;
	case OPT_SEED:
		cfg.seed = tk_u64_or_err(arg, 0, UINT64_MAX, "--seed");
		break;
	case OPT_MEMPOLICY:   /* issue 15: mem */
		ws_mempolicy_parse(arg, &current_group()->mpol);
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
	uint64_t total = cfg.duration_ns;
	bool any = false;

	if (!cfg.policy_delay_ns)
		return;
	if (cfg.nphases)
		for (unsigned i = total = 0; i < cfg.nphases; i++)
			total += cfg.phases[i];
	for (unsigned i = 0; i < cfg.ngroups; i++)
		any |= cfg.groups[i].pol.set;
	if (!any)
		tk_usage_error("give --policy too", "--policy-delay: no group has a --policy");
	if (cfg.policy_delay_ns >= total)
		tk_usage_error("make the run longer than the delay", "--policy-delay: %.3f s is not "
			       "shorter than the run (%.3f s)", cfg.policy_delay_ns / 1e9, total / 1e9);
}

int main(int argc, char **argv)
{
	static const struct tk_cli_cmd cli = {
		"worker-spawn", opts, parse_arg, NULL, doc,
		TK_OPT_FORMAT | TK_OPT_DURATION | TK_OPT_VERBOSE | TK_OPT_TEXTFILE, "Common options:", 10,
	};
	struct ws_run run;
	unsigned unrun = 0, inconcl = 0, nskip = 0;
	int err, reduce_err, fails = 0;

	tk_cli_parse(&cli, argc, argv);
	if (!cfg.ngroups) {
		struct ws_group *g = &cfg.groups[cfg.ngroups++];
		unsigned n = cfg.defaults.n;

		*g = cfg.defaults;
		ws_group_parse("spin-wait", g);
		g->n = n;
	}
	if (cfg.nphases && tk_cli.duration_set)
		tk_usage_error("give either -d or --phases", "-d and --phases both set the run length");
	cfg.duration_ns = tk_cli.duration_set ? tk_cli.duration_ns : 5 * TK_NSEC_PER_SEC;
	ws_groups_finish(&cfg);
	check_policy_delay();
	for (unsigned i = 0; i < cfg.ngroups; i++) {
		cfg.groups[i].no_telemetry = cfg.no_telemetry;
		cfg.groups[i].pol_deferred = cfg.policy_delay_ns > 0;
		cfg.groups[i].phased = cfg.nphases > 1;
	}
	tk_stop_install();
	err = ws_run(&cfg, &run);
	if (err)
		tk_error(run.err_fix, "%s", run.err_msg);
	reduce_err = ws_reduce(&run);
	if (reduce_err) {
		tk_error(NULL, "cannot summarise the reports: %s", strerror(-reduce_err));
		err = err ? err : reduce_err;
	} else if (run.nworkers) {
		ws_output(&run);
	}
	if (!err && !tk_out.broken)
		fails = ws_check(&run, &unrun, &inconcl, &nskip);
	ws_run_free(&run);
	if (fails)
		return TK_EXIT_CHECK;
	if (err || unrun)
		return TK_EXIT_RUNTIME;
	/* issue 15: every check skipped (none could be evaluated here) is inconclusive */
	return inconcl || (nskip && nskip == cfg.nasserts) ? TK_EXIT_INCONCLUSIVE : TK_EXIT_OK;
}
