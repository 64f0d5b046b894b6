// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "buf.h"
#include "escape.h"
#include "numfmt.h"
#include "prom.h"
#include "stats.h"

#define PROM_SEEN_MAX 512
#define PROM_LABELS_MAX 16
#define BUILD_INFO_HELP "The telkit tool that wrote the exposition and its version; value 1"

/* --- naming -------------------------------------------------------------- */

/* A unit token of a field name and what it becomes in base units. */
static const struct {
	const char *tok, *base, *says;
	double scale;
} units[] = {
	{ "ns", "seconds", "nanoseconds", 1e-9 },
	{ "us", "seconds", "microseconds", 1e-6 },
	{ "ms", "seconds", "milliseconds", 1e-3 },
	{ "s", "seconds", "seconds", 1 },
	{ "sec", "second", "per second", 1 },
	{ "pct", "ratio", "percent", 0.01 },
	{ "percent", "ratio", "percent", 0.01 },
};

/*
 * Fields that count from the start of a run: counters (name + _total).  A
 * field ending in '*' names every field that starts with what precedes it.
 */
static const struct {
	const char *tool, *field;
} counters[] = {
	{ "escalate-trace", "lines" }, { "escalate-trace", "records" },
	{ "escalate-trace", "malformed_lines" }, { "escalate-trace", "skipped_type" },
	{ "escalate-trace", "skipped_samples" }, { "escalate-trace", "missing_*" },
	{ "escalate-trace", "bad_*" }, { "escalate-trace", "bricks_dropped" },
	{ "escalate-trace", "escalations" }, { "escalate-trace", "traced" },
	{ "escalate-trace", "untraced" }, { "escalate-trace", "rate_limited" },
	{ "escalate-trace", "suppressed" }, { "escalate-trace", "pid_reused" },
	{ "escalate-trace", "exec_failures" }, { "escalate-trace", "otlp_*" },
	{ "nvme-gpu-ingest", "submitted_bytes" }, { "nvme-gpu-ingest", "completed_bytes" },
	{ "nvme-gpu-ingest", "submitted_reads" }, { "nvme-gpu-ingest", "completed_reads" },
	{ "nvme-gpu-ingest", "registered_mapped_read_submissions" },
	{ "nvme-gpu-ingest", "gpudirect_nvme_submissions" },
	{ "nvme-gpu-ingest", "cpu_bounce_bytes" }, { "nvme-gpu-ingest", "failed_completions" },
	{ "nvme-gpu-ingest", "path_submissions" }, { "nvme-gpu-ingest", "eagain_retries" },
	{ "nvme-gpu-ingest", "short_reads" }, { "nvme-gpu-ingest", "h2d_bytes" },
};

static bool is_counter(const char *tool, const char *field)
{
	for (size_t i = 0; i < TK_ARRAY_SIZE(counters); i++) {
		const char *c = counters[i].field;
		size_t n = strlen(c);

		if (strcmp(counters[i].tool, tool))
			continue;
		if (n && c[n - 1] == '*' ? !strncmp(c, field, n - 1) : !strcmp(c, field))
			return true;
	}
	return false;
}

/* Append @s to @dst (size @size, always terminated). */
static void cat(char *dst, size_t size, const char *s)
{
	size_t n = strlen(dst);

	if (n + 1 < size)
		snprintf(dst + n, size - n, "%s", s);
}

/*
 * @path with its unit tokens turned into base units into @out; the scale
 * and what the JSON field is in (*says, NULL when unitless) come back.
 */
static double base_units(char *out, size_t size, const char *path, const char **says)
{
	char copy[TK_PROM_NAME_MAX], *save = NULL;
	double scale = 1;

	snprintf(copy, sizeof(copy), "%s", path);
	*out = '\0';
	*says = NULL;
	for (char *t = strtok_r(copy, "_", &save), *prev = NULL; t; prev = t, t = strtok_r(NULL, "_", &save)) {
		const char *put = t;
		size_t n = strlen(out);

		if (prev && !strcmp(prev, "mb") && !strcmp(t, "s")) {
			out[n >= 2 ? n - 2 : 0] = '\0';     /* "mb" was the last token */
			put = "bytes_per_second";
			scale = 1e6;
			*says = "megabytes (1e6) per second";
		} else {
			for (size_t u = 0; u < TK_ARRAY_SIZE(units); u++) {
				if (strcmp(t, units[u].tok))
					continue;
				put = units[u].base;
				scale *= units[u].scale;
				*says = units[u].says;
				break;
			}
		}
		if (*out && out[strlen(out) - 1] != '_')
			cat(out, size, "_");
		cat(out, size, put);
	}
	return scale;
}

