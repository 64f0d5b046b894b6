/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_bpfwatch_sched.h — state layout of the bpfwatch test object, shared by
 * bpf/test_bpfwatch_sched.bpf.c and tests/helpers/bpfwatch_loader.c.  Shaped
 * like a scheduler's globals: nested struct, union, arrays, bool, enum,
 * signed/unsigned bitfields, an anonymous struct, widths 1/2/4/8.
 */
#ifndef TEST_BPFWATCH_SCHED_H
#define TEST_BPFWATCH_SCHED_H

enum tw_mode { TW_IDLE = 0, TW_BUSY = 1, TW_BOOST = 7 };

typedef __u64 tw_lat_t;

struct tw_lat {
	__u32 min;
	__u32 max;
	__s16 delta;
	__u8 flags;
	__s8 bias;
};

struct tw_sys_stat {
	tw_lat_t avg_lat;
	__u64 nr_sched;
	__s32 neg;
	__u16 u16v;
	__s64 s64v;
	struct tw_lat lat;
	union {
		__u32 word;
		__u8 bytes[4];
	} u;
	__u32 hist[8];
	bool enabled;
	enum tw_mode mode;
	unsigned int prio : 3, cls : 5, big : 20;
	int sfield : 4;
	struct {
		__u32 anon_a;
		__u32 anon_b;
	};
	struct tw_lat lats[2];
};

struct tw_cpu_ctx {
	__u64 nr_switch;
	__u32 util;
	__s32 slack;
};

/*
 * Value of tw_raw, a map declared with key_size/value_size only (no BTF for
 * its value), read by bpfwatch with value+OFF/TYPE.
 */
struct tw_raw {
	__u64 a;        /* offset 0 */
	__u32 cnt;      /* offset 8: the program counts here (index 3) */
	__u16 h;        /* offset 12 */
	__u8 b;         /* offset 14 */
	__s8 sb;        /* offset 15 */
	__s64 neg;      /* offset 16 */
};

/* Key of tw_hkey: a struct, which a SPEC's [KEY] cannot name. */
struct tw_hkey {
	__u32 a, b;
};

#define TW_STATS_LOCAL  0   /* like scx_simple's stats: [local, global] */
#define TW_STATS_GLOBAL 1
#define TW_ARR_N        8
#define TW_RAW_N        4

#endif
