// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progstats' live screen (ncurses), drawn in place of the scrolling table on
 * a terminal: a header, the table, a detail pane with sparklines of the
 * selected program.  Columns are rows of cols[]: a new column is one line
 * there.  The screen keeps its own copy of the last sample, so a paused or
 * redrawn screen never reads a snapshot the sampling loop has reused.
 * stderr is parked in a memfd while the screen is up and replayed after it
 * is gone, so warnings and threshold lines cannot scribble over it.
 */
#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "bpfutil.h"
#include "buf.h"
#include "clock.h"
#include "escape.h"
#include "progstats.h"

#define HIST_N     40            /* samples kept per program for sparklines */
#define FILTER_MAX 64
#define HEAD_LINES 4             /* header, totals, keys, column titles */
#define PANE_LINES 9             /* the detail pane, with its rule */
#define PANE_MAPS  16            /* map ids listed in the pane */
#define STDERR_REPLAY_MAX (64 * 1024)

/* One table column: numeric (num) or text (text). */
struct tui_col {
	const char *title;
	int width;                   /* 0: the last column, takes what is left */
	double (*num)(const struct ps_prog *p);
	const char *fmt;             /* for num */
	void (*text)(const struct ps_prog *p, char *buf, size_t size);
};

static double c_id(const struct ps_prog *p) { return p->id; }
static double c_cpu(const struct ps_prog *p) { return p->cpu_pct; }
static double c_eps(const struct ps_prog *p) { return p->events_per_sec; }
static double c_npc(const struct ps_prog *p) { return p->period_ns_per_call; }
static double c_cnt(const struct ps_prog *p) { return (double)p->cnt; }
static double c_nsecs(const struct ps_prog *p) { return (double)p->nsecs; }

static void c_type(const struct ps_prog *p, char *buf, size_t size)
{
	char tbuf[32];

	snprintf(buf, size, "%s", tk_prog_type_name(p->type, tbuf, sizeof(tbuf)));
}

static void c_name(const struct ps_prog *p, char *buf, size_t size)
{
	tk_escape_visible(buf, size, p->name);
}

static const struct tui_col cols[] = {
	{ "ID", 7, c_id, "%.0f", NULL },
	{ "TYPE", 13, NULL, NULL, c_type },
	{ "CPU%", 7, c_cpu, "%.2f", NULL },
	{ "EVENTS/S", 10, c_eps, "%.0f", NULL },
	{ "NS/CALL", 9, c_npc, "%.0f", NULL },
	{ "RUN_CNT", 12, c_cnt, "%.0f", NULL },
	{ "RUN_TIME_NS", 14, c_nsecs, "%.0f", NULL },
	{ "NAME", 0, NULL, NULL, c_name },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))
#define COL_CPU 2

/* The last HIST_N period values of one program. */
struct hist {
	__u32 id;
	char tag[17];
	unsigned n, head;            /* samples kept; next slot */
	double npc[HIST_N], eps[HIST_N];
};

struct ps_tui {
	SCREEN *scr;
	int saved_err, memfd;        /* stderr while the screen is up */
	struct ps_prog *rows;        /* the last sample, copied */
	size_t nrows, rows_cap;
	const struct ps_prog **shown; /* filtered and sorted */
	size_t nshown, shown_cap;
	struct hist *hist, *hist_old; /* ascending by id */
	size_t nhist, hist_cap, hist_old_cap;
	const struct ps_pids *pids;
	/* the header's facts of the last sample */
	char stats[32];
	uint64_t seq, period_ns;
	size_t total;
	double duty;
	/* what the person chose */
	size_t sort;
	bool desc, paused, detail, editing;
	char filter[FILTER_MAX], filter_old[FILTER_MAX];
	__u32 sel_id;
	char sel_tag[17];
	size_t sel, top;
};

static struct ps_tui *active;    /* for the atexit restore */

static void draw(struct ps_tui *t);

static void restore_at_exit(void)
{
	if (active)
		ps_tui_close(active);
}

