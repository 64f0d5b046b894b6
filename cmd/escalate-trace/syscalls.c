// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscalls.c — syscall numbers to names through libaudit's tables (every
 * architecture audit knows), the native ABI or its 32-bit compat ABI
 * (ESC_SC_COMPAT), and the seed's SyscallBreakdown categories.  A number
 * libaudit does not know (a kernel newer than its tables) prints "sys_N".
 */
#include <libaudit.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "escalate.h"

static struct {
	pthread_once_t once;
	int native, compat;     /* libaudit machines; -1: none */
	unsigned max[2];
} abi = { .once = PTHREAD_ONCE_INIT };

/* The 32-bit ABI the kernel runs beside @m (its compat syscalls). */
static int compat_of(int m)
{
	switch (m) {
	case MACH_86_64: return MACH_X86;
	case MACH_AARCH64: return MACH_ARM;
	case MACH_PPC64: return MACH_PPC;
	case MACH_S390X: return MACH_S390;
	default: return -1;
	}
}

static unsigned max_of(int m)
{
	unsigned max = 0;

	for (int i = 0; m >= 0 && i < 4096; i++)
		if (audit_syscall_to_name(i, m))
			max = (unsigned)i;
	return max;
}

static void abi_init(void)
{
	abi.native = audit_detect_machine();
	abi.compat = compat_of(abi.native);
	abi.max[0] = max_of(abi.native);
	abi.max[1] = max_of(abi.compat);
}

static int machine_of(unsigned nr)
{
	pthread_once(&abi.once, abi_init);
	return nr & ESC_SC_COMPAT ? abi.compat : abi.native;
}

const char *esc_syscall_name(unsigned nr, char *buf, size_t size)
{
	int m = machine_of(nr);
	unsigned id = nr & ~ESC_SC_COMPAT;
	const char *n = m >= 0 && id <= 4096 ? audit_syscall_to_name((int)id, m) : NULL;

	if (n)
		return n;
	if (id == ESC_SC_BADID)
		return "invalid";
	snprintf(buf, size, "sys_%u", id);
	return buf;
}

const char *esc_syscall_abi(unsigned nr)
{
	int m = machine_of(nr);
	const char *n = m >= 0 ? audit_machine_to_name(m) : NULL;

	return n ? n : nr & ESC_SC_COMPAT ? "compat" : "native";
}

unsigned esc_syscall_max(bool compat)
{
	pthread_once(&abi.once, abi_init);
	return abi.max[compat];
}

static const char *const cat_names[ESC_CAT_NR] = {
	"mmap", "futex", "ioctl", "read", "write", "other",
};

const char *esc_cat_name(enum esc_cat c)
{
	return (unsigned)c < ESC_CAT_NR ? cat_names[c] : "other";
}

static const struct {
	const char *name;
	enum esc_cat cat;
} cat_map[] = {
	{ "mmap", ESC_CAT_MMAP }, { "munmap", ESC_CAT_MMAP },
	{ "mprotect", ESC_CAT_MMAP }, { "brk", ESC_CAT_MMAP },
	{ "futex", ESC_CAT_FUTEX }, { "ioctl", ESC_CAT_IOCTL },
	{ "read", ESC_CAT_READ }, { "pread64", ESC_CAT_READ }, { "readv", ESC_CAT_READ },
	{ "write", ESC_CAT_WRITE }, { "pwrite64", ESC_CAT_WRITE },
	{ "writev", ESC_CAT_WRITE },
};

enum esc_cat esc_syscall_cat(const char *name)
{
	for (size_t i = 0; i < TK_ARRAY_SIZE(cat_map); i++)
		if (!strcmp(cat_map[i].name, name))
			return cat_map[i].cat;
	return ESC_CAT_OTHER;
}
