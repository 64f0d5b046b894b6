// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_esc_detect — escalate-trace's detection with the running-sum fast
 * path (cmd/escalate-trace/winsum.c) against the two-pass computation on
 * every sample (esc_thresholds.exact, the computation before the fast path
 * and the one --exec still uses) as the oracle, for
 * tests/56-escalate-ingest.bats.
 *
 * Seeded, reproducible streams of many bricks interleaved: noise of every
 * CV around the threshold, constant values, zeros (and -0, which the
 * extractor accepts), huge (up to DBL_MAX) and
 * tiny (subnormal) magnitudes, values whose CV is exactly the threshold
 * (85/115 -> 15.0) or whose efficiency is exactly it (budget 25 / mean
 * 100), slow drifts away from the running sums' shift, steps, and values
 * alternating between 0 and huge; windows from 2 to 1000, --min-samples,
 * --for, a budget per sample or none, the --detect rules off and on, and
 * a --cliff-field (its median from the sorted ring against a sort of a
 * copy).
 * For each sample both sides must agree on the return code, the reason,
 * pending and suppressed; when an escalation is reported, on every number
 * of the verdict, bit for bit (the escalation record is made of them).
 *
 *   diff SEED STREAMS   "ok SAMPLES samples ESCALATIONS escalations FAST fast
 *                       EXACT exact", or the first difference and exit 1.
 *                       FAST: samples the fast path decided (no two-pass
 *                       figures); EXACT: samples it left to the two-pass
 *                       computation without an escalation.
 *   bench SAMPLES WINDOW  ns per esc_detect() of both sides on one brick of
 *                       noise (stderr)
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escalate.h"
#include "../../fuzz/esc_detect.h"

static uint64_t rng_state;

static uint64_t rnd(void)   /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double unif(void)    /* [0, 1) */
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

enum kind { K_NOISE, K_CONST, K_ZERO, K_HUGE, K_TINY, K_EXACT_CV, K_EXACT_EFF, K_DRIFT,
	    K_STEP, K_ZERO_HUGE, K_MIXED_SCALE, K_NR };

struct stream {
	enum kind kind;
	double base, spread;     /* the brick's level and relative noise */
	uint64_t i;
};

static void stream_init(struct stream *s)
{
	static const double spreads[] = { 0, 1e-12, 0.01, 0.1, 0.2, 0.25, 0.26, 0.3, 0.5, 1 };

	s->kind = (enum kind)(rnd() % K_NR);
	s->base = pow(10, unif() * 12 - 4);
	s->spread = spreads[rnd() % (sizeof(spreads) / sizeof(spreads[0]))];
	s->i = 0;
}

/* The next value of @s (finite, non-negative, as esc_extract() hands them). */
static double stream_next(struct stream *s)
{
	double x;

	s->i++;
	switch (s->kind) {
	case K_CONST:
		return s->base;
	case K_ZERO:
		return rnd() % 50 ? (rnd() % 2 ? 0.0 : -0.0) : s->base;
	case K_HUGE:
		x = DBL_MAX * (0.5 + unif() / 2);
		return rnd() % 4 ? x : pow(10, 100 + unif() * 208);
	case K_TINY:
		return rnd() % 2 ? DBL_MIN * unif() : 1e-300 * (1 + s->spread * unif());
	case K_EXACT_CV:     /* 85, 115: CV exactly 15 over an even window */
		return s->i % 2 ? 85 : 115;
	case K_EXACT_EFF:    /* mean 100 with budget 25: efficiency exactly 25 */
		return rnd() % 8 ? 100 : (s->i % 2 ? 100 - s->spread : 100 + s->spread);
	case K_DRIFT:        /* away from the shift of the last rebuild */
		return s->base * (1 + (double)s->i * 1e-3) * (1 + s->spread * (unif() - 0.5));
	case K_STEP:
		return s->base * ((s->i / 37) % 2 ? 3 : 1) * (1 + s->spread * unif());
	case K_ZERO_HUGE:
		return rnd() % 2 ? 0 : 1e200 * (1 + unif());
	case K_MIXED_SCALE:
		return pow(10, unif() * 40 - 20);
	default:
		return s->base * (1 + s->spread * (2 * unif() - 1));
	}
}

struct config {
	struct esc_thresholds t;
	bool cliff;              /* a --cliff-field on the samples */
	bool budget;
	double budget_us;
};

static void config_random(struct config *c)
{
	static const size_t windows[] = { 2, 3, 4, 10, 20, 100, 101, 1000 };
	static const double cvs[] = { 15, 15, 0, 1, 5, 25, 100 };

	memset(c, 0, sizeof(*c));
	c->t.window = windows[rnd() % (sizeof(windows) / sizeof(windows[0]))];
	c->t.min_samples = rnd() % 3 ? 10 : 1 + rnd() % 12;
	if (c->t.min_samples > c->t.window)
		c->t.min_samples = c->t.window;
	c->t.cv = cvs[rnd() % (sizeof(cvs) / sizeof(cvs[0]))];
	c->t.efficiency = rnd() % 2 ? 25 : unif() * 150;
	c->t.gpu = 50;
	c->t.hold = rnd() % 4 ? 1 : 1 + rnd() % 3;
	c->t.cooldown_ns = 0;
	c->t.detect = (unsigned)(rnd() % 4);
	c->t.outlier_z = 6;
	c->t.alpha = 1e-4;
	c->cliff = rnd() % 2;
	c->t.cliff = rnd() % 2 ? 30 : unif() * 100;
	c->budget = rnd() % 2;
	c->budget_us = rnd() % 2 ? 25 : pow(10, unif() * 8 - 2);
}

