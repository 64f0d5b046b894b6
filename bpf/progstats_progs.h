/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * progstats_progs.h — record written by progstats_progs.bpf.c (iter/bpf_prog)
 * for every loaded program: what OBJ_GET_INFO_BY_FD would say about its
 * identity and run-time counters, one fixed-size record per program, so a
 * whole pass is a few read()s.  Shared by the BPF side and cmd/progstats/iter.c.
 */
#ifndef PROGSTATS_PROGS_H
#define PROGSTATS_PROGS_H

#define PROGSTATS_NAME_LEN 16
#define PROGSTATS_MAX_CPUS 1024

/* flags */
#define PROGSTATS_REC_STATS_ERR 1   /* a per-CPU counter read failed: ask GET_INFO */
#define PROGSTATS_REC_SLIM 2        /* slot.slim: name, btf_id, nr_func_info left 0 */

/* The value of progstats_pcpu, per CPU (user space writes slim). */
struct progstats_pcpu_slot {
	__u64 num;                         /* a pointer as a number */
	__u64 slim;                        /* 1: PROGSTATS_REC_SLIM records */
};

/* The value of progstats_offs: each possible CPU's per-CPU offset. */
struct progstats_pcpu_offs {
	__u64 n;                           /* filled; 0 until the first program */
	__u64 off[PROGSTATS_MAX_CPUS];
};

struct progstats_prog_rec {
	__u32 id;
	__u32 type;                        /* enum bpf_prog_type */
	char name[PROGSTATS_NAME_LEN];     /* aux->name, as bpf_prog_info.name */
	__u8 tag[8];
	__u32 btf_id;                      /* id of aux->btf, 0 without BTF */
	__u16 nr_func_info;                /* aux->func_info_cnt */
	__u16 flags;                       /* PROGSTATS_REC_* */
	__u64 cnt, nsecs, misses;          /* prog->stats summed over CPUs */
};

#endif
