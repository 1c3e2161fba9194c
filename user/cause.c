// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cause attribution.  The kernel's reason is refined with context: e.g. a
 * SO_LINGER {1,0} close is reported as TCP_STATE, an accept-queue overflow as
 * INVALID_SYN on a full listener.  First matching rule wins.
 */
#include <stdio.h>
#include <string.h>

#include "rstwatch.h"
#include "cause.h"
#include "key.h"

#define ANY_REASON NULL
#define NO_REASON "-" /* the kernel gave no reason field */

struct cause_rule {
	uint32_t dir;
	const char *reason; /* exact name, prefix if it ends in '*', or ANY/NO */
	uint32_t need; /* facts that must be set */
	uint32_t deny; /* facts that must be clear */
	int state; /* TCP state, -1 any, 0 = no socket */
	uint32_t sysclass; /* 0 any, else this enum rstw_sysclass (in process context) */
	enum rstw_cause cause;
	uint32_t evidence; /* 0 any, else this enum rstw_evidence */
};

#define TCP_SYN_SENT_S 2
#define TCP_TIME_WAIT_S 6
#define TCP_LISTEN_S 10

#define ANY_CALL 0

/* The syscalls of each class: the BPF side keys counts by class, not number. */
static const struct {
	const char *name;
	enum rstw_sysclass cls;
} syscall_classes[] = {
	{ "close", RSTW_SYSC_CLOSE },
	{ "exit", RSTW_SYSC_CLOSE },
	{ "exit_group", RSTW_SYSC_CLOSE },
	{ "close_range", RSTW_SYSC_CLOSE },
	{ "shutdown", RSTW_SYSC_CLOSE },
	{ "connect", RSTW_SYSC_CONNECT },
	/* SOCK_DESTROY arrives over a netlink socket (ss -K) */
	{ "sendmsg", RSTW_SYSC_NETLINK },
	{ "sendto", RSTW_SYSC_NETLINK },
	{ "write", RSTW_SYSC_NETLINK },
	{ "writev", RSTW_SYSC_NETLINK },
};

enum rstw_sysclass cause_syscall_class(const char *name)
{
	if (!name)
		return RSTW_SYSC_OTHER;
	for (size_t i = 0; i < sizeof(syscall_classes) / sizeof(syscall_classes[0]); i++)
		if (strcmp(syscall_classes[i].name, name) == 0)
			return syscall_classes[i].cls;
	return RSTW_SYSC_OTHER;
}

