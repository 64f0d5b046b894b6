// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * telemetry.c — per-worker measurements: checkpoints (migrations, gaps),
 * reservoirs, schedstat/vmstat deltas, numa_maps, phase slices; and the
 * schedstat reader the parent also uses for exec workers.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry.h"

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

bool ws_schedstat_read(pid_t pid, struct ws_schedstat *s)
{
	char path[64];
	FILE *f;
	bool ok;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/schedstat");
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64, &s->cpu_ns, &s->run_delay_ns,
		    &s->run_count) == 3;
	fclose(f);
	return ok;
}

static uint64_t read_vmstat_migrated(void)
{
	FILE *f = fopen("/proc/vmstat", "re");
	char key[64];
	uint64_t v, r = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%63s %" SCNu64, key, &v) == 2)
		if (!strcmp(key, "numa_pages_migrated")) {
			r = v;
			break;
		}
	fclose(f);
	return r;
}

/* Sum N<node>=<pages> tokens of /proc/self/numa_maps per node into *@out. */
static void read_numa(uint32_t *nout, struct ws_numa **out)
{
	FILE *f = fopen("/proc/self/numa_maps", "re");
	uint64_t *pages = calloc(WS_MAX_NODES, sizeof(*pages));
	char *line = NULL;
	size_t cap = 0;
	unsigned n = 0;

	if (!f || !pages) {
		if (f)
			fclose(f);
		free(pages);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		char *save, *tok = strtok_r(line, " \n", &save);

		for (int i = 0; tok; i++, tok = strtok_r(NULL, " \n", &save)) {
			unsigned node;
			uint64_t p;

			if (i < 2 || tok[0] != 'N')
				continue;
			if (sscanf(tok, "N%u=%" SCNu64, &node, &p) == 2 && node < WS_MAX_NODES)
				pages[node] = tk_sat_add_u64(pages[node], p);
		}
	}
	free(line);
	fclose(f);
	for (unsigned i = 0; i < WS_MAX_NODES; i++)
		n += pages[i] != 0;
	*out = n ? calloc(n, sizeof(**out)) : NULL;
	*nout = 0;
	for (unsigned i = 0; *out && i < WS_MAX_NODES; i++)
		if (pages[i]) {
			(*out)[*nout].node = i;
			(*out)[(*nout)++].pages = pages[i];
		}
	free(pages);
}

static void note_cpu(struct ws_ctx *c, uint64_t now)
{
	struct ws_tel *t = &c->tel;
	int cpu = sched_getcpu();

	if (cpu < 0 || cpu >= WS_MAX_CPUS)
		return;
	if (t->last_cpu >= 0 && cpu != t->last_cpu) {
		c->rep.migration_count++;
		if (c->rep.nmigr < WS_MAX_MIGR && t->migr) {
			struct ws_migration *m = &t->migr[c->rep.nmigr++];

			m->at_ns = now - t->t0;
			m->from = t->last_cpu;
			m->to = cpu;
		}
	}
	tk_cpuset_set(&t->used, cpu);
	tk_cpuset_set(&t->phase_used, cpu);
	t->last_cpu = cpu;
}

void ws_checkpoint(struct ws_ctx *c)
{
	struct ws_tel *t = &c->tel;
	uint64_t now = ws_now();
	uint64_t gap = (now - t->last_cp) / 1000000ULL;

	if (gap > c->rep.max_gap_ms) {
		c->rep.max_gap_ms = gap;
		c->rep.max_gap_cpu = t->last_cpu < 0 ? 0 : t->last_cpu;
		c->rep.max_gap_at_ms = (now - t->t0) / 1000000ULL;
	}
	if (gap > t->cur.max_gap_ms) {   /* the phase's own worst gap */
		t->cur.max_gap_ms = gap;
		t->cur.max_gap_cpu = t->last_cpu < 0 ? 0 : t->last_cpu;
	}
	t->last_cp = now;
	note_cpu(c, now);
	t->next_cp = (c->rep.work_units / WS_CHECKPOINT + 1) * WS_CHECKPOINT;
	if (c->g->no_telemetry)
		t->next_cp = UINT64_MAX;
}

void ws_wake(struct ws_ctx *c, uint64_t ns)
{
	tk_reservoir_add(&c->tel.wake, ns);
	if (c->tel.pwake.v)
		tk_reservoir_add(&c->tel.pwake, ns);
	if (ns > c->tel.cur.wake_max_ns)
		c->tel.cur.wake_max_ns = ns;
}

void ws_handoff(struct ws_ctx *c, uint64_t ns)
{
	if (c->tel.handoff.v)
		tk_reservoir_add(&c->tel.handoff, ns);
}

void ws_iter_cost(struct ws_ctx *c, uint64_t ns)
{
	tk_reservoir_add(&c->tel.iter, ns);
	if (c->tel.piter.v)
		tk_reservoir_add(&c->tel.piter, ns);
	if (ns > c->tel.cur.iter_max_ns)
		c->tel.cur.iter_max_ns = ns;
}

