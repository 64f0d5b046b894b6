/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* test_bpfwatch_alt.h — the changed .bss layout of bpf/test_bpfwatch_alt.bpf.c. */
#ifndef TEST_BPFWATCH_ALT_H
#define TEST_BPFWATCH_ALT_H

#include "test_bpfwatch_sched.h"

struct tw_sys_stat_v2 {
	__u32 version;
	__u32 hist[8];
	tw_lat_t avg_lat;
};

#endif