void tk_prom_family_of(struct tk_prom_family *fam, const char *tool, const char *path,
		       bool is_bool)
{
	char field[TK_PROM_NAME_MAX], raw[TK_PROM_NAME_MAX * 2];
	const char *says = NULL;
	bool counter = !is_bool && is_counter(tool, path);

	fam->scale = is_bool ? 1 : base_units(field, sizeof(field), path, &says);
	if (is_bool)
		snprintf(field, sizeof(field), "%s", path);
	snprintf(raw, sizeof(raw), "telkit_%s_%s%s", tool, field, counter ? "_total" : "");
	tk_prom_name(fam->name, sizeof(fam->name), raw);
	fam->type = counter ? "counter" : "gauge";
	snprintf(fam->help, sizeof(fam->help), "%s: field %s of its records%s%s%s%s; see %s(8)",
		 tool, path, is_bool ? ", 1 for true" : "",
		 counter ? ", counted since the start of the run" : "",
		 says && fam->scale != 1 ? ", JSON in " : "", says && fam->scale != 1 ? says : "",
		 tool);
}

/*
 * Every unit scale is a power of ten: move the decimal point of @v's
 * shortest decimal form (tk_fmt_double) and read that back, so 503413.249
 * us is 0.503413249 s, where 503413.249 / 1e6 in binary is
 * 0.5034132490000001, and -100 ns is -1e-07 s.
 */
double tk_prom_scale(const struct tk_prom_family *fam, double v)
{
	char buf[64], *e;
	int exp10 = (int)lround(log10(fam->scale));
	int len;

	if (fam->scale == 1 || !isfinite(v))
		return v * fam->scale;
	len = tk_fmt_double(buf, sizeof(buf) - 8, v);
	if (pow(10, exp10) != fam->scale || len <= 0 || len >= (int)sizeof(buf) - 8)
		/* divide by 1e9, not multiply by 1e-9 */
		return fam->scale < 1 ? v / round(1 / fam->scale) : v * fam->scale;
	e = strchr(buf, 'e');
	if (e) {
		exp10 += atoi(e + 1);
		len = (int)(e - buf);
	}
	snprintf(buf + len, sizeof(buf) - (size_t)len, "e%d", exp10);
	return strtod(buf, NULL);
}

/* --- streaming writer ---------------------------------------------------- */

static char *seen[PROM_SEEN_MAX];
static size_t nseen;

static bool header_written(const char *name)
{
	for (size_t i = 0; i < nseen; i++)
		if (!strcmp(seen[i], name))
			return true;
	if (nseen < PROM_SEEN_MAX) {
		char *copy = strdup(name);

		if (copy)
			seen[nseen++] = copy;
	}
	return false;
}

void tk_prom_reset(void)
{
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	nseen = 0;
}

static void write_header(FILE *f, const char *name, const char *help, const char *type)
{
	if (help) {
		/* HELP text: only \ and newline need escaping. */
		fprintf(f, "# HELP %s ", name);
		for (const char *p = help; *p; p++) {
			if (*p == '\\')
				fputs("\\\\", f);
			else if (*p == '\n')
				fputs("\\n", f);
			else
				fputc(*p, f);
		}
		fputc('\n', f);
	}
	fprintf(f, "# TYPE %s %s\n", name, type ? type : "gauge");
}

/* {k="v",...} into @dst (empty without labels); its length, cut at @size. */
static size_t render_labels(char *dst, size_t size, const struct tk_kv *labels, size_t n)
{
	char lname[TK_PROM_NAME_MAX], lval[1024];
	size_t len = 0;

	*dst = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		tk_prom_name(lname, sizeof(lname), labels[i].key);
		tk_escape_prom_label(lval, sizeof(lval), labels[i].val ? labels[i].val : "");
		len += snprintf(dst + len, size - len, "%s%s=\"%s\"", i ? "," : "{", lname, lval);
	}
	if (n && len + 1 < size)
		len += snprintf(dst + len, size - len, "}");
	return len;
}

