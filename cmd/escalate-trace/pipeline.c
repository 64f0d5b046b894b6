// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pipeline.c — threaded stdin mode (--threads N, N >= 2).
 *
 * A reader thread cuts stdin into batches of lines; N parser threads, each
 * with its own json_tokener, turn a batch into esc_sample results; the main
 * thread takes batches strictly in sequence order and accounts each line
 * with esc_line_done() (detection, escalation, output), exactly as the
 * serial loop does.  Batches live in a ring of Q_BATCHES under one mutex:
 *
 *   batch state: FREE -> FILLED (reader) -> PARSED (a parser) -> FREE (main)
 *
 * The reader keeps reading while the main thread traces (up to Q_BATCHES
 * batches of BATCH_LINES lines are held); it hands over a part-filled batch
 * whenever the input is idle and fewer than Q_BATCHES/2 batches wait, so
 * nothing waits for a batch to fill, and a slow writer still gets at least
 * Q_BATCHES/2 full batches of room.  Helper threads block SIGINT/SIGTERM/
 * SIGPIPE so signals reach the main thread; the reader polls stdin and gives
 * up when told to quit.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "account.h"
#include "buf.h"
#include "clock.h"
#include "errors.h"
#include "linereader.h"
#include "output.h"
#include "run.h"

#define Q_BATCHES 64          /* batches in flight */
#define BATCH_LINES 512
#define BATCH_BYTES (128 * 1024)

struct bline {
	size_t off, len;
	uint64_t read_boot_ns;
	bool too_long;
	enum esc_line_status ls;
};

enum batch_state { BATCH_FREE, BATCH_FILLED, BATCH_PARSED };

struct batch {
	enum batch_state state;
	char *buf;                   /* the lines' bytes, back to back */
	size_t len, cap;
	struct bline *ln;            /* BATCH_LINES */
	struct esc_sample *s;        /* BATCH_LINES parse results */
	size_t n;
};

struct pipe_ctx {
	const struct esc_fields *fields;
	uint64_t max_line;
	pthread_mutex_t mu;
	pthread_cond_t filled, parsed, space;
	struct batch ring[Q_BATCHES];
	uint64_t head;               /* next sequence number the reader fills */
	uint64_t next_parse;         /* next sequence number a parser takes */
	uint64_t tail;               /* next sequence number main consumes */
	bool eof;                    /* reader done: no batch after head */
	int read_err;                /* reader's -errno (after the last batch) */
	bool quit;                   /* main gave up: helpers return (atomic) */
};

static bool quit_set(struct pipe_ctx *p)
{
	return __atomic_load_n(&p->quit, __ATOMIC_ACQUIRE);
}

static int batch_alloc(struct batch *b)
{
	if (b->ln)
		return 0;
	b->ln = malloc(BATCH_LINES * sizeof(*b->ln));
	b->s = malloc(BATCH_LINES * sizeof(*b->s));
	return b->ln && b->s ? 0 : -ENOMEM;
}

static void batch_free(struct batch *b)
{
	free(b->buf);
	free(b->ln);
	free(b->s);
}

static int batch_add(struct batch *b, const struct esc_line_reader *lr)
{
	struct bline *l = &b->ln[b->n];

	if (tk_grow((void **)&b->buf, &b->cap, b->len + lr->len, BATCH_BYTES))
		return -ENOMEM;
	memcpy(b->buf + b->len, lr->data, lr->len);
	l->off = b->len;
	l->len = lr->len;
	l->too_long = lr->too_long;
	l->ls = ESC_LINE_MALFORMED;
	l->read_boot_ns = lr->read_boot_ns;
	b->len += lr->len;
	b->n++;
	return 0;
}

static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Hand the reader's batch over (caller holds mu). */
static void submit_locked(struct pipe_ctx *p)
{
	p->ring[p->head % Q_BATCHES].state = BATCH_FILLED;
	p->head++;
	pthread_cond_signal(&p->filled);
}

/* The batch the reader fills next, once main has freed it; NULL on quit. */
static struct batch *reader_batch(struct pipe_ctx *p)
{
	struct batch *b;

	pthread_mutex_lock(&p->mu);
	while (!quit_set(p) && p->head - p->tail >= Q_BATCHES)
		pthread_cond_wait(&p->space, &p->mu);
	b = quit_set(p) ? NULL : &p->ring[p->head % Q_BATCHES];
	pthread_mutex_unlock(&p->mu);
	if (b) {
		b->n = 0;
		b->len = 0;
		if (batch_alloc(b))
			return NULL;
	}
	return b;
}

static void *reader_main(void *arg)
{
	struct pipe_ctx *p = arg;
	struct esc_line_reader lr = { .fd = STDIN_FILENO, .max = p->max_line,
				      .poll = true, .quit = &p->quit };
	struct batch *b = NULL;
	int n = 0;

	block_signals();
	lr.buf = malloc(ESC_RD_CHUNK);
	if (!lr.buf) {
		n = -ENOMEM;
		goto done;
	}
	b = reader_batch(p);
	while (b) {
		if (b->n && !esc_lr_buffered(&lr)) {
			/* input idle: hand over what we have if a batch is free */
			bool handed = false;

			pthread_mutex_lock(&p->mu);
			if (p->head - p->tail < Q_BATCHES / 2) {
				submit_locked(p);
				handed = true;
			}
			pthread_mutex_unlock(&p->mu);
			if (handed && !(b = reader_batch(p)))
				break;
		}
		n = esc_lr_next(&lr);
		if (n <= 0)
			break;
		n = batch_add(b, &lr);
		if (n)
			break;
		if (b->n == BATCH_LINES || b->len >= BATCH_BYTES) {
			pthread_mutex_lock(&p->mu);
			submit_locked(p);
			pthread_mutex_unlock(&p->mu);
			b = reader_batch(p);
		}
	}
	if (!b && !quit_set(p))
		n = -ENOMEM;
done:
	pthread_mutex_lock(&p->mu);
	if (b && b->n)
		submit_locked(p);
	p->eof = true;
	p->read_err = n < 0 ? n : 0;
	pthread_cond_broadcast(&p->filled);
	pthread_cond_broadcast(&p->parsed);
	pthread_mutex_unlock(&p->mu);
	free(lr.buf);
	free(lr.line);
	return NULL;
}

