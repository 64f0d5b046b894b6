// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * work_wake.c — issue 15: wake.  The wake-topology work types of the
 * reference: wake-chain, thundering-herd, epoll-storm, asymmetric-waker and
 * producer-consumer-imbalance.  Every wake sample is the blocked interval:
 * from just before the blocking call to running again after it.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "telemetry.h"

/* wake-chain: the work of one hop (a tick when work_per_hop is 0). */
static void hop(struct ws_ctx *c)
{
	if (c->g->wk.work_per_hop_ns)
		ws_spin_for(c, c->g->wk.work_per_hop_ns);
	else
		ws_tick(c, 1);
	ws_iter(c);
}

/* Pipe ring: stage i reads pipe i and writes pipe i+1 (1 byte, WF_SYNC wakes). */
static int chain_pipe(struct ws_ctx *c)
{
	unsigned d = c->g->wk.depth, me = c->role;
	int rfd = c->ures->fds[2 * me], wfd = c->ures->fds[2 * ((me + 1) % d) + 1];
	char b = 0;
	int err = 0;

	if (me == 0)   /* the token that goes round the ring */
		err = ws_write_full(wfd, &b, 1);
	while (!err && !ws_stopping()) {
		uint64_t t0 = ws_now();

		if ((err = ws_read_full(rfd, &b, 1)))
			break;
		ws_wake_since(c, t0);
		hop(c);
		err = ws_write_full(wfd, &b, 1);
	}
	return err;
}

/* Futex ring: word[0] names the active stage; each hop wakes every stage. */
static int chain_futex(struct ws_ctx *c)
{
	_Atomic uint32_t *w = &c->unit->word[0];
	uint32_t me = c->role, next = (c->role + 1) % c->g->wk.depth;

	while (!ws_stopping()) {
		uint64_t t0 = ws_now();
		uint32_t cur;

		while ((cur = atomic_load(w)) != me)
			if (ws_futex_wait(w, cur))
				return 0;
		ws_wake_since(c, t0);
		hop(c);
		atomic_store(w, next);
		ws_futex_wake(w, INT_MAX);
	}
	return 0;
}

int ws_wake_chain(struct ws_ctx *c)
{
	return c->g->wk.futex ? chain_futex(c) : chain_pipe(c);
}

/*
 * word[0] = batch generation.  Role 0 bumps it and wakes everyone, then
 * sleeps inter_batch_ms (sampled); after `batches` it idles until the stop.
 */
int ws_thundering_herd(struct ws_ctx *c)
{
	_Atomic uint32_t *w = &c->unit->word[0];
	const struct ws_wake_params *p = &c->g->wk;

	if (c->role == 0) {
		for (uint64_t b = 0; b < p->batches && !ws_stopping(); b++) {
			uint64_t t0;

			atomic_fetch_add(w, 1);
			ws_futex_wake(w, INT_MAX);
			ws_tick(c, 1);
			ws_iter(c);
			t0 = ws_now();
			if (!ws_sleep(p->inter_batch_ns))
				return 0;
			if (p->inter_batch_ns)
				ws_wake_since(c, t0);
		}
		while (ws_sleep(WS_POLL_NS))
			;
		return 0;
	}
	/* generations start at 0 for everyone: a batch sent before we got here counts */
	for (uint32_t seen = 0; !ws_stopping();) {
		uint64_t t0 = ws_now();

		if (ws_futex_wait(w, seen))
			break;
		ws_wake_since(c, t0);
		seen = atomic_load(w);
		ws_tick(c, 1);
		ws_iter(c);
	}
	return 0;
}

/* epoll-storm consumers: an epoll instance of their own on the unit's eventfd. */
int ws_epoll_prep(struct ws_ctx *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

	c->efd = -1;
	if (c->role < c->g->wk.producers)
		return 0;
	c->efd = epoll_create1(EPOLL_CLOEXEC);
	if (c->efd < 0 || epoll_ctl(c->efd, EPOLL_CTL_ADD, c->ures->fds[0], &ev))
		return -errno;
	return 0;
}

void ws_epoll_fini(struct ws_ctx *c)
{
	if (c->efd >= 0)
		close(c->efd);
	c->efd = -1;
}

/* Producers: events_per_burst eventfd writes of 1, then gap_us. */
static int storm_produce(struct ws_ctx *c)
{
	const struct ws_wake_params *p = &c->g->wk;
	int fd = c->ures->fds[0];
	uint64_t one = 1;

	while (!ws_stopping()) {
		for (uint64_t i = 0; i < p->events_per_burst; i++) {
			if (write(fd, &one, sizeof(one)) == sizeof(one))
				ws_tick(c, 1);
			else if (errno != EAGAIN && errno != EINTR)
				return -errno;
		}
		ws_iter(c);
		if (p->gap_ns && !ws_sleep(p->gap_ns))
			break;
	}
	return 0;
}

/*
 * Consumers: epoll_wait(maxevents=1) (100 ms slices for the stop flag),
 * then read the counter; a read another consumer won (EAGAIN) is not a wake.
 * Each wake is one iteration followed by one 1024-spin cycle (the work units).
 */
static int storm_consume(struct ws_ctx *c)
{
	int fd = c->ures->fds[0];

	while (!ws_stopping()) {
		struct epoll_event ev;
		uint64_t t0 = ws_now(), v;
		int n = epoll_wait(c->efd, &ev, 1, WS_POLL_NS / 1000000);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (read(fd, &v, sizeof(v)) != sizeof(v)) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		ws_wake_since(c, t0);
		ws_spin(c, 1024);
		ws_iter(c);
	}
	return 0;
}