static void write_value(FILE *f, double value)
{
	char num[40];

	value = tk_finite_or_zero(value);
	if (value < 9e15 && value > -9e15 && value == (double)(long long)value) {
		fprintf(f, " %lld\n", (long long)value);
		return;
	}
	tk_fmt_double(num, sizeof(num), value);
	fprintf(f, " %s\n", num);
}

void tk_prom_write(FILE *f, const char *name, const char *help,
		   const char *type, const struct tk_kv *labels, size_t nlabels,
		   double value)
{
	char mname[TK_PROM_NAME_MAX], lbl[4096];

	tk_prom_name(mname, sizeof(mname), name);
	if (!header_written(mname))
		write_header(f, mname, help, type);
	render_labels(lbl, sizeof(lbl), labels, nlabels);
	fprintf(f, "%s%s", mname, lbl);
	write_value(f, value);
}

void tk_prom_build_info(FILE *f, const char *tool)
{
	struct tk_kv kv[2] = { { "tool", tool }, { "version", TELKIT_VERSION } };

	tk_prom_write(f, "telkit_build_info", BUILD_INFO_HELP, "gauge", kv, 2, 1);
}

/* --- sets ---------------------------------------------------------------- */

struct prom_series {
	char *labels;          /* rendered {k="v",...} or "" */
	double value;
};

struct prom_family {
	struct tk_prom_family fam;
	struct prom_series *v;
	size_t n, cap;
};

struct tk_prom_set {
	struct prom_family *v;
	size_t n, cap;
};

struct tk_prom_set *tk_prom_set_new(void)
{
	return calloc(1, sizeof(struct tk_prom_set));
}

void tk_prom_set_clear(struct tk_prom_set *s)
{
	for (size_t i = 0; s && i < s->n; i++) {
		for (size_t j = 0; j < s->v[i].n; j++)
			free(s->v[i].v[j].labels);
		free(s->v[i].v);
	}
	if (s)
		s->n = 0;
}

void tk_prom_set_free(struct tk_prom_set *s)
{
	tk_prom_set_clear(s);
	if (s)
		free(s->v);
	free(s);
}

static struct prom_family *family(struct tk_prom_set *s, const struct tk_prom_family *fam)
{
	struct prom_family *pf;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].fam.name, fam->name))
			return &s->v[i];
	if (tk_grow((void **)&s->v, &s->cap, (s->n + 1) * sizeof(*s->v), 16 * sizeof(*s->v)))
		return NULL;
	s->cap /= sizeof(*s->v);
	pf = &s->v[s->n++];
	memset(pf, 0, sizeof(*pf));
	pf->fam = *fam;
	return pf;
}

int tk_prom_set_add(struct tk_prom_set *s, const struct tk_prom_family *fam,
		    const struct tk_kv *labels, size_t nlabels, double value)
{
	char lbl[4096];
	struct prom_family *pf = family(s, fam);
	size_t cap;

	if (!pf)
		return -ENOMEM;
	render_labels(lbl, sizeof(lbl), labels, nlabels);
	for (size_t i = 0; i < pf->n; i++) {
		if (!strcmp(pf->v[i].labels, lbl)) {
			pf->v[i].value = value;
			return 0;
		}
	}
	cap = pf->cap * sizeof(*pf->v);
	if (tk_grow((void **)&pf->v, &cap, (pf->n + 1) * sizeof(*pf->v), 8 * sizeof(*pf->v)))
		return -ENOMEM;
	pf->cap = cap / sizeof(*pf->v);
	if (!(pf->v[pf->n].labels = strdup(lbl)))
		return -ENOMEM;
	pf->v[pf->n++].value = value;
	return 0;
}

/* @s family-major; @stream: headers once per exposition (tk_prom_reset). */
static void write_set(FILE *f, const struct tk_prom_set *s, const char *tool, bool stream)
{
	struct tk_kv kv[2] = { { "tool", tool }, { "version", TELKIT_VERSION } };
	char lbl[512];

	if (!stream || !header_written("telkit_build_info")) {
		write_header(f, "telkit_build_info", BUILD_INFO_HELP, "gauge");
		render_labels(lbl, sizeof(lbl), kv, 2);
		fprintf(f, "telkit_build_info%s 1\n", lbl);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct prom_family *pf = &s->v[i];

		if (!stream || !header_written(pf->fam.name))
			write_header(f, pf->fam.name, pf->fam.help, pf->fam.type);
		for (size_t j = 0; j < pf->n; j++) {
			fprintf(f, "%s%s", pf->fam.name, pf->v[j].labels);
			write_value(f, pf->v[j].value);
		}
	}
}

