/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* fuzz.h — small helpers shared by the fuzz harnesses. */
#ifndef TELKIT_FUZZ_H
#define TELKIT_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Invariant violated: report and abort so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} } while (0)

/* NUL-terminated copy of the input (caller frees). */
static inline char *fuzz_cstr(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
