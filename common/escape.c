// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "escape.h"

/* Length of the valid UTF-8 sequence at @s, or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf; /* <= U+10FFFF */

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

bool tk_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_seq_len(p);

		if (!n)
			return false;
		p += n;
	}
	return true;
}

/* Output buffer that never splits a piece and always stays terminated. */
struct obuf {
	char *dst;
	size_t size, len;
	bool full;
};

static void put(struct obuf *o, const char *piece, size_t n)
{
	if (!o->full && o->len + n < o->size) {
		memcpy(o->dst + o->len, piece, n);
		o->dst[o->len + n] = '\0';
	} else {
		o->full = true; /* later pieces are only counted */
	}
	o->len += n;
}

static void obuf_init(struct obuf *o, char *dst, size_t size)
{
	o->dst = dst;
	o->size = size;
	o->len = 0;
	o->full = false;
	if (size)
		dst[0] = '\0';
}

static const char REPLACEMENT[] = "\xef\xbf\xbd";

size_t tk_utf8_sanitize(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	struct obuf o;

	obuf_init(&o, dst, size);
	while (*p) {
		size_t n = utf8_seq_len(p);

		if (n) {
			put(&o, (const char *)p, n);
			p += n;
		} else {
			put(&o, REPLACEMENT, 3);
			p++;
		}
	}
	return o.len;
}

static void put_hex(struct obuf *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char b[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	put(o, b, 4);
}

static size_t escape_text(char *dst, size_t size, const char *src, bool quote)
{
	const unsigned char *p = (const unsigned char *)src;
	struct obuf o;

	obuf_init(&o, dst, size);
	if (quote)
		put(&o, "\"", 1);
	while (*p) {
		size_t n = utf8_seq_len(p);

		if (*p == '\\') {
			put(&o, "\\\\", 2);
		} else if (quote && *p == '"') {
			put(&o, "\\\"", 2);
		} else if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
			put_hex(&o, *p);
		} else if (n == 0) {
			put_hex(&o, *p);
			n = 1;
		} else {
			put(&o, (const char *)p, n);
		}
		p += n ? n : 1;
	}
	if (quote)
		put(&o, "\"", 1);
	return o.len;
}

size_t tk_escape_text(char *dst, size_t size, const char *src)
{
	return escape_text(dst, size, src, !*src || strpbrk(src, " \"='") != NULL);
}

size_t tk_escape_visible(char *dst, size_t size, const char *src)
{
	return escape_text(dst, size, src, false);
}

size_t tk_escape_prom_label(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	struct obuf o;

	obuf_init(&o, dst, size);
	while (*p) {
		size_t n = utf8_seq_len(p);

		if (*p == '\\')
			put(&o, "\\\\", 2);
		else if (*p == '"')
			put(&o, "\\\"", 2);
		else if (*p == '\n')
			put(&o, "\\n", 2);
		else if (n == 0)
			put(&o, REPLACEMENT, 3);
		else
			put(&o, (const char *)p, n);
		p += n ? n : 1;
	}
	return o.len;
}

static bool name_char(unsigned char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')
		return true;
	return !first && c >= '0' && c <= '9';
}

size_t tk_prom_name(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	struct obuf o;

	obuf_init(&o, dst, size);
	if (!*p)
		put(&o, "_", 1);
	else if (*p >= '0' && *p <= '9')
		put(&o, "_", 1);
	for (; *p; p++) {
		char c = name_char(*p, o.len == 0) ? (char)*p : '_';

		put(&o, &c, 1);
	}
	return o.len;
}
