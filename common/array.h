/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * array.h — the number of elements of an array, util-linux's ARRAY_SIZE.
 * Given a pointer instead of an array it does not compile (the bit-field
 * width goes negative), so it never silently divides a pointer's size.
 * An integer constant expression of type size_t.
 */
#ifndef TELKIT_ARRAY_H
#define TELKIT_ARRAY_H

#include <stddef.h>

#define TK_MUST_BE_ARRAY(a) \
	(0 * sizeof(struct { int : -!!__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])); }))
#define TK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + TK_MUST_BE_ARRAY(a))

#endif