void ws_timer(struct ws_ctx *c, uint64_t ns)
{
	tk_reservoir_add(&c->tel.timer, ns);
	if (c->tel.ptimer.v)
		tk_reservoir_add(&c->tel.ptimer, ns);
	if (ns > c->tel.cur.timer_max_ns)
		c->tel.cur.timer_max_ns = ns;
}

/* Current cumulative counters, as a slice taken from the worker's start. */
static void snapshot(struct ws_ctx *c, struct ws_phase_slice *s)
{
	struct ws_tel *t = &c->tel;
	struct ws_schedstat ss;

	memset(s, 0, sizeof(*s));
	s->wall_ns = ws_now() - t->t0;
	s->cpu_ns = thread_cpu_ns() - t->cpu0;
	s->work_units = c->rep.work_units;
	s->iterations = c->rep.iterations;
	s->migration_count = c->rep.migration_count;
	s->wake_total = t->wake.total;
	s->wake_sum_ns = t->wake.sum;
	s->iter_total = t->iter.total;
	s->iter_sum_ns = t->iter.sum;
	s->timer_total = t->timer.total;
	s->timer_sum_ns = t->timer.sum;
	if (t->sched_ok && ws_schedstat_read(0, &ss)) {
		s->run_delay_ns = tk_sat_sub_u64(ss.run_delay_ns, t->sched0.run_delay_ns);
		s->run_count = tk_sat_sub_u64(ss.run_count, t->sched0.run_count);
		s->schedstat_cpu_time_ns = tk_sat_sub_u64(ss.cpu_ns, t->sched0.cpu_ns);
	}
	s->vmstat_numa_pages_migrated = tk_sat_sub_u64(read_vmstat_migrated(), t->vm0);
}

/* The current phase's samples move into @dst (a copy); the reservoir restarts. */
static void take_phase_samples(struct ws_samples *dst, struct tk_reservoir *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->v)
		return;
	dst->total = src->total;
	dst->v = src->len ? malloc(src->len * sizeof(*dst->v)) : NULL;
	if (dst->v) {
		memcpy(dst->v, src->v, src->len * sizeof(*dst->v));
		dst->n = src->len;
	}
	if (dst->total < dst->n)
		dst->total = dst->n;
	tk_reservoir_reset(src);
}

/* ktstr PhaseSlice extras: the phase's CPUs, NUMA pages at its end, its samples. */
static void close_extras(struct ws_ctx *c, struct ws_phase_slice *s)
{
	struct ws_tel *t = &c->tel;
	unsigned n = 0;

	s->cpus_used = calloc(tk_cpuset_count(&t->phase_used) + 1, sizeof(uint32_t));
	for (unsigned cpu = 0; s->cpus_used && cpu < WS_MAX_CPUS; cpu++)
		if (tk_cpuset_isset(&t->phase_used, cpu))
			s->cpus_used[n++] = cpu;
	s->ncpus = n;
	read_numa(&s->nnuma, &s->numa);
	take_phase_samples(&s->wake, &t->pwake);
	take_phase_samples(&s->iter, &t->piter);
	take_phase_samples(&s->timer, &t->ptimer);
}

/* Closing a slice: each field by its WS_SLICE_FIELDS kind; opening one: maxima restart. */
#define CLOSE_DELTA(name) s->name = tk_sat_sub_u64(s->name, t->cur.name);
#define CLOSE_MAX(name)   s->name = t->cur.name;
#define CLOSE_OWN(name)
#define CLOSE_FIELD(name, how) CLOSE_##how(name)
#define OPEN_DELTA(name)
#define OPEN_MAX(name)    t->cur.name = 0;
#define OPEN_OWN(name)
#define OPEN_FIELD(name, how) OPEN_##how(name)

/* Close the slice of the current phase (if the epoch ever moved) and open @epoch's. */
static void push_slice(struct ws_ctx *c, uint32_t next_epoch, bool last)
{
	struct ws_tel *t = &c->tel;
	struct ws_phase_slice now, *s;

	snapshot(c, &now);
	if (c->rep.nslices < WS_MAX_SLICES && c->rep.slices) {
		s = &c->rep.slices[c->rep.nslices++];
		*s = now;
		WS_SLICE_FIELDS(CLOSE_FIELD)
		s->phase = t->epoch;
		s->start_ns = t->cur.start_ns;
		s->off_cpu_ns = tk_sat_sub_u64(s->wall_ns, s->cpu_ns);
		close_extras(c, s);
	}
	if (last)
		return;
	memset(&t->phase_used, 0, sizeof(t->phase_used));
	if (t->last_cpu >= 0)
		tk_cpuset_set(&t->phase_used, t->last_cpu);
	tk_reservoir_reset(&t->pwake);
	tk_reservoir_reset(&t->piter);
	tk_reservoir_reset(&t->ptimer);
	t->cur = now;
	t->cur.start_ns = now.wall_ns;
	WS_SLICE_FIELDS(OPEN_FIELD)
	t->epoch = next_epoch;
}

void ws_phase_roll(struct ws_ctx *c, uint32_t epoch)
{
	if (!c->rep.slices)
		c->rep.slices = calloc(WS_MAX_SLICES, sizeof(*c->rep.slices));
	push_slice(c, epoch, false);
}