static const struct cause_rule rules[] = {
	/* sent, with the kernel's reason */
	{ RSTW_DIR_SENT, "NO_SOCKET", RSTW_F_SYN, 0, -1, ANY_CALL, CAUSE_CLOSED_PORT, 0 },
	{ RSTW_DIR_SENT, "NO_SOCKET", 0, 0, -1, ANY_CALL, CAUSE_NO_SOCKET, 0 },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_CLOSE", 0, 0, -1, ANY_CALL, CAUSE_ABORT_ON_CLOSE, 0 },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_LINGER", 0, 0, -1, ANY_CALL, CAUSE_LINGER2_ABORT, 0 },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_DATA", 0, 0, -1, ANY_CALL, CAUSE_ABORT_ON_DATA, 0 },
	{ RSTW_DIR_SENT, "TCP_TIMEWAIT_SOCKET", 0, 0, -1, ANY_CALL, CAUSE_TIMEWAIT, 0 },
	{ RSTW_DIR_SENT, "TCP_KEEPALIVE_TIMEOUT", 0, 0, -1, ANY_CALL, CAUSE_KEEPALIVE_TIMEOUT, 0 },
	{ RSTW_DIR_SENT, "INVALID_SYN", RSTW_F_LISTEN_FULL, 0, TCP_LISTEN_S, ANY_CALL,
	  CAUSE_LISTEN_OVERFLOW, 0 },
	{ RSTW_DIR_SENT, "INVALID_SYN", 0, 0, -1, ANY_CALL, CAUSE_INVALID_SYN, 0 },
	{ RSTW_DIR_SENT, "TCP_INVALID_ACK_SEQUENCE", 0, 0, -1, ANY_CALL, CAUSE_INVALID_ACK, 0 },
	{ RSTW_DIR_SENT, "TCP_TOO_OLD_ACK", 0, 0, -1, ANY_CALL, CAUSE_INVALID_ACK, 0 },
	{ RSTW_DIR_SENT, "TCP_OLD_ACK", 0, 0, -1, ANY_CALL, CAUSE_INVALID_ACK, 0 },
	{ RSTW_DIR_SENT, "TCP_ACK_UNSENT_DATA", 0, 0, -1, ANY_CALL, CAUSE_INVALID_ACK, 0 },
	{ RSTW_DIR_SENT, "TCP_FLAGS", 0, 0, -1, ANY_CALL, CAUSE_BAD_FLAGS, 0 },
	{ RSTW_DIR_SENT, "TCP_RFC7323_PAWS", 0, 0, -1, ANY_CALL, CAUSE_PAWS, 0 },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_MEMORY", 0, 0, -1, ANY_CALL, CAUSE_ABORT_ON_MEMORY, 0 },
	/* tcp_disconnect() in CLOSING/LAST_ACK with unsent data: the same actions as TCP_STATE */
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", RSTW_F_TASK, 0, -1, RSTW_SYSC_CONNECT,
	  CAUSE_DISCONNECT, 0 },
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", RSTW_F_TASK | RSTW_F_ORPHAN, 0, -1, ANY_CALL,
	  CAUSE_LISTENER_CLOSED, 0 },
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", RSTW_F_TASK | RSTW_F_LINGER0, 0, -1, ANY_CALL,
	  CAUSE_LINGER_ABORT, 0 },
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", 0, 0, -1, ANY_CALL, CAUSE_DISCONNECT, 0 },
	/* TCP_STATE covers several actions; the syscall in progress tells them apart */
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK, 0, -1, RSTW_SYSC_CONNECT, CAUSE_DISCONNECT, 0 },
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK, 0, -1, RSTW_SYSC_NETLINK, CAUSE_ADMIN_KILL, 0 },
	/* accept-queue children of a closing listener inherit its SO_LINGER: so first */
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK | RSTW_F_ORPHAN, 0, -1, ANY_CALL,
	  CAUSE_LISTENER_CLOSED, 0 },
	/* close(), or exit: a killed process closes its files from whatever syscall it was in */
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK | RSTW_F_LINGER0, 0, -1, ANY_CALL,
	  CAUSE_LINGER_ABORT, 0 },
	{ RSTW_DIR_SENT, "MPTCP_RST_*", 0, 0, -1, ANY_CALL, CAUSE_MPTCP, 0 },

	/*
	 * sent, on kernels whose tracepoint has no reason (before 6.10): infer
	 * from facts, and from the evidence the BPF side found on the socket.
	 * Only what the evidence proves; the rest stays unknown.
	 */
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT | RSTW_F_SYN, 0, 0, ANY_CALL, CAUSE_CLOSED_PORT,
	  0 },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT, 0, 0, ANY_CALL, CAUSE_NO_SOCKET, 0 },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT, 0, TCP_TIME_WAIT_S, ANY_CALL, CAUSE_TIMEWAIT,
	  0 },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_LISTEN_FULL, 0, TCP_LISTEN_S, ANY_CALL,
	  CAUSE_LISTEN_OVERFLOW, 0 },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT | RSTW_F_RCV_SHUT, 0, -1, ANY_CALL,
	  CAUSE_ABORT_ON_DATA, 0 },
	{ RSTW_DIR_SENT, NO_REASON, 0, RSTW_F_SEGMENT | RSTW_F_TASK, -1, ANY_CALL,
	  CAUSE_KEEPALIVE_TIMEOUT, RSTW_EVID_KEEPALIVE },
	{ RSTW_DIR_SENT, NO_REASON, 0, RSTW_F_SEGMENT, -1, ANY_CALL, CAUSE_LINGER2_ABORT,
	  RSTW_EVID_LINGER2 },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK, RSTW_F_SEGMENT, -1, RSTW_SYSC_CONNECT,
	  CAUSE_DISCONNECT, 0 },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK, RSTW_F_SEGMENT, -1, RSTW_SYSC_NETLINK,
	  CAUSE_ADMIN_KILL, 0 },
	/* tcp_close() checks unread data before SO_LINGER 0 */
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK | RSTW_F_UNREAD, RSTW_F_SEGMENT, -1,
	  RSTW_SYSC_CLOSE, CAUSE_ABORT_ON_CLOSE, 0 },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK | RSTW_F_LINGER0, RSTW_F_SEGMENT, -1,
	  RSTW_SYSC_CLOSE, CAUSE_LINGER_ABORT, 0 },
	/* after sock_orphan() in tcp_close(), with no unread data, linger or linger2: tcp_check_oom() */
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK, RSTW_F_SEGMENT | RSTW_F_UNREAD | RSTW_F_LINGER0,
	  -1, RSTW_SYSC_CLOSE, CAUSE_ABORT_ON_MEMORY, RSTW_EVID_CLOSED_DEAD },
	/* inet_csk_listen_stop(): the accept queue's children, disconnected before orphaning */
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK, RSTW_F_SEGMENT, -1, RSTW_SYSC_CLOSE,
	  CAUSE_LISTENER_CLOSED, RSTW_EVID_NEVER_ACCEPTED },

	/* received */
	{ RSTW_DIR_RECEIVED, ANY_REASON, 0, 0, TCP_SYN_SENT_S, ANY_CALL, CAUSE_REFUSED, 0 },
	{ RSTW_DIR_RECEIVED, ANY_REASON, 0, 0, -1, ANY_CALL, CAUSE_PEER_RESET, 0 },
};

