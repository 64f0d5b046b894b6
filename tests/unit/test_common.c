// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_common — drives common/ for tests/common.bats.  Each subcommand exposes
 * one part of the library on the command line; the expected values live in
 * the bats file, computed independently (by hand, awk or jq).
 *
 *   parse KIND ARGS...     u64 MIN MAX S | i64 MIN MAX S | double MIN MAX S |
 *                          duration S | duration0 S | size S | cpulist S | kv S
 *   stats                  numbers on stdin -> summary key=value line
 *   cv                     numbers on stdin -> CV % with full precision
 *   ratio NUM DEN          guarded ratio
 *   satadd A B             saturating u64 add
 *   reservoir CAP N TRIALS -> chi-square of kept-value frequencies over N bins
 *   reservoir-cap CAP N    offer N values; print len total
 *   emit FMT HEX [TYPE]    a record (default "sample") whose field "s" holds the bytes HEX
 *   prom-label HEX         one metric with label v=<bytes>
 *   prom-family TOOL PATH [bool]   "name type scale" of a record field's family
 *   prom-scale TOOL PATH   numbers on stdin -> each in the family's base unit (%.17g)
 *   table HEX              a two-row table whose first cell holds the bytes
 *   loop INTERVAL COUNT DURATION   run tk_loop; print ticks and elapsed ns
 *   error FMT              report an error in that format
 *   stream N MS            N JSON records MS apart; stops quietly on EPIPE
 *   slurp FIRST ROOM       stdin to EOF via tk_read_to_eof, echoed; "bytes= cap=" on stderr
 *   bpf-progs | bpf-maps   "id type name" of every live program / map
 *   bpf-hold               load a program and a map, print their ids, wait for a signal
 *   starttime HEX          field 22 of the /proc/PID/stat line HEX
 *   proc-start PID         start time of PID on CLOCK_BOOTTIME (ns)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfutil.h"
#include "buf.h"
#include "clock.h"
#include "errors.h"
#include "output.h"
#include "parse.h"
#include "proc.h"
#include "prom.h"
#include "stats.h"
#include "table.h"

static int report(int err)
{
	printf("error: %s\n", err == -EINVAL ? "EINVAL" : err == -ERANGE ? "ERANGE" :
	       err == -E2BIG ? "E2BIG" : err == -ENAMETOOLONG ? "ENAMETOOLONG" : strerror(-err));
	return 1;
}

