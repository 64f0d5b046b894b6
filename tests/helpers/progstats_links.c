// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats_links — test peer for tests/12-progstats-more.bats.  Loads
 * bpf/test_progstats_links.bpf.c and attaches each program through a link:
 *   progstats_links IFNAME CGROUP_DIR BPFFS_DIR [SECONDS]
 *   pslk_xdp     XDP link on IFNAME, the link pinned as BPFFS_DIR/xdp_link
 *   pslk_cgroup  cgroup_skb/egress link on CGROUP_DIR
 *   pslk_uprobe  uprobe link on this binary's pslk_target()
 *   pslk_pinned  no link: pinned as BPFFS_DIR/prog
 * then closes every program fd (the links and pins hold them), prints
 * "ready xdp=ID cgroup=ID uprobe=ID pinned=ID", and waits for SIGTERM/SIGINT
 * or the timeout.  The pins are removed on the way out.
 */
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test_progstats_links.skel.h"

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

__attribute__((noinline)) int pslk_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

static __u32 id_of(const struct bpf_program *p)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) ? 0 : info.id;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = "pslk_target");
	struct test_progstats_links_bpf *skel = NULL;
	struct bpf_link *lx = NULL, *lc = NULL, *lu = NULL;
	char link_pin[512], prog_pin[512];
	unsigned secs = argc > 4 ? (unsigned)atoi(argv[4]) : 300;
	int cg = -1, rc = 1, ifindex;

	if (argc < 4) {
		fprintf(stderr, "usage: progstats_links IFNAME CGROUP_DIR BPFFS_DIR [SECONDS]\n");
		return 2;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	snprintf(link_pin, sizeof(link_pin), "%s/xdp_link", argv[3]);
	snprintf(prog_pin, sizeof(prog_pin), "%s/prog", argv[3]);
	ifindex = (int)if_nametoindex(argv[1]);
	cg = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	skel = test_progstats_links_bpf__open_and_load();
	if (!ifindex || cg < 0 || !skel) {
		perror("progstats_links: set-up");
		goto out;
	}
	lx = bpf_program__attach_xdp(skel->progs.pslk_xdp, ifindex);
	lc = bpf_program__attach_cgroup(skel->progs.pslk_cgroup, cg);
	lu = bpf_program__attach_uprobe_opts(skel->progs.pslk_uprobe, -1, "/proc/self/exe", 0, &uo);
	if (!lx || !lc || !lu || bpf_link__pin(lx, link_pin) ||
	    bpf_program__pin(skel->progs.pslk_pinned, prog_pin)) {
		perror("progstats_links: attach or pin");
		goto out;
	}
	printf("ready xdp=%u cgroup=%u uprobe=%u pinned=%u\n", id_of(skel->progs.pslk_xdp),
	       id_of(skel->progs.pslk_cgroup), id_of(skel->progs.pslk_uprobe),
	       id_of(skel->progs.pslk_pinned));
	fflush(stdout);
	for (unsigned i = 0; !stop && i < secs * 10; i++) {
		pslk_target((int)i);
		usleep(100000);
	}
	rc = 0;
out:
	unlink(prog_pin);
	if (lx)
		bpf_link__unpin(lx);
	bpf_link__destroy(lu);
	bpf_link__destroy(lc);
	bpf_link__destroy(lx);
	test_progstats_links_bpf__destroy(skel);
	if (cg >= 0)
		close(cg);
	return rc;
}
