// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * otlp.c — OTLP/JSON over HTTP (ExportTraceServiceRequest, one span per
 * escalation) with libcurl on a sender thread.  The input side only ever
 * appends to a bounded queue; a full queue drops the request (counted).
 * Retries 429/502/503/504 and transport errors, honouring Retry-After
 * (seconds), else exponential backoff from 100 ms.  Encoding follows the
 * OTLP JSON rules: hex ids, integer enums, 64-bit integers as strings.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "clock.h"
#include "errors.h"
#include "escalate.h"
#include "output.h"

#define OTLP_SPAN_KIND_INTERNAL 1
#define OTLP_STATUS_OK 1
#define OTLP_STATUS_ERROR 2
#define OTLP_RETRY_AFTER_MAX_S 30
#define OTLP_EVENTS_MAX 10

struct esc_otlp {
	struct esc_otlp_opts o;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	char **q;
	size_t head, len;
	bool stopping;
	uint64_t deadline;        /* drain deadline once stopping */
	struct esc_otlp_stats st;
	CURL *curl;
	struct curl_slist *hdr;
};

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void random_id(uint8_t *b, size_t n)
{
	bool zero = true;

	if (getrandom(b, n, 0) != (ssize_t)n) {
		uint64_t x = tk_now_mono_ns() ^ ((uint64_t)getpid() << 32);

		for (size_t i = 0; i < n; i++, x = x * 6364136223846793005ULL + 1)
			b[i] = (uint8_t)(x >> 56);
	}
	for (size_t i = 0; i < n; i++)
		zero = zero && !b[i];
	if (zero)
		b[n - 1] = 1;  /* an all-zero id is invalid */
}

static struct json_object *kv(const char *key, const char *vtype, struct json_object *val)
{
	struct json_object *o = json_object_new_object(), *v = json_object_new_object();

	json_object_object_add(o, "key", tk_json_str(key));
	json_object_object_add(v, vtype, val);
	json_object_object_add(o, "value", v);
	return o;
}

static struct json_object *kv_int(const char *key, uint64_t x)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, x);
	return kv(key, "intValue", json_object_new_string(buf));
}

static struct json_object *ns_str(uint64_t ns)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, ns);
	return json_object_new_string(buf);
}

/* The attribute object of report.c, typed: strings stay strings, u64 -> intValue. */
static struct json_object *span_attrs(const struct esc_event *e)
{
	struct json_object *a = json_object_new_array(), *attrs = esc_otlp_attrs(e);

	json_object_object_foreach(attrs, k, v) {
		if (json_object_get_type(v) == json_type_string)
			json_object_array_add(a, kv(k, "stringValue", json_object_get(v)));
		else
			json_object_array_add(a, kv_int(k, json_object_get_uint64(v)));
	}
	json_object_put(attrs);
	json_object_array_add(a, kv_int("process.pid", (uint64_t)(e->tr.pid > 0 ? e->tr.pid : 0)));
	json_object_array_add(a, kv("escalation.traced", "boolValue",
				    json_object_new_boolean(e->tr.traced)));
	json_object_array_add(a, kv("escalation.partial", "boolValue",
				    json_object_new_boolean(e->tr.partial)));
	json_object_array_add(a, kv("escalation.cv", "doubleValue",
				    tk_json_dbl(e->v.cv)));
	return a;
}

/* Top syscalls as span events named "syscall". */
static struct json_object *span_events(const struct esc_event *e, uint64_t ts)
{
	struct json_object *a = json_object_new_array();
	char buf[32];

