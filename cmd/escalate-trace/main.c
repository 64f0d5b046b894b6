// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * escalate-trace — anomaly detection on telemetry JSON lines, escalated to
 * a BPF syscall breakdown of the process behind the anomaly.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "bpfutil.h"
#include "cli.h"
#include "clock.h"
#include "errors.h"
#include "output.h"
#include "proc.h"
#include "parse.h"
#include "run.h"

static struct esc_env env = {
	.fields = { .key = { [ESC_F_NAME] = "name", [ESC_F_VALUE] = "value" },
		    .value_scale = 1.0 },
	.th = { .cv = 15.0, .efficiency = 25.0, .cliff = 30.0, .gpu = 50.0, .window = 100,
		.min_samples = 10, .hold = 1, .cooldown_ns = 60 * TK_NSEC_PER_SEC,
		.outlier_z = 6, .alpha = 1e-4 },
	.noise_pct = 1.0,
	.baseline_alpha = 0.01,
	.rl_max = 100,
	.rl_interval_ns = 60 * TK_NSEC_PER_SEC,
	.trace_ns = TK_NSEC_PER_SEC,
	.top = 10,
	.max_bricks = 4096,
	.max_line = 16 << 20,
	.runs = 10,
	.otlp = { .queue = 64, .retries = 5, .flush_ns = 5 * TK_NSEC_PER_SEC,
		  .compression = -1, .max_body = 4 << 20 },
};

const char *argp_program_version = TK_VERSION_STRING("escalate-trace");
static const char doc[] =
"Detect anomalies in telemetry JSON lines and trace the process behind them.\n"
"\n"
"Reads one JSON object per line on stdin; per brick (--name) keeps a window of\n"
"--value samples and escalates when CV > --cv, efficiency < --efficiency, a\n"
"--cliff-field drops > --cliff % below its median, or --gpu-transfer-field >\n"
"--gpu-transfer.  An escalation (at most --rate-limit) traces the --pid's\n"
"syscalls with BPF for --trace-for and emits a TraceResult event.\n"
"\n"
"EXAMPLES:\n"
"  progstats -j -i 1 | escalate-trace --value ns_per_call --value-unit ns --pid 1234\n"
"  escalate-trace --exec 'make -s test' --runs 20 --budget-us 2000000 -j\n"
"  escalate-trace --manual --pid 1234 --trace-for 2s\n"
"  app-metrics | escalate-trace --otlp http://127.0.0.1:4318/v1/traces --tee";

enum {
	OPT_NAME = 0x100, OPT_VALUE, OPT_UNIT, OPT_BUDGET_US, OPT_BUDGET_FIELD, OPT_PID,
	OPT_WINDOW, OPT_CV, OPT_EFF, OPT_CLIFF, OPT_CLIFF_FIELD, OPT_GPU, OPT_GPU_FIELD,
	OPT_MANUAL, OPT_STRICT, OPT_RATE, OPT_TRACE_FOR, OPT_TOP, OPT_TEE, OPT_OTLP,
	OPT_OTLP_QUEUE, OPT_OTLP_RETRIES, OPT_OTLP_TIMEOUT, OPT_OTLP_FLUSH, OPT_EXEC,
	OPT_RUNS, OPT_FAIL, OPT_FOLLOW, OPT_HOOK, OPT_TYPE, OPT_MAX_BRICKS, OPT_MAX_LINE, OPT_THREADS,
	OPT_OTLP_LOGS, OPT_OTLP_HEADER, OPT_OTLP_COMPRESSION, OPT_OTLP_SYSCALLS,
	OPT_OTLP_MAX_BODY,
	OPT_PER_THREAD, OPT_HIST,
	OPT_MIN_SAMPLES, OPT_FOR, OPT_COOLDOWN, OPT_DETECT, OPT_OUTLIER, OPT_ALPHA, OPT_BASE_ALPHA,
	OPT_SAVE_BASELINE, OPT_BASELINE, OPT_NOISE, OPT_FAIL_REGRESSION,
};

