// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * scx.c — the sched_ext scheduler a run met: /sys/kernel/sched_ext (state,
 * switch_all, nr_rejected, enable_seq) and, with a scheduler attached,
 * root/ops and root/events, read before the workers start and after they
 * end.  The kernel writes the events file as "%s %llu\n" per counter
 * (scx_attr_events_show); enable_seq grows by one each time a scheduler is
 * enabled, so a scheduler swapped during the run is seen even when the new
 * one has the same name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "ws.h"

#define SCX_FILE_MAX 8192   /* sysfs gives at most a page; anything larger is refused */

const char *ws_scx_dir(void)
{
	const char *d = getenv("TELKIT_SCX_SYSFS");   /* test hook: a fake tree */

	return d && d[0] == '/' && strlen(d) < 256 ? d : "/sys/kernel/sched_ext";
}

/* Read @rel under the sched_ext directory into @buf (NUL-terminated); length or -errno. */
static ssize_t read_file(const char *rel, char *buf, size_t size)
{
	char path[320];
	struct stat st;
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ws_scx_dir(), rel);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   /* a FIFO must not block */
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {   /* sysfs attributes are files */
		close(fd);
		return -EINVAL;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, size - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (r == 0)
			break;
		len += r;
		if (len == size - 1) {   /* full: refuse unless this was the end */
			char extra;

			r = read(fd, &extra, 1);
			close(fd);
			return r == 0 ? (buf[len] = '\0', (ssize_t)len) : -EFBIG;
		}
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* The first line of a one-value file, or -errno. */
static int read_line(const char *rel, char *buf, size_t size)
{
	ssize_t n = read_file(rel, buf, size);

	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int64_t read_num(const char *rel)
{
	char buf[32];
	int64_t v;

	if (read_line(rel, buf, sizeof(buf)) || tk_parse_i64(buf, 0, INT64_MAX, &v))
		return -1;
	return v;
}

static bool name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int ws_scx_parse_events(const char *buf, size_t len, struct ws_scx_event *ev, unsigned max,
			unsigned *n)
{
	size_t off = 0;

	*n = 0;
	while (off < len) {
		const char *line = buf + off, *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) : len - off, k = 0;
		char num[24];

		off += ll + (nl != NULL);
		while (k < ll && name_char(line[k]))
			k++;
		if (!k || k >= WS_SCX_NAME || k >= ll || line[k] != ' ' || ll - k - 1 >= sizeof(num) ||
		    ll - k - 1 == 0)
			return -EBADMSG;
		if (*n >= max)
			return -E2BIG;
		memcpy(num, line + k + 1, ll - k - 1);
		num[ll - k - 1] = '\0';
		if (num[0] < '0' || num[0] > '9' || tk_parse_u64(num, 0, UINT64_MAX, &ev[*n].val))
			return -EBADMSG;
		memcpy(ev[*n].name, line, k);
		ev[*n].name[k] = '\0';
		for (unsigned i = 0; i < *n; i++)
			if (!strcmp(ev[i].name, ev[*n].name))
				return -EBADMSG;
		(*n)++;
	}
	return 0;
}

int ws_scx_canon(const char *in, char *out, size_t size)
{
	const char *p = strncasecmp(in, "SCX_EV_", 7) ? in : in + 7;
	size_t n = strlen(p);

	if (!n || n + 8 > size)
		return -EINVAL;
	memcpy(out, "SCX_EV_", 7);
	for (size_t i = 0; i <= n; i++) {
		char c = p[i] >= 'a' && p[i] <= 'z' ? p[i] - 'a' + 'A' : p[i];

		if (c && !name_char(c))
			return -EINVAL;
		out[7 + i] = c;
	}
	return 0;
}

void ws_scx_snapshot(struct ws_scx_snap *s)
{
	static char buf[SCX_FILE_MAX];
	struct stat st;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->switch_all = s->nr_rejected = s->enable_seq = -1;
	s->events_err = -ENOENT;
	if (stat(ws_scx_dir(), &st) || !S_ISDIR(st.st_mode))
		return;
	s->present = true;
	if (!read_line("state", buf, sizeof(buf)) && strlen(buf) < sizeof(s->state) &&
	    strspn(buf, "abcdefghijklmnopqrstuvwxyz_") == strlen(buf))
		snprintf(s->state, sizeof(s->state), "%s", buf);
	s->switch_all = read_num("switch_all");
	s->nr_rejected = read_num("nr_rejected");
	s->enable_seq = read_num("enable_seq");
	if (!read_line("root/ops", buf, sizeof(buf))) {
		s->has_ops = true;
		snprintf(s->ops, sizeof(s->ops), "%.*s", (int)sizeof(s->ops) - 1, buf);
		for (char *c = s->ops; *c; c++)   /* it reaches error lines: no controls */
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	n = read_file("root/events", buf, sizeof(buf));
	s->events_err = n < 0 ? (int)n : ws_scx_parse_events(buf, n, s->ev, WS_SCX_EVENTS, &s->nev);
	if (s->events_err)
		s->nev = 0;
}

static const struct ws_scx_event *find(const struct ws_scx_snap *s, const char *name)
{
	for (unsigned i = 0; i < s->nev; i++)
		if (!strcmp(s->ev[i].name, name))
			return &s->ev[i];
	return NULL;
}

static void warn_events(const struct ws_scx_snap *s)
{
	if (s->events_err && s->events_err != -ENOENT)
		tk_warn("%s/root/events: %s: no sched_ext event counters", ws_scx_dir(),
			s->events_err == -EBADMSG ? "not NAME N lines" : s->events_err == -EINVAL ?
			"not a regular file" : s->events_err == -E2BIG ? "more than 64 counters" :
			strerror(-s->events_err));
}

void ws_scx_finish(struct ws_scx *x)
{
	const struct ws_scx_snap *a = &x->t0, *b = &x->t1;

	x->changed = a->present != b->present || a->enable_seq != b->enable_seq ||
		     a->has_ops != b->has_ops || strcmp(a->ops, b->ops) ||
		     strcmp(a->state, b->state);
	x->deltas = false;
	warn_events(a);
	if (b->events_err != a->events_err)
		warn_events(b);
	if (x->changed) {
		tk_warn("the sched_ext scheduler changed during the run (%s%s%s, enable_seq %lld -> "
			"%lld): no counter deltas", a->has_ops ? a->ops : "none", " -> ",
			b->has_ops ? b->ops : "none", (long long)a->enable_seq,
			(long long)b->enable_seq);
		return;
	}
	if (a->events_err || b->events_err)
		return;
	for (unsigned i = 0; i < b->nev; i++) {
		const struct ws_scx_event *e = find(a, b->ev[i].name);

		if (!e || e->val > b->ev[i].val) {   /* reset or new: not the same counters */
			x->changed = true;
			tk_warn("sched_ext counter %s %s during the run: no counter deltas",
				b->ev[i].name, e ? "went back" : "appeared");
			return;
		}
		x->d[i] = b->ev[i].val - e->val;
	}
	x->deltas = true;
}

void ws_scx_validate(const struct ws_scx_snap *s, const struct ws_opts *o)
{
	for (unsigned k = 0; k < o->nasserts; k++) {
		const struct ws_assert *a = &o->asserts[k];

		if (a->kind != WS_A_SCX_EVENTS || s->events_err)
			continue;
		for (unsigned i = 0; i < a->nbounds; i++)
			if (!find(s, a->bounds[i].name))
				tk_usage_error("name a counter listed in root/events (with or without "
					       "SCX_EV_)", "--assert scx-events-clean: %s: this kernel "
					       "has no such sched_ext event counter", a->bounds[i].name);
	}
}
