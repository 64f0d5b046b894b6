// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* work_cpu.c — compute work types (no partner). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "telemetry.h"

#define SPIN_CYCLE 1024

int ws_spin_wait(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		ws_spin(c, SPIN_CYCLE);
		ws_iter(c);
	}
	return 0;
}

int ws_yield_heavy(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		sched_yield();
		ws_tick(c, 1);
		ws_iter(c);
	}
	return 0;
}

int ws_mixed(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		ws_spin(c, SPIN_CYCLE);
		sched_yield();
		ws_iter(c);
	}
	return 0;
}

/* Spin @burst ms, sleep @sleep ms; the wake sample is the full elapsed sleep (ktstr). */
int ws_bursty(struct ws_ctx *c)
{
	const uint64_t ms = 1000000ULL;

	while (!ws_stopping()) {
		uint64_t t;

		ws_spin_for(c, c->g->p_burst * ms);
		t = ws_now();
		if (!ws_sleep(c->g->p_sleep * ms))
			break;
		ws_wake(c, ws_now() - t);
		ws_iter(c);
	}
	return 0;
}

/*
 * Burst @burst_us, nanosleep @sleep_us; sample = elapsed - requested.
 * precise_timing=1: timer slack 1 ns (PR_SET_TIMERSLACK), as ktstr.
 */
int ws_idle_churn(struct ws_ctx *c)
{
	const uint64_t us = 1000ULL;

	if (c->g->p_precise)
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (!ws_stopping()) {
		uint64_t t;

		ws_spin_for(c, c->g->p_burst * us);
		t = ws_now();
		if (!ws_sleep(c->g->p_sleep * us))
			break;
		ws_wake(c, tk_sat_sub_u64(ws_now() - t, c->g->p_sleep * us));
		ws_iter(c);
	}
	return 0;
}

int ws_cache_prep(struct ws_ctx *c)
{
	size_t sz = c->g->p_size;

	c->buf = malloc(sz);
	if (!c->buf)
		return -ENOMEM;
	memset(c->buf, 1, sz);
	c->bufsz = sz;
	return 0;
}

void ws_buf_fini(struct ws_ctx *c)
{
	free(c->buf);
	c->buf = NULL;
}

int ws_cache_pressure(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		ws_tick(c, ws_cache_pass(c->buf, c->bufsz, c->g->p_stride));
		ws_iter(c);
	}
	return 0;
}

int ws_cache_yield(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		ws_tick(c, ws_cache_pass(c->buf, c->bufsz, c->g->p_stride));
		ws_yield_sampled(c);
		ws_iter(c);
	}
	return 0;
}

static volatile uint64_t alu_sink;

/* 4 multiply chains of @p_spin rounds per iteration; iteration cost sampled. */
int ws_alu_hot(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		uint64_t t = ws_now();

		alu_sink = ws_alu(c->g->p_spin);
		ws_iter_cost(c, ws_now() - t);
		ws_tick(c, c->g->p_spin);
		ws_iter(c);
	}
	return 0;
}

int ws_smt_prep(struct ws_ctx *c)
{
	unsigned cpus[2];
	struct tk_cpuset set;

	if (ws_topo_smt_pair(NULL, c->gidx / 2, cpus)) {
		free(c->rep.affinity_error);
		c->rep.affinity_error = strdup("no SMT siblings on this host "
					       "(thread_siblings_list has one CPU per core); "
					       "spinning without sibling pinning");
		return 0;
	}
	memset(&set, 0, sizeof(set));
	tk_cpuset_set(&set, cpus[c->role & 1]);
	if (!c->rep.affinity_error)
		c->rep.affinity_error = ws_apply_affinity(0, &set);
	return 0;
}

int ws_smt_sibling_spin(struct ws_ctx *c)
{
	while (!ws_stopping()) {
		uint64_t t = ws_now();

		ws_spin(c, SPIN_CYCLE);
		ws_iter_cost(c, ws_now() - t);
		ws_iter(c);
	}
	return 0;
}

/*
 * One outer iteration: @period rounds of @hot ALU iterations then @cold random
 * cache-line touches; one iteration-cost sample per outer iteration (ktstr).
 */
int ws_ipc_variance(struct ws_ctx *c)
{
	const struct ws_group *g = c->g;
	size_t lines = c->bufsz / 64;

	while (!ws_stopping()) {
		uint64_t t = ws_now();

		uint64_t p;

		for (p = 0; p < g->p_period && !ws_stopping(); p++) {
			alu_sink = ws_alu(g->p_hot);
			ws_tick(c, g->p_hot);
			for (uint64_t k = 0; k < g->p_cold; k++)
				((volatile uint8_t *)c->buf)[tk_rand_below(&c->rng, lines) * 64]++;
			ws_tick(c, g->p_cold);
		}
		if (p < g->p_period)   /* a cut-short outer iteration is no sample */
			break;
		ws_iter_cost(c, ws_now() - t);
		ws_iter(c);
	}
	return 0;
}
