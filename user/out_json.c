// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* JSON Lines sink: the event contract of DESIGN.md section 4. */
#include "format.h"
#include "json_writer.h"
#include "key.h"
#include "report.h"

static bool with_details;

void out_json_set_details(bool on)
{
	with_details = on;
}

/*
 * The task on the CPU, where it says something: in its own syscall, or
 * beside a known owner it is not (softirq runs on the peer's CPU).  Without
 * an owner, a task in softirq or a timer is a bystander.
 */
static bool task_worth_showing(const struct report *r)
{
	const struct rstw_event *e = r->e;

	if (with_details)
		return true;
	if (r->owner.pid > 0)
		return (long)e->cur.tgid != r->owner.pid;
	return (e->key.facts & RSTW_F_TASK) != 0;
}

void out_json_event(FILE *f, const struct report *r)
{
	const struct rstw_event *e = r->e;
	const struct cause_info *ci = cause_info(r->cause);
	char buf[ADDR_STR_LEN];
	struct jw w;

	jw_init(&w, f);
	jw_object_begin(&w);
	format_rfc3339(r->realtime_ns, buf, sizeof(buf));
	jw_kv_plain(&w, "ts", buf);
	jw_kv_plain(&w, "direction", e->key.dir == RSTW_DIR_SENT ? "sent" : "received");
	jw_kv_plain(&w, "cause", ci->id);
	jw_kv_string(&w, "kernel_reason", r->reason);
	jw_kv_plain(&w, "state", e->state ? tcp_state_name(e->state) : NULL);
	if (e->family == 2 || e->family == 10) {
		jw_kv_uint(&w, "family", e->family == 2 ? 4 : 6);
		format_addr(e->family, e->laddr, buf, sizeof(buf));
		jw_kv_plain(&w, "laddr", buf);
		jw_kv_uint(&w, "lport", e->lport);
		format_addr(e->family, e->raddr, buf, sizeof(buf));
		jw_kv_plain(&w, "raddr", buf);
		jw_kv_uint(&w, "rport", e->rport);
	} else {
		jw_kv_null(&w, "family");
		jw_kv_null(&w, "laddr");
		jw_kv_null(&w, "lport");
		jw_kv_null(&w, "raddr");
		jw_kv_null(&w, "rport");
	}
	if (e->netns)
		jw_kv_uint(&w, "netns", e->netns);
	else
		jw_kv_null(&w, "netns");
	if (r->owner.pid > 0) {
		jw_kv_int(&w, "pid", r->owner.pid);
		jw_kv_string(&w, "comm", r->owner.comm);
	} else {
		jw_kv_null(&w, "pid");
		jw_kv_null(&w, "comm");
	}
	jw_kv_string(&w, "cgroup", r->owner.cgroup[0] ? r->owner.cgroup : NULL);
	jw_kv_plain(&w, "context", r->context);
	jw_kv_plain(&w, "explain", ci->explain);
	/* additions beyond the contract; which hook saw it follows from the cause */
	if (with_details)
		jw_kv_plain(&w, "kind", key_kind_name(&e->key));
	if (r->cause == CAUSE_RST_TIMEWAIT)
		jw_kv_uint(&w, "tcp_rfc1337", e->key.seen == RSTW_SEEN_TW_KEPT ? 1 : 0);
	/* the same for every event of a cause: rstwatch explain --json has them */
	if (with_details) {
		jw_kv_string(&w, "hint", ci->hint);
		if (ci->code >= 0)
			jw_kv_int(&w, "code", ci->code);
		else
			jw_kv_null(&w, "code");
	}
	if (r->owner.unit[0] || with_details)
		jw_kv_string(&w, "unit", r->owner.unit[0] ? r->owner.unit : NULL);
	if (r->owner.source != OWNER_NONE || with_details)
		jw_kv_plain(&w, "owner_source", owner_source_name(r->owner.source));
	if (task_worth_showing(r) && e->cur.tgid) {
		jw_kv_int(&w, "task_pid", e->cur.tgid);
		jw_key(&w, "task_comm");
		jw_string_n(&w, e->cur.comm, RSTW_COMM_LEN);
	} else if (with_details) {
		/* none read: no syscall and no socket, whoever ran there was a bystander */
		jw_kv_null(&w, "task_pid");
		jw_kv_null(&w, "task_comm");
	}
	if (e->cookie)
		jw_kv_uint(&w, "sock_cookie", e->cookie);
	else if (with_details)
		jw_kv_null(&w, "sock_cookie");
	if (e->sk_ino) /* ss -e shows it as ino: */
		jw_kv_uint(&w, "sock_inode", e->sk_ino);
	if (e->state == 10) {
		jw_kv_uint(&w, "backlog", e->ack_backlog);
		jw_kv_uint(&w, "backlog_max", e->max_ack_backlog);
	}
	if (e->owner_src == RSTW_OWNER_LAST_LISTENER) {
		char text[128];

		jw_key(&w, "last_listener");
		jw_object_begin(&w);
		jw_kv_uint(&w, "pid", e->owner.tgid);
		jw_key(&w, "comm");
		jw_string_n(&w, e->owner.comm, RSTW_COMM_LEN);
		if (e->last_listener_closed_ns && e->ts_boot_ns >= e->last_listener_closed_ns)
			jw_kv_uint(&w, "stopped_ns_before",
				   e->ts_boot_ns - e->last_listener_closed_ns);
		else
			jw_kv_null(&w, "stopped_ns_before");
		owner_last_listener_text(e, text, sizeof(text));
		jw_kv_string(&w, "text", text);
		jw_object_end(&w);
	}
	if (e->unread)
		jw_kv_uint(&w, "unread_bytes", e->unread);
	{
		/* what the cause was read from: the kernel's reason, or these */
		char facts[96];
		const char *evidence = cause_evidence_name(e->key.evidence);

		/* where the kernel named its reason, the facts only repeat it; none say nothing */
		if ((!r->reason && e->key.facts) || with_details) {
			cause_facts_names(e->key.facts, facts, sizeof(facts));
			jw_kv_plain(&w, "facts", facts);
		}
		if (evidence || with_details)
			jw_kv_plain(&w, "evidence", evidence);
	}
	jw_object_end(&w);
	fputc('\n', f);
}
