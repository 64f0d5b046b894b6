// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cuda_api.c — load the CUDA driver library (or, for tests only, the test
 * double an environment variable names) and resolve its entry points.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_api.h"

/* The library to open: libcuda.so.1, or the double by absolute path. */
static const char *library(struct cuda_api *api, char *why, size_t len)
{
	const char *d = getenv(CUDA_DOUBLE_ENV);

	if (!d || !*d)
		return "libcuda.so.1";
	if (d[0] != '/') {
		snprintf(why, len, "%s must be an absolute path", CUDA_DOUBLE_ENV);
		return NULL;
	}
	api->test_double = true;
	return d;
}

int cuda_api_load(struct cuda_api *api, char *why, size_t len)
{
	const char *lib;

	memset(api, 0, sizeof(*api));
	lib = library(api, why, len);
	if (!lib)
		return -EINVAL;
	api->handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!api->handle) {
		const char *e = dlerror();

		snprintf(why, len, "%s cannot be loaded (%s)", lib, e ? e : "not found");
		return -ENOENT;
	}
	if (api->test_double && !dlsym(api->handle, CUDA_DOUBLE_MARKER)) {
		snprintf(why, len, "%s=%s is not telkit's CUDA test double", CUDA_DOUBLE_ENV, lib);
		goto unload;
	}
#define CUDA_RESOLVE(name, sym, ret, args)                                      \
	api->name = (cu##name##_fn)dlsym(api->handle, sym);                     \
	if (!api->name) {                                                       \
		snprintf(why, len, "%s lacks %s (driver too old)", lib, sym);   \
		goto unload;                                                    \
	}
	CUDA_SYMBOLS(CUDA_RESOLVE)
#undef CUDA_RESOLVE
	return 0;
unload:
	/* cuInit has not run: unloading is still safe here, and only here. */
	dlclose(api->handle);
	memset(api, 0, sizeof(*api));
	return -ENOSYS;
}

const char *cuda_api_errstr(const struct cuda_api *api, CUresult r)
{
	const char *s = NULL;

	if (api->GetErrorString && api->GetErrorString(r, &s) == CUDA_SUCCESS && s)
		return s;
	return "unknown CUDA error";
}