	for (size_t i = 0; i < e->tr.nsc && i < OTLP_EVENTS_MAX; i++) {
		const struct esc_sc_stat *s = &e->tr.sc[i];
		struct json_object *ev = json_object_new_object(), *at = json_object_new_array();

		json_object_object_add(ev, "timeUnixNano", ns_str(ts));
		json_object_object_add(ev, "name", json_object_new_string("syscall"));
		json_object_array_add(at, kv("syscall.name", "stringValue",
					     tk_json_str(esc_syscall_name(s->nr, buf, sizeof(buf)))));
		json_object_array_add(at, kv_int("syscall.count", s->count));
		json_object_array_add(at, kv_int("syscall.errors", s->errors));
		json_object_array_add(at, kv_int("syscall.time_ns", s->time_ns));
		json_object_object_add(ev, "attributes", at);
		json_object_array_add(a, ev);
	}
	return a;
}

/* Build the ExportTraceServiceRequest body (malloc'd string). */
static char *otlp_body(const struct esc_event *e)
{
	struct json_object *req = json_object_new_object(), *rs = json_object_new_object();
	struct json_object *res = json_object_new_object(), *ss = json_object_new_object();
	struct json_object *scope = json_object_new_object(), *span = json_object_new_object();
	struct json_object *status = json_object_new_object(), *arr;
	uint8_t ids[24];
	char tid[33], sid[17], name[ESC_NAME_MAX + 16];
	uint64_t start = e->tr.start_real_ns, end = e->tr.end_real_ns;
	char *body;

	if (!start)
		start = end = tk_now_real_ns();
	random_id(ids, 16);
	random_id(ids + 16, 8);
	hex(tid, ids, 16);
	hex(sid, ids + 16, 8);

	arr = json_object_new_array();
	json_object_array_add(arr, kv("service.name", "stringValue", json_object_new_string("telkit")));
	json_object_object_add(res, "attributes", arr);
	json_object_object_add(rs, "resource", res);

	json_object_object_add(scope, "name", json_object_new_string("telkit.escalate-trace"));
	json_object_object_add(scope, "version", json_object_new_string(TELKIT_VERSION));
	json_object_object_add(ss, "scope", scope);

	snprintf(name, sizeof(name), "escalation: %s", e->brick);
	json_object_object_add(span, "traceId", json_object_new_string(tid));
	json_object_object_add(span, "spanId", json_object_new_string(sid));
	json_object_object_add(span, "name", tk_json_str(name));
	json_object_object_add(span, "kind", json_object_new_int(OTLP_SPAN_KIND_INTERNAL));
	json_object_object_add(span, "startTimeUnixNano", ns_str(start));
	json_object_object_add(span, "endTimeUnixNano", ns_str(end));
	json_object_object_add(span, "attributes", span_attrs(e));
	json_object_object_add(span, "events", span_events(e, end));
	json_object_object_add(status, "code", json_object_new_int(e->tr.traced ?
					OTLP_STATUS_OK : OTLP_STATUS_ERROR));
	if (!e->tr.traced)
		json_object_object_add(status, "message", tk_json_str(e->tr.error));
	json_object_object_add(span, "status", status);

	arr = json_object_new_array();
	json_object_array_add(arr, span);
	json_object_object_add(ss, "spans", arr);
	arr = json_object_new_array();
	json_object_array_add(arr, ss);
	json_object_object_add(rs, "scopeSpans", arr);
	arr = json_object_new_array();
	json_object_array_add(arr, rs);
	json_object_object_add(req, "resourceSpans", arr);

	body = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(req);
	return body;
}

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
	return sz * n;
}

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

static uint64_t retry_after_ns(CURL *c, unsigned attempt)
{
	struct curl_header *h;
	char *end;
	unsigned long s;

	if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK) {
		s = strtoul(h->value, &end, 10);
		if (end != h->value && !*end)
			return (s > OTLP_RETRY_AFTER_MAX_S ? OTLP_RETRY_AFTER_MAX_S : s) *
				TK_NSEC_PER_SEC;
	}
	return (100 * TK_NSEC_PER_MSEC) << (attempt < 8 ? attempt : 8);
}

