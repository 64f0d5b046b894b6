// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats: the field table.  Every per-program figure by its JSON key, so
 * --fields, --where and --sort name the same things the records print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "bpfutil.h"
#include "errors.h"
#include "parse.h"
#include "progstats.h"

#define NUM(f) static double n_##f(const struct ps_prog *p) { return (double)p->f; }
NUM(id) NUM(cnt) NUM(nsecs) NUM(misses) NUM(ns_per_call) NUM(miss_rate)
NUM(period_ns) NUM(d_cnt) NUM(d_nsecs) NUM(d_misses) NUM(period_ns_per_call)
NUM(period_miss_rate) NUM(events_per_sec) NUM(cpu_pct) NUM(cpu_pct_norm) NUM(bpf_share_pct)
NUM(since_cnt) NUM(since_nsecs) NUM(since_ns_per_call) NUM(npc_min) NUM(npc_p50)
NUM(npc_p99) NUM(npc_max) NUM(bytes_xlated) NUM(bytes_jited) NUM(bytes_memlock)
NUM(verified_insns) NUM(loaded_at) NUM(uid) NUM(map_count) NUM(map_memlock) NUM(link_count)
NUM(type)

static int s_name(const struct ps_prog *p, char *buf, size_t size)
{
	return snprintf(buf, size, "%s", p->name);
}

static int s_tag(const struct ps_prog *p, char *buf, size_t size)
{
	return snprintf(buf, size, "%s", p->tag);
}

static int s_type(const struct ps_prog *p, char *buf, size_t size)
{
	char t[32];

	return snprintf(buf, size, "%s", tk_prog_type_name(p->type, t, sizeof(t)));
}

/* name, column, need, wide, numeric, number, string */
const struct ps_field ps_fields[] = {
	{ "id", "ID", 0, false, true, n_id, NULL },
	{ "name", "NAME", 0, false, false, NULL, s_name },
	{ "prog_type", "TYPE", 0, false, false, n_type, s_type },
	{ "tag", "TAG", 0, false, false, NULL, s_tag },
	{ "cnt", "CNT", 0, false, true, n_cnt, NULL },
	{ "nsecs", "TIME_NS", 0, false, true, n_nsecs, NULL },
	{ "misses", "MISSES", 0, false, true, n_misses, NULL },
	{ "ns_per_call", "NS/CALL", 0, false, true, n_ns_per_call, NULL },
	{ "miss_rate", "MISS_RATE", 0, false, true, n_miss_rate, NULL },
	{ "period_ns", "PERIOD_NS", 0, false, true, n_period_ns, NULL },
	{ "period_cnt", "P_CNT", 0, false, true, n_d_cnt, NULL },
	{ "period_nsecs", "P_NSECS", 0, false, true, n_d_nsecs, NULL },
	{ "period_misses", "P_MISSES", 0, false, true, n_d_misses, NULL },
	{ "period_ns_per_call", "AVG_NS", 0, false, true, n_period_ns_per_call, NULL },
	{ "period_miss_rate", "P_MISS_RATE", 0, false, true, n_period_miss_rate, NULL },
	{ "events_per_sec", "EVENTS/S", 0, false, true, n_events_per_sec, NULL },
	{ "cpu_pct", "CPU%", 0, false, true, n_cpu_pct, NULL },
	/* the new fields, in --wide's order */
	{ "cpu_pct_norm", "CPU%ALL", PS_NEED_DERIVED, true, true, n_cpu_pct_norm, NULL },
	{ "bpf_share_pct", "BPF%", PS_NEED_DERIVED, true, true, n_bpf_share_pct, NULL },
	{ "since_cnt", "SINCE_CNT", PS_NEED_HIST, true, true, n_since_cnt, NULL },
	{ "since_nsecs", "SINCE_NS", PS_NEED_HIST, true, true, n_since_nsecs, NULL },
	{ "since_ns_per_call", "SINCE_NS/CALL", PS_NEED_HIST, true, true, n_since_ns_per_call, NULL },
	{ "ns_per_call_min", "MIN_NS", PS_NEED_HIST, true, true, n_npc_min, NULL },
	{ "ns_per_call_p50", "P50_NS", PS_NEED_HIST, true, true, n_npc_p50, NULL },
	{ "ns_per_call_p99", "P99_NS", PS_NEED_HIST, true, true, n_npc_p99, NULL },
	{ "ns_per_call_max", "MAX_NS", PS_NEED_HIST, true, true, n_npc_max, NULL },
	{ "bytes_xlated", "XLATED", PS_NEED_INFO, true, true, n_bytes_xlated, NULL },
	{ "bytes_jited", "JITED", PS_NEED_INFO, true, true, n_bytes_jited, NULL },
	{ "bytes_memlock", "MEMLOCK", PS_NEED_INFO, true, true, n_bytes_memlock, NULL },
	{ "verified_insns", "INSNS", PS_NEED_INFO, true, true, n_verified_insns, NULL },
	{ "loaded_at", "LOADED_AT", PS_NEED_INFO, true, true, n_loaded_at, NULL },
	{ "uid", "UID", PS_NEED_INFO, true, true, n_uid, NULL },
	{ "map_count", "MAPS", PS_NEED_INFO, true, true, n_map_count, NULL },
	{ "map_memlock", "MAP_MEMLOCK", PS_NEED_INFO | PS_NEED_MAPS, true, true, n_map_memlock, NULL },
	{ "link_count", "LINKS", PS_NEED_LINKS, true, true, n_link_count, NULL },
	{ "links", "ATTACH", PS_NEED_LINKS | PS_NEED_PINS, true, false, NULL, NULL },
	{ "pinned", "PINNED", PS_NEED_PINS, true, false, NULL, NULL },
};
const size_t ps_nfields = TK_ARRAY_SIZE(ps_fields);