/* Park stderr in a memfd; -errno. */
static int park_stderr(struct ps_tui *t)
{
	t->memfd = memfd_create("progstats-stderr", MFD_CLOEXEC);
	if (t->memfd < 0)
		return -errno;
	t->saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (t->saved_err < 0 || dup2(t->memfd, STDERR_FILENO) < 0) {
		int err = -errno;

		if (t->saved_err >= 0)
			close(t->saved_err);
		close(t->memfd);
		t->saved_err = t->memfd = -1;
		return err;
	}
	return 0;
}

/* Put stderr back and write what was parked (its last STDERR_REPLAY_MAX bytes). */
static void replay_stderr(struct ps_tui *t)
{
	char buf[4096];
	off_t size;
	ssize_t n;

	if (t->saved_err < 0)
		return;
	fflush(stderr);
	dup2(t->saved_err, STDERR_FILENO);
	close(t->saved_err);
	t->saved_err = -1;
	size = lseek(t->memfd, 0, SEEK_END);
	lseek(t->memfd, size > STDERR_REPLAY_MAX ? size - STDERR_REPLAY_MAX : 0, SEEK_SET);
	while ((n = read(t->memfd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) != n)
			break;
	close(t->memfd);
	t->memfd = -1;
}

struct ps_tui *ps_tui_open(const struct ps_pids *pids)
{
	struct ps_tui *t = calloc(1, sizeof(*t));
	const char *term = getenv("TERM");

	if (!t)
		return NULL;
	t->saved_err = t->memfd = -1;
	t->sort = COL_CPU;
	t->desc = true;
	t->pids = pids;
	if (!term || !*term || !strcmp(term, "dumb"))
		goto fail;
	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr)
		goto fail;
	if (park_stderr(t)) {
		endwin();
		delscreen(t->scr);
		goto fail;
	}
	active = t;
	atexit(restore_at_exit);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	draw(t);
	return t;
fail:
	free(t);
	return NULL;
}

void ps_tui_close(struct ps_tui *t)
{
	if (!t)
		return;
	if (t->scr) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
	}
	fflush(stdout);
	replay_stderr(t);
	if (active == t)
		active = NULL;
	free(t->rows);
	free(t->shown);
	free(t->hist);
	free(t->hist_old);
	free(t);
}

/* --- the model ------------------------------------------------------------ */

static struct hist *hist_find(struct hist *v, size_t n, __u32 id, const char *tag)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].id == id)
			return strcmp(v[mid].tag, tag) ? NULL : &v[mid];
		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_row_id(const void *a, const void *b)
{
	const struct ps_prog *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* History of the programs of this sample (rows ascending by id). */
static int hist_update(struct ps_tui *t)
{
	struct hist *tmp;
	size_t tcap;

	if (tk_grow((void **)&t->hist_old, &t->hist_old_cap, t->nrows * sizeof(*t->hist), 0))
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++) {
		const struct ps_prog *p = &t->rows[i];
		struct hist *h = &t->hist_old[i], *o = hist_find(t->hist, t->nhist, p->id, p->tag);

		if (o)
			*h = *o;
		else
			*h = (struct hist){ .id = p->id };
		snprintf(h->tag, sizeof(h->tag), "%s", p->tag);
		if (p->is_new)
			continue;  /* no period yet */
		h->npc[h->head] = p->period_ns_per_call;
		h->eps[h->head] = p->events_per_sec;
		h->head = (h->head + 1) % HIST_N;
		if (h->n < HIST_N)
			h->n++;
	}
	tmp = t->hist, t->hist = t->hist_old, t->hist_old = tmp;
	tcap = t->hist_cap, t->hist_cap = t->hist_old_cap, t->hist_old_cap = tcap;
	t->nhist = t->nrows;
	return 0;
}

