// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * otlp_encode.c — one escalation as OTLP/JSON request bodies.
 *
 * The span: status left unset when the trace worked (semconv: success is
 * Unset), Error with error.type and the message when it did not.  The
 * resource is the traced process: process.pid + process.creation.time (its
 * identity) and its executable and arguments.  The per-syscall table: one
 * log record per row with event_name, correlated to the span by its trace
 * and span ids (the successor of span events), packed into as many
 * ExportLogsServiceRequests as keep each body within max_body; or, on
 * request, the old form: the top 10 rows as span events.
 * JSON rules of OTLP: hex ids, integer enums, 64-bit integers as strings.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "clock.h"
#include "otlp_int.h"
#include "output.h"

#define OTLP_SPAN_KIND_INTERNAL 1
#define OTLP_STATUS_ERROR 2
#define OTLP_EVENTS_MAX 10
#define OTLP_SCOPE "telkit.escalate-trace"
#define OTLP_EVENT_NAME "telkit.escalate_trace.syscall"
#define OTLP_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct ids {
	char trace[33], span[17];
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

static struct json_object *u64_str(uint64_t x)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, x);
	return json_object_new_string(buf);
}

static struct json_object *kv_int(const char *key, uint64_t x)
{
	return kv(key, "intValue", u64_str(x));
}

static struct json_object *kv_str(const char *key, const char *s)
{
	return kv(key, "stringValue", tk_json_str(s));
}

/* ISO 8601 UTC with milliseconds, as semconv's process.creation.time. */
static void iso8601(char *out, size_t size, uint64_t ns)
{
	time_t s = (time_t)(ns / TK_NSEC_PER_SEC);
	struct tm tm;
	char day[32];

	gmtime_r(&s, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, size, "%s.%03uZ", day, (unsigned)(ns % TK_NSEC_PER_SEC / TK_NSEC_PER_MSEC));
}

static struct json_object *resource(const struct esc_proc_id *p)
{
	struct json_object *res = json_object_new_object(), *a = json_object_new_array();
	char when[40];

	json_object_array_add(a, kv_str("service.name", "telkit"));
	if (p->valid) {
		struct json_object *args = json_object_new_array(), *av = json_object_new_object();

		json_object_array_add(a, kv_int("process.pid", (uint64_t)p->pid));
		iso8601(when, sizeof(when), p->start_real_ns);
		json_object_array_add(a, kv_str("process.creation.time", when));
		if (p->exe_name[0])
			json_object_array_add(a, kv_str("process.executable.name", p->exe_name));
		if (p->exe_path[0])
			json_object_array_add(a, kv_str("process.executable.path", p->exe_path));
		if (p->args_len)
			json_object_array_add(a, kv_str("process.command", p->args));
		for (size_t o = 0; o < p->args_len; o += strlen(p->args + o) + 1) {
			struct json_object *s = json_object_new_object();

			json_object_object_add(s, "stringValue", tk_json_str(p->args + o));
			json_object_array_add(args, s);
		}
		json_object_object_add(av, "values", args);
		if (p->args_len)
			json_object_array_add(a, kv("process.command_args", "arrayValue", av));
		else
			json_object_put(av);
	}
	json_object_object_add(res, "attributes", a);
	return res;
}

static struct json_object *scope(void)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "name", json_object_new_string(OTLP_SCOPE));
	json_object_object_add(s, "version", json_object_new_string(TELKIT_VERSION));
	return s;
}

/* semconv error.type: a low-cardinality class of why the trace did not run. */
static const char *error_type(const struct esc_event *e)
{
	if (e->tr.pid <= 0)
		return "no_target";
	if (e->tr.pid_reused)
		return "pid_reused";
	return "trace_failed";
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
	json_object_array_add(a, kv("escalation.cv", "doubleValue", tk_json_dbl(e->v.cv)));
	if (!e->tr.traced)
		json_object_array_add(a, kv_str("error.type", error_type(e)));
	return a;
}

/* One syscall row's attributes (log record or span event). */
static struct json_object *row_attrs(const struct esc_sc_stat *s)
{
	struct json_object *at = json_object_new_array();
	char buf[32];

