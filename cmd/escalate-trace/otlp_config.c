// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * otlp_config.c — each signal's endpoint, headers, compression and timeout,
 * by the OTLP exporter spec's rules: an option wins; then the signal's
 * OTEL_EXPORTER_OTLP_{TRACES,LOGS}_* variable (an endpoint used as is);
 * then the generic OTEL_EXPORTER_OTLP_* one (v1/traces or v1/logs appended
 * to the endpoint); then the default (http://localhost:4318, no
 * compression, 2 s).  Header lists are key=value,... with percent-encoded
 * values (W3C Baggage form); an environment value that cannot be used is
 * ignored with a warning.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "clock.h"
#include "errors.h"
#include "otlp_int.h"
#include "parse.h"

#define OTLP_DEFAULT_BASE "http://localhost:4318"
#define OTLP_DEFAULT_TIMEOUT_NS (2 * TK_NSEC_PER_SEC)
#define OTLP_HEADER_MAX 1024

static const char *const sig_env[OTLP_NSIG] = { "TRACES", "LOGS" };
static const char *const sig_path[OTLP_NSIG] = { "v1/traces", "v1/logs" };

/* The signal's variable if set and not empty, else the generic one; NULL. */
static const char *env_get(enum otlp_signal s, const char *what, char *name, size_t size)
{
	const char *v;

	snprintf(name, size, "OTEL_EXPORTER_OTLP_%s_%s", sig_env[s], what);
	v = getenv(name);
	if (v && *v)
		return v;
	snprintf(name, size, "OTEL_EXPORTER_OTLP_%s", what);
	v = getenv(name);
	return v && *v ? v : NULL;
}

static bool http_url(const char *u)
{
	return (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) &&
	       strlen(u) < OTLP_URL_MAX - 16 && !strpbrk(u, " \t\r\n");
}

bool esc_otlp_wanted(const struct esc_otlp_opts *o)
{
	const char *a = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	const char *b = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");

	return o->url || (a && *a) || (b && *b);
}

/* @base + "/" + path, without doubling the slash. */
static void join(char *out, const char *base, const char *path)
{
	size_t n = strlen(base);

	snprintf(out, OTLP_URL_MAX, "%s%s%s", base, n && base[n - 1] == '/' ? "" : "/", path);
}

static void endpoint_url(const struct esc_otlp_opts *o, enum otlp_signal s, char *out)
{
	const char *opt = s == OTLP_TRACES ? o->url : o->logs_url, *v, *t;
	char name[64];

	if (opt) {
		snprintf(out, OTLP_URL_MAX, "%s", opt);
		return;
	}
	snprintf(name, sizeof(name), "OTEL_EXPORTER_OTLP_%s_ENDPOINT", sig_env[s]);
	v = getenv(name);
	if (v && *v) {
		if (http_url(v)) {
			snprintf(out, OTLP_URL_MAX, "%s", v);
			return;
		}
		tk_warn("%s '%.64s': not an http(s) URL, ignored", name, v);
	}
	/* logs beside --otlp's traces when it names the standard path */
	t = o->url;
	if (s == OTLP_LOGS && t && strlen(t) > 10 && !strcmp(t + strlen(t) - 10, "/v1/traces")) {
		snprintf(out, OTLP_URL_MAX, "%.*s/v1/logs", (int)(strlen(t) - 10), t);
		return;
	}
	v = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	if (v && *v) {
		if (http_url(v)) {
			join(out, v, sig_path[s]);
			return;
		}
		tk_warn("OTEL_EXPORTER_OTLP_ENDPOINT '%.64s': not an http(s) URL, ignored", v);
	}
	if (s == OTLP_LOGS && t) {
		out[0] = '\0';  /* --otlp elsewhere and nothing names a logs endpoint */
		return;
	}
	join(out, OTLP_DEFAULT_BASE, sig_path[s]);
}

static bool tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/*
 * One "key=value" (@len bytes) into "Key: value" in @out; with @decode the
 * value is percent-decoded.  OWS around both is trimmed.  -EINVAL.
 */