const struct ps_field *ps_field_find(const char *name)
{
	for (size_t i = 0; i < ps_nfields; i++)
		if (!strcmp(ps_fields[i].name, name))
			return &ps_fields[i];
	return NULL;
}

static const struct ps_field *field_or_err(const char *name, const char *opt, bool numeric)
{
	const struct ps_field *f = ps_field_find(name);

	if (!f || (numeric && !f->numeric) || (!f->num && !f->str))
		tk_usage_error(numeric ? "name a numeric field of the records: see FIELDS in progstats(8)" :
			       "name a field of the records: see FIELDS in progstats(8)",
			       "%s '%s': unknown%s field", opt, name, f ? " or non-numeric" : "");
	return f;
}

void ps_sort_parse(struct ps_sort *s, const char *arg)
{
	char buf[256], *save = NULL, *tok;

	if (!*arg || strlen(arg) >= sizeof(buf))
		tk_usage_error("give FIELD[:asc|:desc][,FIELD...]", "--sort '%s': empty or too long", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	s->n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dir = strchr(tok, ':');
		const struct ps_field *f;

		if (s->n == PS_MAX_KEYS)
			tk_usage_error("give at most 8 sort keys", "--sort '%s': too many keys", arg);
		if (dir)
			*dir++ = '\0';
		if (!(f = ps_field_find(tok)) || (!f->num && !f->str))
			tk_usage_error("name a field of the records: see FIELDS in progstats(8)",
				       "--sort '%s': unknown field '%s'", arg, tok);
		s->key[s->n] = f;
		/* numbers: largest first; names, types and ids: ascending */
		s->desc[s->n] = f->numeric && strcmp(f->name, "id");
		if (dir && !strcmp(dir, "asc"))
			s->desc[s->n] = false;
		else if (dir && !strcmp(dir, "desc"))
			s->desc[s->n] = true;
		else if (dir)
			tk_usage_error("use :asc or :desc after the field",
				       "--sort '%s': unknown direction '%s'", arg, dir);
		s->n++;
	}
	if (!s->n)
		tk_usage_error("give FIELD[:asc|:desc][,FIELD...]", "--sort '%s': no field", arg);
}

static int key_cmp(const struct ps_field *f, const struct ps_prog *x, const struct ps_prog *y)
{
	char a[PS_NAME_MAX], b[PS_NAME_MAX];

	if (f->str && f->num != n_type) {
		f->str(x, a, sizeof(a));
		f->str(y, b, sizeof(b));
		return strcmp(a, b);
	}
	double vx = f->num(x), vy = f->num(y);

	return vx < vy ? -1 : vx > vy;
}

