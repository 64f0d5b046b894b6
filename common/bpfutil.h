/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bpfutil.h — BPF object helpers shared by progstats, bpfwatch, escalate-trace.
 *
 * Iteration follows bpftool: GET_NEXT_ID -> GET_FD_BY_ID -> OBJ_GET_INFO_BY_FD
 * -> close.  An object that vanishes between two steps (ENOENT) is skipped,
 * never fatal.  All functions return 0 or a negative errno.
 */
#ifndef TELKIT_BPFUTIL_H
#define TELKIT_BPFUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

/* Raise RLIMIT_MEMLOCK to infinity (kernels < 5.11 charge BPF memory to it). */
int tk_bump_memlock(void);

/* Silence libbpf's own stderr prints unless @verbose (>=1 warnings, >=2 debug). */
void tk_libbpf_quiet(int verbose);

/*
 * Called for each live program/map with its info and an fd that is valid only
 * during the call.  Return 0 to continue, non-zero to stop the walk (that value
 * is returned by the walk).
 */
typedef int (*tk_prog_cb)(int fd, const struct bpf_prog_info *info, void *ctx);
typedef int (*tk_map_cb)(int fd, const struct bpf_map_info *info, void *ctx);
int tk_prog_foreach(tk_prog_cb cb, void *ctx);
int tk_map_foreach(tk_map_cb cb, void *ctx);

/*
 * The same walks over ids alone (GET_NEXT_ID only: no fd is opened, no info
 * fetched), for callers that keep what they learnt about an id between walks.
 * Same return convention as above.
 */
typedef int (*tk_id_cb)(uint32_t id, void *ctx);
int tk_prog_id_foreach(tk_id_cb cb, void *ctx);
int tk_map_id_foreach(tk_id_cb cb, void *ctx);

/* Program type name as bpftool prints it ("tracing", "kprobe"); "unknown:N" otherwise. */
const char *tk_prog_type_name(unsigned type, char *buf, size_t size);
/* Map type name ("array", "percpu_array"), same convention. */
const char *tk_map_type_name(unsigned type, char *buf, size_t size);

/*
 * Full program name: the kernel keeps 15 bytes; when the name fills them and
 * the program has BTF, the name of its first func_info entry is used instead
 * (bpftool's rule).  Falls back to the kernel name.  @out always terminated.
 */
void tk_prog_full_name(int fd, const struct bpf_prog_info *info, char *out, size_t size);

/* Kernel BTF of object @id (caller frees with btf__free). NULL + errno. */
struct btf *tk_btf_load_by_id(uint32_t id);

/* "ab12..." lowercase hex of an 8-byte program tag; @out >= 17 bytes. */
void tk_prog_tag_hex(const uint8_t tag[8], char *out);

#endif
