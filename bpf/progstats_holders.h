/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * progstats_holders.h — record written by progstats_holders.bpf.c
 * (iter/task_file) for every open file named "bpf-stats": a process holding
 * BPF_ENABLE_STATS.  Shared by the BPF side and cmd/progstats/holders.c.
 */
#ifndef PROGSTATS_HOLDERS_H
#define PROGSTATS_HOLDERS_H

struct progstats_holder_rec {
	__u32 pid;                   /* tgid */
	__u32 fd;
	char comm[16];
};

#endif