int ps_sort_cmp(const struct ps_sort *s, const struct ps_prog *x, const struct ps_prog *y)
{
	for (size_t i = 0; i < s->n; i++) {
		int c = key_cmp(s->key[i], x, y);

		if (c)
			return s->desc[i] ? -c : c;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

enum { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };
static const char *const ops[] = { ">=", "<=", "==", "!=", ">", "<" };
static const int op_code[] = { OP_GE, OP_LE, OP_EQ, OP_NE, OP_GT, OP_LT };

void ps_where_parse(struct ps_where *w, const char *arg)
{
	char name[64];
	size_t len = strcspn(arg, "<>=!");
	const char *rest = arg + len;
	int op = -1;
	double v;

	if (w->n == PS_MAX_WHERE)
		tk_usage_error("give at most 16 --where predicates", "--where '%s': too many", arg);
	for (size_t i = 0; i < TK_ARRAY_SIZE(ops) && op < 0; i++)
		if (!strncmp(rest, ops[i], strlen(ops[i]))) {
			op = op_code[i];
			rest += strlen(ops[i]);
		}
	while (len && arg[len - 1] == ' ')
		len--;
	if (op < 0 || !len || len >= sizeof(name))
		tk_usage_error("write FIELD OP NUMBER, OP one of > >= < <= == !=, e.g. 'ns_per_call>500'",
			       "--where '%s': not a predicate", arg);
	memcpy(name, arg, len);
	name[len] = '\0';
	while (*rest == ' ')
		rest++;
	if (tk_parse_double(rest, -1e300, 1e300, &v))
		tk_usage_error("write FIELD OP NUMBER, e.g. 'ns_per_call>500'",
			       "--where '%s': '%s' is not a number", arg, rest);
	w->f[w->n] = field_or_err(name, "--where", true);
	w->op[w->n] = op;
	w->val[w->n] = v;
	w->n++;
}

bool ps_where_match(const struct ps_where *w, const struct ps_prog *p)
{
	for (size_t i = 0; i < w->n; i++) {
		double v = w->f[i]->num(p), x = w->val[i];
		bool ok;

		switch (w->op[i]) {
		case OP_GT: ok = v > x; break;
		case OP_GE: ok = v >= x; break;
		case OP_LT: ok = v < x; break;
		case OP_LE: ok = v <= x; break;
		case OP_EQ: ok = v == x; break;
		default: ok = v != x; break;
		}
		if (!ok)
			return false;
	}
	return true;
}

static void wide_add(struct ps_wide *w, const struct ps_field *f)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->f[i] == f)
			return;
	if (w->n < TK_ARRAY_SIZE(w->f))
		w->f[w->n++] = f;
	w->need |= f->need;
}

void ps_wide_parse(struct ps_wide *w, const char *arg)
{
	char buf[1024], *save = NULL, *tok;

	if (!*arg || strlen(arg) >= sizeof(buf))
		tk_usage_error("give a comma-separated list of fields",
			       "--fields '%s': empty or too long", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct ps_field *f = ps_field_find(tok);

		if (!f)
			tk_usage_error("name fields of the records: see FIELDS in progstats(8)",
				       "--fields '%s': unknown field '%s'", arg, tok);
		wide_add(w, f);
	}
	w->only = true;
}

void ps_wide_all(struct ps_wide *w)
{
	for (size_t i = 0; i < ps_nfields; i++)
		if (ps_fields[i].wide)
			wide_add(w, &ps_fields[i]);
}

void ps_wide_drop_period(struct ps_wide *w)
{
	size_t k = 0;

	w->need = 0;
	for (size_t i = 0; i < w->n; i++) {
		if ((w->f[i]->need & PS_NEED_HIST) || !strcmp(w->f[i]->name, "cpu_pct_norm"))
			continue;
		w->f[k++] = w->f[i];
		w->need |= w->f[i]->need;
	}
	w->n = k;
}
