// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Test program for tests/40-nvme-gpu-ingest.bats (loaded by
 * tests/helpers/ingest_ops.c): what the kernel itself sees of one process's
 * io_uring traffic.
 *   ingest_submit    tp_btf/io_uring_submit_req: SQEs per opcode of target_tgid;
 *   ingest_complete  tp_btf/io_uring_complete: bytes of successful READ_FIXED
 *                    completions on the rings that process submitted to,
 *                    and how many READ_FIXED completions carried -EAGAIN.
 * A completion counts only while that process posts it (its own task work,
 * its io-wq and SQPOLL threads): a ring it closed is freed, and another
 * process's new ring may get the same address (other test runs on a shared
 * host do READ_FIXED too).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NOPS 64
#define OP_READ_FIXED 4
#define EAGAIN_RES (-11)

__u32 target_tgid;
__u64 ops[NOPS];
__u64 read_fixed_bytes;
__u64 read_fixed_cqes;
__u64 read_fixed_eagain;
void *rings[4];

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(ingest_submit, struct io_kiocb *req)
{
	__u8 op = req->opcode;
	void *ring = req->ctx;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	if (op < NOPS)
		__sync_fetch_and_add(&ops[op], 1);
	for (int i = 0; i < 4; i++) {
		if (rings[i] == ring)
			break;
		if (!rings[i]) {
			rings[i] = ring;
			break;
		}
	}
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(ingest_complete, struct io_ring_ctx *rctx, void *req, struct io_uring_cqe *cqe)
{
	struct io_kiocb *r = req;
	bool ours = false;
	__s32 res;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	for (int i = 0; i < 4; i++)
		if (rings[i] && rings[i] == (void *)rctx)
			ours = true;
	if (!ours || !r || BPF_CORE_READ(r, opcode) != OP_READ_FIXED)
		return 0;
	res = BPF_CORE_READ(cqe, res);
	if (res > 0) {
		__sync_fetch_and_add(&read_fixed_bytes, res);
		__sync_fetch_and_add(&read_fixed_cqes, 1);
	} else if (res == EAGAIN_RES) {
		__sync_fetch_and_add(&read_fixed_eagain, 1);
	}
	return 0;
}
