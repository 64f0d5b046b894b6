/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cuda_api.h — the few CUDA driver API types and entry points nvme-gpu-ingest
 * uses, declared here so the build never needs CUDA headers.  Everything is
 * resolved at run time with dlopen("libcuda.so.1") + dlsym; the symbol names
 * are the versioned ones cuda.h maps its macros to (cuMemHostRegister ->
 * cuMemHostRegister_v2, ...).
 *
 * Tests load a test double instead (tests/helpers/testdouble/cudadouble.c):
 * only when CUDA_DOUBLE_ENV names it by an absolute path, and only if it
 * exports CUDA_DOUBLE_MARKER; such runs label every record "driver: test
 * double".  The library is never dlclose()d once cuInit has run (unloading
 * an initialised driver crashed other projects at exit).
 */
#ifndef NVME_GPU_INGEST_CUDA_API_H
#define NVME_GPU_INGEST_CUDA_API_H

#include <stdbool.h>
#include <stddef.h>

typedef int CUresult;                   /* CUDA_SUCCESS == 0 */
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef unsigned long long CUdeviceptr;

#define CUDA_SUCCESS                    0
#define CUDA_ERROR_NOT_READY            600
#define CU_MEMHOSTREGISTER_PORTABLE     0x01
#define CU_MEMHOSTREGISTER_DEVICEMAP    0x02
#define CU_STREAM_NON_BLOCKING          0x01
#define CU_EVENT_DISABLE_TIMING         0x02
#define CU_EVENT_DEFAULT                0x00
#define CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY 19
#define CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED 99
#define CU_DEVICE_ATTRIBUTE_PAGEABLE_MEMORY_ACCESS_USES_HOST_PAGE_TABLES 100

#define CUDA_DOUBLE_ENV    "TELKIT_TEST_CUDA_DOUBLE"
#define CUDA_DOUBLE_MARKER "telkit_cuda_test_double"

/* X(name, symbol, return, args) for every entry point we resolve. */
#define CUDA_SYMBOLS(X) \
	X(Init, "cuInit", CUresult, (unsigned)) \
	X(DeviceGetCount, "cuDeviceGetCount", CUresult, (int *)) \
	X(DeviceGet, "cuDeviceGet", CUresult, (CUdevice *, int)) \
	X(DeviceGetName, "cuDeviceGetName", CUresult, (char *, int, CUdevice)) \
	X(DeviceGetAttribute, "cuDeviceGetAttribute", CUresult, (int *, int, CUdevice)) \
	X(PrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult, (CUcontext *, CUdevice)) \
	X(PrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", CUresult, (CUdevice)) \
	X(CtxSetCurrent, "cuCtxSetCurrent", CUresult, (CUcontext)) \
	X(MemHostRegister, "cuMemHostRegister_v2", CUresult, (void *, size_t, unsigned)) \
	X(MemHostUnregister, "cuMemHostUnregister", CUresult, (void *)) \
	X(MemHostGetDevicePointer, "cuMemHostGetDevicePointer_v2", CUresult, (CUdeviceptr *, void *, unsigned)) \
	X(MemAlloc, "cuMemAlloc_v2", CUresult, (CUdeviceptr *, size_t)) \
	X(MemFree, "cuMemFree_v2", CUresult, (CUdeviceptr)) \
	X(MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", CUresult, (CUdeviceptr, const void *, size_t, CUstream)) \
	X(MemcpyDtoH, "cuMemcpyDtoH_v2", CUresult, (void *, CUdeviceptr, size_t)) \
	X(StreamCreate, "cuStreamCreate", CUresult, (CUstream *, unsigned)) \
	X(StreamDestroy, "cuStreamDestroy_v2", CUresult, (CUstream)) \
	X(EventCreate, "cuEventCreate", CUresult, (CUevent *, unsigned)) \
	X(EventRecord, "cuEventRecord", CUresult, (CUevent, CUstream)) \
	X(EventQuery, "cuEventQuery", CUresult, (CUevent)) \
	X(EventSynchronize, "cuEventSynchronize", CUresult, (CUevent)) \
	X(EventElapsedTime, "cuEventElapsedTime", CUresult, (float *, CUevent, CUevent)) \
	X(EventDestroy, "cuEventDestroy_v2", CUresult, (CUevent)) \
	X(GetErrorString, "cuGetErrorString", CUresult, (CUresult, const char **))

#define CUDA_FN_TYPE(name, sym, ret, args) typedef ret (*cu##name##_fn) args;
CUDA_SYMBOLS(CUDA_FN_TYPE)
#undef CUDA_FN_TYPE

struct cuda_api {
	void *handle;
	bool test_double;       /* CUDA_DOUBLE_ENV named the library */
#define CUDA_FN_FIELD(name, sym, ret, args) cu##name##_fn name;
	CUDA_SYMBOLS(CUDA_FN_FIELD)
#undef CUDA_FN_FIELD
};

/*
 * dlopen libcuda.so.1 (or the test double) and resolve every symbol; -errno
 * with @why set.  Nothing to undo on success: the library stays loaded.
 */
int cuda_api_load(struct cuda_api *api, char *why, size_t len);
/* cuGetErrorString's text for @r, or a fixed fallback. */
const char *cuda_api_errstr(const struct cuda_api *api, CUresult r);

#endif
