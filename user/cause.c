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

#define ANY_REASON NULL
#define NO_REASON "-" /* the kernel gave no reason field */

struct cause_rule {
	uint32_t dir;
	const char *reason; /* exact name, prefix if it ends in '*', or ANY/NO */
	uint32_t need; /* facts that must be set */
	uint32_t deny; /* facts that must be clear */
	int state; /* TCP state, -1 any, 0 = no socket */
	const char *const *syscalls; /* NULL any, else one of (in process context) */
	enum rstw_cause cause;
};

#define TCP_SYN_SENT_S 2
#define TCP_TIME_WAIT_S 6
#define TCP_LISTEN_S 10

static const char *const close_calls[] = { "close",	  "exit",     "exit_group",
					   "close_range", "shutdown", NULL };
static const char *const connect_calls[] = { "connect", NULL };
/* SOCK_DESTROY arrives over a netlink socket (ss -K) */
static const char *const netlink_calls[] = { "sendmsg", "sendto", "write", "writev", NULL };

static const struct cause_rule rules[] = {
	/* sent, with the kernel's reason */
	{ RSTW_DIR_SENT, "NO_SOCKET", RSTW_F_SYN, 0, -1, NULL, CAUSE_CLOSED_PORT },
	{ RSTW_DIR_SENT, "NO_SOCKET", 0, 0, -1, NULL, CAUSE_NO_SOCKET },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_CLOSE", 0, 0, -1, NULL, CAUSE_ABORT_ON_CLOSE },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_LINGER", 0, 0, -1, NULL, CAUSE_LINGER2_ABORT },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_DATA", 0, 0, -1, NULL, CAUSE_ABORT_ON_DATA },
	{ RSTW_DIR_SENT, "TCP_TIMEWAIT_SOCKET", 0, 0, -1, NULL, CAUSE_TIMEWAIT },
	{ RSTW_DIR_SENT, "TCP_KEEPALIVE_TIMEOUT", 0, 0, -1, NULL, CAUSE_KEEPALIVE_TIMEOUT },
	{ RSTW_DIR_SENT, "INVALID_SYN", RSTW_F_LISTEN_FULL, 0, TCP_LISTEN_S, NULL,
	  CAUSE_LISTEN_OVERFLOW },
	{ RSTW_DIR_SENT, "INVALID_SYN", 0, 0, -1, NULL, CAUSE_INVALID_SYN },
	{ RSTW_DIR_SENT, "TCP_INVALID_ACK_SEQUENCE", 0, 0, -1, NULL, CAUSE_INVALID_ACK },
	{ RSTW_DIR_SENT, "TCP_TOO_OLD_ACK", 0, 0, -1, NULL, CAUSE_INVALID_ACK },
	{ RSTW_DIR_SENT, "TCP_OLD_ACK", 0, 0, -1, NULL, CAUSE_INVALID_ACK },
	{ RSTW_DIR_SENT, "TCP_ACK_UNSENT_DATA", 0, 0, -1, NULL, CAUSE_INVALID_ACK },
	{ RSTW_DIR_SENT, "TCP_FLAGS", 0, 0, -1, NULL, CAUSE_BAD_FLAGS },
	{ RSTW_DIR_SENT, "TCP_RFC7323_PAWS", 0, 0, -1, NULL, CAUSE_PAWS },
	{ RSTW_DIR_SENT, "TCP_ABORT_ON_MEMORY", 0, 0, -1, NULL, CAUSE_ABORT_ON_MEMORY },
	/* tcp_disconnect() in CLOSING/LAST_ACK with unsent data: the same actions as TCP_STATE */
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", RSTW_F_TASK, 0, -1, connect_calls,
	  CAUSE_DISCONNECT },
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", RSTW_F_TASK | RSTW_F_ORPHAN, 0, -1, NULL,
	  CAUSE_LISTENER_CLOSED },
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", RSTW_F_TASK | RSTW_F_LINGER0, 0, -1, NULL,
	  CAUSE_LINGER_ABORT },
	{ RSTW_DIR_SENT, "TCP_DISCONNECT_WITH_DATA", 0, 0, -1, NULL, CAUSE_DISCONNECT },
	/* TCP_STATE covers several actions; the syscall in progress tells them apart */
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK, 0, -1, connect_calls, CAUSE_DISCONNECT },
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK, 0, -1, netlink_calls, CAUSE_ADMIN_KILL },
	/* accept-queue children of a closing listener inherit its SO_LINGER: so first */
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK | RSTW_F_ORPHAN, 0, -1, NULL,
	  CAUSE_LISTENER_CLOSED },
	/* close(), or exit: a killed process closes its files from whatever syscall it was in */
	{ RSTW_DIR_SENT, "TCP_STATE", RSTW_F_TASK | RSTW_F_LINGER0, 0, -1, NULL,
	  CAUSE_LINGER_ABORT },
	{ RSTW_DIR_SENT, "MPTCP_RST_*", 0, 0, -1, NULL, CAUSE_MPTCP },

	/* sent, on kernels whose tracepoint has no reason: infer from facts */
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT | RSTW_F_SYN, 0, 0, NULL, CAUSE_CLOSED_PORT },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT, 0, 0, NULL, CAUSE_NO_SOCKET },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT, 0, TCP_TIME_WAIT_S, NULL, CAUSE_TIMEWAIT },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_LISTEN_FULL, 0, TCP_LISTEN_S, NULL,
	  CAUSE_LISTEN_OVERFLOW },
	/* tcp_close() checks unread data before SO_LINGER 0 */
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK | RSTW_F_UNREAD, RSTW_F_SEGMENT, -1, close_calls,
	  CAUSE_ABORT_ON_CLOSE },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_TASK | RSTW_F_LINGER0, RSTW_F_SEGMENT, -1, close_calls,
	  CAUSE_LINGER_ABORT },
	{ RSTW_DIR_SENT, NO_REASON, RSTW_F_SEGMENT | RSTW_F_RCV_SHUT, 0, -1, NULL,
	  CAUSE_ABORT_ON_DATA },

	/* received */
	{ RSTW_DIR_RECEIVED, ANY_REASON, 0, 0, TCP_SYN_SENT_S, NULL, CAUSE_REFUSED },
	{ RSTW_DIR_RECEIVED, ANY_REASON, 0, 0, -1, NULL, CAUSE_PEER_RESET },
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

