/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * otlp_int.h — the parts of the OTLP exporter, shared by its files only:
 *   otlp.c         the queue and the sender thread (public API in escalate.h)
 *   otlp_config.c  endpoints, headers, compression, timeout from the options
 *                  and the OTEL_EXPORTER_OTLP_* environment
 *   otlp_encode.c  one escalation -> OTLP/JSON request bodies, each bounded
 *   otlp_http.c    one POST (gzip, response, partial_success), Retry-After,
 *                  backoff with jitter
 * Callees return 0 or -errno and print nothing, except otlp_config(), which
 * warns about environment values it ignores (as the OTel spec asks).
 */
#ifndef ESCALATE_OTLP_INT_H
#define ESCALATE_OTLP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "escalate.h"

enum otlp_signal { OTLP_TRACES, OTLP_LOGS, OTLP_NSIG };

#define OTLP_URL_MAX 2048

struct curl_slist;
struct otlp_endpoint {
	char url[OTLP_URL_MAX];           /* "" = this signal is not sent */
	struct curl_slist *headers;       /* Content-Type (+ -Encoding) + user's */
	bool gzip;
	uint64_t timeout_ns;
};
struct otlp_conf {
	struct otlp_endpoint ep[OTLP_NSIG];
};

/*
 * Resolve each signal's endpoint: options first, then the signal's variable,
 * then the generic one (signal path appended), then the default.  -EINVAL
 * with a sentence in @err (and its fix in @fix) when the options cannot be
 * honoured; -ENOMEM.  Nothing is left allocated on an error.
 */
int otlp_config(const struct esc_otlp_opts *o, struct otlp_conf *c,
		char *err, size_t errsz, const char **fix);
void otlp_config_free(struct otlp_conf *c);

/* A request body the encoder hands over (ownership of @body passes). */
typedef int (*otlp_emit_fn)(void *ctx, enum otlp_signal sig, char *body, size_t len);
/*
 * Encode @e: one ExportTraceServiceRequest with its span, then (mode logs)
 * ExportLogsServiceRequests with one log record per syscall row, as many as
 * it takes to keep each body <= o->max_body.  A body that cannot be made
 * small enough is counted in *too_large and not emitted.  Stops at the first
 * error of @emit.  0 or -errno.
 */
int otlp_encode_event(const struct esc_event *e, const struct esc_otlp_opts *o,
		      otlp_emit_fn emit, void *ctx, uint64_t *too_large);

struct otlp_http;
struct otlp_result {
	long code;                 /* HTTP status, 0 on a transport error */
	char error[96];            /* the transport error, or "" */
	bool has_retry_after;
	uint64_t retry_after_ns;
	bool partial;              /* the body held a partialSuccess with news */
	uint64_t rejected;         /* rejectedSpans / rejectedLogRecords */
	char message[96];          /* its errorMessage */
};
int otlp_http_new(struct otlp_http **h);
void otlp_http_free(struct otlp_http *h);
/* POST @body to @ep (gzip'd if asked); fills @r.  0, or -errno (not sent). */
int otlp_http_post(struct otlp_http *h, const struct otlp_endpoint *ep, enum otlp_signal sig,
		   const char *body, size_t len, struct otlp_result *r);

/* Pure: a Retry-After value (delay-seconds or HTTP-date) at @now; -EINVAL. */
int otlp_retry_after_parse(const char *v, time_t now, uint64_t *ns);
/* Exponential backoff with jitter for retry @attempt (0-based): 100 ms * 2^n, capped, x [0.5, 1.5). */
uint64_t otlp_backoff_ns(unsigned attempt);

#endif