static char *unhex(const char *hex)
{
	size_t n = strlen(hex) / 2;
	char *s = calloc(1, n + 1);

	for (size_t i = 0; s && i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", (unsigned char *)&s[i]);
	return s;
}

static int cmd_parse(int argc, char **argv)
{
	const char *k = argv[0];
	int err;

	if (!strcmp(k, "u64") && argc == 4) {
		uint64_t v, lo = strtoull(argv[1], NULL, 0), hi = strtoull(argv[2], NULL, 0);

		err = tk_parse_u64(argv[3], lo, hi, &v);
		return err ? report(err) : (printf("%llu\n", (unsigned long long)v), 0);
	}
	if (!strcmp(k, "i64") && argc == 4) {
		int64_t v, lo = strtoll(argv[1], NULL, 0), hi = strtoll(argv[2], NULL, 0);

		err = tk_parse_i64(argv[3], lo, hi, &v);
		return err ? report(err) : (printf("%lld\n", (long long)v), 0);
	}
	if (!strcmp(k, "double") && argc == 4) {
		double v;

		err = tk_parse_double(argv[3], strtod(argv[1], NULL), strtod(argv[2], NULL), &v);
		return err ? report(err) : (printf("%.9g\n", v), 0);
	}
	if ((!strcmp(k, "duration") || !strcmp(k, "duration0")) && argc == 2) {
		uint64_t v;

		err = tk_parse_duration(argv[1], !strcmp(k, "duration0"), &v);
		return err ? report(err) : (printf("%llu\n", (unsigned long long)v), 0);
	}
	if (!strcmp(k, "size") && argc == 2) {
		uint64_t v;

		err = tk_parse_size(argv[1], &v);
		return err ? report(err) : (printf("%llu\n", (unsigned long long)v), 0);
	}
	if (!strcmp(k, "cpulist") && argc == 2) {
		struct tk_cpuset set;
		char buf[4096];

		err = tk_parse_cpulist(argv[1], &set);
		if (err)
			return report(err);
		tk_cpuset_format(&set, buf, sizeof(buf));
		printf("%s count=%u\n", buf, tk_cpuset_count(&set));
		return 0;
	}
	if (!strcmp(k, "kv") && argc == 2) {
		struct tk_kv kv[8];
		char buf[256];
		size_t n;

		err = tk_parse_kvlist(argv[1], buf, sizeof(buf), kv, 8, &n);
		if (err)
			return report(err);
		for (size_t i = 0; i < n; i++)
			printf("%s%s%s\n", kv[i].key, kv[i].val ? "=" : "", kv[i].val ? kv[i].val : "");
		return 0;
	}
	fprintf(stderr, "bad parse usage\n");
	return 2;
}

static int cmd_stats(bool cv_only)
{
	size_t n = 0, cap = 1024;
	double *v = malloc(cap * sizeof(*v)), x;
	struct tk_summary s;

	while (v && scanf("%lf", &x) == 1) {
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n++] = x;
	}
	if (!v || tk_summarize(v, n, &s))
		return 1;
	if (cv_only)
		printf("%.17g\n", s.cv_pct);
	else
		printf("n=%zu mean=%.6f stddev=%.6f cv=%.6f min=%.6f max=%.6f p50=%.6f p90=%.6f p99=%.6f p999=%.6f\n",
	       s.n, s.mean, s.stddev, s.cv_pct, s.min, s.max, s.p50, s.p90, s.p99, s.p999);
	free(v);
	return 0;
}

/* Chi-square of how often each of N values survives in a CAP reservoir. */
static int cmd_reservoir(size_t cap, size_t n, size_t trials)
{
	uint64_t *hits = calloc(n, sizeof(*hits));
	double expected = (double)trials * (double)cap / (double)n, chi2 = 0;
	struct tk_reservoir r;

	if (!hits || tk_reservoir_init(&r, cap, 12345))
		return 1;
	for (size_t t = 0; t < trials; t++) {
		tk_reservoir_reset(&r);
		for (size_t i = 0; i < n; i++)
			tk_reservoir_add(&r, i);
		for (size_t i = 0; i < r.len; i++)
			hits[r.v[i]]++;
	}
	for (size_t i = 0; i < n; i++)
		chi2 += (hits[i] - expected) * (hits[i] - expected) / expected;
	printf("chi2=%.3f dof=%zu first=%llu last=%llu\n", chi2, n - 1,
	       (unsigned long long)hits[0], (unsigned long long)hits[n - 1]);
	tk_reservoir_free(&r);
	free(hits);
	return 0;
}

static int cmd_reservoir_cap(size_t cap, size_t n)
{
	struct tk_reservoir r;
	uint64_t maxv = 0;

	if (tk_reservoir_init(&r, cap, 0))
		return 1;
	for (size_t i = 0; i < n; i++)
		tk_reservoir_add(&r, i);
	for (size_t i = 0; i < r.len; i++)
		maxv = r.v[i] > maxv ? r.v[i] : maxv;
	printf("len=%zu total=%llu sum=%llu max=%llu\n", r.len, (unsigned long long)r.total,
	       (unsigned long long)r.sum, (unsigned long long)maxv);
	tk_reservoir_free(&r);
	return 0;
}

static int cmd_emit(const char *fmt, const char *hex, const char *type)
{
	enum tk_format f;
	struct json_object *rec;
	char *s = unhex(hex);

	if (tk_format_parse(fmt, &f) || !s)
		return 2;
	tk_output_init("test_common", f);
	rec = tk_record_new(type);
	tk_rec_str(rec, "s", s);
	tk_rec_u64(rec, "n", 42);
	tk_rec_dbl(rec, "nan", 0.0 / 0.0);
	free(s);
	return tk_emit(rec) ? 1 : 0;
}