struct tally {
	uint64_t samples, escalations, fast, exact;
};

/* One configuration, @nbricks interleaved streams, @len samples. */
static int run_case(uint64_t seed, unsigned idx, struct tally *ty)
{
	struct config c;
	struct esc_bricks *fast, *oracle;
	struct stream st[8], cst[8];
	unsigned nb = 1 + (unsigned)(rnd() % 8);
	size_t len = 200 + rnd() % 3000;
	int rc = 0;

	config_random(&c);
	for (unsigned i = 0; i < nb; i++) {
		stream_init(&st[i]);
		stream_init(&cst[i]);
	}
	c.t.exact = false;
	fast = esc_bricks_new(&c.t, 16);
	c.t.exact = true;
	oracle = esc_bricks_new(&c.t, 16);
	if (!fast || !oracle) {
		fprintf(stderr, "out of memory\n");
		rc = 1;
		goto out;
	}
	for (size_t j = 0; j < len; j++) {
		unsigned b = (unsigned)(rnd() % nb);
		struct esc_sample s = { 0 };
		struct esc_verdict vf, vo;
		const char *what;
		int ef, eo;

		snprintf(s.name, sizeof(s.name), "b%u", b);
		s.st[ESC_F_NAME] = s.st[ESC_F_VALUE] = ESC_FS_OK;
		s.value_us = stream_next(&st[b]);
		if (c.cliff) {
			s.st[ESC_F_CLIFF] = ESC_FS_OK;
			s.cliff = stream_next(&cst[b]);
			if (!(rnd() % 8))   /* a line with the cliff field only */
				s.st[ESC_F_VALUE] = ESC_FS_MISSING;
		}
		if (c.budget) {
			s.st[ESC_F_BUDGET] = ESC_FS_OK;
			s.budget_us = st[b].kind == K_EXACT_EFF ? 25 : c.budget_us;
		}
		ef = esc_detect(fast, &s, &vf);
		eo = esc_detect(oracle, &s, &vo);
		ty->samples++;
		what = ef != eo ? "return code" : esc_verdict_diff(&vf, &vo);
		if (what) {
			printf("DIFF seed %" PRIu64 " case %u sample %zu brick %u (kind %d) value %a: %s"
			       " (fast: reason %d cv %a mean %a; oracle: reason %d cv %a mean %a;"
			       " window %zu cv> %g eff< %g budget %a)\n",
			       seed, idx, j, b, st[b].kind, s.value_us, what, vf.reason, vf.cv,
			       vf.mean_us, vo.reason, vo.cv, vo.mean_us, c.t.window, c.t.cv,
			       c.t.efficiency, s.budget_us);
			rc = 1;
			goto out;
		}
		if (vf.reason != ESC_NONE)
			ty->escalations++;
		else if (vo.cv_valid && !vf.cv_valid)
			ty->fast++;
		else if (vf.cv_valid)
			ty->exact++;
	}
out:
	esc_bricks_free(fast);
	esc_bricks_free(oracle);
	return rc;
}

static int cmd_diff(uint64_t seed, unsigned streams)
{
	struct tally ty = { 0 };

	rng_state = seed;
	for (unsigned i = 0; i < streams; i++)
		if (run_case(seed, i, &ty))
			return 1;
	printf("ok %" PRIu64 " samples %" PRIu64 " escalations %" PRIu64 " fast %" PRIu64
	       " exact\n", ty.samples, ty.escalations, ty.fast, ty.exact);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_bench(size_t samples, size_t window)
{
	struct esc_thresholds t = { .cv = 15, .efficiency = 25, .cliff = 30, .gpu = 50,
				    .window = window, .min_samples = 10, .hold = 1,
				    .outlier_z = 6, .alpha = 1e-4 };

	for (int exact = 0; exact < 2; exact++) {
		struct esc_bricks *b;
		struct esc_sample s = { .name = "b" };
		struct esc_verdict v;
		double t0;

		t.exact = exact;
		b = esc_bricks_new(&t, 1);
		if (!b)
			return 1;
		s.st[ESC_F_NAME] = s.st[ESC_F_VALUE] = ESC_FS_OK;
		rng_state = 1;
		t0 = now_s();
		for (size_t i = 0; i < samples; i++) {
			s.value_us = 100 + 7 * unif();
			esc_detect(b, &s, &v);
		}
		fprintf(stderr, "%s: %.1f ns per sample (window %zu)\n",
			exact ? "two-pass" : "running sums", (now_s() - t0) * 1e9 / (double)samples,
			window);
		esc_bricks_free(b);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "diff"))
		return cmd_diff(strtoull(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "bench"))
		return cmd_bench(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	fprintf(stderr, "usage: test_esc_detect diff SEED STREAMS | bench SAMPLES WINDOW\n");
	return 2;
}
