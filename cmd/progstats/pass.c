// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One progstats sample pass: walk the programs (iterator or GET_NEXT_ID),
 * derive, find stats holders, fill the asked-for details, report; the
 * pass's output gathered in memory and written at once (run.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "errors.h"
#include "output.h"
#include "run.h"

/*
 * JSON: programs that came or went since the previous pass.  Both passes
 * are ascending by id: one merge walk finds each earlier program's entry.
 */
static int emit_changes(const struct ps_snap *cur, const struct ps_snap *prev)
{
	int err = 0;

	for (size_t i = 0; i < cur->n && !err; i++)
		if (cur->v[i].is_new)
			err = ps_emit_event("appear", &cur->v[i]);
	for (size_t i = 0, j = 0; i < prev->n && !err; i++) {
		while (j < cur->n && cur->v[j].id < prev->v[i].id)
			j++;
		if (j == cur->n || cur->v[j].id != prev->v[i].id ||
		    !ps_same_tag(cur->v[j].tag, prev->v[i].tag))
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
static struct ps_holders holders;

/* The walk chosen by --walk; auto falls back once to the GET_NEXT_ID walk. */
int ps_walk_open(void)
{
	int err;

	if (ps_env.walk == W_SYSCALL)
		return 0;
	err = ps_iter_open(&iter);
	if (!err || ps_env.walk == W_AUTO) {
		if (err)
			tk_info(1, "program iterator unavailable (%s): using the GET_NEXT_ID walk",
				strerror(-err));
		return 0;
	}
	tk_error(err == -EPERM ? "run as root (needs CAP_SYS_ADMIN)" : "use --walk syscall",
		 "cannot load the program iterator: %s", strerror(-err));
	return err;
}

int ps_pass_collect(struct ps_snap *cur, const struct ps_snap *prev, struct ps_pids *pids,
		    struct ps_view *view)
{
	int err = ps_collect(cur, prev, &ps_env.filter, &iter);

	if (err && iter.link_fd >= 0 && ps_env.walk == W_AUTO && err != -ENOMEM) {
		tk_info(1, "program iterator failed (%s): using the GET_NEXT_ID walk",
			strerror(-err));
		ps_iter_close(&iter);
		err = ps_collect(cur, prev, &ps_env.filter, NULL);
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

	if (ps_env.once) {
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
int ps_pass_fill(struct ps_snap *cur, const struct ps_snap *prev, struct ps_view *view,
		 bool baseline)
{
	unsigned need = ps_need_mask();
	int err;

	if (!baseline && holders_due()) {
		bool ours = !strcmp(view->stats, "held") || !strcmp(view->stats, "sampled");

		err = ps_holders_scan(&holders, getpid(), ours, !ours && strcmp(view->stats, "sysctl") &&
				      (!ps_env.once || iter.self_cnt));
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
	err = ps_details_fill(&ps_det, cur, prev, need, ps_env.once);
	if (err)
		tk_error(NULL, "cannot read program details: %s", strerror(-err));
	ps_env.wide.links = &ps_det.links;
	ps_env.wide.pins = &ps_det.pins;
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

/* Collect, compare with @prev (NULL for --once), report. */
static int pass(struct ps_snap *cur, const struct ps_snap *prev, struct ps_pids *pids,
		struct ps_view *view, bool *breached)
{
	int err = ps_pass_collect(cur, prev, pids, view);

	if (!err) {
		ps_derive(cur, prev);
		if (view->duty > 0)
			ps_duty_scale(cur, view->period_ns);
		err = ps_pass_fill(cur, prev, view, false);
	}
	if (!err && prev)
		err = emit_changes(cur, prev);
	return err ? err : ps_report(cur, view, pids, breached);
}

/* The other forms: the pass's lines gathered in a memory stream, then written. */
static int pass_via_memstream(struct ps_snap *cur, const struct ps_snap *prev,
			      struct ps_pids *pids, struct ps_view *view, bool *breached)
{
	int err;

	if (!pass_out.f && !(pass_out.f = open_memstream(&pass_out.buf, &pass_out.len))) {
		tk_error(NULL, "out of memory");
		return -ENOMEM;
	}
	rewind(pass_out.f);
	tk_out.out = pass_out.f;
	err = pass(cur, prev, pids, view, breached);
	tk_out.out = stdout;
	if (fflush(pass_out.f) && !err) {
		tk_error(NULL, "out of memory");
		err = -ENOMEM;
	}
	if (pass_out.len && !tk_out.broken)
		fwrite(pass_out.buf, 1, pass_out.len, stdout);
	return err;
}

/*
 * One pass, its output written at once: one write per sample instead of
 * one per record.  JSON lines (events, samples, errors) are held by
 * output.h and released straight to stdout (no second copy); the other
 * forms go through a memory stream.
 */
int ps_pass_sample(struct ps_snap *cur, const struct ps_snap *prev, struct ps_pids *pids,
		   struct ps_view *view, bool *breached)
{
	uint64_t t0 = tk_now_mono_ns();
	int err, ferr;

	if (tk_out.fmt == TK_FMT_JSON && !ps_screen) {
		tk_output_hold();
		err = pass(cur, prev, pids, view, breached);
		ferr = tk_output_release();
	} else {
		err = pass_via_memstream(cur, prev, pids, view, breached);
		ferr = tk_flush();
	}
	tk_info(1, "sample %llu: %zu programs in %.1f us", (unsigned long long)view->seq,
		cur->n, (double)(tk_now_mono_ns() - t0) / 1e3);
	return err ? err : ferr;
}

void ps_pass_free(void)
{
	ps_iter_close(&iter);
	ps_holders_free(&holders);
	pass_out_close();
}
