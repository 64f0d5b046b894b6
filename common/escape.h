/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * escape.h — making hostile strings safe for each output format.
 *
 * All functions write a NUL-terminated result into @dst of @size bytes,
 * truncating safely (never splitting an escape sequence), and return the
 * length the full result would need (like snprintf), so callers can detect
 * truncation.  @size may be 0.
 */
#ifndef TELKIT_ESCAPE_H
#define TELKIT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy @src replacing every invalid UTF-8 sequence (overlongs, surrogates,
 * > U+10FFFF, truncated sequences) with U+FFFD.  Result is valid UTF-8.
 */
size_t tk_utf8_sanitize(char *dst, size_t size, const char *src);

/* True when @s is valid UTF-8. */
bool tk_utf8_valid(const char *s);

/*
 * Text (key=value) form: printable ASCII and valid UTF-8 pass through;
 * control bytes, DEL and invalid bytes become \xNN; backslash becomes \\.
 * When the value is empty or holds space, '"', '=' or '\'', it is wrapped in
 * double quotes with '"' escaped as \".
 */
size_t tk_escape_text(char *dst, size_t size, const char *src);

/* As tk_escape_text() but never quotes (table cells, messages). */
size_t tk_escape_visible(char *dst, size_t size, const char *src);

/* Prometheus label value: \ -> \\, " -> \", newline -> \n; invalid UTF-8 -> U+FFFD. */
size_t tk_escape_prom_label(char *dst, size_t size, const char *src);

/*
 * Prometheus metric/label name: [a-zA-Z_:][a-zA-Z0-9_:]*; every other byte
 * becomes '_', and a leading digit gets a '_' prefix.  Empty input -> "_".
 */
size_t tk_prom_name(char *dst, size_t size, const char *src);

#endif
