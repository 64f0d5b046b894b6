// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpfwatch — sample named fields of live BPF maps (resolved through BTF) and
 * aggregate them into run-level metrics <obj>_<label>.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfutil.h"
#include "bpfwatch.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "output.h"
#include "parse.h"
#include "recw.h"

#define BW_EXPECT_MAX 64

static struct env {
	struct bw_spec *specs;
	size_t nspecs;
	struct bw_expect expects[BW_EXPECT_MAX];
	size_t nexpects;
	const char *obj;
	uint32_t map_id;
	const char *list;
	bool summary;
	bool summary_only;
	bool no_mmap;
	uint64_t rescan_ns;
} env = { .rescan_ns = TK_NSEC_PER_SEC };

enum { OPT_OBJ = 0x100, OPT_MAP_ID, OPT_SUMMARY, OPT_LIST, OPT_EXPECT, OPT_NO_MMAP, OPT_RESCAN,
       OPT_SUMMARY_ONLY };

const char *argp_program_version = TK_VERSION_STRING("bpfwatch");
static const char doc[] =
"Sample named fields of live BPF maps and aggregate them into run metrics.\n"
"\n"
"SPEC is MAP_SUFFIX[KEY]:FIELD:AGG:LABEL.  MAP_SUFFIX matches the end of a\n"
"loaded map's name (.bss, cpu_ctx_stor); KEY is an array index or integer hash\n"
"key (default 0); FIELD is a dot path into the map value (sys_stat.avg_lat,\n"
"hist[3]), 'value' for a value without members or without BTF, or\n"
"value+OFF/TYPE (TYPE u8..u64, s8..s64); AGG is scalar, counter, percpu or\n"
"percpu-counter; metric keys are <obj>_<LABEL>.\n"
"\n"
"EXAMPLES:\n"
"  bpfwatch --list .bss --obj scx_central\n"
"  bpfwatch -i 100ms -d 10s --obj scx_central .bss:nr_total:counter:total\n"
"  bpfwatch -j --summary cpu_ctx_stor:nr_switch:percpu-counter:switches\n"
"  bpfwatch -d 10s --obj scx_simple 'stats[1]:value:percpu-counter:global'\n"
"  bpfwatch -d 30s --obj scx_central --expect 'total_rate>=10' \\\n"
"      .bss:nr_total:counter:total";

