// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * baselinefile.c — the baseline file: written through a temporary file +
 * rename (common/atomicfile.h), read as hostile input (bounded, every
 * field validated, errors say what and where).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "atomicfile.h"
#include "baseline.h"
#include "output.h"

#define FORMAT_NAME "telkit-escalate-trace-baseline"
#define FORMAT_VERSION 1
#define JSON_DEPTH 8

struct esc_baseline {
	struct esc_brick_stats *b;   /* sorted by name; names owned here */
	size_t n;
};

void esc_baseline_free(struct esc_baseline *bl)
{
	if (!bl)
		return;
	for (size_t i = 0; i < bl->n; i++)
		free((char *)bl->b[i].name);
	free(bl->b);
	free(bl);
}

static int fail(char *err, size_t errsz, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errsz, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return code;
}

/* The whole file, at most ESC_BASELINE_MAX_BYTES, NUL-terminated. */
static int read_bounded(const char *path, char **out, size_t *len, char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t r;
	int e;

	if (fd < 0)
		return fail(err, errsz, -errno, "%s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errsz, -EINVAL, "not a regular file");
	}
	for (;;) {
		if (n + 1 >= cap || !buf) {
			if (buf)
				cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				e = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = fail(err, errsz, -errno, "%s", strerror(errno));
			goto out;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n > ESC_BASELINE_MAX_BYTES) {
			e = fail(err, errsz, -EFBIG, "larger than %u bytes", ESC_BASELINE_MAX_BYTES);
			goto out;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
out:
	close(fd);
	free(buf);
	if (e == -ENOMEM)
		fail(err, errsz, e, "out of memory");
	return e;
}

/* A finite non-negative number (JSON int or double). */
static int get_num(struct json_object *o, const char *key, double *x)
{
	struct json_object *v;
	enum json_type t;

	if (!json_object_object_get_ex(o, key, &v))
		return -ENOENT;
	t = json_object_get_type(v);
	if (t != json_type_int && t != json_type_double)
		return -EINVAL;
	*x = json_object_get_double(v);
	return isfinite(*x) && *x >= 0 ? 0 : -EINVAL;
}

static bool only_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct esc_brick_stats *)a)->name,
		      ((const struct esc_brick_stats *)b)->name);
}

/* One entry of "bricks"; @name is copied into d->name. */
static int parse_brick(struct json_object *o, size_t i, struct esc_brick_stats *d,
		       char *err, size_t errsz)
{
	static const char *const keys[] = { "mean_us", "sd_us", "min_us", "max_us" };
	double *vals[] = { &d->mean, &d->sd, &d->min, &d->max };
	struct json_object *v;
	const char *s;
	int64_t n;
	int len;

	if (!json_object_is_type(o, json_type_object))
		return fail(err, errsz, -EINVAL, "bricks[%zu]: not an object", i);
	if (!json_object_object_get_ex(o, "name", &v) || !json_object_is_type(v, json_type_string))
		return fail(err, errsz, -EINVAL, "bricks[%zu].name: missing or not a string", i);
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len < 1 || len >= ESC_NAME_MAX || strlen(s) != (size_t)len)
		return fail(err, errsz, -EINVAL, "bricks[%zu].name: not 1-%d bytes without NUL",
			    i, ESC_NAME_MAX - 1);
	if (!json_object_object_get_ex(o, "n", &v) || !json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < 1 || n > (INT64_C(1) << 53))
		return fail(err, errsz, -EINVAL, "bricks[%zu].n: not an integer in 1..2^53", i);
	d->n = (uint64_t)n;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (get_num(o, keys[k], vals[k]))
			return fail(err, errsz, -EINVAL, "bricks[%zu].%s: missing or not a "
				    "finite non-negative number", i, keys[k]);
	if (d->min > d->max || d->mean < d->min || d->mean > d->max)
		return fail(err, errsz, -EINVAL, "bricks[%zu]: mean_us outside min_us..max_us", i);
	d->name = strdup(s);
	return d->name ? 0 : fail(err, errsz, -ENOMEM, "out of memory");
}