static bool syscall_in(const char *const *set, const char *name)
{
	if (!set)
		return true;
	if (!name)
		return false;
	for (; *set; set++)
		if (strcmp(*set, name) == 0)
			return true;
	return false;
}

enum rstw_cause cause_attribute(const struct cause_input *in)
{
	uint32_t dir = rstw_key_dir(in->key), facts = rstw_key_facts(in->key);
	int state = (int)rstw_key_state(in->key);

	if (rstw_key_kind(in->key) == RSTW_KIND_LISTEN_DROP)
		return CAUSE_LISTEN_DROP;
	if (rstw_key_kind(in->key) == RSTW_KIND_WIRE) {
		switch (rstw_key_reason(in->key)) {
		case RSTW_WIRE_FOREIGN_RST:
			return CAUSE_FIREWALL_REJECT;
		case RSTW_WIRE_TW_KILLED:
		case RSTW_WIRE_TW_KEPT:
			return CAUSE_RST_TIMEWAIT;
		}
		return CAUSE_UNKNOWN;
	}
	if (rstw_key_kind(in->key) == RSTW_KIND_RST_DROPPED) {
		switch (rstw_key_reason(in->key)) {
		case RSTW_RST_CHALLENGED:
			return CAUSE_RST_CHALLENGED;
		case RSTW_RST_OUT_OF_WINDOW:
			return CAUSE_RST_OUT_OF_WINDOW;
		case RSTW_RST_NO_SOCKET:
			return CAUSE_RST_NO_SOCKET;
		}
		return CAUSE_UNKNOWN;
	}
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct cause_rule *r = &rules[i];

		if (r->dir != dir || (facts & r->need) != r->need || (facts & r->deny))
			continue;
		if (r->state >= 0 && r->state != state)
			continue;
		if (!reason_matches(r->reason, in->reason))
			continue;
		if (!syscall_in(r->syscalls, in->syscall))
			continue;
		return r->cause;
	}
	return CAUSE_UNKNOWN;
}

void cause_context(const struct cause_input *in, bool ctx_known, char *buf, size_t len)
{
	uint32_t facts = rstw_key_facts(in->key);

	if (facts & RSTW_F_TASK) {
		if (in->syscall)
			snprintf(buf, len, "syscall:%s", in->syscall);
		else
			snprintf(buf, len, "process");
	} else if (!ctx_known) {
		snprintf(buf, len, "unknown");
	} else if (facts & RSTW_F_SEGMENT || rstw_key_dir(in->key) == RSTW_DIR_RECEIVED) {
		snprintf(buf, len, "softirq");
	} else {
		/* a reset of our own making outside a syscall: keepalive, orphan timers */
		snprintf(buf, len, "timer");
	}
}

bool cause_current_is_actor(enum rstw_cause c, const struct cause_input *in)
{
	/* only a syscall on the socket itself makes the current task its user */
	if (!(rstw_key_facts(in->key) & RSTW_F_TASK))
		return false;
	return c != CAUSE_ADMIN_KILL;
}