static const struct argp_option opts[] = {
	{ "obj", OPT_OBJ, "NAME", 0, "Only maps of libbpf object NAME", 0 },
	{ "map-id", OPT_MAP_ID, "ID", 0, "Only the map with this id", 0 },
	{ "summary", OPT_SUMMARY, NULL, 0, "Emit the run-level summary at exit "
	  "(default when -c or -d is given)", 0 },
	{ "summary-only", OPT_SUMMARY_ONLY, NULL, 0, "No per-tick sample records: events and "
	  "the summary only", 0 },
	{ "list", OPT_LIST, "MAP_SUFFIX", 0, "Print the value layout of the map and exit", 0 },
	{ "expect", OPT_EXPECT, "KEY<OP>VALUE", 0, "Check a run-level metric at exit "
	  "(ops < <= > >= ==); exit 3 when violated (repeatable)", 0 },
	{ "no-mmap", OPT_NO_MMAP, NULL, 0, "Read with a lookup per tick even when the map "
	  "is mmapable", 0 },
	{ "rescan", OPT_RESCAN, "DUR", 0, "How often to look for replaced maps once bound "
	  "(default 1s)", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	const char *why;
	void *p;

	switch (key) {
	case OPT_OBJ:
		if (!*arg || strlen(arg) > 64)
			tk_usage_error("give the libbpf object name", "--obj '%s': bad name", arg);
		env.obj = arg;
		break;
	case OPT_MAP_ID:
		env.map_id = (uint32_t)tk_u64_or_err(arg, 1, UINT32_MAX, "--map-id");
		break;
	case OPT_SUMMARY:
		env.summary = true;
		break;
	case OPT_SUMMARY_ONLY:
		env.summary = env.summary_only = true;
		break;
	case OPT_LIST:
		env.list = arg;
		break;
	case OPT_NO_MMAP:
		env.no_mmap = true;
		break;
	case OPT_RESCAN:
		env.rescan_ns = tk_duration_or_err(arg, 0, "--rescan");
		break;
	case OPT_EXPECT:
		if (env.nexpects == BW_EXPECT_MAX)
			tk_usage_error("use at most 64", "--expect given too many times");
		if (bw_expect_parse(arg, &env.expects[env.nexpects], &why))
			tk_usage_error("write e.g. --expect 'avg_lat<=5000'", "--expect '%s': %s",
				       arg, why);
		env.nexpects++;
		break;
	case ARGP_KEY_ARG:
		p = realloc(env.specs, (env.nspecs + 1) * sizeof(*env.specs));
		if (!p)
			tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
		env.specs = p;
		if (bw_spec_parse(arg, &env.specs[env.nspecs], &why))
			tk_usage_error("SPEC is MAP_SUFFIX[KEY]:FIELD:AGG:LABEL, see bpfwatch(8)",
				       "spec '%s': %s", arg, why);
		env.nspecs++;
		break;
	case ARGP_KEY_END:
		if (env.list && env.nspecs)
			tk_usage_error("drop the SPECs", "--list takes no SPEC arguments");
		if (!env.list && !env.nspecs)
			tk_usage_error("give at least one MAP_SUFFIX:FIELD:AGG:LABEL",
				       "no SPEC given");
		if (env.list) {
			struct bw_spec s;
			char buf[BW_SPEC_MAX + 32];

			snprintf(buf, sizeof(buf), "%s:x:scalar:x", env.list);
			if (bw_spec_parse(buf, &s, &why))
				tk_usage_error("give a map name suffix such as .bss",
					       "--list '%s': %s", env.list, why);
			if (s.has_key)
				tk_usage_error("drop the [KEY]: --list shows the map's keys",
					       "--list '%s': takes a MAP_SUFFIX without [KEY]",
					       env.list);
		}
		if (env.nspecs > 1) {
			size_t i = bw_specs_check(env.specs, env.nspecs, &why);

			if (i)
				tk_usage_error("give each spec its own LABEL", "spec '%s': %s",
					       env.specs[i].text, why);
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int do_list(struct bw_run *run)
{
	struct bw_target t = { 0 };
	uint32_t ids[8];
	int err;
	size_t n;

	snprintf(t.spec.suffix, sizeof(t.spec.suffix), "%s", env.list);
	snprintf(t.spec.text, sizeof(t.spec.text), "--list %s", env.list);
	err = bw_scan(&run->reg);
	if (err)
		return err;
	n = bw_candidates(&run->reg, env.list, &run->match, ids, 8);
	if (n != 1) {
		char msg[64];

		snprintf(msg, sizeof(msg), "%s", env.list);
		if (!n)
			tk_die(TK_EXIT_RUNTIME, "load the BPF object first (bpftool map list)",
			       "--list '%s': no loaded map name ends with it", msg);
		/* reuse bind's ambiguity message: one line naming candidates, exit 2 */
	}
	t.spec.agg = BW_SCALAR;
	run->t = &t;
	run->nt = 1;
	if (n > 1) {
		bw_bind_all(run, true); /* exits 2 naming the candidates */
		return -EINVAL;
	}
	{
		char e[256];
		struct bw_map *m;

		err = bw_map_open(&run->reg, ids[0], (struct bw_key){ 0 }, run->allow_mmap, &m, e,
				  sizeof(e));
		if (err)
			tk_die(TK_EXIT_RUNTIME, NULL, "--list: %s", e);
		err = bw_list(m);
		bw_map_close(m);
	}
	run->t = NULL;
	run->nt = 0;
	return err < 0 && tk_out.broken ? 0 : err;
}

/*
 * The sample record of one tick: one record kept for the run and refilled
 * (recw.h); a field that comes or goes changes its shape, so the line is
 * always what a new record gives.
 */
static void emit_tick(struct bw_run *run, struct tk_recw *rec, uint64_t tick)
{
	tk_recw_restamp(rec);
	tk_recw_u64(rec, "tick", tick);
	for (size_t i = 0; i < run->nt; i++)
		bw_put_tick(&run->t[i], rec);
	tk_recw_emit(rec);
}

static void emit_summary(struct bw_run *run, uint64_t ticks)
{
	struct json_object *rec = tk_record_new("summary");

	tk_rec_u64(rec, "ticks", ticks);
	for (size_t i = 0; i < run->nt; i++)
		bw_put_run(&run->t[i], rec);
	tk_emit(rec);
}

static int check_expects(struct bw_run *run)
{
	int failed = 0;

	for (size_t i = 0; i < env.nexpects; i++) {
		const struct bw_expect *e = &env.expects[i];
		double v;

		if (!bw_run_value(run->t, run->nt, e->key, &v)) {
			tk_error("check the key against the summary record",
				 "expect '%s': metric '%s' was never sampled", e->text, e->key);
			failed = 1;
		} else if (!bw_expect_holds(e, v)) {
			tk_error(NULL, "expect '%s' failed: %s = %.17g", e->text, e->key, v);
			failed = 1;
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	static const struct tk_cli_cmd cli = {
		"bpfwatch", opts, parse_arg, "SPEC...", doc, TK_OPT_ALL, NULL, 0,
	};
	struct bw_run run = { 0 };
	struct tk_recw *tick_rec = NULL;
	struct tk_loop loop;
	uint64_t last_scan;
	int err, rc = TK_EXIT_OK;

	tk_cli.interval_ns = TK_NSEC_PER_SEC;
	tk_cli_parse(&cli, argc, argv);
	tk_stop_install();
	tk_libbpf_quiet(tk_out.verbose);
	run.match.obj = env.obj;
	run.match.map_id = env.map_id;
	run.allow_mmap = !env.no_mmap;

	if (env.list) {
		err = do_list(&run);
		bw_reg_free(&run.reg);
		if (err == -EPERM || err == -EACCES)
			tk_die(TK_EXIT_RUNTIME, "run as root (CAP_SYS_ADMIN)", "cannot walk BPF maps: %s",
			       strerror(-err));
		return err ? TK_EXIT_RUNTIME : TK_EXIT_OK;
	}

	run.nt = env.nspecs;
	run.t = calloc(run.nt, sizeof(*run.t));
	if (!run.t)
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	for (size_t i = 0; i < run.nt; i++)
		run.t[i].spec = env.specs[i];

	err = bw_bind_all(&run, true);
	if (err) {
		tk_error(err == -EPERM ? "run as root (CAP_SYS_ADMIN)" : NULL,
			 "cannot walk BPF maps and programs: %s", strerror(-err));
		rc = TK_EXIT_RUNTIME;
		goto cleanup;
	}
	last_scan = tk_now_mono_ns();
	tk_loop_start(&loop, tk_cli.interval_ns, tk_cli.count, tk_cli.duration_ns);
	while (tk_loop_next(&loop)) {
		uint64_t now = tk_now_mono_ns();
		bool unbound = false;

		for (size_t i = 0; i < run.nt; i++)
			unbound |= !run.t[i].map;
		if (unbound || now - last_scan >= env.rescan_ns) {
			err = bw_bind_all(&run, false);
			if (err)
				tk_warn("scan failed: %s", strerror(-err));
			last_scan = now;
		}
		for (struct bw_map *m = run.maps; m; m = m->next)
			bw_map_read(m);
		now = tk_now_mono_ns();
		for (size_t i = 0; i < run.nt; i++)
			bw_sample(&run.t[i], now);
		if (!env.summary_only && !tick_rec)
			tick_rec = tk_recw_new("sample");
		if (!env.summary_only)
			emit_tick(&run, tick_rec, loop.ticks);
	}
	if (!tk_out.broken && (env.summary || tk_cli.count || tk_cli.duration_ns))
		emit_summary(&run, loop.ticks);
	if (env.nexpects && !tk_out.broken && check_expects(&run))
		rc = TK_EXIT_CHECK;
cleanup:
	tk_recw_free(tick_rec);
	bw_unbind_all(&run);
	free(run.t);
	free(env.specs);
	return rc;
}