	json_object_array_add(at, kv_str("syscall.name", esc_syscall_name(s->nr, buf, sizeof(buf))));
	json_object_array_add(at, kv_int("syscall.nr", s->nr));
	json_object_array_add(at, kv_int("syscall.count", s->count));
	json_object_array_add(at, kv_int("syscall.errors", s->errors));
	json_object_array_add(at, kv_int("syscall.time_ns", s->time_ns));
	return at;
}

/* The old form: top syscalls as span events named "syscall". */
static struct json_object *span_events(const struct esc_event *e, uint64_t ts)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < e->tr.nsc && i < OTLP_EVENTS_MAX; i++) {
		struct json_object *ev = json_object_new_object();

		json_object_object_add(ev, "timeUnixNano", u64_str(ts));
		json_object_object_add(ev, "name", json_object_new_string("syscall"));
		json_object_object_add(ev, "attributes", row_attrs(&e->tr.sc[i]));
		json_object_array_add(a, ev);
	}
	return a;
}

/* {"resourceX":[{"resource":…,"scopeX":[{"scope":…,"ITEMS":[@item]}]}]} */
static struct json_object *envelope(const struct esc_event *e, const char *rkey, const char *skey,
				    const char *ikey, struct json_object *item)
{
	struct json_object *req = json_object_new_object(), *r = json_object_new_object();
	struct json_object *s = json_object_new_object(), *arr;

	json_object_object_add(r, "resource", resource(&e->proc));
	json_object_object_add(s, "scope", scope());
	arr = json_object_new_array();
	if (item)
		json_object_array_add(arr, item);
	json_object_object_add(s, ikey, arr);
	arr = json_object_new_array();
	json_object_array_add(arr, s);
	json_object_object_add(r, skey, arr);
	arr = json_object_new_array();
	json_object_array_add(arr, r);
	json_object_object_add(req, rkey, arr);
	return req;
}

static struct json_object *span(const struct esc_event *e, const struct ids *id,
				uint64_t start, uint64_t end, bool events)
{
	struct json_object *sp = json_object_new_object(), *status;
	char name[ESC_NAME_MAX + 16];

	snprintf(name, sizeof(name), "escalation: %s", e->brick);
	json_object_object_add(sp, "traceId", json_object_new_string(id->trace));
	json_object_object_add(sp, "spanId", json_object_new_string(id->span));
	json_object_object_add(sp, "name", tk_json_str(name));
	json_object_object_add(sp, "kind", json_object_new_int(OTLP_SPAN_KIND_INTERNAL));
	json_object_object_add(sp, "startTimeUnixNano", u64_str(start));
	json_object_object_add(sp, "endTimeUnixNano", u64_str(end));
	json_object_object_add(sp, "attributes", span_attrs(e));
	if (events)
		json_object_object_add(sp, "events", span_events(e, end));
	if (!e->tr.traced) {
		status = json_object_new_object();
		json_object_object_add(status, "code", json_object_new_int(OTLP_STATUS_ERROR));
		json_object_object_add(status, "message", tk_json_str(e->tr.error));
		json_object_object_add(sp, "status", status);
	}
	return sp;
}

static struct json_object *log_record(const struct esc_sc_stat *s, const struct ids *id,
				      uint64_t ts, uint64_t observed)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "timeUnixNano", u64_str(ts));
	json_object_object_add(r, "observedTimeUnixNano", u64_str(observed));
	json_object_object_add(r, "eventName", json_object_new_string(OTLP_EVENT_NAME));
	json_object_object_add(r, "traceId", json_object_new_string(id->trace));
	json_object_object_add(r, "spanId", json_object_new_string(id->span));
	json_object_object_add(r, "attributes", row_attrs(s));
	return r;
}

static char *dup_json(struct json_object *o, size_t *len)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o, OTLP_JSON_FLAGS, &n);
	char *d = s ? malloc(n + 1) : NULL;

	if (d) {
		memcpy(d, s, n + 1);
		*len = n;
	}
	return d;
}