static const struct argp_option opts[] = {
	{ NULL, 0, NULL, 0, "Input fields:", 1 },
	{ "name", OPT_NAME, "FIELD", 0, "Brick name field (default name)", 1 },
	{ "value", OPT_VALUE, "FIELD", 0, "Measurement field (default value)", 1 },
	{ "value-unit", OPT_UNIT, "UNIT", 0, "Unit of --value: ns, us (default), ms, s", 1 },
	{ "budget-us", OPT_BUDGET_US, "N", 0, "Budget per sample in µs", 1 },
	{ "budget-field", OPT_BUDGET_FIELD, "FIELD", 0, "Budget (µs) field", 1 },
	{ "pid", OPT_PID, "FIELD|PID", 0, "Process to trace: a PID or a field", 1 },
	{ "type", OPT_TYPE, "TYPE", 0, "Only records whose \"type\" is TYPE", 1 },
	{ "cliff-field", OPT_CLIFF_FIELD, "FIELD", 0, "Higher-is-better rate field", 1 },
	{ "gpu-transfer-field", OPT_GPU_FIELD, "FIELD", 0, "GPU transfer overhead % field", 1 },
	{ "strict", OPT_STRICT, NULL, 0, "Malformed lines and bad fields exit 2", 1 },
	{ "max-line", OPT_MAX_LINE, "SIZE", 0, "Longest input line (default 16MiB)", 1 },
	{ "max-bricks", OPT_MAX_BRICKS, "N", 0, "Most bricks tracked (default 4096)", 1 },
	{ "tee", OPT_TEE, NULL, 0, "Pass input lines through to stdout", 1 },
	{ "threads", OPT_THREADS, "N", 0, "JSON parser threads (0 = online CPUs, 2..8; 1 = serial)", 1 },
	{ NULL, 0, NULL, 0, "Detection:", 2 },
	{ "window", OPT_WINDOW, "N", 0, "Samples per brick window (default 100)", 2 },
	{ "cv", OPT_CV, "PCT", 0, "Escalate when CV % > PCT (default 15)", 2 },
	{ "efficiency", OPT_EFF, "PCT", 0, "Escalate when efficiency % < PCT (default 25)", 2 },
	{ "cliff", OPT_CLIFF, "PCT", 0, "Escalate on a drop > PCT % (default 30)", 2 },
	{ "gpu-transfer", OPT_GPU, "PCT", 0, "Escalate when transfer % > PCT (default 50)", 2 },
	{ "manual", OPT_MANUAL, NULL, 0, "Trace --pid PID now (reason manual)", 2 },
	{ "fail-on-escalation", OPT_FAIL, NULL, 0, "Exit 3 if anything escalated", 2 },
	{ "min-samples", OPT_MIN_SAMPLES, "N", 0,
	  "No CV, efficiency, cliff or --detect verdict below N samples (default 10)", 2 },
	{ "for", OPT_FOR, "N", 0, "Escalate once a condition held N samples in a row (default 1)", 2 },
	{ "cooldown", OPT_COOLDOWN, "DUR", 0,
	  "A brick that escalated stays quiet for DUR (default 60s, 0 = off)", 2 },
	{ "detect", OPT_DETECT, "LIST", 0, "Also: outlier, change_point, all (comma list)", 2 },
	{ "outlier", OPT_OUTLIER, "Z", 0, "Outlier when the modified z-score > Z (default 6)", 2 },
	{ "change-alpha", OPT_ALPHA, "P", 0, "Significance level of change points (default 0.0001)", 2 },
	{ "save-baseline", OPT_SAVE_BASELINE, "FILE", 0, "Write per-brick statistics to FILE", 2 },
	{ "baseline", OPT_BASELINE, "FILE", 0, "Compare the bricks with a saved baseline", 2 },
	{ "noise", OPT_NOISE, "PCT", 0, "Changes within PCT % of the baseline are noise (default 1)", 2 },
	{ "baseline-alpha", OPT_BASE_ALPHA, "P", 0,
	  "Baseline intervals are 1-P confidence intervals (default 0.01)", 2 },
	{ "fail-on-regression", OPT_FAIL_REGRESSION, NULL, 0,
	  "Exit 3 if a brick regressed against --baseline", 2 },
	{ NULL, 0, NULL, 0, "Tracing and export:", 3 },
	{ "rate-limit", OPT_RATE, "N/DUR", 0, "At most N traces per DUR (default 100/60s)", 3 },
	{ "trace-for", OPT_TRACE_FOR, "DUR", 0, "Trace window (default 1s)", 3 },
	{ "follow-children", OPT_FOLLOW, NULL, 0, "Also trace processes the target forks", 3 },
	{ "hook", OPT_HOOK, "HOOK", 0, "Syscall hook: auto (default), fentry_multi, fentry, tp_btf, raw_tp", 3 },
	{ "top", OPT_TOP, "N", 0, "Syscalls listed per trace (default 10)", 3 },
	{ "per-thread", OPT_PER_THREAD, NULL, 0, "Also list syscall figures per thread", 3 },
	{ "hist", OPT_HIST, NULL, 0, "Log2 latency histogram per syscall", 3 },
	{ "otlp", OPT_OTLP, "URL", 0, "POST each escalation as OTLP/JSON to URL", 3 },
	{ "otlp-queue", OPT_OTLP_QUEUE, "N", 0, "OTLP queue length (default 64)", 3 },
	{ "otlp-retries", OPT_OTLP_RETRIES, "N", 0, "Retries per request (default 5)", 3 },
	{ "otlp-timeout", OPT_OTLP_TIMEOUT, "DUR", 0, "Per HTTP attempt (default 2s)", 3 },
	{ "otlp-flush", OPT_OTLP_FLUSH, "DUR", 0, "Wait at exit for the queue (default 5s)", 3 },
	{ "otlp-logs", OPT_OTLP_LOGS, "URL", 0, "POST the syscall log records to URL", 3 },
	{ "otlp-header", OPT_OTLP_HEADER, "KEY=VALUE", 0, "Add an HTTP header (repeatable)", 3 },
	{ "otlp-compression", OPT_OTLP_COMPRESSION, "ALGO", 0, "gzip or none (default none)", 3 },
	{ "otlp-syscalls", OPT_OTLP_SYSCALLS, "FORM", 0,
	  "Syscall table as logs (default), span-events or none", 3 },
	{ "otlp-max-body", OPT_OTLP_MAX_BODY, "SIZE", 0, "Largest request body (default 4MiB)", 3 },
	{ "exec", OPT_EXEC, "CMD", 0, "Run CMD (sh -c); wall time per run is a sample", 3 },
	{ "runs", OPT_RUNS, "N", 0, "Runs of --exec (default 10)", 3 },
	{ NULL, 0, NULL, 0, "Common:", 4 },
	{ 0 },
};