static int cmp_shown(const void *a, const void *b, void *ctx)
{
	const struct ps_tui *t = ctx;
	const struct tui_col *c = &cols[t->sort];
	const struct ps_prog *x = *(const struct ps_prog *const *)a;
	const struct ps_prog *y = *(const struct ps_prog *const *)b;
	int r;

	if (c->num) {
		double vx = c->num(x), vy = c->num(y);

		r = vx < vy ? -1 : vx > vy;
	} else {
		char bx[PS_NAME_MAX * 4], by[PS_NAME_MAX * 4];

		c->text(x, bx, sizeof(bx));
		c->text(y, by, sizeof(by));
		r = strcmp(bx, by);
	}
	if (t->desc)
		r = -r;
	return r ? r : (x->id < y->id ? -1 : x->id > y->id);
}

static bool matches(const struct ps_tui *t, const struct ps_prog *p)
{
	char type[32];

	if (!t->filter[0])
		return true;
	c_type(p, type, sizeof(type));
	return strcasestr(p->name, t->filter) || strcasestr(type, t->filter);
}

/* Filter, sort, and find the selection again (by id and tag). */
static void arrange(struct ps_tui *t)
{
	t->nshown = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (matches(t, &t->rows[i]))
			t->shown[t->nshown++] = &t->rows[i];
	if (t->nshown > 1)
		qsort_r(t->shown, t->nshown, sizeof(*t->shown), cmp_shown, t);
	for (size_t i = 0; i < t->nshown; i++)
		if (t->shown[i]->id == t->sel_id && !strcmp(t->shown[i]->tag, t->sel_tag)) {
			t->sel = i;
			return;
		}
	if (t->sel >= t->nshown)
		t->sel = t->nshown ? t->nshown - 1 : 0;
	if (t->nshown) {
		t->sel_id = t->shown[t->sel]->id;
		snprintf(t->sel_tag, sizeof(t->sel_tag), "%s", t->shown[t->sel]->tag);
	}
}

/* --- drawing ---------------------------------------------------------------- */

/* @v in @width columns: exact when it fits, else with a K/M/G/T suffix. */
static void fit_num(char *buf, size_t size, int width, const char *fmt, double v)
{
	static const char sfx[] = "KMGTPE";
	int n = snprintf(buf, size, fmt, v);

	for (int i = 0; n > width && i < 6; i++) {
		v /= 1000;
		n = snprintf(buf, size, "%.1f%c", v, sfx[i]);
	}
}

static void draw_cell(int y, int x, int width, const char *s, bool right)
{
	int len = (int)strlen(s);

	if (width <= 0)
		return;
	if (right && len < width)
		x += width - len;
	mvaddnstr(y, x, s, width);
}

static int col_width(size_t c, int x)
{
	return cols[c].width ? cols[c].width : COLS - x;
}

static void draw_titles(struct ps_tui *t, int y)
{
	char title[32];
	int x = 0;

	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	for (size_t c = 0; c < NCOLS && x < COLS; c++) {
		int w = col_width(c, x);

		snprintf(title, sizeof(title), "%s%s", cols[c].title,
			 c == t->sort ? (t->desc ? "v" : "^") : "");
		draw_cell(y, x, w, title, cols[c].num != NULL);
		x += w + 1;
	}
	attroff(A_REVERSE);
}

static void draw_row(const struct ps_prog *p, int y, bool sel)
{
	char buf[PS_NAME_MAX * 4];
	int x = 0;

	if (sel) {
		attron(A_BOLD | A_STANDOUT);
		mvhline(y, 0, ' ', COLS);
	}
	for (size_t c = 0; c < NCOLS && x < COLS; c++) {
		int w = col_width(c, x);

		if (cols[c].num)
			fit_num(buf, sizeof(buf), w, cols[c].fmt, cols[c].num(p));
		else
			cols[c].text(p, buf, sizeof(buf));
		draw_cell(y, x, w, buf, cols[c].num != NULL);
		x += w + 1;
	}
	if (sel)
		attroff(A_BOLD | A_STANDOUT);
}

