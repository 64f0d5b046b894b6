// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * passthru.c — the passthrough path: NVMe Read commands through
 * IORING_OP_URING_CMD on the namespace's generic char device, the way the
 * kernel (drivers/nvme/host/ioctl.c) and fio's io_uring_cmd engine expect:
 * ring with SQE128|CQE32, cmd_op = NVME_URING_CMD_IO, struct nvme_uring_cmd
 * inline in the SQE's 80-byte cmd area, addr/data_len = the slot, fixed
 * buffers via IORING_URING_CMD_FIXED + buf_index.  Success is res == 0; a
 * positive res is an NVMe status, a negative one an errno.  Namespaces are
 * opened by nvme_dev.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/nvme_ioctl.h>

#include "errors.h"
#include "ingest.h"

#define NVME_CMD_READ 0x02

/* From libnvme's <nvme/util.h>, which clashes with <linux/nvme_ioctl.h>. */
const char *nvme_status_to_string(int status, bool fabrics);

_Static_assert(sizeof(struct nvme_uring_cmd) <= 80, "nvme_uring_cmd fits the SQE128 cmd area");

static void passthru_prep(struct engine *e, struct io_uring_sqe *sqe, unsigned i)
{
	const struct slot *s = &e->slots[i];
	const struct source *src = &e->src[s->src];
	uint8_t *buf = e->tgt.base + (size_t)i * e->tgt.slot_size + (s->io_off - s->off);
	struct nvme_uring_cmd *cmd = (struct nvme_uring_cmd *)sqe->cmd;
	uint64_t slba = s->io_off >> src->lba_shift;
	uint32_t nlb = (uint32_t)(s->io_len >> src->lba_shift);

	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = src->fd;
	sqe->cmd_op = NVME_URING_CMD_IO;
	if (e->cmd_fixed) {
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = (uint16_t)i;
	}
	cmd->opcode = NVME_CMD_READ;
	cmd->nsid = src->nsid;
	cmd->addr = (uint64_t)(uintptr_t)buf;
	cmd->data_len = (uint32_t)s->io_len;
	cmd->cdw10 = (uint32_t)slba;
	cmd->cdw11 = (uint32_t)(slba >> 32);
	cmd->cdw12 = nlb - 1;
}

static int64_t passthru_result(struct engine *e, unsigned i, const struct io_uring_cqe *cqe)
{
	const struct slot *s = &e->slots[i];
	const struct source *src = &e->src[s->src];

	if (cqe->res == 0)
		return (int64_t)s->io_len;
	if (cqe->res < 0 && e->cmd_fixed && !e->tel.completed_reads &&
	    (cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP || cqe->res == -EFAULT)) {
		e->cmd_fixed = false;
		tk_warn("kernel refused IORING_URING_CMD_FIXED (%s); mapping the registered slot per command instead",
			strerror(-cqe->res));
		return -EAGAIN;
	}
	if (e->err_msg[0])
		return cqe->res < 0 ? cqe->res : -EIO;
	if (cqe->res < 0)
		snprintf(e->err_msg, sizeof(e->err_msg), "NVMe read on '%s' (nsid %u, LBA %llu, %llu bytes): %s",
			 src->dev, src->nsid, (unsigned long long)(s->io_off >> src->lba_shift),
			 (unsigned long long)s->io_len, strerror(-cqe->res));
	else
		snprintf(e->err_msg, sizeof(e->err_msg), "NVMe read on '%s' (nsid %u, LBA %llu) failed: status 0x%x (%s)",
			 src->dev, src->nsid, (unsigned long long)(s->io_off >> src->lba_shift),
			 cqe->res, nvme_status_to_string(cqe->res, false));
	return cqe->res < 0 ? cqe->res : -EIO;
}

const struct ingest_path_ops passthru_ops = {
	.path = PATH_PASSTHROUGH,
	.ring_flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
	.direct = true,
	.uring_cmd = true,
	.open = passthru_open,
	.prep = passthru_prep,
	.result = passthru_result,
};
