// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * otlp.c — the OTLP exporter's queue and sender thread.  The input side
 * encodes an escalation (otlp_encode.c) and only ever appends its request
 * bodies to a bounded queue; a full queue drops a request (counted).  The
 * sender POSTs each (otlp_http.c) to its signal's endpoint (otlp_config.c)
 * and retries 429/502/503/504 and transport errors, after Retry-After when
 * the collector sent one, else after an exponential backoff with jitter.  A
 * partial_success is counted, never retried.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "clock.h"
#include "errors.h"
#include "otlp_int.h"

struct otlp_item {
	enum otlp_signal sig;
	char *body;
	size_t len;
};

struct esc_otlp {
	struct esc_otlp_opts o;
	struct otlp_conf conf;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	struct otlp_item *q;
	size_t head, len;
	bool stopping;
	uint64_t deadline;        /* drain deadline once stopping */
	struct esc_otlp_stats st;
	struct otlp_http *http;
};

/* Sleep up to @ns on the queue's condition; false when past the drain deadline. */
static bool backoff_wait(struct esc_otlp *o, uint64_t ns)
{
	uint64_t until = tk_now_mono_ns() + ns;
	struct timespec ts;
	bool ok;

	pthread_mutex_lock(&o->mu);
	if (o->stopping && until > o->deadline) {
		pthread_mutex_unlock(&o->mu);
		return false;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ns / TK_NSEC_PER_SEC);
	ts.tv_nsec += (long)(ns % TK_NSEC_PER_SEC);
	if (ts.tv_nsec >= (long)TK_NSEC_PER_SEC) {
		ts.tv_sec++;
		ts.tv_nsec -= (long)TK_NSEC_PER_SEC;
	}
	while (tk_now_mono_ns() < until &&
	       pthread_cond_timedwait(&o->cv, &o->mu, &ts) != ETIMEDOUT)
		;
	ok = !(o->stopping && tk_now_mono_ns() > o->deadline);
	pthread_mutex_unlock(&o->mu);
	return ok;
}

static bool retryable(long code)
{
	return code == 429 || code == 502 || code == 503 || code == 504;
}

static void record_partial(struct esc_otlp *o, enum otlp_signal sig, const struct otlp_result *r)
{
	o->st.partial++;
	if (sig == OTLP_TRACES)
		o->st.rejected_spans += r->rejected;
	else
		o->st.rejected_logs += r->rejected;
	if (r->message[0])
		snprintf(o->st.last_partial, sizeof(o->st.last_partial), "%s", r->message);
	tk_info(1, "otlp: partial success: %llu %s rejected%s%s", (unsigned long long)r->rejected,
		sig == OTLP_TRACES ? "span(s)" : "log record(s)", r->message[0] ? ": " : "",
		r->message);
}

/* Only this thread writes st's counters and errors; read after the join. */
static void send_one(struct esc_otlp *o, const struct otlp_item *it)
{
	const struct otlp_endpoint *ep = &o->conf.ep[it->sig];

	for (unsigned attempt = 0;; attempt++) {
		struct otlp_result r;
		uint64_t wait;
		int err = otlp_http_post(o->http, ep, it->sig, it->body, it->len, &r);

		if (!err && !r.error[0] && r.code >= 200 && r.code < 300) {
			__atomic_add_fetch(&o->st.sent, 1, __ATOMIC_RELAXED);
			if (r.partial)
				record_partial(o, it->sig, &r);
			return;
		}
		wait = r.has_retry_after ? r.retry_after_ns : otlp_backoff_ns(attempt);
		if (err || (!r.error[0] && !retryable(r.code)) || attempt >= o->o.retries ||
		    !backoff_wait(o, wait)) {
			if (err)
				snprintf(o->st.last_error, sizeof(o->st.last_error), "%s", strerror(-err));
			else if (r.error[0])
				snprintf(o->st.last_error, sizeof(o->st.last_error), "%s", r.error);
			else
				snprintf(o->st.last_error, sizeof(o->st.last_error), "HTTP %ld", r.code);
			tk_info(1, "otlp: giving up: %s", o->st.last_error);
			__atomic_add_fetch(&o->st.failed, 1, __ATOMIC_RELAXED);
			return;
		}
		tk_info(1, "otlp: %s, retry %u in %llu ms%s", r.error[0] ? r.error : "HTTP error",
			attempt + 1, (unsigned long long)(wait / TK_NSEC_PER_MSEC),
			r.has_retry_after ? " (Retry-After)" : "");
		__atomic_add_fetch(&o->st.retried, 1, __ATOMIC_RELAXED);
	}
}