static const char *pid_arg;
static bool min_samples_given;

static void set_field(enum esc_field f, const char *arg, const char *opt)
{
	if (!*arg || strlen(arg) >= 256)
		tk_usage_error("give a field name (1-255 bytes, dots for nested objects)",
			       "%s '%s': bad field name", opt, arg);
	env.fields.key[f] = arg;
}

static double pct_or_err(const char *arg, const char *opt)
{
	return tk_double_or_err(arg, 0, 1e9, opt);
}

static void parse_unit(const char *arg)
{
	static const struct { const char *n; double scale; } units[] = {
		{ "ns", 1e-3 }, { "us", 1 }, { "ms", 1e3 }, { "s", 1e6 },
	};

	for (size_t i = 0; i < TK_ARRAY_SIZE(units); i++) {
		if (!strcmp(arg, units[i].n)) {
			env.fields.value_scale = units[i].scale;
			return;
		}
	}
	tk_usage_error("use ns, us, ms or s", "--value-unit '%s': unknown unit", arg);
}

static void parse_pid(const char *arg)
{
	uint64_t pid;

	pid_arg = arg;
	if (arg[0] >= '0' && arg[0] <= '9') {
		if (tk_parse_u64(arg, 1, INT32_MAX, &pid))
			tk_usage_error("give a process id (1..2147483647) or a field name",
				       "--pid '%s': not a valid PID", arg);
		env.pid = (pid_t)pid;
		return;
	}
	set_field(ESC_F_PID, arg, "--pid");
}

static void parse_detect(const char *arg)
{
	static const struct { const char *n; unsigned mask; } names[] = {
		{ "outlier", ESC_DETECT_OUTLIER }, { "change_point", ESC_DETECT_CHANGE },
		{ "all", ESC_DETECT_OUTLIER | ESC_DETECT_CHANGE },
	};
	const char *p = arg;
	size_t len, i;

	do {
		len = strcspn(p, ",");
		for (i = 0; i < TK_ARRAY_SIZE(names); i++)
			if (strlen(names[i].n) == len && !strncmp(p, names[i].n, len))
				break;
		if (i == TK_ARRAY_SIZE(names))
			tk_usage_error("use outlier, change_point or all, comma-separated",
				       "--detect '%s': unknown detector", arg);
		env.th.detect |= names[i].mask;
		p += len;
	} while (*p++ == ',');
}

