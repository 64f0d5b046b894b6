/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prom.h — Prometheus text exposition format (version 0.0.4), as read by
 * node_exporter's textfile collector.
 *
 * Names are sanitised with tk_prom_name(), label values escaped with
 * tk_escape_prom_label(); "# HELP" / "# TYPE" are written once per metric
 * name per process.  Non-finite values are written as 0.
 */
#ifndef TELKIT_PROM_H
#define TELKIT_PROM_H

#include <stddef.h>
#include <stdio.h>

#include "parse.h"  /* struct tk_kv */

/* Write one sample: name{k="v",...} value.  @type: "gauge" or "counter". */
void tk_prom_write(FILE *f, const char *name, const char *help,
		   const char *type, const struct tk_kv *labels, size_t nlabels,
		   double value);

/* Forget which HELP/TYPE headers were written (start of a new scrape file). */
void tk_prom_reset(void);

#endif
