/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * version.h — the version --version prints: TELKIT_VERSION ("0.1.0"), and
 * "0.1.0 (git DESCRIBE)" when built from a git checkout (`git describe
 * --tags --always --dirty` at build time; see the Makefile).
 */
#ifndef TELKIT_VERSION_H
#define TELKIT_VERSION_H

extern const char tk_build_version[];

#endif