static void send_one(struct esc_otlp *o, const char *body)
{
	for (unsigned attempt = 0;; attempt++) {
		long code = 0;
		CURLcode rc;

		curl_easy_setopt(o->curl, CURLOPT_POSTFIELDS, body);
		rc = curl_easy_perform(o->curl);
		if (rc == CURLE_OK)
			curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK && code >= 200 && code < 300) {
			__atomic_add_fetch(&o->st.sent, 1, __ATOMIC_RELAXED);
			return;
		}
		if ((rc == CURLE_OK && code != 429 && code != 502 && code != 503 && code != 504) ||
		    attempt >= o->o.retries ||
		    !backoff_wait(o, rc == CURLE_OK ? retry_after_ns(o->curl, attempt) :
				  (100 * TK_NSEC_PER_MSEC) << attempt)) {
			/* only this thread writes it; read after the join */
			if (rc == CURLE_OK)
				snprintf(o->st.last_error, sizeof(o->st.last_error), "HTTP %ld", code);
			else
				snprintf(o->st.last_error, sizeof(o->st.last_error), "%s",
					 curl_easy_strerror(rc));
			tk_info(1, "otlp: giving up: %s", o->st.last_error);
			__atomic_add_fetch(&o->st.failed, 1, __ATOMIC_RELAXED);
			return;
		}
		__atomic_add_fetch(&o->st.retried, 1, __ATOMIC_RELAXED);
	}
}

static void *sender(void *arg)
{
	struct esc_otlp *o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		char *body;

		while (!o->len && !o->stopping)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->len || (o->stopping && tk_now_mono_ns() > o->deadline))
			break;
		body = o->q[o->head];
		o->head = (o->head + 1) % o->o.queue;
		o->len--;
		pthread_mutex_unlock(&o->mu);
		send_one(o, body);
		free(body);
		pthread_mutex_lock(&o->mu);
	}
	/* past the deadline: what is left is dropped */
	while (o->len) {
		free(o->q[o->head]);
		o->head = (o->head + 1) % o->o.queue;
		o->len--;
		o->st.dropped++;
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

int esc_otlp_start(struct esc_otlp **op, const struct esc_otlp_opts *opts)
{
	struct esc_otlp *o = calloc(1, sizeof(*o));
	int err = -ENOMEM;

	if (!o)
		return -ENOMEM;
	o->o = *opts;
	o->q = calloc(opts->queue, sizeof(*o->q));
	if (!o->q || curl_global_init(CURL_GLOBAL_DEFAULT))
		goto fail;
	o->curl = curl_easy_init();
	o->hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (!o->curl || !o->hdr)
		goto fail;
	curl_easy_setopt(o->curl, CURLOPT_URL, opts->url);
	curl_easy_setopt(o->curl, CURLOPT_HTTPHEADER, o->hdr);
	curl_easy_setopt(o->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(o->curl, CURLOPT_TIMEOUT_MS, (long)(opts->timeout_ns / TK_NSEC_PER_MSEC));
	curl_easy_setopt(o->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(o->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(o->curl, CURLOPT_USERAGENT, "telkit-escalate-trace/" TELKIT_VERSION);
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	err = -pthread_create(&o->thread, NULL, sender, o);
	if (err) {
		pthread_mutex_destroy(&o->mu);
		pthread_cond_destroy(&o->cv);
		goto fail;
	}
	*op = o;
	return 0;
fail:
	if (o->curl)
		curl_easy_cleanup(o->curl);
	curl_slist_free_all(o->hdr);
	free(o->q);
	free(o);
	return err;
}

void esc_otlp_submit(struct esc_otlp *o, const struct esc_event *e)
{
	char *body = otlp_body(e);

	pthread_mutex_lock(&o->mu);
	if (!body || o->len >= o->o.queue) {
		o->st.dropped++;
		free(body);
	} else {
		o->q[(o->head + o->len) % o->o.queue] = body;
		o->len++;
		o->st.queued++;
		pthread_cond_broadcast(&o->cv);
	}
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
	curl_easy_cleanup(o->curl);
	curl_slist_free_all(o->hdr);
	curl_global_cleanup();
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o->q);
	free(o);
}
