// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * scx_report.c — the run summary's "scx" object and the scx-events-clean
 * check (ktstr's assert_scx_events_clean: every SCX_EV_* counter must not
 * grow during the run, unless a bound NAME=MAX lets it grow by MAX).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "output.h"
#include "ws.h"

static void add_num(struct json_object *o, const char *key, int64_t v)
{
	if (v >= 0)
		json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_sched(struct json_object *o, const struct ws_scx_snap *s, const char *sfx)
{
	char key[32];

	snprintf(key, sizeof(key), "state%s", sfx);
	if (*s->state)
		json_object_object_add(o, key, tk_json_str(s->state));
	snprintf(key, sizeof(key), "ops%s", sfx);
	if (s->has_ops)
		json_object_object_add(o, key, tk_json_str(s->ops));
	snprintf(key, sizeof(key), "enable_seq%s", sfx);
	add_num(o, key, s->enable_seq);
}

struct json_object *ws_scx_json(const struct ws_scx *x)
{
	const struct ws_scx_snap *a = &x->t0, *b = &x->t1;
	struct json_object *o;

	if (!a->present && !b->present)
		return NULL;
	o = json_object_new_object();
	add_sched(o, a, "");
	add_num(o, "switch_all", a->switch_all);
	json_object_object_add(o, "attached", json_object_new_boolean(
		!x->changed && a->has_ops && !strcmp(a->state, "enabled")));
	json_object_object_add(o, "changed", json_object_new_boolean(x->changed));
	if (x->changed)
		add_sched(o, b, "_end");
	add_num(o, "nr_rejected", b->nr_rejected);
	if (!x->changed && a->nr_rejected >= 0 && b->nr_rejected >= a->nr_rejected)
		add_num(o, "nr_rejected_delta", b->nr_rejected - a->nr_rejected);
	if (x->deltas) {
		struct json_object *ev = json_object_new_object();

		for (unsigned i = 0; i < b->nev; i++)
			json_object_object_add(ev, b->ev[i].name, json_object_new_uint64(x->d[i]));
		json_object_object_add(o, "events", ev);
	}
	return o;
}

static const char *why_unrun(const struct ws_scx *x)
{
	if (!x->t0.present && !x->t1.present)
		return "this kernel has no sched_ext";
	if (x->changed)
		return "the sched_ext scheduler changed during the run";
	if (!x->t0.has_ops || x->t0.events_err == -ENOENT || x->t1.events_err == -ENOENT)
		return "no sched_ext scheduler was attached (root/events absent)";
	return "root/events could not be read";
}

unsigned ws_scx_check(const struct ws_scx *x, const struct ws_assert *a, unsigned *unrun)
{
	const struct ws_scx_snap *b = &x->t1;
	unsigned fails = 0;

	if (!x->deltas) {
		tk_error("run it on a kernel with CONFIG_SCHED_CLASS_EXT and one scheduler attached "
			 "for the whole run", "assert scx-events-clean: cannot run: %s (%s)",
			 why_unrun(x), ws_scx_dir());
		(*unrun)++;
		return 0;
	}
	for (unsigned i = 0; i < b->nev; i++) {
		uint64_t max = 0;

		for (unsigned k = 0; k < a->nbounds; k++)
			if (!strcmp(a->bounds[k].name, b->ev[i].name))
				max = a->bounds[k].max;
		if (x->d[i] <= max)
			continue;
		tk_error(NULL, "assert scx-events-clean: %s grew by %llu during the run > %llu "
			 "(scheduler %s)", b->ev[i].name, (unsigned long long)x->d[i],
			 (unsigned long long)max, b->ops);
		fails++;
	}
	return fails;
}