static const char *path_or_err(const char *arg, const char *opt)
{
	if (!*arg || strlen(arg) >= PATH_MAX)
		tk_usage_error("give a file path", "%s '%s': not a usable path", opt, arg);
	return arg;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_NAME: set_field(ESC_F_NAME, arg, "--name"); break;
	case OPT_VALUE: set_field(ESC_F_VALUE, arg, "--value"); break;
	case OPT_UNIT: parse_unit(arg); break;
	case OPT_BUDGET_US:
		env.budget_us = tk_double_or_err(arg, 0, 1e15, "--budget-us");
		env.have_budget_us = true;
		break;
	case OPT_BUDGET_FIELD: set_field(ESC_F_BUDGET, arg, "--budget-field"); break;
	case OPT_PID: parse_pid(arg); break;
	case OPT_TYPE:
		if (!*arg)
			tk_usage_error("give a record type such as sample", "--type: empty");
		env.fields.type = arg;
		break;
	case OPT_CLIFF_FIELD: set_field(ESC_F_CLIFF, arg, "--cliff-field"); break;
	case OPT_GPU_FIELD: set_field(ESC_F_GPU, arg, "--gpu-transfer-field"); break;
	case OPT_STRICT: env.strict = true; break;
	case OPT_MAX_LINE: env.max_line = tk_size_or_err(arg, "--max-line");
		if (env.max_line < 64 || env.max_line > (1ULL << 30))
			tk_usage_error("give 64 bytes to 1GiB", "--max-line '%s': out of range", arg);
		break;
	case OPT_MAX_BRICKS:
		env.max_bricks = tk_u64_or_err(arg, 1, 1 << 20, "--max-bricks");
		break;
	case OPT_TEE: env.tee = true; break;
	case OPT_THREADS: env.threads = (unsigned)tk_u64_or_err(arg, 0, 64, "--threads"); break;
	case OPT_WINDOW: env.th.window = tk_u64_or_err(arg, 2, 100000, "--window"); break;
	case OPT_CV: env.th.cv = pct_or_err(arg, "--cv"); break;
	case OPT_EFF: env.th.efficiency = pct_or_err(arg, "--efficiency"); break;
	case OPT_CLIFF: env.th.cliff = tk_double_or_err(arg, 0, 100, "--cliff"); break;
	case OPT_GPU: env.th.gpu = tk_double_or_err(arg, 0, 100, "--gpu-transfer"); break;
	case OPT_MANUAL: env.manual = true; break;
	case OPT_FAIL: env.fail_on_escalation = true; break;
	case OPT_FOLLOW: env.follow = true; break;
	case OPT_PER_THREAD: env.figs.per_thread = true; break;
	case OPT_HIST: env.figs.hist = true; break;
	case OPT_HOOK:
		if (esc_hook_parse(arg, &env.hook))
			tk_usage_error("use auto, fentry_multi, fentry, tp_btf or raw_tp", "--hook '%s': unknown hook", arg);
		break;
	case OPT_RATE:
		if (esc_rl_parse(arg, &env.rl_max, &env.rl_interval_ns))
			tk_usage_error("use N/DURATION, e.g. 100/60s or 5/1m",
				       "--rate-limit '%s': not N/DURATION", arg);
		break;
	case OPT_TRACE_FOR:
		env.trace_ns = tk_duration_or_err(arg, 0, "--trace-for");
		if (env.trace_ns > 3600 * TK_NSEC_PER_SEC)
			tk_usage_error("give at most 1h", "--trace-for '%s': too long", arg);
		break;
	case OPT_TOP: env.top = (unsigned)tk_u64_or_err(arg, 1, ESC_NR_SYSCALLS, "--top"); break;
	case OPT_OTLP:
		if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8))
			tk_usage_error("give an http:// or https:// URL such as "
				       "http://127.0.0.1:4318/v1/traces", "--otlp '%s': not an HTTP URL", arg);
		env.otlp.url = arg;
		break;
	case OPT_OTLP_QUEUE: env.otlp.queue = tk_u64_or_err(arg, 1, 65536, "--otlp-queue"); break;
	case OPT_OTLP_RETRIES:
		env.otlp.retries = (unsigned)tk_u64_or_err(arg, 0, 20, "--otlp-retries");
		break;
	case OPT_OTLP_TIMEOUT:
		env.otlp.timeout_ns = tk_duration_or_err(arg, 0, "--otlp-timeout");
		if (env.otlp.timeout_ns < TK_NSEC_PER_MSEC)
			tk_usage_error("give at least 1ms", "--otlp-timeout '%s': too short", arg);
		break;
	case OPT_OTLP_FLUSH: env.otlp.flush_ns = tk_duration_or_err(arg, 1, "--otlp-flush"); break;
	case OPT_OTLP_LOGS:
		if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8))
			tk_usage_error("give an http:// or https:// URL such as "
				       "http://127.0.0.1:4318/v1/logs", "--otlp-logs '%s': not an HTTP URL",
				       arg);
		env.otlp.logs_url = arg;
		break;
	case OPT_OTLP_HEADER:
		if (esc_otlp_header_check(arg))
			tk_usage_error("give KEY=VALUE: an HTTP token as key (not Content-*), no "
				       "control characters", "--otlp-header '%s': not a usable header",
				       arg);
		if (env.otlp.nheaders >= ESC_OTLP_HEADERS_MAX)
			tk_usage_error("give at most 32", "--otlp-header: too many");
		env.otlp.headers[env.otlp.nheaders++] = arg;
		break;
	case OPT_OTLP_COMPRESSION:
		if (strcmp(arg, "gzip") && strcmp(arg, "none"))
			tk_usage_error("use gzip or none", "--otlp-compression '%s': unknown", arg);
		env.otlp.compression = !strcmp(arg, "gzip");
		break;
	case OPT_OTLP_SYSCALLS:
		if (!strcmp(arg, "logs"))
			env.otlp.syscalls = ESC_OTLP_SC_LOGS;
		else if (!strcmp(arg, "span-events"))
			env.otlp.syscalls = ESC_OTLP_SC_SPAN_EVENTS;
		else if (!strcmp(arg, "none"))
			env.otlp.syscalls = ESC_OTLP_SC_NONE;
		else
			tk_usage_error("use logs, span-events or none",
				       "--otlp-syscalls '%s': unknown form", arg);
		break;
	case OPT_OTLP_MAX_BODY:
		env.otlp.max_body = tk_size_or_err(arg, "--otlp-max-body");
		if (env.otlp.max_body < 4096 || env.otlp.max_body > (64 << 20))
			tk_usage_error("give 4KiB to 64MiB", "--otlp-max-body '%s': out of range", arg);
		break;
	case OPT_EXEC:
		if (!*arg)
			tk_usage_error("give a shell command", "--exec: empty command");
		env.exec_cmd = arg;
		break;
	case OPT_RUNS: env.runs = tk_u64_or_err(arg, 1, 1000000, "--runs"); break;
	case OPT_MIN_SAMPLES:
		env.th.min_samples = tk_u64_or_err(arg, 1, 100000, "--min-samples");
		min_samples_given = true;
		break;
	case OPT_FOR: env.th.hold = tk_u64_or_err(arg, 1, 1000000, "--for"); break;
	case OPT_COOLDOWN: env.th.cooldown_ns = tk_duration_or_err(arg, 1, "--cooldown"); break;
	case OPT_DETECT: parse_detect(arg); break;
	case OPT_OUTLIER: env.th.outlier_z = tk_double_or_err(arg, 0, 1e6, "--outlier"); break;
	case OPT_ALPHA: env.th.alpha = tk_double_or_err(arg, 1e-12, 0.5, "--change-alpha"); break;
	case OPT_BASE_ALPHA:
		env.baseline_alpha = tk_double_or_err(arg, 1e-12, 0.5, "--baseline-alpha");
		break;
	case OPT_SAVE_BASELINE:
		env.save_baseline_path = path_or_err(arg, "--save-baseline");
		break;
	case OPT_BASELINE: env.baseline_path = path_or_err(arg, "--baseline"); break;
	case OPT_NOISE: env.noise_pct = tk_double_or_err(arg, 0, 1000, "--noise"); break;
	case OPT_FAIL_REGRESSION: env.fail_on_regression = true; break;
	case ARGP_KEY_ARG:
		tk_usage_error("options only; input comes on stdin", "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void check_combinations(void)
{
	if (env.have_budget_us && env.fields.key[ESC_F_BUDGET])
		tk_usage_error("give one of them", "--budget-us and --budget-field exclude each other");
	if (env.manual && !env.pid)
		tk_usage_error("give --pid PID (a number) with --manual",
			       "--manual needs --pid PID");
	if (env.manual && env.exec_cmd)
		tk_usage_error("give one of them", "--manual and --exec exclude each other");
	if (env.exec_cmd && pid_arg)
		tk_usage_error("drop --pid: --exec traces its own child",
			       "--exec and --pid exclude each other");
	if (!min_samples_given && env.th.min_samples > env.th.window)
		env.th.min_samples = env.th.window;
	if (env.th.min_samples > env.th.window)
		tk_usage_error("give --min-samples at most --window",
			       "--min-samples %zu exceeds --window %zu", env.th.min_samples,
			       env.th.window);
	if (env.fail_on_regression && !env.baseline_path)
		tk_usage_error("give --baseline FILE", "--fail-on-regression needs --baseline");
	if (env.manual && (env.baseline_path || env.save_baseline_path))
		tk_usage_error("drop --manual", "--manual has no samples for a baseline");
}

int main(int argc, char **argv)
{
	static const struct tk_cli_cmd cli = {
		"escalate-trace", opts, parse_arg, NULL, doc,
		TK_OPT_FORMAT | TK_OPT_VERBOSE | TK_OPT_INTERVAL | TK_OPT_TEXTFILE, NULL, 4,
	};
	struct esc_run r = { .env = &env };
	struct esc_otlp_stats os = { 0 }, *osp = NULL;
	const char *fix;
	char msg[192];
	int rc = 0, err;

	tk_cli_parse(&cli, argc, argv);
	check_combinations();
	if (tk_cli.interval_set) {
		if (tk_cli.interval_ns < 10 * TK_NSEC_PER_MSEC)
			tk_usage_error("give at least 10ms", "--interval: shorter than 10ms");
		env.figs.interval_ns = tk_cli.interval_ns;
	}
	esc_baseline_begin(&r);
	tk_stop_install();
	env.start_boot_ns = tk_now_boot_ns();
	if (env.exec_cmd) {
		env.fields.key[ESC_F_VALUE] = env.fields.key[ESC_F_NAME] = NULL;
		env.follow = true;
		env.th.exact = true;   /* each run's record reports the window's CV */
	}

	if (!env.threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		env.threads = cpus < 2 ? 2 : cpus > 8 ? 8 : (unsigned)cpus;
	}
	esc_rl_init(&r.rl, env.rl_max, env.rl_interval_ns);
	r.bricks = esc_bricks_new(&env.th, env.max_bricks);
	if (!r.bricks)
		tk_die(TK_EXIT_RUNTIME, NULL, "out of memory");
	if (esc_otlp_wanted(&env.otlp)) {
		err = esc_otlp_start(&r.otlp, &env.otlp, msg, sizeof(msg), &fix);
		if (err == -EINVAL)
			tk_usage_error(fix, "%s", msg);
		if (err) {
			tk_error(NULL, "--otlp: cannot start the exporter: %s", msg);
			rc = TK_EXIT_RUNTIME;
			goto cleanup;
		}
	}

	if (env.manual)
		rc = esc_manual_main(&r);
	else if (env.exec_cmd)
		rc = esc_exec_main(&r);
	else if (env.threads >= 2)
		rc = esc_stream_threaded(&r);
	else
		rc = esc_stream_serial(&r);

	if (r.otlp) {
		esc_otlp_stop(r.otlp, &os);
		r.otlp = NULL;
		osp = &os;
		if (os.failed || os.dropped)
			tk_warn("--otlp: %llu export(s) failed, %llu dropped%s%s",
				(unsigned long long)os.failed, (unsigned long long)os.dropped,
				os.last_error[0] ? "; last error: " : "", os.last_error);
		if (os.too_large)
			tk_warn("--otlp: %llu request(s) over --otlp-max-body %zu bytes not sent",
				(unsigned long long)os.too_large, env.otlp.max_body);
		if (os.partial)
			tk_warn("--otlp: the collector rejected %llu span(s) and %llu log record(s) "
				"(partial success in %llu response(s))%s%s",
				(unsigned long long)os.rejected_spans,
				(unsigned long long)os.rejected_logs, (unsigned long long)os.partial,
				os.last_partial[0] ? "; last message: " : "", os.last_partial);
	}
	if (!rc)   /* also when stdout went away: the baseline file does not need it */
		rc = esc_baseline_end(&r);
	if (!tk_out.broken && rc != TK_EXIT_USAGE)
		esc_report_summary(&r, osp);
	if (!rc && env.fail_on_escalation && r.c.escalations)
		rc = TK_EXIT_CHECK;
	if (!rc && env.fail_on_regression && r.cmp[ESC_CMP_REGRESSED])
		rc = TK_EXIT_CHECK;
cleanup:
	if (r.otlp)
		esc_otlp_stop(r.otlp, &os);
	esc_tracer_close(r.tracer);
	esc_bricks_free(r.bricks);
	esc_baseline_free(r.baseline);
	return rc;
}