static void draw_header(struct ps_tui *t)
{
	double eps = 0, cpu = 0, dns = 0, dcnt = 0;
	char now[16], line[256];
	time_t tt = time(NULL);
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	for (size_t i = 0; i < t->nshown; i++) {
		eps += t->shown[i]->events_per_sec;
		cpu += t->shown[i]->cpu_pct;
		dns += (double)t->shown[i]->d_nsecs;
		dcnt += (double)t->shown[i]->d_cnt;
	}
	snprintf(line, sizeof(line), "progstats %s  sample %llu  programs %zu  shown %zu  "
		 "period %.3fs  stats %s%s", now, (unsigned long long)t->seq, t->total, t->nshown,
		 (double)t->period_ns / 1e9, t->stats, t->paused ? "  PAUSED" : "");
	mvaddnstr(0, 0, line, COLS);
	snprintf(line, sizeof(line), "total  events/s %.0f  cpu%% %.2f  ns/call %.0f",
		 eps, cpu, dcnt ? dns / dcnt : 0);
	if (t->duty > 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "  (stats sampled %.0f%% of the time)", t->duty * 100);
	mvaddnstr(1, 0, line, COLS);
	if (t->editing)
		snprintf(line, sizeof(line), "filter: %s_   (Enter keep, Esc cancel)", t->filter);
	else
		snprintf(line, sizeof(line), "sort %s %s  filter '%s'   q quit  </> sort  r reverse  "
			 "/ filter  p pause  Enter detail", cols[t->sort].title,
			 t->desc ? "desc" : "asc", t->filter);
	mvaddnstr(2, 0, line, COLS);
}

/* ASCII sparkline of the ring @v (n values, next slot @head), @width wide. */
static void sparkline(char *buf, int width, const double *v, unsigned n, unsigned head,
		      double *last, double *max)
{
	static const char ramp[] = "_.-=+*#@";
	unsigned k = n < (unsigned)width ? n : (unsigned)width;

	*max = 0;
	*last = n ? v[(head + HIST_N - 1) % HIST_N] : 0;
	for (unsigned i = 0; i < k; i++) {
		double x = v[(head + HIST_N - k + i) % HIST_N];

		if (x > *max)
			*max = x;
	}
	for (unsigned i = 0; i < k; i++) {
		double x = v[(head + HIST_N - k + i) % HIST_N];
		int lvl = *max > 0 ? (int)(x / *max * 7 + 0.5) : 0;

		buf[i] = ramp[lvl < 0 ? 0 : lvl > 7 ? 7 : lvl];
	}
	buf[k] = '\0';
}

/*
 * What the kernel says of program @id beyond the sample (one info call, only
 * for the selected program): its maps, sizes, verified instructions, owner.
 */
static void prog_facts(__u32 id, const char *tag, char *line, size_t size)
{
	__u32 maps[PANE_MAPS], len = sizeof(struct bpf_prog_info);
	struct bpf_prog_info info;
	char hex[17];
	int fd = bpf_prog_get_fd_by_id(id), off;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = PANE_MAPS;
	info.map_ids = (__u64)(uintptr_t)maps;
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		snprintf(line, size, "maps: (program %u is gone)", id);
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	tk_prog_tag_hex(info.tag, hex);
	if (strcmp(hex, tag)) {
		snprintf(line, size, "maps: (id %u now names another program)", id);
		return;
	}
	off = snprintf(line, size, "maps %u:", info.nr_map_ids);
	for (__u32 i = 0; i < info.nr_map_ids && i < PANE_MAPS && off > 0 && (size_t)off < size; i++)
		off += snprintf(line + off, size - (size_t)off, " %u", maps[i]);
	if (off > 0 && (size_t)off < size)
		snprintf(line + off, size - (size_t)off, "%s  xlated %u  jited %u  verified_insns %u  "
			 "uid %u", info.nr_map_ids > PANE_MAPS ? " ..." : "", info.xlated_prog_len,
			 info.jited_prog_len, info.verified_insns, info.created_by_uid);
}

