// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * check.c — the --check FILE mode: read the last summary record of a saved
 * -j run, and check its counters against the seed's rules and its target's
 * (cuda-device: h2d_accounting) (telemetry.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "array.h"
#include "errors.h"
#include "output.h"

#include "ingest.h"

static const struct {
	const char *key;
	size_t off;
} counter_keys[] = {
#define K(f) { #f, offsetof(struct telemetry, f) },
	TEL_SEED_COUNTERS(K)
#undef K
};

/* The summary's target (host when absent or unknown). */
static enum ingest_target target_from_json(struct json_object *o)
{
	static const enum ingest_target kinds[] = { TARGET_CUDA_HOST, TARGET_CUDA_DEVICE };
	struct json_object *v;

	if (!json_object_object_get_ex(o, "target", &v) || !json_object_is_type(v, json_type_string))
		return TARGET_HOST;
	for (size_t i = 0; i < TK_ARRAY_SIZE(kinds); i++)
		if (!strcmp(json_object_get_string(v), target_name(kinds[i])))
			return kinds[i];
	return TARGET_HOST;
}

/* A non-negative integer field @key into *@out; false when absent or not one. */
static bool u64_field(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

/*
 * Counters, path and target of one summary record (h2d_bytes too for
 * cuda-device); -EINVAL names what is missing.
 */
static int tel_from_json(struct json_object *o, struct telemetry *t,
			 enum ingest_path *p, enum ingest_target *k, const char **missing)
{
	struct json_object *v;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < TK_ARRAY_SIZE(counter_keys); i++) {
		if (!u64_field(o, counter_keys[i].key, (uint64_t *)((char *)t + counter_keys[i].off))) {
			*missing = counter_keys[i].key;
			return -EINVAL;
		}
	}
	*k = target_from_json(o);
	if (*k == TARGET_CUDA_DEVICE && !u64_field(o, "h2d_bytes", &t->h2d_bytes)) {
		*missing = "h2d_bytes";
		return -EINVAL;
	}
	if (!json_object_object_get_ex(o, "path", &v) || !json_object_is_type(v, json_type_string) ||
	    path_by_name(json_object_get_string(v), p))
		*p = PATH_REGISTERED;
	return 0;
}

int check_run(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct json_object *last = NULL;
	struct tel_violation v[8];
	struct telemetry t;
	enum ingest_path p;
	enum ingest_target k;
	const char *missing = NULL;
	char *line = NULL;
	size_t cap = 0;
	int n;

	if (!f)
		tk_usage_error("give a readable file of JSON lines (nvme-gpu-ingest -j output)",
			       "--check '%s': %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		struct json_object *o = json_tokener_parse(line), *ty;

		if (o && json_object_object_get_ex(o, "type", &ty) &&
		    !strcmp(json_object_get_string(ty), "summary")) {
			json_object_put(last);
			last = o;
		} else {
			json_object_put(o);
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (!last)
		tk_usage_error("give the -j output of a run", "--check '%s': no summary record found", path);
	if (tel_from_json(last, &t, &p, &k, &missing)) {
		json_object_put(last);
		tk_usage_error("give the -j output of a run", "--check '%s': summary lacks counter %s",
			       path, missing);
	}
	json_object_put(last);
	n = tel_validate(&t, p, v, 8);
	n += tel_validate_target(&t, k, v + (n < 8 ? n : 8), 8 - (n < 8 ? n : 8));
	if (!n) {
		struct json_object *r = tk_record_new("event");

		tk_rec_str(r, "event", "validate");
		tk_rec_str(r, "path", path_name(p));
		tk_rec_bool(r, "pass", true);
		tk_emit(r);
		return TK_EXIT_OK;
	}
	report_violations(v, n < 8 ? n : 8);
	return TK_EXIT_CHECK;
}