int ws_tel_begin(struct ws_ctx *c)
{
	struct ws_tel *t = &c->tel;
	int fills = ws_group_fills(c->g);
	int err = 0;

	t->migr = calloc(WS_MAX_MIGR, sizeof(*t->migr));
	if (!t->migr)
		return -ENOMEM;
	/* every reservoir a type may fill is allocated up front (no allocation in loops) */
	if (fills & WS_FILL_WAKE)
		err = err ? err : tk_reservoir_init(&t->wake, WS_MAX_SAMPLES, c->rng | 1);
	/* issue 15: handoff — wake's seed, so both keep the same samples */
	if ((fills & WS_FILL_WAKE) && ws_type_handoff(c->g->type))
		err = err ? err : tk_reservoir_init(&t->handoff, WS_MAX_SAMPLES, c->rng | 1);
	if (fills & WS_FILL_ITER)
		err = err ? err : tk_reservoir_init(&t->iter, WS_MAX_SAMPLES, c->rng | 3);
	if (fills & WS_FILL_TIMER)
		err = err ? err : tk_reservoir_init(&t->timer, WS_MAX_SAMPLES, c->rng | 5);
	/* --phases: each phase's own samples too, capped as ktstr's */
	if (c->g->phased && (fills & WS_FILL_WAKE))
		err = err ? err : tk_reservoir_init(&t->pwake, WS_MAX_PHASE_SAMPLES, c->rng | 7);
	if (c->g->phased && (fills & WS_FILL_ITER))
		err = err ? err : tk_reservoir_init(&t->piter, WS_MAX_PHASE_SAMPLES, c->rng | 9);
	if (c->g->phased && (fills & WS_FILL_TIMER))
		err = err ? err : tk_reservoir_init(&t->ptimer, WS_MAX_PHASE_SAMPLES, c->rng | 11);
	if (err)
		return err;
	t->sched_ok = ws_schedstat_read(0, &t->sched0);
	t->vm0 = read_vmstat_migrated();
	t->last_cpu = -1;
	t->epoch = c->sh ? atomic_load(&c->sh->epoch) : 0;
	t->t0 = ws_now();
	t->cpu0 = thread_cpu_ns();
	t->last_cp = t->t0;
	t->next_cp = c->g->no_telemetry ? UINT64_MAX : WS_CHECKPOINT;
	if (c->g->no_telemetry)
		c->sh = NULL;   /* no phase epoch checks either */
	memset(&t->cur, 0, sizeof(t->cur));
	note_cpu(c, t->t0);
	return 0;
}

static void take_samples(struct ws_samples *dst, struct tk_reservoir *src)
{
	dst->total = src->total;
	dst->n = src->len;
	dst->v = src->v;   /* ownership moves to the report */
	src->v = NULL;
	src->len = 0;
}

void ws_tel_end(struct ws_ctx *c)
{
	struct ws_tel *t = &c->tel;
	struct ws_report *r = &c->rep;
	uint64_t now = ws_now();
	struct ws_schedstat ss;
	unsigned n = 0;

	r->wall_time_ns = now - t->t0;
	r->cpu_time_ns = thread_cpu_ns() - t->cpu0;
	r->off_cpu_ns = tk_sat_sub_u64(r->wall_time_ns, r->cpu_time_ns);
	note_cpu(c, now);
	if (r->slices)
		push_slice(c, t->epoch, true);
	if (t->sched_ok && ws_schedstat_read(0, &ss)) {
		r->sched_cpu_ns = tk_sat_sub_u64(ss.cpu_ns, t->sched0.cpu_ns);
		r->run_delay_ns = tk_sat_sub_u64(ss.run_delay_ns, t->sched0.run_delay_ns);
		r->run_count = tk_sat_sub_u64(ss.run_count, t->sched0.run_count);
	}
	r->vmstat_migrated = tk_sat_sub_u64(read_vmstat_migrated(), t->vm0);
	read_numa(&r->nnuma, &r->numa);
	r->cpus_used = calloc(tk_cpuset_count(&t->used) + 1, sizeof(uint32_t));
	for (unsigned cpu = 0; r->cpus_used && cpu < WS_MAX_CPUS; cpu++)
		if (tk_cpuset_isset(&t->used, cpu))
			r->cpus_used[n++] = cpu;
	r->ncpus = n;
	r->migrations = t->migr;
	t->migr = NULL;
	take_samples(&r->wake, &t->wake);
	take_samples(&r->iter, &t->iter);
	take_samples(&r->timer, &t->timer);
	take_samples(&r->handoff, &t->handoff);
	r->completed = true;
}

void ws_tel_free(struct ws_ctx *c)
{
	free(c->tel.migr);
	c->tel.migr = NULL;
	tk_reservoir_free(&c->tel.wake);
	tk_reservoir_free(&c->tel.iter);
	tk_reservoir_free(&c->tel.timer);
	tk_reservoir_free(&c->tel.pwake);
	tk_reservoir_free(&c->tel.piter);
	tk_reservoir_free(&c->tel.ptimer);
	tk_reservoir_free(&c->tel.handoff);
}
