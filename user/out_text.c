// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Text sink.  The default layout keeps each line within 80 columns for IPv4
 * and puts state and explanation on an indented second line; -w prints one
 * wide line per reset with every field.
 */
#include <string.h>

#include "format.h"
#include "report.h"

void out_text_header(FILE *f, int wide)
{
	if (wide)
		fprintf(f, "%-8s %-4s %-17s %7s %-15s %-12s %-10s %-14s %-45s %-45s %s\n", "TIME",
			"DIR", "CAUSE", "PID", "COMM", "STATE", "NETNS", "CONTEXT", "LOCAL",
			"REMOTE", "EXPLANATION");
	else
		fprintf(f, "%-8s %-4s %-17s %7s %-10s %s\n", "TIME", "DIR", "CAUSE", "PID", "COMM",
			"LOCAL > REMOTE");
}

void out_text_event(FILE *f, const struct report *r, int wide)
{
	const struct rstw_event *e = r->e;
	const struct cause_info *ci = cause_info(r->cause);
	char t[16], l[ADDR_STR_LEN + 8], rm[ADDR_STR_LEN + 8], pid[16], reason[48];
	const char *dir = rstw_key_dir(e->key) == RSTW_DIR_SENT ? "sent" : "recv";
	const char *comm = r->owner.pid > 0 ? r->owner.comm : "-";
	const char *state = e->state ? tcp_state_name(e->state) : "-";

	format_hms(r->realtime_ns, t, sizeof(t));
	format_endpoint(e->family, e->laddr, e->lport, l, sizeof(l));
	format_endpoint(e->family, e->raddr, e->rport, rm, sizeof(rm));
	if (r->owner.pid > 0)
		snprintf(pid, sizeof(pid), "%ld", r->owner.pid);
	else
		snprintf(pid, sizeof(pid), "-");
	snprintf(reason, sizeof(reason), "%s", r->reason ? r->reason : "no reason");

	if (wide) {
		fprintf(f, "%-8s %-4s %-17s %7s %-15s %-12s %-10u %-14s %-45s %-45s %s [%s]\n", t,
			dir, ci->id, pid, comm, state, e->netns, r->context, l, rm, ci->explain,
			reason);
		return;
	}
	fprintf(f, "%-8s %-4s %-17s %7s %-10.10s %s > %s\n", t, dir, ci->id, pid, comm, l, rm);
	fprintf(f, "%8s %s, %s: %s [%s]\n", "", state, r->context, ci->explain, reason);
}
