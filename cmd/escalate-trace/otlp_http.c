// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * otlp_http.c — one OTLP/HTTP POST with libcurl: the body gzip'd with zlib
 * when asked, the response body kept (bounded) and read for
 * partialSuccess, Retry-After read as delay-seconds or an HTTP-date
 * (curl_getdate), and the backoff between attempts (exponential, with
 * jitter) for the sender to sleep.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <zlib.h>

#include "clock.h"
#include "otlp_int.h"
#include "parse.h"

#define OTLP_RESPONSE_MAX (64 << 10)
#define OTLP_RETRY_AFTER_MAX_S 30
#define OTLP_BACKOFF_BASE_NS (100 * TK_NSEC_PER_MSEC)
#define OTLP_BACKOFF_MAX_NS (5 * TK_NSEC_PER_SEC)

struct otlp_http {
	CURL *curl;
	char resp[OTLP_RESPONSE_MAX];
	size_t resp_len;
	unsigned char *gz;
	size_t gz_cap;
};

static size_t keep(char *p, size_t sz, size_t n, void *u)
{
	struct otlp_http *h = u;
	size_t len = sz * n, room = sizeof(h->resp) - 1 - h->resp_len;

	memcpy(h->resp + h->resp_len, p, len < room ? len : room);
	h->resp_len += len < room ? len : room;
	return len;  /* the rest is read and dropped */
}

int otlp_http_new(struct otlp_http **hp)
{
	struct otlp_http *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return -ENOMEM;
	}
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "telkit-escalate-trace/" TELKIT_VERSION);
	*hp = h;
	return 0;
}

void otlp_http_free(struct otlp_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h->gz);
	free(h);
}

/* gzip @len bytes of @in into h->gz; returns the length or -errno. */
static ssize_t gzip(struct otlp_http *h, const char *in, size_t len)
{
	z_stream z = { 0 };
	size_t cap = deflateBound(&z, len) + 64;
	int rc;

	if (cap > h->gz_cap) {
		unsigned char *p = realloc(h->gz, cap);

		if (!p)
			return -ENOMEM;
		h->gz = p;
		h->gz_cap = cap;
	}
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -ENOMEM;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = h->gz;
	z.avail_out = (uInt)h->gz_cap;
	rc = deflate(&z, Z_FINISH);
	len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? (ssize_t)len : -EIO;
}

static uint64_t json_u64(struct json_object *o, const char *key)
{
	struct json_object *v;
	uint64_t x = 0;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return tk_parse_u64(json_object_get_string(v), 0, UINT64_MAX, &x) ? 0 : x;
	if (json_object_is_type(v, json_type_int))
		return json_object_get_uint64(v);
	return 0;
}

/* The Export*ServiceResponse's partialSuccess (proto JSON names either case). */
static void read_partial(struct otlp_http *h, enum otlp_signal sig, struct otlp_result *r)
{
	struct json_object *root, *ps, *msg;
	const char *key = sig == OTLP_TRACES ? "rejectedSpans" : "rejectedLogRecords";
	const char *key2 = sig == OTLP_TRACES ? "rejected_spans" : "rejected_log_records";

	h->resp[h->resp_len] = '\0';
	root = json_tokener_parse(h->resp);
	if (!root)
		return;
	if ((json_object_object_get_ex(root, "partialSuccess", &ps) ||
	     json_object_object_get_ex(root, "partial_success", &ps)) &&
	    json_object_is_type(ps, json_type_object)) {
		r->rejected = json_u64(ps, key) + json_u64(ps, key2);
		if ((json_object_object_get_ex(ps, "errorMessage", &msg) ||
		     json_object_object_get_ex(ps, "error_message", &msg)) &&
		    json_object_is_type(msg, json_type_string))
			snprintf(r->message, sizeof(r->message), "%s", json_object_get_string(msg));
		/* an empty partialSuccess means full success */
		r->partial = r->rejected || r->message[0];
	}
	json_object_put(root);
}

int otlp_http_post(struct otlp_http *h, const struct otlp_endpoint *ep, enum otlp_signal sig,
		   const char *body, size_t len, struct otlp_result *r)
{
	struct curl_header *hd;
	const char *data = body;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (ep->gzip) {
		ssize_t n = gzip(h, body, len);

		if (n < 0)
			return (int)n;
		data = (const char *)h->gz;
		len = (size_t)n;
	}
	h->resp_len = 0;
	curl_easy_setopt(h->curl, CURLOPT_URL, ep->url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, ep->headers);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)(ep->timeout_ns / TK_NSEC_PER_MSEC));
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, data);
	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->code);
	if (curl_easy_header(h->curl, "Retry-After", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK &&
	    !otlp_retry_after_parse(hd->value, time(NULL), &r->retry_after_ns))
		r->has_retry_after = true;
	if (r->code >= 200 && r->code < 300)
		read_partial(h, sig, r);
	return 0;
}

int otlp_retry_after_parse(const char *v, time_t now, uint64_t *ns)
{
	uint64_t s;
	time_t t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		if (tk_parse_u64(v, 0, UINT64_MAX, &s))
			return -EINVAL;
	} else {
		t = curl_getdate(v, NULL);
		if (t == -1)
			return -EINVAL;
		s = t > now ? (uint64_t)(t - now) : 0;
	}
	*ns = (s > OTLP_RETRY_AFTER_MAX_S ? OTLP_RETRY_AFTER_MAX_S : s) * TK_NSEC_PER_SEC;
	return 0;
}

uint64_t otlp_backoff_ns(unsigned attempt)
{
	uint64_t d = OTLP_BACKOFF_BASE_NS << (attempt < 6 ? attempt : 6);
	uint32_t r;

	if (d > OTLP_BACKOFF_MAX_NS)
		d = OTLP_BACKOFF_MAX_NS;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)tk_now_mono_ns();
	/* d * [0.5, 1.5) */
	return d / 2 + (uint64_t)((double)d * ((double)r / 4294967296.0));
}