static bool reason_matches(const char *rule, const char *reason)
{
	size_t n;

	if (rule == ANY_REASON)
		return true;
	if (strcmp(rule, NO_REASON) == 0)
		return reason == NULL;
	if (reason == NULL)
		return false;
	n = strlen(rule);
	if (n && rule[n - 1] == '*')
		return strncmp(rule, reason, n - 1) == 0;
	return strcmp(rule, reason) == 0;
}

enum rstw_cause cause_attribute(const struct cause_input *in)
{
	const struct rstw_key *k = &in->key;

	if (k->kind != RSTW_KIND_RESET)
		return key_seen_cause(k); /* a drop or the wire: what was seen is the cause */
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct cause_rule *r = &rules[i];

		if (r->dir != k->dir || (k->facts & r->need) != r->need || (k->facts & r->deny))
			continue;
		if (r->state >= 0 && r->state != k->state)
			continue;
		if (!reason_matches(r->reason, in->reason))
			continue;
		if (r->sysclass != ANY_CALL && r->sysclass != k->sysclass)
			continue;
		if (r->evidence && r->evidence != k->evidence)
			continue;
		return r->cause;
	}
	return CAUSE_UNKNOWN;
}

const char *cause_evidence_name(uint32_t evidence)
{
	switch (evidence) {
	case RSTW_EVID_KEEPALIVE:
		return "keepalive_exhausted";
	case RSTW_EVID_LINGER2:
		return "orphan_linger2_negative";
	case RSTW_EVID_CLOSED_DEAD:
		return "orphaned_by_close";
	case RSTW_EVID_NEVER_ACCEPTED:
		return "never_accepted";
	}
	return NULL;
}

void cause_facts_names(uint32_t facts, char *buf, size_t len)
{
	static const char *const names[8] = { "segment", "syn",		"task",	  "linger0",
					      "orphan",	 "listen_full", "unread", "rcv_shut" };
	size_t off = 0;

	if (!len)
		return;
	/* every event prints this: no printf, truncated at a name boundary */
	for (int i = 0; i < 8; i++) {
		size_t n;

		if (!(facts & (1u << i)))
			continue;
		n = strlen(names[i]);
		if (off + (off ? 1 : 0) + n >= len)
			break;
		if (off)
			buf[off++] = ',';
		memcpy(buf + off, names[i], n);
		off += n;
	}
	buf[off] = '\0';
}

void cause_context(const struct cause_input *in, bool ctx_known, char *buf, size_t len)
{
	uint32_t facts = in->key.facts;

	if (facts & RSTW_F_TASK) {
		if (in->syscall)
			snprintf(buf, len, "syscall:%s", in->syscall);
		else
			snprintf(buf, len, "process");
	} else if (!ctx_known) {
		snprintf(buf, len, "unknown");
	} else if (facts & RSTW_F_SEGMENT || in->key.dir == RSTW_DIR_RECEIVED) {
		snprintf(buf, len, "softirq");
	} else {
		/* a reset of our own making outside a syscall: keepalive, orphan timers */
		snprintf(buf, len, "timer");
	}
}

bool cause_current_is_actor(enum rstw_cause c, const struct cause_input *in)
{
	/* only a syscall on the socket itself makes the current task its user */
	if (!(in->key.facts & RSTW_F_TASK))
		return false;
	return c != CAUSE_ADMIN_KILL;
}