static void *sender(void *arg)
{
	struct esc_otlp *o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		struct otlp_item it;

		while (!o->len && !o->stopping)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->len || (o->stopping && tk_now_mono_ns() > o->deadline))
			break;
		it = o->q[o->head];
		o->head = (o->head + 1) % o->o.queue;
		o->len--;
		pthread_mutex_unlock(&o->mu);
		send_one(o, &it);
		free(it.body);
		pthread_mutex_lock(&o->mu);
	}
	/* past the deadline: what is left is dropped */
	while (o->len) {
		free(o->q[o->head].body);
		o->head = (o->head + 1) % o->o.queue;
		o->len--;
		o->st.dropped++;
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

int esc_otlp_start(struct esc_otlp **op, const struct esc_otlp_opts *opts,
		   char *errmsg, size_t errsz, const char **fix)
{
	struct esc_otlp *o = calloc(1, sizeof(*o));
	int err = -ENOMEM;

	*fix = NULL;
	snprintf(errmsg, errsz, "out of memory");
	if (!o)
		return -ENOMEM;
	o->o = *opts;
	o->q = calloc(opts->queue, sizeof(*o->q));
	if (!o->q || curl_global_init(CURL_GLOBAL_DEFAULT))
		goto fail;
	err = otlp_config(opts, &o->conf, errmsg, errsz, fix);
	if (err)
		goto fail_curl;
	err = otlp_http_new(&o->http);
	if (err)
		goto fail_conf;
	for (int s = 0; s < OTLP_NSIG; s++)
		if (o->conf.ep[s].url[0])
			tk_info(1, "otlp: %s to %s%s, timeout %llu ms", s == OTLP_TRACES ?
				"spans" : "log records", o->conf.ep[s].url,
				o->conf.ep[s].gzip ? " (gzip)" : "",
				(unsigned long long)(o->conf.ep[s].timeout_ns / TK_NSEC_PER_MSEC));
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	err = -pthread_create(&o->thread, NULL, sender, o);
	if (!err) {
		*op = o;
		return 0;
	}
	snprintf(errmsg, errsz, "%s", strerror(-err));
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	otlp_http_free(o->http);
fail_conf:
	otlp_config_free(&o->conf);
fail_curl:
	curl_global_cleanup();
fail:
	free(o->q);
	free(o);
	return err;
}

/* otlp_emit_fn: queue one body (the lock is held by esc_otlp_submit). */
static int enqueue(void *ctx, enum otlp_signal sig, char *body, size_t len)
{
	struct esc_otlp *o = ctx;

	if (o->len >= o->o.queue) {
		o->st.dropped++;
		free(body);
		return 0;
	}
	o->q[(o->head + o->len) % o->o.queue] = (struct otlp_item){ sig, body, len };
	o->len++;
	o->st.queued++;
	return 0;
}

void esc_otlp_submit(struct esc_otlp *o, const struct esc_event *e)
{
	pthread_mutex_lock(&o->mu);
	if (otlp_encode_event(e, &o->o, enqueue, o, &o->st.too_large))
		o->st.dropped++;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

void esc_otlp_stop(struct esc_otlp *o, struct esc_otlp_stats *st)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->mu);
	o->stopping = true;
	o->deadline = tk_now_mono_ns() + o->o.flush_ns;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thread, NULL);
	*st = o->st;
	otlp_http_free(o->http);
	otlp_config_free(&o->conf);
	curl_global_cleanup();
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o->q);
	free(o);
}