/* Each value as tk_rec_* writes it and as plain json-c does: "mine json-c". */
static int cmd_json_num(char kind, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct json_object *rec = json_object_new_object(), *ref;

		if (kind == 'u') {
			tk_rec_u64(rec, "v", strtoull(argv[i], NULL, 0));
			ref = json_object_new_uint64(strtoull(argv[i], NULL, 0));
		} else if (kind == 'i') {
			tk_rec_i64(rec, "v", strtoll(argv[i], NULL, 0));
			ref = json_object_new_int64(strtoll(argv[i], NULL, 0));
		} else {
			tk_rec_dbl(rec, "v", strtod(argv[i], NULL));
			ref = json_object_new_double(strtod(argv[i], NULL));
		}
		printf("%s %s\n", json_object_to_json_string_ext(json_object_object_get(rec, "v"),
								  JSON_C_TO_STRING_PLAIN),
		       json_object_to_json_string_ext(ref, JSON_C_TO_STRING_PLAIN));
		json_object_put(rec);
		json_object_put(ref);
	}
	return 0;
}

/* stdin to EOF through tk_read_to_eof (first, room), written back to stdout;
 * stderr: "bytes=N cap=C". */
static int cmd_slurp(size_t first, size_t room)
{
	void *buf = NULL;
	size_t cap = 0;
	ssize_t n = tk_read_to_eof(STDIN_FILENO, &buf, &cap, first, room);

	if (n < 0) {
		fprintf(stderr, "slurp: %s\n", strerror((int)-n));
		return 1;
	}
	fwrite(buf, 1, (size_t)n, stdout);
	fprintf(stderr, "bytes=%zd cap=%zu\n", n, cap);
	free(buf);
	return 0;
}

static void fill(struct json_object *rec, const char *s, uint64_t u, double d, bool b)
{
	tk_rec_str(rec, "s", s);
	tk_rec_u64(rec, "u", u);
	tk_rec_i64(rec, "i", -(int64_t)u);
	tk_rec_dbl(rec, "d", d);
	tk_rec_bool(rec, "b", b);
	if (b)
		tk_rec_dbl(rec, "u2d", d);      /* a key whose type changes */
	else
		tk_rec_u64(rec, "u2d", u);
}

/* A record emitted, refilled in place and emitted again; then a fresh one. */
static int cmd_reuse(const char *hex)
{
	struct json_object *rec, *fresh;
	char *s = unhex(hex);

	if (!s)
		return 2;
	tk_output_init("test_common", TK_FMT_JSON);
	rec = tk_record_new("sample");
	fill(rec, "a much longer first string, \xff invalid", 4294967297, 0.5, false);
	tk_emit(json_object_get(rec));
	tk_record_restamp(rec);
	/* a string that outgrows its object's room, then "" (a json-c leak) */
	fill(rec, "a string much longer than the first one, so that it outgrows its room", 1, 1, true);
	fill(rec, "", 1, 1, false);
	fill(rec, s, 7, 3, true);
	tk_emit(rec);
	fresh = tk_record_new("sample");
	fill(fresh, s, 7, 3, true);
	free(s);
	return tk_emit(fresh) ? 1 : 0;
}

static int cmd_prom_label(const char *hex)
{
	char *s = unhex(hex);
	struct tk_kv kv[2] = { { "v", s }, { "bad-name", "x" } };

	tk_prom_write(stdout, "telkit_test.metric", "help \\ text\nline", "gauge", kv, 2, 1.5);
	tk_prom_write(stdout, "telkit_test.metric", "help", "gauge", kv, 1, 2);
	free(s);
	return 0;
}

static int cmd_prom_family(const char *tool, const char *path, bool is_bool)
{
	struct tk_prom_family fam;

	tk_prom_family_of(&fam, tool, path, is_bool);
	printf("%s %s %g\n", fam.name, fam.type, fam.scale);
	return 0;
}

