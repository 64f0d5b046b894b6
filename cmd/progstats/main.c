// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats — per-BPF-program run-time statistics (bpftop, scriptable).
 * Holds BPF_ENABLE_STATS(BPF_STATS_RUN_TIME) exactly while it runs, walks
 * every loaded program each interval and reports counters, deltas and
 * bpftop's derived metrics as a table, one-liners, JSON or Prometheus.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfutil.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "output.h"
#include "run.h"

/* The live screen: on a terminal, for the interactive forms only. */
static void open_tui(struct ps_pids *pids)
{
	if (ps_env.no_tui || ps_env.once || ps_env.oneline || ps_env.group ||
	    tk_cli.format_set || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return;
	/* Holders for the detail pane: wanted, not required. */
	if (!pids->skel && ps_pids_open(pids))
		tk_info(1, "process iterator unavailable: no holders in the detail pane");
	ps_screen = ps_tui_open(pids->skel ? pids : NULL);
	if (!ps_screen)
		tk_info(1, "cannot draw on this terminal (TERM=%s): printing lines",
			getenv("TERM") ? getenv("TERM") : "");
}

/* With the live screen: read keys until @deadline_ns; true when the run is to end. */
static bool tui_stop(uint64_t deadline_ns, int *err)
{
	int r;

	if (!ps_screen)
		return false;
	r = ps_tui_wait(ps_screen, deadline_ns);
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
	int err = ps_pass_collect(prev, NULL, pids, view);  /* the baseline */

	if (err)
		return err;
	ps_derive(prev, NULL);
	err = ps_pass_fill(prev, NULL, view, true);
	if (err)
		return err;
	tk_loop_start(&loop, tk_cli.interval_ns, tk_cli.count, tk_cli.duration_ns);
	for (;;) {
		if (tui_stop(ps_loop_next_tick(&loop), &err) || !tk_loop_next(&loop))
			return err;
		view->seq = loop.ticks;
		view->period_ns = tk_loop_period_ns(&loop);
		err = ps_pass_sample(cur, prev, pids, view, breached);
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

	view->duty = (double)ps_env.duty_on / (double)ps_env.duty_every;
	tk_loop_start(&loop, ps_env.duty_every, tk_cli.count, tk_cli.duration_ns);
	while (!err) {
		uint64_t tick = ps_loop_next_tick(&loop);

		if (tui_stop(tick > ps_env.duty_on ? tick - ps_env.duty_on : 0, &err) ||
		    !ps_duty_wait_off(&loop, ps_env.duty_on))
			break;
		err = ps_stats_enable(stats);
		if (err) {
			tk_error(err == -EPERM ? "run as root (needs CAP_SYS_ADMIN)" : NULL,
				 "cannot enable BPF run-time stats: %s", strerror(-err));
			return err;
		}
		tk_info(2, "stats on");
		err = ps_pass_collect(prev, NULL, pids, view);
		if (err)
			return err;
		ps_derive(prev, NULL);
		err = ps_pass_fill(prev, NULL, view, true);
		if (err)
			return err;
		if (tui_stop(ps_loop_next_tick(&loop), &err) || !tk_loop_next(&loop))
			break;
		view->seq = loop.ticks;
		view->period_ns = tk_loop_period_ns(&loop);
		err = ps_pass_sample(cur, prev, pids, view, breached);
		ps_stats_disable(stats);
		tk_info(2, "stats off");
	}
	return err;
}

/* After the last sample: --save, then --baseline. */
static int finish(const struct ps_view *view, bool *regressed)
{
	int err = 0;

	if (ps_env.save && (err = ps_save(ps_env.save, view)))
		tk_error("give a writable file in an existing directory",
			 "--save '%s': %s", ps_env.save, strerror(-err));
	if (!err && ps_env.baseline && (err = ps_baseline_check(&ps_base, view, regressed)))
		tk_error(NULL, "cannot compare with the baseline: %s", strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct ps_snap snaps[2] = { { 0 }, { 0 } };
	struct ps_stats stats = { .fd = -1 };
	struct ps_pids pids = { 0 };
	struct ps_view view = { 0 };
	bool breached = false;
	int err = 0;

	ps_options_parse(argc, argv);
	tk_stop_install();
	tk_libbpf_quiet(tk_out.verbose);
	tk_bump_memlock();

	if (ps_env.pids || ps_env.pid || ps_env.comm) {
		err = ps_pids_open(&pids);
		if (err) {
			tk_error("needs root and a kernel with BTF and task_file iterators",
				 "cannot load the process iterator: %s", strerror(-err));
			goto cleanup;
		}
	}
	err = ps_walk_open();
	if (err)
		goto cleanup;
	if (!ps_env.once && !ps_env.duty_on) {
		err = ps_stats_enable(&stats);
		if (err) {
			tk_error(err == -EPERM ? "run as root (needs CAP_SYS_ADMIN)" : NULL,
				 "cannot enable BPF run-time stats: %s", strerror(-err));
			goto cleanup;
		}
	}
	view.once = ps_env.once;
	view.pids = ps_env.pids ? &pids : NULL;
	view.stats = ps_env.duty_on ? "sampled" : stats.fd >= 0 ? "held" :
		     ps_stats_sysctl() == 1 ? "sysctl" : "not_enabled";
	view.wide = ps_env.wide_set ? &ps_env.wide : NULL;
	open_tui(&pids);

	if (ps_env.once)
		err = ps_pass_sample(&snaps[1], NULL, &pids, &view, &breached);
	else if (ps_env.duty_on)
		err = duty_loop(&snaps[0], &snaps[1], &pids, &view, &stats, &breached);
	else
		err = live_loop(&snaps[0], &snaps[1], &pids, &view, &breached);
	if (!err && !tk_out.broken && (ps_env.once || view.seq))
		err = finish(&view, &breached);
cleanup:
	ps_tui_close(ps_screen);
	ps_stats_disable(&stats);
	ps_pids_close(&pids);
	ps_pass_free();
	ps_select_free();
	ps_snap_free(&snaps[0]);
	ps_snap_free(&snaps[1]);
	ps_options_free();
	free(view.v);
	if (tk_out.broken)
		return TK_EXIT_OK;  /* reader went away: stop quietly */
	if (err && err != -EPIPE)
		return TK_EXIT_RUNTIME;
	return breached ? TK_EXIT_CHECK : TK_EXIT_OK;
}
