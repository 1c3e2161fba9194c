// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Text sink.  The default layout keeps each line within 80 columns for IPv4:
 * time, direction, cause and the 4-tuple on the first line; owner, state,
 * context and explanation wrapped on indented lines below.  -w prints one wide
 * line per reset with every field.
 */
#include <string.h>

#include "format.h"
#include "report.h"

static int color;

void out_text_set_color(int on)
{
	color = on;
}

static const char *cause_color(const struct report *r)
{
	if (!color)
		return "";
	if (r->cause == CAUSE_LISTEN_DROP)
		return "\033[33m";
	return r->e->key.dir == RSTW_DIR_SENT ? "\033[31m" : "\033[36m";
}

void out_text_header(FILE *f, int wide)
{
	if (wide)
		fprintf(f, "%-8s %-4s %-17s %7s %-15s %-12s %-10s %-14s %-45s %-45s %s\n", "TIME",
			"DIR", "CAUSE", "PID", "COMM", "STATE", "NETNS", "CONTEXT", "LOCAL",
			"REMOTE", "EXPLANATION");
	else
		fprintf(f, "%-8s %-4s %-17s %s\n%9s%s\n", "TIME", "DIR", "CAUSE", "LOCAL > REMOTE",
			"", "OWNER, STATE, CONTEXT: EXPLANATION [KERNEL REASON]");
}

/* Words of text, indented, wrapped at width columns. */
static void print_wrapped(FILE *f, const char *text, int indent, int width)
{
	int col = 0;

	while (*text) {
		int n = (int)strcspn(text, " ");

		if (col > indent && col + 1 + n > width) {
			fputc('\n', f);
			col = 0;
		}
		if (col == 0) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		} else {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", n, text);
		col += n;
		text += n;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

void out_text_event(FILE *f, const struct report *r, int wide)
{
	const struct rstw_event *e = r->e;
	const struct cause_info *ci = cause_info(r->cause);
	char t[16], l[ADDR_STR_LEN + 8], rm[ADDR_STR_LEN + 8], pid[16], reason[48], detail[512],
		safe[2048], comm_safe[4 * RSTW_COMM_LEN], owner[48], history[128];
	const char *dir = e->key.dir == RSTW_DIR_SENT ? "sent" : "recv";
	const char *comm = r->owner.pid > 0 ? r->owner.comm : "-";
	const char *state = e->state ? tcp_state_name(e->state) : "no socket";

	format_hms(r->realtime_ns, t, sizeof(t));
	format_endpoint(e->family, e->laddr, e->lport, l, sizeof(l));
	format_endpoint(e->family, e->raddr, e->rport, rm, sizeof(rm));
	if (r->owner.pid > 0)
		snprintf(pid, sizeof(pid), "%ld", r->owner.pid);
	else
		snprintf(pid, sizeof(pid), "-");
	if (r->reason)
		snprintf(reason, sizeof(reason), " [%s]", r->reason);
	else
		reason[0] = '\0'; /* received resets have no kernel reason */

	if (wide) {
		fprintf(f, "%-8s %-4s %-17s %7s %-15s %-12s %-10u %-14s %-45s %-45s %s%s\n", t, dir,
			ci->id, pid, format_safe(comm, comm_safe, sizeof(comm_safe)), state,
			e->netns, r->context, l, rm, ci->explain, reason);
		return;
	}
	/* worst-case IPv4 endpoints still fit 80 columns */
	fprintf(f, "%-8s %-4s %s%-17s%s %s > %s\n", t, dir, cause_color(r), ci->id,
		color ? "\033[0m" : "", l, rm);
	if (r->owner.pid > 0)
		snprintf(owner, sizeof(owner), "%s[%ld]", comm, r->owner.pid);
	else
		snprintf(owner, sizeof(owner), "no owner");
	owner_last_listener_text(e, history, sizeof(history));
	if (e->state == 10 /* LISTEN */)
		snprintf(history, sizeof(history), "accept queue %u of %u", e->ack_backlog,
			 e->max_ack_backlog);
	snprintf(detail, sizeof(detail), "%s, %s, %s: %s%s%s%s", owner, state, r->context,
		 ci->explain, reason, history[0] ? "; " : "", history);
	/* anyone names their processes (owner, last listener): none of it reaches a terminal raw */
	print_wrapped(f, format_safe(detail, safe, sizeof(safe)), 9, 80);
}