/* Body = head + records[a..b) joined by ',' + tail. */
static char *pack(const char *head, size_t hl, const char *tail, size_t tl,
		  char **rec, const size_t *rl, size_t a, size_t b, size_t *len)
{
	size_t n = hl + tl + (b - a), o = hl;
	char *body;

	for (size_t i = a; i < b; i++)
		n += rl[i];
	body = malloc(n + 1);
	if (!body)
		return NULL;
	memcpy(body, head, hl);
	for (size_t i = a; i < b; i++) {
		if (i > a)
			body[o++] = ',';
		memcpy(body + o, rec[i], rl[i]);
		o += rl[i];
	}
	memcpy(body + o, tail, tl);
	o += tl;
	body[o] = '\0';
	*len = o;
	return body;
}

/* Split the empty envelope at its "logRecords":[] (the last one: keys are ours). */
static int split_envelope(const char *env, size_t n, size_t *head_len, const char **tail)
{
	static const char mark[] = "\"logRecords\":[";
	const char *p = NULL, *q = env;

	while ((q = memmem(q, n - (size_t)(q - env), mark, sizeof(mark) - 1))) {
		p = q;
		q++;
	}
	if (!p || p[sizeof(mark) - 1] != ']')
		return -EINVAL;
	*head_len = (size_t)(p - env) + sizeof(mark) - 1;
	*tail = p + sizeof(mark) - 1;
	return 0;
}

static int encode_logs(const struct esc_event *e, const struct ids *id, uint64_t ts,
		       size_t max, otlp_emit_fn emit, void *ctx, uint64_t *too_large)
{
	struct json_object *env = envelope(e, "resourceLogs", "scopeLogs", "logRecords", NULL);
	size_t n = e->tr.nsc, envlen = 0, hl, a = 0, *rl = calloc(n ? n : 1, sizeof(*rl));
	char **rec = calloc(n ? n : 1, sizeof(*rec)), *envs = dup_json(env, &envlen);
	uint64_t now = tk_now_real_ns();
	const char *tail;
	int err = -ENOMEM;

	json_object_put(env);
	if (!rl || !rec || !envs)
		goto out;
	err = split_envelope(envs, envlen, &hl, &tail);
	for (size_t i = 0; !err && i < n; i++) {
		struct json_object *r = log_record(&e->tr.sc[i], id, ts, now);

		rec[i] = dup_json(r, &rl[i]);
		json_object_put(r);
		if (!rec[i])
			err = -ENOMEM;
	}
	while (!err && a < n) {
		size_t b = a, size = envlen, blen;
		char *body;

		while (b < n && size + rl[b] + (b > a) <= max)
			size += rl[b] + (b > a), b++;
		if (b == a) {      /* this one record alone is too big */
			(*too_large)++;
			a++;
			continue;
		}
		body = pack(envs, hl, tail, envlen - hl, rec, rl, a, b, &blen);
		err = body ? emit(ctx, OTLP_LOGS, body, blen) : -ENOMEM;
		a = b;
	}
out:
	for (size_t i = 0; rec && i < n; i++)
		free(rec[i]);
	free(rec);
	free(rl);
	free(envs);
	return err;
}

int otlp_encode_event(const struct esc_event *e, const struct esc_otlp_opts *o,
		      otlp_emit_fn emit, void *ctx, uint64_t *too_large)
{
	uint64_t start = e->tr.start_real_ns, end = e->tr.end_real_ns;
	struct json_object *req;
	uint8_t raw[24];
	struct ids id;
	size_t len = 0;
	char *body;
	int err;

	if (!start)
		start = end = tk_now_real_ns();
	random_id(raw, 16);
	random_id(raw + 16, 8);
	hex(id.trace, raw, 16);
	hex(id.span, raw + 16, 8);

	req = envelope(e, "resourceSpans", "scopeSpans", "spans",
		       span(e, &id, start, end, o->syscalls == ESC_OTLP_SC_SPAN_EVENTS));
	body = dup_json(req, &len);
	json_object_put(req);
	if (!body)
		return -ENOMEM;
	if (len > o->max_body) {
		(*too_large)++;
		free(body);
	} else {
		err = emit(ctx, OTLP_TRACES, body, len);
		if (err)
			return err;
	}
	if (o->syscalls != ESC_OTLP_SC_LOGS || !e->tr.nsc)
		return 0;
	return encode_logs(e, &id, end, o->max_body, emit, ctx, too_large);
}