static int check_header(struct json_object *root, struct json_object **bricks,
			char *err, size_t errsz)
{
	struct json_object *v;

	if (!json_object_is_type(root, json_type_object))
		return fail(err, errsz, -EINVAL, "not one JSON object");
	if (!json_object_object_get_ex(root, "format", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), FORMAT_NAME))
		return fail(err, errsz, -EINVAL, "format is not \"" FORMAT_NAME "\"");
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != FORMAT_VERSION)
		return fail(err, errsz, -EINVAL, "version is not %d", FORMAT_VERSION);
	if (!json_object_object_get_ex(root, "unit", &v) ||
	    !json_object_is_type(v, json_type_string) || strcmp(json_object_get_string(v), "us"))
		return fail(err, errsz, -EINVAL, "unit is not \"us\"");
	if (!json_object_object_get_ex(root, "bricks", bricks) ||
	    !json_object_is_type(*bricks, json_type_array))
		return fail(err, errsz, -EINVAL, "bricks: missing or not an array");
	return 0;
}

static int parse_root(struct json_object *root, size_t max_bricks, struct esc_baseline *bl,
		      char *err, size_t errsz)
{
	struct json_object *bricks;
	size_t n;
	int e = check_header(root, &bricks, err, errsz);

	if (e)
		return e;
	n = json_object_array_length(bricks);
	if (n > max_bricks)
		return fail(err, errsz, -E2BIG, "%zu bricks, more than --max-bricks %zu",
			    n, max_bricks);
	bl->b = calloc(n ? n : 1, sizeof(*bl->b));
	if (!bl->b)
		return fail(err, errsz, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		e = parse_brick(json_object_array_get_idx(bricks, i), i, &bl->b[i], err, errsz);
		if (e)
			return e;
		bl->n++;
	}
	qsort(bl->b, bl->n, sizeof(*bl->b), by_name);
	for (size_t i = 1; i < bl->n; i++)
		if (!strcmp(bl->b[i - 1].name, bl->b[i].name))
			return fail(err, errsz, -EINVAL, "brick \"%.64s\" appears twice",
				    bl->b[i].name);
	return 0;
}

int esc_baseline_parse(const char *text, size_t len, size_t max_bricks,
		       struct esc_baseline **out, char *err, size_t errsz)
{
	struct esc_baseline *bl = calloc(1, sizeof(*bl));
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	struct json_object *root = NULL;
	size_t end;
	int e;

	if (!bl || !tok) {
		e = fail(err, errsz, -ENOMEM, "out of memory");
		goto out;
	}
	if (len > INT32_MAX || memchr(text, '\0', len)) {
		e = fail(err, errsz, -EINVAL, "not valid JSON (a NUL byte, or too long)");
		goto out;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!root || json_tokener_get_error(tok) != json_tokener_success || end > len ||
	    !only_space(text + end, len - end)) {
		e = fail(err, errsz, -EINVAL, "not valid JSON (or nested deeper than %d)",
			 JSON_DEPTH);
		goto out;
	}
	e = parse_root(root, max_bricks, bl, err, errsz);
out:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	if (e) {
		esc_baseline_free(bl);
		return e;
	}
	*out = bl;
	return 0;
}

int esc_baseline_load(const char *path, size_t max_bricks, struct esc_baseline **out,
		      char *err, size_t errsz)
{
	char *text = NULL;
	size_t len = 0;
	int e = read_bounded(path, &text, &len, err, errsz);

	if (!e)
		e = esc_baseline_parse(text, len, max_bricks, out, err, errsz);
	free(text);
	return e;
}

const struct esc_brick_stats *esc_baseline_bricks(const struct esc_baseline *bl, size_t *n)
{
	*n = bl->n;
	return bl->b;
}

int esc_baseline_save(const char *path, const struct esc_brick_stats *st, size_t n)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct tk_afile af;
	int e;

	json_object_object_add(root, "format", json_object_new_string(FORMAT_NAME));
	json_object_object_add(root, "version", json_object_new_int(FORMAT_VERSION));
	json_object_object_add(root, "unit", json_object_new_string("us"));
	for (size_t i = 0; i < n; i++) {
		struct json_object *o;

		if (!st[i].n)   /* a brick of cliff or GPU samples only: no values */
			continue;
		o = json_object_new_object();
		tk_rec_str(o, "name", st[i].name);
		tk_rec_u64(o, "n", st[i].n);
		tk_rec_dbl(o, "mean_us", st[i].mean);
		tk_rec_dbl(o, "sd_us", st[i].sd);
		tk_rec_dbl(o, "min_us", st[i].min);
		tk_rec_dbl(o, "max_us", st[i].max);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "bricks", arr);
	e = tk_afile_open(&af, path, 0);
	if (!e) {
		fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN), af.f);
		fputc('\n', af.f);
		e = tk_afile_commit(&af);
	}
	json_object_put(root);
	return e;
}

