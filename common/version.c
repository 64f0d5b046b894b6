// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The build's version: the Makefile compiles this file alone with TELKIT_BUILD. */
#include "version.h"

#ifndef TELKIT_BUILD
#define TELKIT_BUILD TELKIT_VERSION
#endif

const char tk_build_version[] = TELKIT_BUILD;