static int header_line(const char *kv, size_t len, bool decode, char *out, size_t size)
{
	const char *eq = memchr(kv, '=', len), *end = kv + len, *k = kv, *ke, *v;
	size_t o;

	if (!eq)
		return -EINVAL;
	while (k < eq && (*k == ' ' || *k == '\t'))
		k++;
	ke = eq;
	while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
		ke--;
	if (ke == k || (size_t)(ke - k) + 3 >= size)
		return -EINVAL;
	for (const char *p = k; p < ke; p++)
		if (!tchar((unsigned char)*p))
			return -EINVAL;
	if ((ke - k == 12 && !strncasecmp(k, "content-type", 12)) ||
	    (ke - k == 16 && !strncasecmp(k, "content-encoding", 16)) ||
	    (ke - k == 14 && !strncasecmp(k, "content-length", 14)))
		return -EINVAL;  /* ours to set */
	o = (size_t)snprintf(out, size, "%.*s: ", (int)(ke - k), k);
	v = eq + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (; v < end; v++) {
		int c = (unsigned char)*v;

		if (decode && c == '%') {
			if (end - v < 3 || hexval(v[1]) < 0 || hexval(v[2]) < 0)
				return -EINVAL;
			c = hexval(v[1]) * 16 + hexval(v[2]);
			v += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= size)
			return -EINVAL;  /* no CR/LF/NUL smuggled into the request */
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int esc_otlp_header_check(const char *kv)
{
	char line[OTLP_HEADER_MAX];

	return header_line(kv, strlen(kv), false, line, sizeof(line));
}

/* Add @line unless a header of the same name is already there (first wins). */
static int add_header(struct curl_slist **l, const char *line)
{
	size_t n = strcspn(line, ":");
	struct curl_slist *p, *nl;

	for (p = *l; p; p = p->next)
		if (!strncasecmp(p->data, line, n) && p->data[n] == ':')
			return 0;
	nl = curl_slist_append(*l, line);
	if (!nl)
		return -ENOMEM;
	*l = nl;
	return 0;
}

static int headers(const struct esc_otlp_opts *o, enum otlp_signal s, struct otlp_endpoint *ep)
{
	char name[64], line[OTLP_HEADER_MAX];
	const char *env = env_get(s, "HEADERS", name, sizeof(name)), *p;
	int err = add_header(&ep->headers, "Content-Type: application/json");

	if (!err && ep->gzip)
		err = add_header(&ep->headers, "Content-Encoding: gzip");
	/* no "Expect: 100-continue" round trip before large bodies */
	if (!err)
		err = add_header(&ep->headers, "Expect:");
	for (unsigned i = 0; !err && i < o->nheaders; i++)
		err = header_line(o->headers[i], strlen(o->headers[i]), false, line, sizeof(line)) ?
		      -EINVAL : add_header(&ep->headers, line);
	for (p = env; !err && p && *p; ) {
		size_t n = strcspn(p, ",");

		if (n && header_line(p, n, true, line, sizeof(line)))
			tk_warn("%s: '%.*s' is not key=value with a percent-encoded value, ignored",
				name, (int)(n > 40 ? 40 : n), p);
		else if (n)
			err = add_header(&ep->headers, line);
		p += n + (p[n] == ',');
	}
	return err;
}

static bool compression(const struct esc_otlp_opts *o, enum otlp_signal s)
{
	char name[64];
	const char *v;

	if (o->compression >= 0)
		return o->compression == 1;
	v = env_get(s, "COMPRESSION", name, sizeof(name));
	if (!v || !strcmp(v, "none"))
		return false;
	if (!strcmp(v, "gzip"))
		return true;
	tk_warn("%s '%.32s': not gzip or none, ignored", name, v);
	return false;
}

static uint64_t timeout_ns(const struct esc_otlp_opts *o, enum otlp_signal s)
{
	char name[64];
	const char *v;
	uint64_t ms;

	if (o->timeout_ns)
		return o->timeout_ns;
	v = env_get(s, "TIMEOUT", name, sizeof(name));
	if (!v)
		return OTLP_DEFAULT_TIMEOUT_NS;
	if (!tk_parse_u64(v, 1, 3600 * 1000, &ms))
		return ms * TK_NSEC_PER_MSEC;
	tk_warn("%s '%.32s': not a number of milliseconds (1..3600000), ignored", name, v);
	return OTLP_DEFAULT_TIMEOUT_NS;
}

static void check_protocol(void)
{
	static const char *const names[] = {
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);

		if (v && *v && strcmp(v, "http/json"))
			tk_warn("%s '%.32s': escalate-trace sends http/json only", names[i], v);
	}
}

int otlp_config(const struct esc_otlp_opts *o, struct otlp_conf *c,
		char *err, size_t errsz, const char **fix)
{
	memset(c, 0, sizeof(*c));
	check_protocol();
	for (int s = 0; s < OTLP_NSIG; s++) {
		struct otlp_endpoint *ep = &c->ep[s];

		if (s == OTLP_LOGS && o->syscalls != ESC_OTLP_SC_LOGS)
			continue;
		endpoint_url(o, s, ep->url);
		if (!ep->url[0]) {
			snprintf(err, errsz, "--otlp '%.64s' does not end in /v1/traces and no "
				 "logs endpoint is named", o->url);
			*fix = "give --otlp-logs URL (or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT), "
			       "or --otlp-syscalls span-events";
			otlp_config_free(c);
			return -EINVAL;
		}
		ep->gzip = compression(o, s);
		ep->timeout_ns = timeout_ns(o, s);
		if (headers(o, s, ep)) {
			otlp_config_free(c);
			snprintf(err, errsz, "out of memory");
			*fix = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

void otlp_config_free(struct otlp_conf *c)
{
	for (int s = 0; s < OTLP_NSIG; s++) {
		curl_slist_free_all(c->ep[s].headers);
		c->ep[s].headers = NULL;
	}
}