static void draw_detail(struct ps_tui *t, int y)
{
	const struct ps_prog *p = t->nshown ? t->shown[t->sel] : NULL;
	char name[PS_NAME_MAX * 4], type[32], line[PS_NAME_MAX * 4 + 128], spark[HIST_N + 1];
	char holders[256] = "";
	const struct hist *h;
	double last, max;
	size_t first, n;

	mvhline(y++, 0, '-', COLS);
	if (!p) {
		mvaddnstr(y, 0, "no program selected", COLS);
		return;
	}
	tk_escape_visible(name, sizeof(name), p->name);
	c_type(p, type, sizeof(type));
	snprintf(line, sizeof(line), "program %u  name %s  type %s  tag %s", p->id, name, type, p->tag);
	mvaddnstr(y++, 0, line, COLS);
	snprintf(line, sizeof(line), "run_cnt %llu  run_time_ns %llu  recursion_misses %llu  "
		 "ns/call %.1f", (unsigned long long)p->cnt, (unsigned long long)p->nsecs,
		 (unsigned long long)p->misses, p->ns_per_call);
	mvaddnstr(y++, 0, line, COLS);
	snprintf(line, sizeof(line), "period: ns/call %.1f  events/s %.1f  cpu%% %.3f  runs %llu",
		 p->period_ns_per_call, p->events_per_sec, p->cpu_pct, (unsigned long long)p->d_cnt);
	mvaddnstr(y++, 0, line, COLS);
	n = t->pids ? ps_pids_of(t->pids, p->id, &first) : 0;
	for (size_t i = 0, off = 0; i < n && off < sizeof(holders); i++) {
		char comm[64];
		int k;

		tk_escape_visible(comm, sizeof(comm), t->pids->v[first + i].comm);
		k = snprintf(holders + off, sizeof(holders) - off, "%s%s(%u)", i ? " " : "", comm,
			     t->pids->v[first + i].pid);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	snprintf(line, sizeof(line), "holders: %s", !t->pids ? "(process iterator unavailable)" :
		 n ? holders : "(none hold a program fd)");
	mvaddnstr(y++, 0, line, COLS);
	prog_facts(p->id, p->tag, line, sizeof(line));
	mvaddnstr(y++, 0, line, COLS);
	h = hist_find(t->hist, t->nhist, p->id, p->tag);
	sparkline(spark, COLS > 40 ? COLS - 40 : 1, h ? h->npc : NULL, h ? h->n : 0,
		  h ? h->head : 0, &last, &max);
	snprintf(line, sizeof(line), "ns/call  [%-*s] last %.0f max %.0f", HIST_N, spark, last, max);
	mvaddnstr(y++, 0, line, COLS);
	sparkline(spark, COLS > 40 ? COLS - 40 : 1, h ? h->eps : NULL, h ? h->n : 0,
		  h ? h->head : 0, &last, &max);
	snprintf(line, sizeof(line), "events/s [%-*s] last %.0f max %.0f", HIST_N, spark, last, max);
	mvaddnstr(y, 0, line, COLS);
}

static void draw(struct ps_tui *t)
{
	int rows;

	arrange(t);
	erase();
	draw_header(t);
	draw_titles(t, HEAD_LINES - 1);
	rows = LINES - HEAD_LINES - (t->detail ? PANE_LINES : 0);
	if (rows < 1)
		rows = 1;
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + (size_t)rows)
		t->top = t->sel - (size_t)rows + 1;
	if (t->top >= t->nshown)
		t->top = 0;
	for (int r = 0; r < rows && t->top + (size_t)r < t->nshown; r++)
		draw_row(t->shown[t->top + (size_t)r], HEAD_LINES + r,
			 t->top + (size_t)r == t->sel);
	if (t->detail)
		draw_detail(t, LINES - PANE_LINES);
	refresh();
}

