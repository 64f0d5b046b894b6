// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats --baseline FILE --fail-on RULE: this run's last sample against a
 * snapshot (--save, or any progstats -j output: the last sample record of a
 * program wins).  Programs are matched by name and tag, never by id (ids
 * change with every load); several programs with one name and tag pair up in
 * id order.  The file is hostile input: bounded lines, bounded names.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "array.h"
#include "buf.h"
#include "escape.h"
#include "output.h"
#include "parse.h"
#include "progstats.h"

#define LINE_MAX_BYTES (1 << 20)

int ps_rule_parse(const char *s, struct ps_rule *r)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
	char num[64];
	size_t len;

	memset(r, 0, sizeof(*r));
	if (!n || n >= sizeof(r->field) || (s[n] != '>' && s[n] != '<') ||
	    (s[n + 1] != '+' && s[n + 1] != '-'))
		return -EINVAL;
	memcpy(r->field, s, n);
	r->op = s[n];
	r->sign = s[n + 1] == '-' ? -1 : 1;
	len = strlen(s + n + 2);
	r->pct = len && s[n + 1 + len] == '%';
	len -= r->pct;
	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s + n + 2, len);
	num[len] = '\0';
	if (tk_parse_double(num, 0, 1e15, &r->amount))
		return -EINVAL;
	r->text = s;
	return 0;
}

/* Field @key of @rec as a number; false when absent or not a number. */
static bool num_field(struct json_object *rec, const char *key, double *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(rec, key, &v))
		return false;
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		*out = json_object_get_double(v);
		return true;
	default:
		return false;
	}
}

static int add_entry(struct ps_base_set *s, const char *name, const char *tag, uint64_t id)
{
	struct ps_base_prog *e;

	if (tk_grow((void **)&s->v, &s->cap, (s->n + 1) * sizeof(*s->v), 64 * sizeof(*s->v)))
		return -ENOMEM;
	e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->tag, sizeof(e->tag), "%s", tag);
	e->id = id;
	e->seq = s->n;
	return 0;
}

/* The rules' fields of @rec into @e: a bit per field found. */
static void take_values(const struct ps_baseline *b, struct ps_base_prog *e,
			struct json_object *rec)
{
	for (size_t i = 0; i < b->nrules; i++)
		if (num_field(rec, b->rules[i].field, &e->val[i]))
			e->has |= 1u << i;
}

/* By (name, tag, id); @seq: then by when it was read. */
static int cmp_key(const struct ps_base_prog *x, const struct ps_base_prog *y, bool seq)
{
	int c = strcmp(x->name, y->name);

	if (!c)
		c = strcmp(x->tag, y->tag);
	if (!c)
		c = x->id < y->id ? -1 : x->id > y->id;
	if (!c && seq)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static int cmp_entry(const void *a, const void *b)
{
	return cmp_key(a, b, true);
}

/* The last record of each (name, tag, id) wins: drop earlier duplicates. */
static void dedup(struct ps_base_set *s)
{
	size_t out = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (out && !cmp_key(&s->v[out - 1], &s->v[i], false))
			out--;
		s->v[out++] = s->v[i];
	}
	s->n = out;
}

static int load_line(struct ps_baseline *b, const char *line)
{
	struct json_object *rec = json_tokener_parse(line), *t, *n, *g, *id;
	int err = 0;

	if (!rec || !json_object_is_type(rec, json_type_object))
		err = -EBADMSG;
	else if (json_object_object_get_ex(rec, "type", &t) &&
		 !strcmp(json_object_get_string(t), "sample")) {
		if (!json_object_object_get_ex(rec, "name", &n) ||
		    !json_object_object_get_ex(rec, "tag", &g) ||
		    !json_object_object_get_ex(rec, "id", &id) ||
		    !json_object_is_type(n, json_type_string) ||
		    !json_object_is_type(g, json_type_string))
			err = -EBADMSG;
		else if (!(err = add_entry(&b->base, json_object_get_string(n),
					   json_object_get_string(g),
					   (uint64_t)json_object_get_int64(id))))
			take_values(b, &b->base.v[b->base.n - 1], rec);
	}
	json_object_put(rec);
	return err;
}

int ps_baseline_load(struct ps_baseline *b, const char *path, size_t *bad_line)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int err = 0;

	if (!f)
		return -errno;
	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > LINE_MAX_BYTES)
			err = -E2BIG;
		else if (len > 1 || (len == 1 && line[0] != '\n'))
			err = load_line(b, line);
	}
	if (!err && ferror(f))
		err = -EIO;
	*bad_line = err ? lineno : 0;
	free(line);
	fclose(f);
	if (b->base.n > 1)
		qsort(b->base.v, b->base.n, sizeof(*b->base.v), cmp_entry);
	dedup(&b->base);
	return err;
}