static int cmd_prom_scale(const char *tool, const char *path)
{
	struct tk_prom_family fam;
	char line[128];

	tk_prom_family_of(&fam, tool, path, false);
	while (fgets(line, sizeof(line), stdin))
		printf("%.17g\n", tk_prom_scale(&fam, strtod(line, NULL)));
	return 0;
}

static int cmd_table(const char *hex)
{
	static const struct tk_table_col cols[] = {
		{ "NAME", false, 12 }, { "COUNT", true, 0 }, { "NOTE", false, 0 },
	};
	struct tk_table *t = tk_table_new(cols, 3);
	char *s = unhex(hex);

	tk_table_row(t);
	tk_table_cell(t, 0, "%s", s);
	tk_table_cell(t, 1, "%d", 7);
	tk_table_cell(t, 2, "first row");
	tk_table_row(t);
	tk_table_cell(t, 0, "b");
	tk_table_cell(t, 1, "%d", 123456);
	tk_table_print(t, stdout, true);
	tk_table_free(t);
	free(s);
	return 0;
}

static int cmd_loop(const char *iv, const char *cnt, const char *dur)
{
	struct tk_loop l;
	uint64_t t0;

	tk_stop_install();
	t0 = tk_now_mono_ns();
	tk_loop_start(&l, strtoull(iv, NULL, 0), strtoull(cnt, NULL, 0), strtoull(dur, NULL, 0));
	while (tk_loop_next(&l))
		printf("tick=%llu period_ns=%llu at_ns=%llu\n", (unsigned long long)l.ticks,
		       (unsigned long long)tk_loop_period_ns(&l),
		       (unsigned long long)(l.last_ns - l.start_ns));
	printf("ticks=%llu elapsed_ns=%llu stopped=%d sig=%d\n", (unsigned long long)l.ticks,
	       (unsigned long long)(tk_now_mono_ns() - t0), tk_stop_requested(), tk_stop_signal());
	return 0;
}

static int cmd_error(const char *fmt)
{
	enum tk_format f;

	if (tk_format_parse(fmt, &f))
		return 2;
	tk_output_init("test_common", f);
	tk_error("do the other thing", "bad thing '%s' happened", "x\ny");
	return 1;
}

static int cmd_stream(unsigned n, unsigned ms)
{
	tk_output_init("test_common", TK_FMT_JSON);
	tk_stop_install();
	for (unsigned i = 0; i < n && !tk_stop_requested(); i++) {
		struct json_object *rec = tk_record_new("sample");

		tk_rec_u64(rec, "seq", i);
		tk_emit(rec);
		tk_sleep_ns((uint64_t)ms * TK_NSEC_PER_MSEC);
	}
	fprintf(stderr, "stream: stopped=%d broken=%d\n", tk_stop_requested(), tk_out.broken);
	return 0;
}

static int print_prog(int fd, const struct bpf_prog_info *info, void *ctx)
{
	char buf[32], name[128];

	tk_prog_full_name(fd, info, name, sizeof(name));
	printf("%u %s %s\n", info->id, tk_prog_type_name(info->type, buf, sizeof(buf)), name);
	return 0;
}

static int print_map(int fd, const struct bpf_map_info *info, void *ctx)
{
	char buf[32];

	printf("%u %s %s\n", info->id, tk_map_type_name(info->type, buf, sizeof(buf)), info->name);
	return 0;
}

static int cmd_bpf_hold(void)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },  /* r0 = 0 */
		{ .code = 0x95 },                           /* exit */
	};
	int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tk_test_map", 4, 8, 1, NULL);
	int prog = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "tk_test_hold", "GPL", insns, 2, NULL);
	struct bpf_prog_info pi = { 0 };
	struct bpf_map_info mi = { 0 };
	__u32 len = sizeof(pi);

	if (map < 0 || prog < 0)
		return 1;
	bpf_obj_get_info_by_fd(prog, &pi, &len);
	len = sizeof(mi);
	bpf_obj_get_info_by_fd(map, &mi, &len);
	printf("prog=%u map=%u\n", pi.id, mi.id);
	fflush(stdout);
	tk_stop_install();
	while (tk_sleep_ns(TK_NSEC_PER_SEC))
		;
	close(prog);
	close(map);
	return 0;
}