int ps_tui_update(struct ps_tui *t, const struct ps_view *view)
{
	if (t->paused)
		return 0;  /* the screen stays as it is */
	if (tk_grow((void **)&t->rows, &t->rows_cap, view->n * sizeof(*t->rows), 0) ||
	    tk_grow((void **)&t->shown, &t->shown_cap, view->n * sizeof(*t->shown), 0))
		return -ENOMEM;
	for (size_t i = 0; i < view->n; i++)
		t->rows[i] = *view->v[i];
	t->nrows = view->n;
	if (t->nrows > 1)
		qsort(t->rows, t->nrows, sizeof(*t->rows), cmp_row_id);
	snprintf(t->stats, sizeof(t->stats), "%s", view->stats);
	t->seq = view->seq;
	t->period_ns = view->period_ns;
	t->total = view->total;
	t->duty = view->duty;
	if (hist_update(t))
		return -ENOMEM;
	draw(t);
	return 0;
}

/* --- keys ------------------------------------------------------------------- */

static void move_sel(struct ps_tui *t, long by)
{
	long s = (long)t->sel + by;

	if (s < 0 || !t->nshown)
		s = 0;
	else if ((size_t)s >= t->nshown)
		s = (long)t->nshown - 1;
	t->sel = (size_t)s;
	if (t->nshown) {
		t->sel_id = t->shown[t->sel]->id;
		snprintf(t->sel_tag, sizeof(t->sel_tag), "%s", t->shown[t->sel]->tag);
	}
}

static void edit_key(struct ps_tui *t, int ch)
{
	size_t len = strlen(t->filter);

	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
		t->editing = false;
	else if (ch == 27) {
		memcpy(t->filter, t->filter_old, sizeof(t->filter));
		t->editing = false;
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len)
		t->filter[len - 1] = '\0';
	else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(t->filter)) {
		t->filter[len] = (char)ch;
		t->filter[len + 1] = '\0';
	}
	t->sel = 0;
	t->top = 0;
	t->sel_id = 0;
}

/* One key; 1 when it asks to quit. */
static int key(struct ps_tui *t, int ch)
{
	int page = LINES - HEAD_LINES - (t->detail ? PANE_LINES : 0);

	if (t->editing) {
		edit_key(t, ch);
		return 0;
	}
	switch (ch) {
	case 'q': case 'Q':
		return 1;
	case KEY_UP: case 'k': move_sel(t, -1); break;
	case KEY_DOWN: case 'j': move_sel(t, 1); break;
	case KEY_PPAGE: move_sel(t, -page); break;
	case KEY_NPAGE: move_sel(t, page); break;
	case KEY_HOME: case 'g': move_sel(t, -(long)t->nshown); break;
	case KEY_END: case 'G': move_sel(t, (long)t->nshown); break;
	case '<': case KEY_LEFT: t->sort = (t->sort + NCOLS - 1) % NCOLS; break;
	case '>': case KEY_RIGHT: case 's': t->sort = (t->sort + 1) % NCOLS; break;
	case 'r': t->desc = !t->desc; break;
	case 'p': case ' ': t->paused = !t->paused; break;
	case '/': case 'f':
		memcpy(t->filter_old, t->filter, sizeof(t->filter));
		t->editing = true;
		break;
	case '\n': case '\r': case KEY_ENTER: t->detail = !t->detail; break;
	case 27: t->detail = false; break;
	default: break;  /* KEY_RESIZE and the rest: a redraw */
	}
	return 0;
}

int ps_tui_wait(struct ps_tui *t, uint64_t deadline_ns)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	for (;;) {
		uint64_t now = tk_now_mono_ns();
		int ch, n, any = 0;

		while ((ch = getch()) != ERR) {
			if (key(t, ch))
				return 1;
			any = 1;
		}
		if (any)
			draw(t);
		if (tk_stop_requested())
			return -EINTR;
		if (now >= deadline_ns)
			return 0;
		n = poll(&pfd, 1, (int)((deadline_ns - now + 999999) / 1000000));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) &&
		    !(pfd.revents & POLLIN))
			return 1;  /* the terminal is gone */
	}
}
