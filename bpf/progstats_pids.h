/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * progstats_pids.h — record written by progstats_pids.bpf.c (iter/task_file)
 * for every open file that is a BPF program fd: which process holds which
 * program.  Shared by the BPF side and cmd/progstats/pids.c.
 */
#ifndef PROGSTATS_PIDS_H
#define PROGSTATS_PIDS_H

#define PROGSTATS_COMM_LEN 16

struct progstats_pid_entry {
	__u32 prog_id;
	__u32 pid;                        /* tgid of the holder */
	char comm[PROGSTATS_COMM_LEN];    /* group leader's comm */
};

#endif