bool ps_baseline_has_field(const struct ps_baseline *b, size_t rule)
{
	for (size_t i = 0; i < b->base.n; i++)
		if (b->base.v[i].has & (1u << rule))
			return true;
	return false;
}

static int take_current(struct json_object *rec, const struct ps_prog *p, void *ctx)
{
	struct ps_baseline *b = ctx;
	int err = add_entry(&b->cur, p->name, p->tag, p->id);

	if (!err)
		take_values(b, &b->cur.v[b->cur.n - 1], rec);
	return err;
}

static void report_prog(const char *what, const struct ps_base_prog *e, const char *text)
{
	char name[PS_NAME_MAX * 4], tag[sizeof(e->tag) * 4];
	struct json_object *rec;

	tk_escape_visible(name, sizeof(name), e->name);
	tk_escape_visible(tag, sizeof(tag), e->tag);
	fprintf(stderr, "progstats: baseline: program %s tag %s (%sid %llu) %s\n", name, tag,
		strcmp(what, "baseline_gone") ? "" : "baseline ", (unsigned long long)e->id, text);
	if (tk_out.fmt != TK_FMT_JSON)
		return;
	rec = tk_record_new("event");
	tk_rec_str(rec, "event", what);
	tk_rec_u64(rec, "id", e->id);
	tk_rec_str(rec, "name", e->name);
	tk_rec_str(rec, "tag", e->tag);
	tk_emit(rec);
}

/* One rule on a matched pair; true on a regression (named once). */
static bool judge(const struct ps_rule *r, size_t i, const struct ps_base_prog *old,
		  const struct ps_base_prog *now)
{
	double base = old->val[i], val = now->val[i], limit, change;
	char name[PS_NAME_MAX * 4];
	struct json_object *rec;

	if (!(old->has & now->has & (1u << i)) || (r->pct && base == 0))
		return false;  /* no relative change from 0 */
	limit = r->pct ? base * (1 + r->sign * r->amount / 100) : base + r->sign * r->amount;
	if (!(r->op == '>' ? val > limit : val < limit))
		return false;
	change = base ? (val - base) * 100 / base : 0;
	tk_escape_visible(name, sizeof(name), now->name);
	fprintf(stderr, "progstats: regression: program %s tag %s (id %llu): %s %g vs baseline %g "
		"(%+.1f%%) breaks --fail-on '%s'\n", name, now->tag, (unsigned long long)now->id,
		r->field, val, base, change, r->text);
	if (tk_out.fmt == TK_FMT_JSON) {
		rec = tk_record_new("event");
		tk_rec_str(rec, "event", "regression");
		tk_rec_u64(rec, "id", now->id);
		tk_rec_u64(rec, "baseline_id", old->id);
		tk_rec_str(rec, "name", now->name);
		tk_rec_str(rec, "tag", now->tag);
		tk_rec_str(rec, "field", r->field);
		tk_rec_dbl(rec, "value", val);
		tk_rec_dbl(rec, "baseline", base);
		tk_rec_dbl(rec, "change_pct", change);
		tk_rec_str(rec, "rule", r->text);
		tk_emit(rec);
	}
	return true;
}

int ps_baseline_check(struct ps_baseline *b, const struct ps_view *view, bool *regressed)
{
	size_t i = 0, j = 0;
	int err;

	b->cur.n = 0;
	err = ps_foreach_sample(view, take_current, b);
	if (err)
		return err;
	if (b->cur.n > 1)
		qsort(b->cur.v, b->cur.n, sizeof(*b->cur.v), cmp_entry);
	/* Merge-join on (name, tag); equal keys pair up in id order. */
	while (i < b->base.n || j < b->cur.n) {
		const struct ps_base_prog *old = i < b->base.n ? &b->base.v[i] : NULL;
		const struct ps_base_prog *now = j < b->cur.n ? &b->cur.v[j] : NULL;
		int c = !old ? 1 : !now ? -1 : strcmp(old->name, now->name);

		if (!c)
			c = strcmp(old->tag, now->tag);
		if (c < 0) {
			report_prog("baseline_gone", old, "is gone since the baseline");
			i++;
		} else if (c > 0) {
			report_prog("baseline_new", now, "is new since the baseline");
			j++;
		} else {
			for (size_t r = 0; r < b->nrules; r++)
				*regressed |= judge(&b->rules[r], r, old, now);
			i++, j++;
		}
	}
	return 0;
}

void ps_baseline_free(struct ps_baseline *b)
{
	free(b->base.v);
	free(b->cur.v);
	b->base = (struct ps_base_set){ 0 };
	b->cur = (struct ps_base_set){ 0 };
}