int ws_epoll_storm(struct ws_ctx *c)
{
	return c->role < c->g->wk.producers ? storm_produce(c) : storm_consume(c);
}

/* asymmetric-waker: role 0 takes waker_class, role 1 wakee_class. */
int ws_asym_prep(struct ws_ctx *c)
{
	const struct ws_policy *p = c->role ? &c->g->wk.wakee_class : &c->g->wk.waker_class;
	char *err;

	if (p->policy == SCHED_OTHER && !c->g->pol.set)
		return 0;   /* already normal; sched_setattr would reset --nice */
	err = ws_apply_policy(0, p);

	if (err && !c->rep.sched_policy_error)
		c->rep.sched_policy_error = err;
	else
		free(err);
	return 0;
}

/* The waker spins burst_iters, bumps word[0] and wakes; the wakee waits, then spins. */
int ws_asymmetric_waker(struct ws_ctx *c)
{
	_Atomic uint32_t *w = &c->unit->word[0];

	while (!ws_stopping()) {
		if (c->role == 0) {
			ws_spin(c, c->g->p_burst);
			atomic_fetch_add(w, 1);
			ws_futex_wake(w, 1);
		} else {
			uint32_t seen = atomic_load(w);
			uint64_t t0 = ws_now();

			if (ws_futex_wait(w, seen))
				break;
			ws_wake_since(c, t0);
			ws_spin(c, c->g->p_burst);
		}
		if (!c->g->p_burst)
			ws_tick(c, 1);
		ws_iter(c);
	}
	if (c->role == 0) {   /* a wakee still waiting sees a change */
		atomic_fetch_add(w, 1);
		ws_futex_wake(w, 1);
	}
	return 0;
}

/* Wait while the futex word @w still holds @gen; the blocked interval is a sample. */
static int pc_wait(struct ws_ctx *c, _Atomic uint32_t *w, uint32_t gen)
{
	uint64_t t0 = ws_now();
	int err = ws_futex_wait(w, gen);

	if (!err)
		ws_wake_since(c, t0);
	return err;
}

/* Reserve a slot (CAS on head), fill it, publish in reservation order. */
static int pc_produce(struct ws_ctx *c, struct ws_pc_ring *q, uint64_t depth, uint64_t seq)
{
	uint64_t head;

	for (;;) {
		uint32_t gen = atomic_load(&q->not_full);

		head = atomic_load(&q->head);
		if (head - atomic_load(&q->tail) >= depth) {
			if (pc_wait(c, &q->not_full, gen))
				return -EINTR;
			continue;
		}
		if (atomic_compare_exchange_weak(&q->head, &head, head + 1))
			break;
	}
	atomic_store_explicit(&q->slot[head % depth], seq, memory_order_relaxed);
	while (atomic_load(&q->pub) != head) {
		if (ws_stopping())
			return -EINTR;
		sched_yield();   /* an earlier reservation is still being written */
	}
	atomic_store(&q->pub, head + 1);
	atomic_fetch_add(&q->not_empty, 1);
	ws_futex_wake(&q->not_empty, 1);
	return 0;
}

/* Take the oldest published item (CAS on tail); -EAGAIN when another consumer won. */
static int pc_consume(struct ws_ctx *c, struct ws_pc_ring *q, uint64_t depth)
{
	uint32_t gen = atomic_load(&q->not_empty);
	uint64_t tail = atomic_load(&q->tail);

	if (tail == atomic_load(&q->pub))
		return pc_wait(c, &q->not_empty, gen) ? -EINTR : -EAGAIN;
	/* taken before the CAS: once tail moves on, a producer may refill the slot */
	(void)atomic_load_explicit(&q->slot[tail % depth], memory_order_relaxed);
	if (!atomic_compare_exchange_weak(&q->tail, &tail, tail + 1))
		return -EAGAIN;
	atomic_fetch_add(&q->not_full, 1);
	ws_futex_wake(&q->not_full, 1);
	return 0;
}

int ws_producer_consumer(struct ws_ctx *c)
{
	const struct ws_wake_params *p = &c->g->wk;
	struct ws_pc_ring *q = c->ures->mem;
	uint64_t pace = p->produce_rate_hz ? 1000000000ULL / p->produce_rate_hz : 0;

	for (uint64_t seq = 0; !ws_stopping(); seq++) {
		int err;

		if (c->role < p->producers) {
			if ((err = pc_produce(c, q, p->queue_depth, seq)))
				break;
			ws_tick(c, 1);
		} else {
			if ((err = pc_consume(c, q, p->queue_depth)) == -EINTR)
				break;
			if (err)
				continue;
			if (p->consume_iters)
				ws_spin(c, p->consume_iters);
			else
				ws_tick(c, 1);
		}
		ws_iter(c);
		if (c->role < p->producers && pace && !ws_sleep(pace))
			break;
	}
	/* a peer still waiting sees a change */
	atomic_fetch_add(&q->not_full, 1);
	ws_futex_wake(&q->not_full, INT_MAX);
	atomic_fetch_add(&q->not_empty, 1);
	ws_futex_wake(&q->not_empty, INT_MAX);
	return 0;
}
