// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpfwatch_loader — loads and attaches bpf/test_bpfwatch_sched.bpf.c for the
 * bpfwatch tests and benchmark, then waits for signals:
 *   SIGUSR1          unload and load again (new map ids, for rebind tests)
 *   SIGINT/SIGTERM   unload and exit 0
 * Options:
 *   --known          freeze the program (paused=1) and write known values
 *   --version N      .rodata cfg_version (default 3)
 * The keyed maps: --known writes known values into tw_stats, tw_arr and
 * tw_raw (which the program writes too); tw_hash, tw_hkey and tw_user, which
 * no program uses, are always filled here.
 * After each load it prints "keyed STATS ARR HASH RAW USER HKEY" and then
 * "ready BSS_ID DATA_ID RODATA_ID PERCPU_ID" on stdout (flushed), so a test
 * can wait for "ready" and read the ids.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "../../bpf/test_bpfwatch_sched.h"

#include "test_bpfwatch_sched.skel.h"

static volatile sig_atomic_t got_stop, got_reload;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		got_reload = 1;
	else
		got_stop = 1;
}

static unsigned map_id(struct bpf_map *m)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_map__fd(m), &info, &len))
		return 0;
	return info.id;
}

/* Known values; the bats suite compares bpfwatch with bpftool, not with these. */
static int set_known(struct test_bpfwatch_sched_bpf *skel)
{
	struct tw_sys_stat *s = &skel->bss->sys_stat;
	int ncpu = libbpf_num_possible_cpus();
	struct tw_cpu_ctx *pc;
	__u32 zero = 0;
	int err;

	skel->bss->paused = 1;
	s->avg_lat = 123456789;
	s->nr_sched = 1000;
	s->neg = -42;
	s->u16v = 65000;
	s->s64v = -5000000000LL;
	s->lat.min = 7;
	s->lat.max = 99;
	s->lat.delta = -5;
	s->lat.flags = 0xa5;
	s->lat.bias = -100;
	s->u.word = 0x11223344;
	for (int i = 0; i < 8; i++)
		s->hist[i] = i * 10 + 1;
	s->enabled = true;
	s->mode = TW_BOOST;
	s->prio = 5;
	s->cls = 17;
	s->big = 0xabcde;
	s->sfield = -3;
	s->anon_a = 31;
	s->anon_b = 32;
	s->lats[1].max = 4242;
	skel->bss->lat_headroom = 0xfffffffffffffff0ULL;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	pc = calloc(ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (int c = 0; c < ncpu; c++) {
		pc[c].nr_switch = 1000ULL * (c + 1) + 3;
		pc[c].util = 10 * (c + 1);
		pc[c].slack = -(c + 1);
	}
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.cpu_ctx_stor), &zero, pc, 0);
	free(pc);
	return err ? -errno : 0;
}

/* Write @n elements of @size bytes from @vals at keys 0..n-1 of map @m. */
static int fill(struct bpf_map *m, const void *vals, size_t size, unsigned n)
{
	for (__u32 k = 0; k < n; k++)
		if (bpf_map_update_elem(bpf_map__fd(m), &k, (const char *)vals + k * size, 0))
			return -errno;
	return 0;
}

/* Known values in the keyed maps that the program also writes. */
static int set_known_keyed(struct test_bpfwatch_sched_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tw_raw raw[TW_RAW_N];
	__u64 arr[TW_ARR_N], *pc;
	int err;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	pc = calloc(2 * ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (int c = 0; c < ncpu; c++) {
		pc[c] = 1000ULL * (c + 1) + 7;           /* stats[0] on CPU c */
		pc[ncpu + c] = 10ULL * (c + 1) + 1;      /* stats[1] on CPU c */
	}
	err = fill(skel->maps.tw_stats, pc, ncpu * sizeof(*pc), 2);
	free(pc);
	for (int i = 0; i < TW_ARR_N; i++)
		arr[i] = 1111ULL * (i + 1);
	arr[TW_ARR_N - 1] = 0xfffffffffffffff1ULL;
	memset(raw, 0, sizeof(raw));
	for (int i = 0; i < TW_RAW_N; i++) {
		raw[i].a = 0x0102030405060708ULL + i;
		raw[i].cnt = 100 + i;
		raw[i].h = 60000 + i;
		raw[i].b = 200 + i;
		raw[i].sb = -(i + 1);
		raw[i].neg = -5000000000LL - i;
	}
	if (!err)
		err = fill(skel->maps.tw_arr, arr, sizeof(arr[0]), TW_ARR_N);
	if (!err)
		err = fill(skel->maps.tw_raw, raw, sizeof(raw[0]), TW_RAW_N);
	return err;
}

/* Maps only user space writes: tw_hash, tw_hkey, tw_user. */
static int set_user_maps(struct test_bpfwatch_sched_bpf *skel)
{
	static const __u32 hkeys[] = { 7, 1000, 0xdeadbeef };
	static const __u64 hvals[] = { 70, 0xffffffffffffff00ULL, 3 };
	static const __u64 user[] = { 11, 22, 33, 0x8000000000000000ULL };
	struct tw_hkey hk = { 1, 2 };
	__u64 five = 5;

	for (int i = 0; i < 3; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tw_hash), &hkeys[i], &hvals[i], 0))
			return -errno;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.tw_hkey), &hk, &five, 0))
		return -errno;
	return fill(skel->maps.tw_user, user, sizeof(user[0]), 4);
}

static struct test_bpfwatch_sched_bpf *load(bool known, unsigned version)
{
	struct test_bpfwatch_sched_bpf *skel = test_bpfwatch_sched_bpf__open();
	int err;

	if (!skel) {
		perror("open");
		return NULL;
	}
	skel->rodata->cfg_version = version;
	err = test_bpfwatch_sched_bpf__load(skel);
	if (!err && known)
		err = set_known(skel);
	if (!err && known)
		err = set_known_keyed(skel);
	if (!err)
		err = set_user_maps(skel);
	if (!err)
		err = test_bpfwatch_sched_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "load: %s\n", strerror(-err));
		test_bpfwatch_sched_bpf__destroy(skel);
		return NULL;
	}
	printf("keyed %u %u %u %u %u %u\n", map_id(skel->maps.tw_stats), map_id(skel->maps.tw_arr),
	       map_id(skel->maps.tw_hash), map_id(skel->maps.tw_raw), map_id(skel->maps.tw_user),
	       map_id(skel->maps.tw_hkey));
	printf("ready %u %u %u %u\n", map_id(skel->maps.bss), map_id(skel->maps.data),
	       map_id(skel->maps.rodata), map_id(skel->maps.cpu_ctx_stor));
	fflush(stdout);
	return skel;
}

int main(int argc, char **argv)
{
	struct test_bpfwatch_sched_bpf *skel;
	struct sigaction sa = { .sa_handler = on_sig };
	unsigned version = 3;
	bool known = false;
	sigset_t none;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--known"))
			known = true;
		else if (!strcmp(argv[i], "--version") && i + 1 < argc)
			version = strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--known] [--version N]\n", argv[0]);
			return 2;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	skel = load(known, version);
	if (!skel)
		return 1;
	sigemptyset(&none);
	while (!got_stop) {
		sigsuspend(&none);
		if (got_reload && !got_stop) {
			got_reload = 0;
			test_bpfwatch_sched_bpf__destroy(skel);
			skel = load(known, version);
			if (!skel)
				return 1;
		}
	}
	test_bpfwatch_sched_bpf__destroy(skel);
	return 0;
}
