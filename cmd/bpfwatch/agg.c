// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Aggregation.  Per tick: scalar = value; counter = value + rate over the
 * interval; percpu = cross-CPU mean and max; percpu-counter = cross-CPU sum
 * + rate.  Run level: scalar = mean of ticks; counter = last tick (rate =
 * summed deltas / summed seconds); percpu _avg = mean of tick means, _max =
 * largest per-CPU value seen; percpu-counter = sum at the last tick.
 */
#include <stdio.h>
#include <string.h>

#include "bpfwatch.h"
#include "output.h"
#include "recw.h"
#include "stats.h"

static struct bw_num sum_cpus(const struct bw_target *t, const struct bw_map *m)
{
	struct bw_num s = { .sgn = t->loc.is_signed };

	for (unsigned c = 0; c < m->ncpu; c++) {
		struct bw_num v = bw_read(bw_map_value(m, c), &t->loc);

		if (s.sgn)
			s.i += v.i;
		else
			s.u = tk_sat_add_u64(s.u, v.u);
	}
	return s;
}

void bw_reset_prev(struct bw_target *t)
{
	t->have_prev = false;
}

static void counter_step(struct bw_target *t, uint64_t now_ns)
{
	t->have_rate = false;
	if (t->have_prev && now_ns > t->prev_ns) {
		double d = t->cur >= t->prev ? t->cur - t->prev : 0; /* reset: no rate */
		double dt = (double)(now_ns - t->prev_ns) / 1e9;

		t->rate = tk_ratio(d, dt);
		t->have_rate = true;
		t->dsum += d;
		t->dtsum += dt;
	}
	t->prev = t->cur;
	t->prev_ns = now_ns;
	t->have_prev = true;
}

void bw_sample(struct bw_target *t, uint64_t now_ns)
{
	const struct bw_map *m = t->map;

	t->have = false;
	t->have_rate = false;
	if (!m || !m->valid)
		return;
	switch (t->spec.agg) {
	case BW_SCALAR:
	case BW_COUNTER:
		t->cur_num = bw_read(bw_map_value(m, 0), &t->loc);
		t->cur = bw_num_dbl(t->cur_num);
		break;
	case BW_PERCPU: {
		double sum = 0, max = 0;

		for (unsigned c = 0; c < m->ncpu; c++) {
			double v = bw_num_dbl(bw_read(bw_map_value(m, c), &t->loc));

			sum += v;
			if (!c || v > max)
				max = v;
		}
		t->cur = sum / m->ncpu;
		t->cur_max = max;
		if (!t->n || max > t->peak)
			t->peak = max;
		break;
	}
	case BW_PERCPU_COUNTER:
		t->cur_num = sum_cpus(t, m);
		t->cur = bw_num_dbl(t->cur_num);
		break;
	}
	t->have = true;
	t->n++;
	t->sum += t->cur;
	t->last = t->cur_num;
	if (t->spec.agg == BW_COUNTER || t->spec.agg == BW_PERCPU_COUNTER)
		counter_step(t, now_ns);
}

void bw_set_keys(struct bw_target *t, const char *obj)
{
	snprintf(t->key, sizeof(t->key), "%s_%s", obj, t->spec.label);
	snprintf(t->key_rate, sizeof(t->key_rate), "%s_rate", t->key);
	snprintf(t->key_avg, sizeof(t->key_avg), "%s_avg", t->key);
	snprintf(t->key_max, sizeof(t->key_max), "%s_max", t->key);
}

static void put_num(struct json_object *rec, const char *key, struct bw_num n)
{
	if (n.sgn)
		tk_rec_i64(rec, key, n.i);
	else
		tk_rec_u64(rec, key, n.u);
}

static void put_dbl(struct json_object *rec, const char *key, double v)
{
	tk_rec_dbl(rec, key, v);
}

/* Up to 1000 times a second with many keys: recw.h, no object per record. */
void bw_put_tick(const struct bw_target *t, struct tk_recw *rec)
{
	if (!t->have)
		return;
	switch (t->spec.agg) {
	case BW_SCALAR:
	case BW_COUNTER:
	case BW_PERCPU_COUNTER:
		if (t->cur_num.sgn)
			tk_recw_i64(rec, t->key, t->cur_num.i);
		else
			tk_recw_u64(rec, t->key, t->cur_num.u);
		if (t->have_rate)
			tk_recw_dbl(rec, t->key_rate, t->rate);
		break;
	case BW_PERCPU:
		tk_recw_dbl(rec, t->key_avg, t->cur);
		tk_recw_dbl(rec, t->key_max, t->cur_max);
		break;
	}
}

void bw_put_run(const struct bw_target *t, struct json_object *rec)
{
	if (!t->n)
		return;  /* never sampled: the metric is absent, never 0 */
	switch (t->spec.agg) {
	case BW_SCALAR:
		put_dbl(rec, t->key, t->sum / t->n);
		break;
	case BW_COUNTER:
	case BW_PERCPU_COUNTER:
		put_num(rec, t->key, t->last);
		if (t->dtsum > 0)
			put_dbl(rec, t->key_rate, tk_ratio(t->dsum, t->dtsum));
		break;
	case BW_PERCPU:
		put_dbl(rec, t->key_avg, t->sum / t->n);
		put_dbl(rec, t->key_max, t->peak);
		break;
	}
}

/* Does @want name @t's metric @sfx, by full key or by label? */
static bool key_is(const struct bw_target *t, const char *want, const char *sfx)
{
	char a[BW_KEY_MAX + 8], b[BW_KEY_MAX + 8];

	snprintf(a, sizeof(a), "%s%s", t->key, sfx);
	snprintf(b, sizeof(b), "%s%s", t->spec.label, sfx);
	return (t->key[0] && !strcmp(want, a)) || !strcmp(want, b);
}

bool bw_run_value(const struct bw_target *t, size_t n, const char *key, double *v)
{
	for (size_t i = 0; i < n; i++, t++) {
		bool counter = t->spec.agg == BW_COUNTER || t->spec.agg == BW_PERCPU_COUNTER;

		if (!t->n)
			continue;
		if (t->spec.agg == BW_PERCPU) {
			if (key_is(t, key, "_avg")) {
				*v = t->sum / t->n;
				return true;
			}
			if (key_is(t, key, "_max")) {
				*v = t->peak;
				return true;
			}
			continue;
		}
		if (key_is(t, key, "")) {
			*v = t->spec.agg == BW_SCALAR ? t->sum / t->n : bw_num_dbl(t->last);
			return true;
		}
		if (counter && t->dtsum > 0 && key_is(t, key, "_rate")) {
			*v = tk_ratio(t->dsum, t->dtsum);
			return true;
		}
	}
	return false;
}
