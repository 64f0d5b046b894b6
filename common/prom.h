/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prom.h — Prometheus text exposition format (version 0.0.4), as read by
 * node_exporter's textfile collector and checked by `promtool check metrics`.
 *
 * Names are sanitised with tk_prom_name(), label values escaped with
 * tk_escape_prom_label(); "# HELP" / "# TYPE" are written once per family
 * per exposition.  Non-finite values are written as 0.
 *
 * Naming (telkit-json(7), PROMETHEUS): a record field becomes the family
 * telkit_<tool>_<field> with its unit turned into a base unit:
 *   _ns _us _ms _s -> _seconds (scaled)   _pct _percent -> _ratio (/100)
 *   mb_s -> bytes_per_second (x1e6)       sec -> second
 * and fields that count since the start of a run are counters ending in
 * _total (a table in prom.c).  Every exposition starts with
 * telkit_build_info{tool,version} 1.
 */
#ifndef TELKIT_PROM_H
#define TELKIT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "parse.h"  /* struct tk_kv */

#define TK_PROM_NAME_MAX 256

/* One metric family: where a record field lands in the exposition. */
struct tk_prom_family {
	char name[TK_PROM_NAME_MAX];
	const char *type;           /* "gauge" or "counter" */
	double scale;               /* field value x scale = value in base unit */
	char help[320];
};

/*
 * The family of field @path (nested keys joined with '_') of a @tool record.
 * @is_bool: the field is true/false (a 0/1 gauge, no unit).
 */
void tk_prom_family_of(struct tk_prom_family *fam, const char *tool, const char *path,
		       bool is_bool);

/* @v (a field's value) in @fam's base unit, without binary rounding noise. */
double tk_prom_scale(const struct tk_prom_family *fam, double v);

/* Write one sample: name{k="v",...} value.  @type: "gauge" or "counter". */
void tk_prom_write(FILE *f, const char *name, const char *help,
		   const char *type, const struct tk_kv *labels, size_t nlabels,
		   double value);

/* Start a new exposition: forget which HELP/TYPE headers were written. */
void tk_prom_reset(void);

/* telkit_build_info{tool="@tool",version="..."} 1, once per exposition. */
void tk_prom_build_info(FILE *f, const char *tool);

/*
 * A set of series, family-major: each family once with its headers, each
 * series (name + labels) once; adding a series again replaces its value.
 * For whole expositions (--textfile) that must be strictly valid.
 */
struct tk_prom_set;
struct tk_prom_set *tk_prom_set_new(void);         /* NULL on ENOMEM */
void tk_prom_set_clear(struct tk_prom_set *s);
void tk_prom_set_free(struct tk_prom_set *s);
/* 0 or -ENOMEM. */
int tk_prom_set_add(struct tk_prom_set *s, const struct tk_prom_family *fam,
		    const struct tk_kv *labels, size_t nlabels, double value);
/* Build info, then every family in first-added order. */
void tk_prom_set_write(FILE *f, const struct tk_prom_set *s, const char *tool);

/*
 * A telkit record (output.h) as series: sample and summary records only
 * (others are not metrics: returns 0 and adds nothing), numeric and boolean
 * payload fields become families (tk_prom_family_of), string fields labels,
 * and a summary adds the label record="summary".  0 or -ENOMEM.
 */
int tk_prom_record(struct tk_prom_set *s, struct json_object *rec);

/*
 * Stream @rec to @f (stdout).  A sample record is one exposition, written at
 * once (build info, then its families).  Summary records are kept: the ones
 * of one pass become one exposition of their own, each family one block,
 * written by tk_prom_end() (or before the next sample record).  0 or -ENOMEM.
 */
int tk_prom_emit(FILE *f, struct json_object *rec);

/* Write the summary records kept by tk_prom_emit() as one exposition, if any. */
void tk_prom_end(FILE *f);

/* True when @rec is a sample or summary record (the ones that are metrics). */
bool tk_prom_is_metric_record(struct json_object *rec);

#endif
