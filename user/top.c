// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attribute.h"
#include "counters.h"
#include "format.h"
#include "loader.h"
#include "opts.h"
#include "report.h"
#include "top.h"

#define TALLY_MAX 512

struct tally {
	char name[64];
	unsigned long long n;
};

struct table {
	struct tally v[TALLY_MAX];
	int n;
	unsigned long long other; /* past TALLY_MAX distinct names */
};

enum { SORT_COUNT, SORT_NAME };

struct top {
	bool tty;
	int sort;
	unsigned int interval_s;
	uint64_t last_draw_ns, last_total;
	double rate;
	struct table procs, ports, peers;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void tally(struct table *t, const char *name)
{
	for (int i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, name) == 0) {
			t->v[i].n++;
			return;
		}
	}
	if (t->n == TALLY_MAX) {
		t->other++;
		return;
	}
	snprintf(t->v[t->n].name, sizeof(t->v[0].name), "%s", name);
	t->v[t->n++].n = 1;
}

static int sort_mode;

static int by_sort(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (sort_mode == SORT_NAME)
		return strcmp(x->name, y->name);
	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

void *top_start(const struct opts *o)
{
	struct top *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->interval_s = o->interval ? o->interval : 1;
	t->tty = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (t->tty) {
		initscr();
		cbreak();
		noecho();
		nodelay(stdscr, TRUE);
		keypad(stdscr, TRUE);
		curs_set(0);
	}
	return t;
}

void top_event(void *ctx, const struct report *r)
{
	struct top *t = ctx;
	const struct rstw_event *e = r->e;
	char buf[80], addr[ADDR_STR_LEN];

	if (r->owner.pid > 0)
		snprintf(buf, sizeof(buf), "%s[%ld]%s%s", r->owner.comm, r->owner.pid,
			 r->owner.unit[0] ? " " : "", r->owner.unit);
	else
		snprintf(buf, sizeof(buf), "(no owner)");
	tally(&t->procs, buf);
	snprintf(buf, sizeof(buf), "%u", e->lport);
	tally(&t->ports, buf);
	format_addr(e->family, e->raddr, addr, sizeof(addr));
	tally(&t->peers, addr[0] ? addr : "?");
}

/* The exact totals: by direction and cause, from the kernel's counters. */
static unsigned long long totals(struct top *t, struct loader *l,
				 uint64_t by_cause[2][CAUSE__COUNT])
{
	struct key_count *keys;
	int n = counters_totals(l, NULL, &keys);
	unsigned long long sum = 0;

	(void)t;
	tally_by_cause(&l->reasons, keys, n < 0 ? 0 : n, by_cause);
	free(keys);
	for (int d = 0; d < 2; d++)
		for (int c = 0; c < CAUSE__COUNT; c++)
			sum += by_cause[d][c];
	return sum;
}

/* Output for both screens: a line writer. */
struct out {
	struct top *t;
	int row;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	char raw[256], line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* names (comm, units) are anyone's, and columns cut them anywhere: escape the line */
	format_safe(raw, line, sizeof(line));
	if (o->t->tty) {
		if (o->row < LINES)
			mvaddnstr(o->row, 0, line, COLS);
	} else {
		puts(line);
	}
	o->row++;
}

static void table(struct out *o, const char *title, struct table *tb, int max)
{
	sort_mode = o->t->sort;
	qsort(tb->v, (size_t)tb->n, sizeof(tb->v[0]), by_sort);
	put(o, "%-40s %10s", title, "RESETS");
	for (int i = 0; i < tb->n && i < max; i++)
		put(o, "  %-38.38s %10llu", tb->v[i].name, tb->v[i].n);
	if (tb->other)
		put(o, "  %-38s %10llu", "(others)", tb->other);
}

static void draw(struct top *t, struct loader *l, double dt)
{
	uint64_t by_cause[2][CAUSE__COUNT];
	unsigned long long total = totals(t, l, by_cause);
	unsigned long long lost = counters_stat(loader_stats_fd(l), RSTW_STAT_RB_LOST);
	struct out o = { .t = t };
	char now[16];
	time_t sec = time(NULL);

	strftime(now, sizeof(now), "%H:%M:%S", localtime(&sec));
	if (dt > 0)
		t->rate = (double)(total - t->last_total) / dt;
	t->last_total = total;
	if (t->tty)
		erase();
	else
		puts("");
	put(&o, "rstwatch top  %s  resets/s %.1f  total %llu  lost events %llu%s", now, t->rate,
	    total, lost, t->tty ? "   (q quit, s sort by count/name)" : "");
	put(&o, "%s", "");
	for (int d = 0; d < 2; d++) {
		put(&o, "%-40s %10s", d ? "RECEIVED, BY CAUSE" : "SENT, BY CAUSE", "TOTAL");
		for (int c = 0; c < CAUSE__COUNT; c++)
			if (by_cause[d][c])
				put(&o, "  %-38s %10llu", cause_info(c)->id,
				    (unsigned long long)by_cause[d][c]);
		put(&o, "%s", "");
	}
	table(&o, "PROCESS (owner of the socket)", &t->procs, 8);
	put(&o, "%s", "");
	table(&o, "LOCAL PORT", &t->ports, 8);
	put(&o, "%s", "");
	table(&o, "REMOTE PEER", &t->peers, 8);
	if (t->tty)
		refresh();
	else
		fflush(stdout);
}

bool top_tick(void *ctx, struct loader *l)
{
	struct top *t = ctx;
	uint64_t now = mono_ns();
	bool redraw = !t->last_draw_ns || now - t->last_draw_ns >= t->interval_s * 1000000000ull;

	if (t->tty) {
		int ch;

		while ((ch = getch()) != ERR) {
			if (ch == 'q' || ch == 'Q')
				return false;
			if (ch == 's' || ch == 'S') {
				t->sort = t->sort == SORT_COUNT ? SORT_NAME : SORT_COUNT;
				redraw = true;
			}
		}
	}
	if (redraw) {
		double dt = t->last_draw_ns ? (double)(now - t->last_draw_ns) / 1e9 : 0;

		draw(t, l, dt);
		t->last_draw_ns = now;
	}
	return true;
}

void top_stop(void *ctx)
{
	struct top *t = ctx;

	if (!t)
		return;
	if (t->tty)
		endwin();
	free(t);
}