void tk_prom_set_write(FILE *f, const struct tk_prom_set *s, const char *tool)
{
	write_set(f, s, tool, false);
}

/* --- records ------------------------------------------------------------- */

static bool envelope_key(const char *k)
{
	return !strcmp(k, "tool") || !strcmp(k, "type") || !strcmp(k, "ts_ns");
}

bool tk_prom_is_metric_record(struct json_object *rec)
{
	const char *type = json_object_get_string(json_object_object_get(rec, "type"));

	return !type || !strcmp(type, "sample") || !strcmp(type, "summary");
}

static size_t collect_labels(struct json_object *rec, struct tk_kv *kv, size_t max)
{
	size_t n = 0;

	json_object_object_foreach(rec, key, val) {
		if (envelope_key(key) || json_object_get_type(val) != json_type_string)
			continue;
		if (n < max) {
			kv[n].key = key;
			kv[n].val = json_object_get_string(val);
			n++;
		}
	}
	return n;
}

static int add_fields(struct tk_prom_set *s, const char *tool, struct json_object *obj,
		      const char *prefix, const struct tk_kv *kv, size_t nkv)
{
	int err = 0;

	json_object_object_foreach(obj, key, val) {
		char path[TK_PROM_NAME_MAX];
		struct tk_prom_family fam;
		enum json_type t = json_object_get_type(val);

		if (err || (!prefix && envelope_key(key)))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "", prefix ? "_" : "", key);
		if (t == json_type_object) {
			err = add_fields(s, tool, val, path, kv, nkv);
		} else if (t == json_type_int || t == json_type_double || t == json_type_boolean) {
			tk_prom_family_of(&fam, tool, path, t == json_type_boolean);
			err = tk_prom_set_add(s, &fam, kv, nkv, tk_prom_scale(&fam, json_object_get_double(val)));
		}
	}
	return err;
}

int tk_prom_record(struct tk_prom_set *s, struct json_object *rec)
{
	struct tk_kv kv[PROM_LABELS_MAX];
	const char *type = json_object_get_string(json_object_object_get(rec, "type"));
	const char *tool = json_object_get_string(json_object_object_get(rec, "tool"));
	size_t n;

	if (!tk_prom_is_metric_record(rec))
		return 0;
	n = collect_labels(rec, kv, PROM_LABELS_MAX - 1);
	/* a summary repeats sample field names: keep the two series distinct */
	if (type && !strcmp(type, "summary")) {
		kv[n].key = "record";
		kv[n++].val = "summary";
	}
	return add_fields(s, tool ? tool : "telkit", rec, NULL, kv, n);
}

/*
 * stdout: the summary records of one pass, kept to be written as one
 * exposition (each family one block) by tk_prom_end().
 */
static struct tk_prom_set *pending;
static char pending_tool[TK_PROM_NAME_MAX];

void tk_prom_end(FILE *f)
{
	if (!pending || !pending->n)
		return;
	tk_prom_reset();
	write_set(f, pending, pending_tool, false);
	tk_prom_set_clear(pending);
}

int tk_prom_emit(FILE *f, struct json_object *rec)
{
	static struct tk_prom_set *one;
	const char *type = json_object_get_string(json_object_object_get(rec, "type"));
	const char *tool = json_object_get_string(json_object_object_get(rec, "tool"));
	int err;

	if (!tk_prom_is_metric_record(rec))
		return 0;
	if (type && !strcmp(type, "summary")) {
		if (!pending && !(pending = tk_prom_set_new()))
			return -ENOMEM;
		snprintf(pending_tool, sizeof(pending_tool), "%s", tool ? tool : "telkit");
		return tk_prom_record(pending, rec);
	}
	tk_prom_end(f);
	if (!one && !(one = tk_prom_set_new()))
		return -ENOMEM;
	tk_prom_set_clear(one);
	tk_prom_reset();
	err = tk_prom_record(one, rec);
	if (!err)
		write_set(f, one, tool ? tool : "telkit", true);
	return err;
}