static void *parser_main(void *arg)
{
	struct pipe_ctx *p = arg;
	struct json_tokener *tok = esc_tokener_new();

	block_signals();
	esc_thread_c_locale();
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct batch *b;

		while (!quit_set(p) && p->next_parse == p->head && !p->eof)
			pthread_cond_wait(&p->filled, &p->mu);
		if (quit_set(p) || p->next_parse == p->head)
			break;
		b = &p->ring[p->next_parse++ % Q_BATCHES];
		pthread_mutex_unlock(&p->mu);
		for (size_t i = 0; i < b->n; i++) {
			struct bline *l = &b->ln[i];

			if (l->too_long)
				continue;
			l->ls = tok ? esc_extract_tok(tok, b->buf + l->off, l->len, p->fields, &b->s[i])
				    : esc_extract(b->buf + l->off, l->len, p->fields, &b->s[i]);
		}
		pthread_mutex_lock(&p->mu);
		b->state = BATCH_PARSED;
		pthread_cond_broadcast(&p->parsed);
	}
	pthread_mutex_unlock(&p->mu);
	json_tokener_free(tok);
	return NULL;
}

/* Wait for batch `tail` parsed: the batch, or NULL at the end of input/stop. */
static struct batch *next_batch(struct pipe_ctx *p)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&p->mu);
	while (!tk_stop_requested()) {
		struct timespec ts;

		if (p->tail < p->head && p->ring[p->tail % Q_BATCHES].state == BATCH_PARSED) {
			b = &p->ring[p->tail % Q_BATCHES];
			break;
		}
		if (p->eof && p->tail == p->head)
			break;
		/* timed: a SIGINT must not wait for the next line */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->parsed, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return b;
}

static void release_batch(struct pipe_ctx *p, struct batch *b)
{
	pthread_mutex_lock(&p->mu);
	b->state = BATCH_FREE;
	p->tail++;
	pthread_cond_signal(&p->space);
	pthread_mutex_unlock(&p->mu);
}

/* Account batch @b's lines in order.  0, or an exit code. */
static int consume(struct esc_run *r, struct batch *b, bool *stop)
{
	FILE *out = tk_out.out ? tk_out.out : stdout;

	for (size_t i = 0; i < b->n && !tk_stop_requested(); i++) {
		struct bline *l = &b->ln[i];

		if (r->env->tee) {
			fwrite(b->buf + l->off, 1, l->len, out);
			fputc('\n', out);
		}
		switch (esc_line_done(r, l->too_long, l->ls, &b->s[i], l->read_boot_ns)) {
		case -EBADMSG:           /* --strict: reported; stop the threads, exit 2 */
			*stop = true;
			return TK_EXIT_USAGE;
		case -ENOMEM:
			tk_error(NULL, "out of memory");
			*stop = true;
			return TK_EXIT_RUNTIME;
		}
	}
	if (r->env->tee && tk_flush())
		*stop = true;
	if (tk_stop_requested())
		*stop = true;
	return 0;
}

int esc_stream_threaded(struct esc_run *r)
{
	struct pipe_ctx p = { .fields = &r->env->fields, .max_line = r->env->max_line };
	unsigned nparsers = r->env->threads, started = 0;
	pthread_t reader, *parsers = calloc(nparsers, sizeof(*parsers));
	bool reader_started = false, stop = false;
	struct batch *b;
	int rc = 0;

	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.filled, NULL);
	pthread_cond_init(&p.parsed, NULL);
	pthread_cond_init(&p.space, NULL);
	if (!parsers)
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	for (; started < nparsers; started++)
		if (pthread_create(&parsers[started], NULL, parser_main, &p))
			break;
	if (started)
		reader_started = !pthread_create(&reader, NULL, reader_main, &p);
	if (!reader_started) {
		tk_error(NULL, "cannot start the input threads (try --threads 1)");
		rc = TK_EXIT_RUNTIME;
		goto cleanup;
	}
	while (!stop && (b = next_batch(&p))) {
		rc = consume(r, b, &stop);
		release_batch(&p, b);
	}
	pthread_mutex_lock(&p.mu);
	if (!stop && !rc && p.eof && p.tail == p.head && p.read_err &&
	    p.read_err != -EINTR && p.read_err != -ECANCELED) {
		tk_error(NULL, "reading stdin: %s", strerror(-p.read_err));
		rc = TK_EXIT_RUNTIME;
	}
	pthread_mutex_unlock(&p.mu);
cleanup:
	pthread_mutex_lock(&p.mu);
	__atomic_store_n(&p.quit, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p.filled);
	pthread_cond_broadcast(&p.space);
	pthread_mutex_unlock(&p.mu);
	if (reader_started)
		pthread_join(reader, NULL);
	for (unsigned i = 0; i < started; i++)
		pthread_join(parsers[i], NULL);
	for (unsigned i = 0; i < Q_BATCHES; i++)
		batch_free(&p.ring[i]);
	free(parsers);
	pthread_cond_destroy(&p.filled);
	pthread_cond_destroy(&p.parsed);
	pthread_cond_destroy(&p.space);
	pthread_mutex_destroy(&p.mu);
	return rc;
}