static int cmd_starttime(const char *hex)
{
	char *s = unhex(hex);
	uint64_t ticks = 0;
	int err = s ? tk_proc_stat_starttime(s, strlen(hex) / 2, &ticks) : -ENOMEM;

	free(s);
	return err ? report(err) : printf("%llu\n", (unsigned long long)ticks) < 0;
}

static int cmd_proc_start(const char *pid)
{
	uint64_t ns = 0;
	int err = tk_proc_start_boot_ns((pid_t)strtol(pid, NULL, 10), &ns);

	return err ? report(err) : printf("%llu\n", (unsigned long long)ns) < 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "parse") && argc >= 3)
		return cmd_parse(argc - 2, argv + 2);
	if (!strcmp(argv[1], "stats") || !strcmp(argv[1], "cv"))
		return cmd_stats(!strcmp(argv[1], "cv"));
	if (!strcmp(argv[1], "ratio") && argc == 4)
		return printf("%g\n", tk_ratio(strtod(argv[2], NULL), strtod(argv[3], NULL))) < 0;
	if (!strcmp(argv[1], "satadd") && argc == 4)
		return printf("%llu\n", (unsigned long long)tk_sat_add_u64(
			strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0))) < 0;
	if (!strcmp(argv[1], "reservoir") && argc == 5)
		return cmd_reservoir(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0),
				     strtoul(argv[4], NULL, 0));
	if (!strcmp(argv[1], "reservoir-cap") && argc == 4)
		return cmd_reservoir_cap(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	if (!strcmp(argv[1], "emit") && (argc == 4 || argc == 5))
		return cmd_emit(argv[2], argv[3], argc == 5 ? argv[4] : "sample");
	if (!strcmp(argv[1], "json-num") && argc >= 3 && strchr("uid", argv[2][0]))
		return cmd_json_num(argv[2][0], argc - 3, argv + 3);
	if (!strcmp(argv[1], "slurp") && argc == 4)
		return cmd_slurp(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	if (!strcmp(argv[1], "reuse") && argc == 3)
		return cmd_reuse(argv[2]);
	if (!strcmp(argv[1], "prom-label") && argc == 3)
		return cmd_prom_label(argv[2]);
	if (!strcmp(argv[1], "prom-scale") && argc == 4)
		return cmd_prom_scale(argv[2], argv[3]);
	if (!strcmp(argv[1], "prom-family") && (argc == 4 || argc == 5))
		return cmd_prom_family(argv[2], argv[3], argc == 5);
	if (!strcmp(argv[1], "table") && argc == 3)
		return cmd_table(argv[2]);
	if (!strcmp(argv[1], "loop") && argc == 5)
		return cmd_loop(argv[2], argv[3], argv[4]);
	if (!strcmp(argv[1], "error") && argc == 3)
		return cmd_error(argv[2]);
	if (!strcmp(argv[1], "stream") && argc == 4)
		return cmd_stream(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	if (!strcmp(argv[1], "starttime") && argc == 3)
		return cmd_starttime(argv[2]);
	if (!strcmp(argv[1], "proc-start") && argc == 3)
		return cmd_proc_start(argv[2]);
	if (!strcmp(argv[1], "bpf-hold"))
		return cmd_bpf_hold();
	if (!strcmp(argv[1], "bpf-progs"))
		return tk_prog_foreach(print_prog, NULL) ? 1 : 0;
	if (!strcmp(argv[1], "bpf-maps"))
		return tk_map_foreach(print_map, NULL) ? 1 : 0;
	fprintf(stderr, "test_common: unknown subcommand\n");
	return 2;
}
