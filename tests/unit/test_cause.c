// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cause attribution (user/cause.c) and the taxonomy (user/causes.c) against
 * DESIGN.md section 3, and the fact key of include/rstwatch.h.
 */
#include <stdint.h>
#include <string.h>

#include "unit.h"

#include "rstwatch.h"
#include "cause.h"
#include "causes.h"
#include "key.h"
#include "syscalls.h"

#define S_NONE 0 /* no socket */
#define S_ESTABLISHED 1
#define S_SYN_SENT 2
#define S_SYN_RECV 3
#define S_FIN_WAIT2 5
#define S_TIME_WAIT 6
#define S_CLOSE 7
#define S_CLOSE_WAIT 8
#define S_LISTEN 10
#define S_NEW_SYN_RECV 12

/* This architecture's number for a syscall name, as the kernel side records it; -1 if none. */
static long sysnr(const char *name)
{
	if (!name)
		return -1;
	for (long nr = 0; nr < RSTW_SYSCALL_TABLE; nr++) {
		const char *n = syscall_name(nr);

		if (n && strcmp(n, name) == 0)
			return nr;
	}
	return -1;
}

/*
 * What the kernel side and main.c build for an event: the key carries the
 * class the loader's table gives the syscall's number, the event its name.
 */
static struct cause_input input(uint32_t dir, const char *reason, uint32_t state, uint32_t facts,
				const char *syscall)
{
	long nr = (facts & RSTW_F_TASK) ? sysnr(syscall) : -1;
	uint32_t cls = !(facts & RSTW_F_TASK) ? RSTW_SYSC_NONE :
		       nr < 0		      ? RSTW_SYSC_OTHER :
						cause_syscall_class(syscall_name(nr));
	struct cause_input in = {
		.key = rstw_key_of(RSTW_KIND_RESET, dir, state, facts, cls, RSTW_REASON_NONE,
				   RSTW_EVID_NONE, RSTW_SEEN_NONE),
		.reason = reason,
		.syscall = nr < 0 ? NULL : syscall_name(nr),
	};
	return in;
}

static const char *id(enum rstw_cause c)
{
	return cause_info(c)->id;
}

TEST(syscall_names_used_here_exist)
{
	static const char *const names[] = { "close",	"exit_group", "close_range", "connect",
					     "sendmsg", "recvfrom",   NULL };

	for (int i = 0; names[i]; i++) {
		long nr = sysnr(names[i]);

		if (!CHECK(nr >= 0))
			NOTE("syscall %s not in syscall_names.h", names[i]);
		else
			CHECK_EQ_STR(syscall_name(nr), names[i]);
	}
	CHECK(syscall_name(-1) == NULL);
	CHECK(syscall_name(100000) == NULL);
	CHECK(syscall_name(RSTW_SYSCALL_TABLE) == NULL);
}

TEST(syscall_classes)
{
	/* only what attribution tells apart gets a class of its own */
	static const struct {
		const char *name;
		uint32_t cls;
	} cases[] = {
		{ "close", RSTW_SYSC_CLOSE },	  { "exit_group", RSTW_SYSC_CLOSE },
		{ "exit", RSTW_SYSC_CLOSE },	  { "close_range", RSTW_SYSC_CLOSE },
		{ "shutdown", RSTW_SYSC_CLOSE },  { "connect", RSTW_SYSC_CONNECT },
		{ "sendmsg", RSTW_SYSC_NETLINK }, { "sendto", RSTW_SYSC_NETLINK },
		{ "write", RSTW_SYSC_NETLINK },	  { "writev", RSTW_SYSC_NETLINK },
		{ "recvfrom", RSTW_SYSC_OTHER },  { "ioctl", RSTW_SYSC_OTHER },
		{ NULL, RSTW_SYSC_OTHER },
	};
	int classes[RSTW_SYSC__COUNT] = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!CHECK_EQ_UINT(cause_syscall_class(cases[i].name), cases[i].cls))
			NOTE("syscall %s", cases[i].name ? cases[i].name : "(null)");
	/* the loader's table: every number of this architecture fits, none is NONE */
	for (long nr = 0; nr < RSTW_SYSCALL_TABLE; nr++) {
		uint32_t c = cause_syscall_class(syscall_name(nr));

		CHECK(c != RSTW_SYSC_NONE && c < RSTW_SYSC__COUNT);
		classes[c < RSTW_SYSC__COUNT ? c : 0]++;
	}
	CHECK(syscall_name(RSTW_SYSCALL_TABLE) == NULL);
	/* a counter key varies by 4 classes, not by some 400 syscall numbers */
	CHECK_EQ_INT(classes[RSTW_SYSC_CLOSE], 5);
	CHECK_EQ_INT(classes[RSTW_SYSC_CONNECT], 1);
	CHECK_EQ_INT(classes[RSTW_SYSC_NETLINK], 4);
}

/*
 * Sent resets: every kernel reason x the contexts it can arrive in.  Columns
 * are where the kernel was and what the socket looked like at tcp_send_reset.
 */
enum ctx {
	X_NONE = 0, /* terminates an override list */
	X_CLOSE, /* close() without SO_LINGER */
	X_CLOSE_L0, /* close() with SO_LINGER {1, 0} */
	X_EXIT_L0, /* process exit closing a SO_LINGER {1, 0} socket */
	X_CLOSE_RANGE_L0, /* close_range() on a SO_LINGER {1, 0} socket */
	X_KILLED_L0, /* a process killed in read() closes its SO_LINGER {1, 0} socket */
	X_CONNECT, /* connect(AF_UNSPEC) */
	X_CONNECT_L0, /* connect(AF_UNSPEC) on a SO_LINGER {1, 0} socket */
	X_SENDMSG, /* ss -K: SOCK_DESTROY over netlink sendmsg */
	X_SENDMSG_L0, /* ss -K on a SO_LINGER {1, 0} socket */
	X_PROC, /* process context, syscall unknown */
	X_SEG, /* softirq reply to a non-SYN segment, full socket */
	X_SEG_NOSK, /* softirq reply to a non-SYN segment, no socket */
	X_SYN, /* softirq reply to a SYN, no socket */
	X_TIMER, /* timer (keepalive, orphan) */
	X_LISTENQ, /* softirq, sk is a full listener */
	X_LISTEN, /* softirq, sk is a listener with room */
	X_LISTENER_CLOSE, /* close() of a listener resets its unaccepted children */
	X_LISTENER_CLOSE_L0, /* the same, children inherited SO_LINGER {1, 0} */
	X__COUNT,
};

static const struct ctx_def {
	const char *name;
	uint32_t facts;
	uint32_t state;
	const char *syscall;
} ctxs[X__COUNT] = {
	[X_CLOSE] = { "close", RSTW_F_TASK | RSTW_F_RCV_SHUT, S_CLOSE, "close" },
	[X_CLOSE_L0] = { "close+linger0", RSTW_F_TASK | RSTW_F_LINGER0 | RSTW_F_RCV_SHUT, S_CLOSE,
			 "close" },
	[X_EXIT_L0] = { "exit_group+linger0", RSTW_F_TASK | RSTW_F_LINGER0 | RSTW_F_RCV_SHUT,
			S_CLOSE, "exit_group" },
	[X_CLOSE_RANGE_L0] = { "close_range+linger0",
			       RSTW_F_TASK | RSTW_F_LINGER0 | RSTW_F_RCV_SHUT, S_CLOSE,
			       "close_range" },
	/* do_exit() closes the files from whatever syscall the process was in */
	[X_KILLED_L0] = { "killed in recvfrom+linger0",
			  RSTW_F_TASK | RSTW_F_LINGER0 | RSTW_F_RCV_SHUT, S_CLOSE, "recvfrom" },
	[X_CONNECT] = { "connect", RSTW_F_TASK, S_CLOSE, "connect" },
	[X_CONNECT_L0] = { "connect+linger0", RSTW_F_TASK | RSTW_F_LINGER0, S_CLOSE, "connect" },
	[X_SENDMSG] = { "sendmsg", RSTW_F_TASK, S_ESTABLISHED, "sendmsg" },
	[X_SENDMSG_L0] = { "sendmsg+linger0", RSTW_F_TASK | RSTW_F_LINGER0, S_ESTABLISHED,
			   "sendmsg" },
	[X_PROC] = { "process", RSTW_F_TASK, S_ESTABLISHED, NULL },
	[X_SEG] = { "softirq segment", RSTW_F_SEGMENT, S_ESTABLISHED, NULL },
	[X_SEG_NOSK] = { "softirq segment, no socket", RSTW_F_SEGMENT, S_NONE, NULL },
	[X_SYN] = { "softirq SYN", RSTW_F_SEGMENT | RSTW_F_SYN, S_NONE, NULL },
	[X_TIMER] = { "timer", RSTW_F_ORPHAN, S_ESTABLISHED, NULL },
	[X_LISTENQ] = { "softirq full listener", RSTW_F_SEGMENT | RSTW_F_LISTEN_FULL, S_LISTEN,
			NULL },
	[X_LISTEN] = { "softirq listener", RSTW_F_SEGMENT, S_LISTEN, NULL },
	/*
	 * inet_csk_listen_stop() -> tcp_disconnect() on each child: the child
	 * has no struct socket (ORPHAN), the syscall is the listener's close.
	 * An application's own close() resets its socket before sock_orphan(),
	 * so ORPHAN is clear there.  Children copy the listener's sk_flags and
	 * sk_lingertime (sk_clone_lock), so they carry its SO_LINGER too.
	 */
	[X_LISTENER_CLOSE] = { "close of a listener", RSTW_F_TASK | RSTW_F_ORPHAN, S_CLOSE,
			       "close" },
	[X_LISTENER_CLOSE_L0] = { "close of a linger0 listener",
				  RSTW_F_TASK | RSTW_F_ORPHAN | RSTW_F_LINGER0, S_CLOSE, "close" },
};

#define MAX_OVR 16

static const struct reason_case {
	const char *reason;
	enum rstw_cause dflt; /* in every context not overridden */
	struct {
		enum ctx ctx;
		enum rstw_cause cause;
	} ovr[MAX_OVR];
} reason_cases[] = {
	{ "NOT_SPECIFIED", CAUSE_UNKNOWN, { { 0 } } },
	{ "NO_SOCKET", CAUSE_NO_SOCKET, { { X_SYN, CAUSE_CLOSED_PORT } } },
	{ "TCP_INVALID_ACK_SEQUENCE", CAUSE_INVALID_ACK, { { 0 } } },
	{ "TCP_RFC7323_PAWS", CAUSE_PAWS, { { 0 } } },
	{ "TCP_TOO_OLD_ACK", CAUSE_INVALID_ACK, { { 0 } } },
	{ "TCP_ACK_UNSENT_DATA", CAUSE_INVALID_ACK, { { 0 } } },
	{ "TCP_FLAGS", CAUSE_BAD_FLAGS, { { 0 } } },
	{ "TCP_OLD_ACK", CAUSE_INVALID_ACK, { { 0 } } },
	{ "TCP_ABORT_ON_DATA", CAUSE_ABORT_ON_DATA, { { 0 } } },
	{ "TCP_TIMEWAIT_SOCKET", CAUSE_TIMEWAIT, { { 0 } } },
	{ "INVALID_SYN", CAUSE_INVALID_SYN, { { X_LISTENQ, CAUSE_LISTEN_OVERFLOW } } },
	{ "TCP_ABORT_ON_CLOSE", CAUSE_ABORT_ON_CLOSE, { { 0 } } },
	{ "TCP_ABORT_ON_LINGER", CAUSE_LINGER2_ABORT, { { 0 } } },
	{ "TCP_ABORT_ON_MEMORY", CAUSE_ABORT_ON_MEMORY, { { 0 } } },
	{ "TCP_STATE",
	  CAUSE_UNKNOWN,
	  {
		  { X_CLOSE_L0, CAUSE_LINGER_ABORT },
		  { X_EXIT_L0, CAUSE_LINGER_ABORT },
		  { X_CLOSE_RANGE_L0, CAUSE_LINGER_ABORT },
		  { X_KILLED_L0, CAUSE_LINGER_ABORT },
		  { X_CONNECT, CAUSE_DISCONNECT },
		  { X_CONNECT_L0, CAUSE_DISCONNECT },
		  { X_SENDMSG, CAUSE_ADMIN_KILL },
		  { X_SENDMSG_L0, CAUSE_ADMIN_KILL },
		  { X_LISTENER_CLOSE, CAUSE_LISTENER_CLOSED },
		  { X_LISTENER_CLOSE_L0, CAUSE_LISTENER_CLOSED },
	  } },
	{ "TCP_KEEPALIVE_TIMEOUT", CAUSE_KEEPALIVE_TIMEOUT, { { 0 } } },
	/*
	 * tcp_disconnect() reports DISCONNECT_WITH_DATA instead of TCP_STATE
	 * when the socket was in CLOSING/LAST_ACK with unsent data: the same
	 * actions as TCP_STATE (close with SO_LINGER {1, 0}, connect(AF_UNSPEC),
	 * a closing listener's children) get the same causes.
	 */
	{ "TCP_DISCONNECT_WITH_DATA",
	  CAUSE_DISCONNECT,
	  {
		  { X_CLOSE_L0, CAUSE_LINGER_ABORT },
		  { X_EXIT_L0, CAUSE_LINGER_ABORT },
		  { X_CLOSE_RANGE_L0, CAUSE_LINGER_ABORT },
		  { X_KILLED_L0, CAUSE_LINGER_ABORT },
		  /* no SOCK_DESTROY rule here: ss -K reports TCP_STATE */
		  { X_SENDMSG_L0, CAUSE_LINGER_ABORT },
		  { X_LISTENER_CLOSE, CAUSE_LISTENER_CLOSED },
		  { X_LISTENER_CLOSE_L0, CAUSE_LISTENER_CLOSED },
	  } },
	{ "MPTCP_RST_EUNSPEC", CAUSE_MPTCP, { { 0 } } },
	{ "MPTCP_RST_EMPTCP", CAUSE_MPTCP, { { 0 } } },
	{ "MPTCP_RST_ERESOURCE", CAUSE_MPTCP, { { 0 } } },
	{ "MPTCP_RST_EPROHIBIT", CAUSE_MPTCP, { { 0 } } },
	{ "MPTCP_RST_EWQ2BIG", CAUSE_MPTCP, { { 0 } } },
	{ "MPTCP_RST_EBADPERF", CAUSE_MPTCP, { { 0 } } },
	{ "MPTCP_RST_EMIDDLEBOX", CAUSE_MPTCP, { { 0 } } },
	{ "ERROR", CAUSE_UNKNOWN, { { 0 } } },
	/* a value the running kernel's BTF does not name (reasons_name) */
	{ "REASON_40", CAUSE_UNKNOWN, { { 0 } } },
	/* near misses of names that have rules */
	{ "MPTCP_RST", CAUSE_UNKNOWN, { { 0 } } },
	{ "NO_SOCKET_X", CAUSE_UNKNOWN, { { 0 } } },
	{ "no_socket", CAUSE_UNKNOWN, { { 0 } } },
	{ "", CAUSE_UNKNOWN, { { 0 } } },
};

/* Linux 6.18's enum sk_rst_reason, all of it, without the SK_RST_REASON_ prefix. */
static const char *const kernel_reasons[] = {
	"NOT_SPECIFIED",
	"NO_SOCKET",
	"TCP_INVALID_ACK_SEQUENCE",
	"TCP_RFC7323_PAWS",
	"TCP_TOO_OLD_ACK",
	"TCP_ACK_UNSENT_DATA",
	"TCP_FLAGS",
	"TCP_OLD_ACK",
	"TCP_ABORT_ON_DATA",
	"TCP_TIMEWAIT_SOCKET",
	"INVALID_SYN",
	"TCP_ABORT_ON_CLOSE",
	"TCP_ABORT_ON_LINGER",
	"TCP_ABORT_ON_MEMORY",
	"TCP_STATE",
	"TCP_KEEPALIVE_TIMEOUT",
	"TCP_DISCONNECT_WITH_DATA",
	"MPTCP_RST_EUNSPEC",
	"MPTCP_RST_EMPTCP",
	"MPTCP_RST_ERESOURCE",
	"MPTCP_RST_EPROHIBIT",
	"MPTCP_RST_EWQ2BIG",
	"MPTCP_RST_EBADPERF",
	"MPTCP_RST_EMIDDLEBOX",
	"ERROR",
};

static const struct reason_case *find_reason_case(const char *reason)
{
	for (size_t i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]); i++)
		if (strcmp(reason_cases[i].reason, reason) == 0)
			return &reason_cases[i];
	return NULL;
}

TEST(every_kernel_reason_has_cases)
{
	for (size_t i = 0; i < sizeof(kernel_reasons) / sizeof(kernel_reasons[0]); i++)
		if (!CHECK(find_reason_case(kernel_reasons[i]) != NULL))
			NOTE("reason %s", kernel_reasons[i]);
}

TEST(sent_reason_by_context)
{
	for (size_t i = 0; i < sizeof(reason_cases) / sizeof(reason_cases[0]); i++) {
		const struct reason_case *rc = &reason_cases[i];

		for (int x = 1; x < X__COUNT; x++) {
			const struct ctx_def *c = &ctxs[x];
			struct cause_input in =
				input(RSTW_DIR_SENT, rc->reason, c->state, c->facts, c->syscall);
			enum rstw_cause want = rc->dflt;

			for (int k = 0; k < MAX_OVR && rc->ovr[k].ctx != X_NONE; k++)
				if (rc->ovr[k].ctx == (enum ctx)x)
					want = rc->ovr[k].cause;
			if (!CHECK_EQ_STR(id(cause_attribute(&in)), id(want)))
				NOTE("reason %s, context %s", rc->reason, c->name);
		}
	}
}

TEST(sent_reason_spot_checks)
{
	/* the examples of the brief, spelled out */
	struct cause_input in;

	in = input(RSTW_DIR_SENT, "NO_SOCKET", S_NONE, RSTW_F_SEGMENT | RSTW_F_SYN, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_CLOSED_PORT);
	in = input(RSTW_DIR_SENT, "NO_SOCKET", S_NONE, RSTW_F_SEGMENT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_NO_SOCKET);
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_TASK | RSTW_F_LINGER0, "close");
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_LINGER_ABORT);
	/* a close without SO_LINGER 0, and SO_LINGER 0 outside process context, say nothing */
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_TASK, "close");
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_LINGER0, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_TASK, "connect");
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_DISCONNECT);
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_ESTABLISHED, RSTW_F_TASK, "sendmsg");
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_ADMIN_KILL);
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_ESTABLISHED, RSTW_F_SEGMENT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	/* a syscall name with no process context (flag clear) does not count */
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_LINGER0, NULL);
	in.syscall = "close";
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, "INVALID_SYN", S_LISTEN, RSTW_F_SEGMENT | RSTW_F_LISTEN_FULL,
		   NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_LISTEN_OVERFLOW);
	/* full-listener flag on something that is not a listener */
	in = input(RSTW_DIR_SENT, "INVALID_SYN", S_SYN_RECV, RSTW_F_SEGMENT | RSTW_F_LISTEN_FULL,
		   NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_INVALID_SYN);
	in = input(RSTW_DIR_SENT, "INVALID_SYN", S_NEW_SYN_RECV, RSTW_F_SEGMENT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_INVALID_SYN);
	in = input(RSTW_DIR_SENT, "MPTCP_RST_EMIDDLEBOX", S_ESTABLISHED, RSTW_F_SEGMENT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_MPTCP);
	in = input(RSTW_DIR_SENT, "NOT_SPECIFIED", S_ESTABLISHED, RSTW_F_SEGMENT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
}

/* Kernels before 6.10 give no reason: the cause is inferred from the facts. */
static const struct noreason_case {
	const char *what;
	uint32_t state;
	uint32_t facts;
	const char *syscall;
	enum rstw_cause want;
} noreason_cases[] = {
	{ "SYN, no socket", S_NONE, RSTW_F_SEGMENT | RSTW_F_SYN, NULL, CAUSE_CLOSED_PORT },
	{ "segment, no socket", S_NONE, RSTW_F_SEGMENT, NULL, CAUSE_NO_SOCKET },
	{ "segment to TIME_WAIT", S_TIME_WAIT, RSTW_F_SEGMENT, NULL, CAUSE_TIMEWAIT },
	{ "SYN to TIME_WAIT", S_TIME_WAIT, RSTW_F_SEGMENT | RSTW_F_SYN, NULL, CAUSE_TIMEWAIT },
	{ "segment to full listener", S_LISTEN, RSTW_F_SEGMENT | RSTW_F_LISTEN_FULL, NULL,
	  CAUSE_LISTEN_OVERFLOW },
	{ "full listener, no segment", S_LISTEN, RSTW_F_LISTEN_FULL, NULL, CAUSE_LISTEN_OVERFLOW },
	{ "full flag, not a listener", S_ESTABLISHED, RSTW_F_SEGMENT | RSTW_F_LISTEN_FULL, NULL,
	  CAUSE_UNKNOWN },
	{ "listener with room", S_LISTEN, RSTW_F_SEGMENT | RSTW_F_SYN, NULL, CAUSE_UNKNOWN },
	{ "close, linger0", S_CLOSE, RSTW_F_TASK | RSTW_F_LINGER0 | RSTW_F_RCV_SHUT, "close",
	  CAUSE_LINGER_ABORT },
	{ "exit_group, linger0", S_CLOSE, RSTW_F_TASK | RSTW_F_LINGER0, "exit_group",
	  CAUSE_LINGER_ABORT },
	{ "close_range, linger0", S_CLOSE, RSTW_F_TASK | RSTW_F_LINGER0, "close_range",
	  CAUSE_LINGER_ABORT },
	{ "close, unread data", S_CLOSE, RSTW_F_TASK | RSTW_F_UNREAD | RSTW_F_RCV_SHUT, "close",
	  CAUSE_ABORT_ON_CLOSE },
	/*
	 * tcp_close() tests unread data before SO_LINGER {1, 0} ("Check zero
	 * linger _after_ checking for unread data"): with both, the kernel
	 * sends the ABORT_ON_CLOSE reset, as 6.10+ kernels then report.
	 */
	{ "close, unread data and linger0", S_CLOSE,
	  RSTW_F_TASK | RSTW_F_UNREAD | RSTW_F_LINGER0 | RSTW_F_RCV_SHUT, "close",
	  CAUSE_ABORT_ON_CLOSE },
	{ "linger0, process context, syscall unknown", S_CLOSE, RSTW_F_TASK | RSTW_F_LINGER0, NULL,
	  CAUSE_UNKNOWN },
	{ "linger0, not process context", S_CLOSE, RSTW_F_LINGER0, NULL, CAUSE_UNKNOWN },
	{ "unread, not process context", S_ESTABLISHED, RSTW_F_UNREAD, NULL, CAUSE_UNKNOWN },
	{ "close, linger0, but a reply to a segment", S_ESTABLISHED,
	  RSTW_F_TASK | RSTW_F_LINGER0 | RSTW_F_SEGMENT, "close", CAUSE_UNKNOWN },
	{ "close, unread, but a reply to a segment", S_ESTABLISHED,
	  RSTW_F_TASK | RSTW_F_UNREAD | RSTW_F_SEGMENT, "close", CAUSE_UNKNOWN },
	{ "data after shutdown", S_CLOSE_WAIT, RSTW_F_SEGMENT | RSTW_F_RCV_SHUT, NULL,
	  CAUSE_ABORT_ON_DATA },
	{ "data to an orphan", S_FIN_WAIT2, RSTW_F_SEGMENT | RSTW_F_RCV_SHUT | RSTW_F_ORPHAN, NULL,
	  CAUSE_ABORT_ON_DATA },
	{ "receive side shut, no segment", S_CLOSE, RSTW_F_RCV_SHUT, NULL, CAUSE_UNKNOWN },
	{ "timer, orphan", S_ESTABLISHED, RSTW_F_ORPHAN, NULL, CAUSE_UNKNOWN },
	{ "nothing known", S_ESTABLISHED, 0, NULL, CAUSE_UNKNOWN },
	{ "segment, established", S_ESTABLISHED, RSTW_F_SEGMENT, NULL, CAUSE_UNKNOWN },
};

TEST(sent_without_reason)
{
	for (size_t i = 0; i < sizeof(noreason_cases) / sizeof(noreason_cases[0]); i++) {
		const struct noreason_case *c = &noreason_cases[i];
		struct cause_input in = input(RSTW_DIR_SENT, NULL, c->state, c->facts, c->syscall);

		if (!CHECK_EQ_STR(id(cause_attribute(&in)), id(c->want)))
			NOTE("no reason: %s", c->what);
	}
}

/* Kernels without a reason: the evidence the BPF side puts in the key. */
static struct cause_input evidence_input(uint32_t state, uint32_t facts, const char *syscall,
					 uint32_t evid)
{
	struct cause_input in = input(RSTW_DIR_SENT, NULL, state, facts, syscall);

	in.key.evidence = evid;
	return in;
}

static const struct evidence_case {
	const char *what;
	uint32_t state, facts;
	const char *syscall;
	uint32_t evid;
	enum rstw_cause want;
} evidence_cases[] = {
	{ "keepalive timer, probes exhausted", S_ESTABLISHED, 0, NULL, RSTW_EVID_KEEPALIVE,
	  CAUSE_KEEPALIVE_TIMEOUT },
	{ "keepalive evidence in a syscall is not the timer", S_ESTABLISHED, RSTW_F_TASK, "close",
	  RSTW_EVID_KEEPALIVE, CAUSE_UNKNOWN },
	{ "keepalive evidence with a segment", S_ESTABLISHED, RSTW_F_SEGMENT, NULL,
	  RSTW_EVID_KEEPALIVE, CAUSE_UNKNOWN },
	{ "orphan, linger2 < 0, in close", S_CLOSE, RSTW_F_TASK | RSTW_F_ORPHAN, "close",
	  RSTW_EVID_LINGER2, CAUSE_LINGER2_ABORT },
	{ "orphan, linger2 < 0, from the timer", S_FIN_WAIT2, RSTW_F_ORPHAN, NULL,
	  RSTW_EVID_LINGER2, CAUSE_LINGER2_ABORT },
	{ "orphaned by close, nothing else: out of memory", S_CLOSE, RSTW_F_TASK | RSTW_F_ORPHAN,
	  "close", RSTW_EVID_CLOSED_DEAD, CAUSE_ABORT_ON_MEMORY },
	{ "orphaned by close, but unread data", S_CLOSE,
	  RSTW_F_TASK | RSTW_F_ORPHAN | RSTW_F_UNREAD, "close", RSTW_EVID_CLOSED_DEAD,
	  CAUSE_ABORT_ON_CLOSE },
	{ "orphaned, in another syscall", S_CLOSE, RSTW_F_TASK | RSTW_F_ORPHAN, "ioctl",
	  RSTW_EVID_CLOSED_DEAD, CAUSE_UNKNOWN },
	{ "never accepted, listener closing", S_CLOSE, RSTW_F_TASK | RSTW_F_ORPHAN, "close",
	  RSTW_EVID_NEVER_ACCEPTED, CAUSE_LISTENER_CLOSED },
	{ "never accepted, exit", S_CLOSE, RSTW_F_TASK | RSTW_F_ORPHAN, "exit_group",
	  RSTW_EVID_NEVER_ACCEPTED, CAUSE_LISTENER_CLOSED },
	{ "connect(AF_UNSPEC)", S_CLOSE, RSTW_F_TASK, "connect", RSTW_EVID_NONE, CAUSE_DISCONNECT },
	{ "ss -K", S_CLOSE, RSTW_F_TASK, "sendmsg", RSTW_EVID_NONE, CAUSE_ADMIN_KILL },
	{ "close, no evidence", S_CLOSE, RSTW_F_TASK, "close", RSTW_EVID_NONE, CAUSE_UNKNOWN },
	{ "timer, no evidence", S_ESTABLISHED, 0, NULL, RSTW_EVID_NONE, CAUSE_UNKNOWN },
};

TEST(sent_without_reason_evidence)
{
	for (size_t i = 0; i < sizeof(evidence_cases) / sizeof(evidence_cases[0]); i++) {
		const struct evidence_case *c = &evidence_cases[i];
		struct cause_input in = evidence_input(c->state, c->facts, c->syscall, c->evid);

		if (!CHECK_EQ_STR(id(cause_attribute(&in)), id(c->want)))
			NOTE("evidence: %s", c->what);
	}
}

TEST(evidence_only_without_a_reason)
{
	struct rstw_key k =
		rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, S_ESTABLISHED, 0, RSTW_SYSC_NONE,
			    RSTW_REASON_NONE, RSTW_EVID_KEEPALIVE, RSTW_SEEN_NONE);
	char buf[96];

	CHECK(key_valid(&k));
	/* a kernel that names its reasons gives no evidence: such a key is not from this build */
	k.reason = 3;
	CHECK(!key_valid(&k));
	k.reason = RSTW_REASON_NONE;
	k.kind = RSTW_KIND_RST_DROPPED;
	k.seen = RSTW_SEEN_CHALLENGED;
	CHECK(!key_valid(&k));
	k.evidence = RSTW_EVID_NONE;
	CHECK(key_valid(&k));
	CHECK_EQ_STR(cause_evidence_name(RSTW_EVID_KEEPALIVE), "keepalive_exhausted");
	CHECK_EQ_STR(cause_evidence_name(RSTW_EVID_NEVER_ACCEPTED), "never_accepted");
	CHECK(cause_evidence_name(RSTW_EVID_NONE) == NULL);
	cause_facts_names(RSTW_F_SEGMENT | RSTW_F_SYN, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "segment,syn");
	cause_facts_names(0xff, buf, 12);
	CHECK(strlen(buf) < 12);
}

TEST(no_reason_rules_need_no_reason)
{
	/* facts that infer a cause without a reason must not override a given reason */
	struct cause_input in;

	in = input(RSTW_DIR_SENT, "TCP_FLAGS", S_NONE, RSTW_F_SEGMENT | RSTW_F_SYN, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_BAD_FLAGS);
	in = input(RSTW_DIR_SENT, "NOT_SPECIFIED", S_NONE, RSTW_F_SEGMENT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, "NOT_SPECIFIED", S_TIME_WAIT, RSTW_F_SEGMENT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, "NOT_SPECIFIED", S_LISTEN, RSTW_F_SEGMENT | RSTW_F_LISTEN_FULL,
		   NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, "NOT_SPECIFIED", S_CLOSE, RSTW_F_TASK | RSTW_F_UNREAD, "close");
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, "ERROR", S_CLOSE_WAIT, RSTW_F_SEGMENT | RSTW_F_RCV_SHUT, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
}

TEST(received)
{
	static const uint32_t facts[] = { 0, RSTW_F_SEGMENT, RSTW_F_TASK,
					  RSTW_F_SEGMENT | RSTW_F_SYN,
					  RSTW_F_ORPHAN | RSTW_F_RCV_SHUT };
	static const char *const reasons[] = { NULL, "NOT_SPECIFIED", "NO_SOCKET" };

	for (uint32_t state = 1; state <= 12; state++) {
		for (size_t f = 0; f < sizeof(facts) / sizeof(facts[0]); f++) {
			for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
				struct cause_input in = input(RSTW_DIR_RECEIVED, reasons[r], state,
							      facts[f], "recvfrom");
				enum rstw_cause want =
					state == S_SYN_SENT ? CAUSE_REFUSED : CAUSE_PEER_RESET;

				if (!CHECK_EQ_STR(id(cause_attribute(&in)), id(want)))
					NOTE("received, state %u, facts 0x%x, reason %s", state,
					     facts[f], reasons[r] ? reasons[r] : "(none)");
			}
		}
	}
}

TEST(direction_is_decisive)
{
	/* sent rules never apply to received resets, and the other way round */
	struct cause_input in;

	in = input(RSTW_DIR_RECEIVED, "TCP_STATE", S_CLOSE, RSTW_F_TASK | RSTW_F_LINGER0, "close");
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_PEER_RESET);
	in = input(RSTW_DIR_RECEIVED, "NO_SOCKET", S_SYN_SENT, RSTW_F_SEGMENT | RSTW_F_SYN, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_REFUSED);
	in = input(RSTW_DIR_SENT, NULL, S_SYN_SENT, 0, NULL);
	CHECK_EQ_INT(cause_attribute(&in), CAUSE_UNKNOWN);
	in = input(RSTW_DIR_SENT, NULL, S_ESTABLISHED, 0, NULL);
	CHECK(cause_attribute(&in) != CAUSE_PEER_RESET);
}

TEST(listen_drop_kind)
{
	/* a record of kind LISTEN_DROP is never a reset, whatever else the key says */
	static const char *const reasons[] = { NULL, "NO_SOCKET", "INVALID_SYN" };

	for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
		struct cause_input in = input(RSTW_DIR_RECEIVED, reasons[r], S_LISTEN,
					      RSTW_F_SEGMENT | RSTW_F_LISTEN_FULL, NULL);

		in.key.kind = RSTW_KIND_LISTEN_DROP;
		in.key.seen = RSTW_SEEN_LISTEN_OVERFLOW;
		CHECK(key_valid(&in.key));
		CHECK_EQ_STR(id(cause_attribute(&in)), "listen_drop");
		in = input(RSTW_DIR_SENT, reasons[r], S_LISTEN, RSTW_F_SEGMENT, NULL);
		in.key.kind = RSTW_KIND_LISTEN_DROP;
		in.key.seen = RSTW_SEEN_LISTEN_OVERFLOW;
		CHECK_EQ_STR(id(cause_attribute(&in)), "listen_drop");
		/* what another kind saw is no listen drop */
		in.key.seen = RSTW_SEEN_CHALLENGED;
		CHECK(!key_valid(&in.key));
		CHECK_EQ_STR(id(cause_attribute(&in)), "unknown");
	}
}

/* What a drop or the wire saw decides the cause; its kind must agree. */
TEST(seen_kinds)
{
	static const struct {
		uint32_t kind, seen;
		const char *want;
	} cases[] = {
		{ RSTW_KIND_RST_DROPPED, RSTW_SEEN_CHALLENGED, "rst_challenged" },
		{ RSTW_KIND_RST_DROPPED, RSTW_SEEN_OUT_OF_WINDOW, "rst_out_of_window" },
		{ RSTW_KIND_RST_DROPPED, RSTW_SEEN_NO_SOCKET, "rst_no_socket" },
		{ RSTW_KIND_RST_DROPPED, RSTW_SEEN_NONE, "unknown" },
		{ RSTW_KIND_RST_DROPPED, RSTW_SEEN_TW_KEPT, "unknown" },
		{ RSTW_KIND_RST_DROPPED, 9, "unknown" },
		{ RSTW_KIND_WIRE, RSTW_SEEN_FOREIGN_RST, "firewall_reject" },
		{ RSTW_KIND_WIRE, RSTW_SEEN_TW_KILLED, "rst_timewait" },
		{ RSTW_KIND_WIRE, RSTW_SEEN_TW_KEPT, "rst_timewait" },
		{ RSTW_KIND_WIRE, RSTW_SEEN_NONE, "unknown" },
		{ RSTW_KIND_WIRE, RSTW_SEEN_NO_SOCKET, "unknown" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cause_input in = { 0 };

		in.key =
			rstw_key_of(cases[i].kind, RSTW_DIR_RECEIVED, S_ESTABLISHED, RSTW_F_SEGMENT,
				    RSTW_SYSC_NONE, RSTW_REASON_NONE, RSTW_EVID_NONE, 0);
		in.key.seen = cases[i].seen; /* unclamped: 9 too */
		if (!CHECK_EQ_STR(id(cause_attribute(&in)), cases[i].want))
			NOTE("kind %u seen %u", cases[i].kind, cases[i].seen);
		CHECK(key_valid(&in.key) == (strcmp(cases[i].want, "unknown") != 0));
	}
}

/* The one decoder names the reason every sink shows, for each kind. */
TEST(key_reason_names)
{
	static char no_socket[] = "NO_SOCKET";
	struct reasons r = { .have_enum = true };
	struct rstw_key k = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, S_NONE, RSTW_F_SEGMENT,
					RSTW_SYSC_NONE, 2, RSTW_EVID_NONE, RSTW_SEEN_NONE);

	r.names[2] = no_socket;
	snprintf(r.unnamed[5], sizeof(r.unnamed[5]), "REASON_5");
	CHECK_EQ_STR(key_reason_name(&r, &k), "NO_SOCKET");
	k.reason = 5;
	CHECK_EQ_STR(key_reason_name(&r, &k), "REASON_5");
	k.reason = RSTW_REASON_NONE;
	CHECK(key_reason_name(&r, &k) == NULL);
	k.reason = 2;
	r.have_enum = false; /* before 6.10 the value is no reason */
	CHECK(key_reason_name(&r, &k) == NULL);
	r.have_enum = true;
	CHECK_EQ_STR(key_kind_name(&k), "reset");

	/* drops: the kfree_skb reason they were selected by, whatever the kernel's reason */
	k = rstw_key_of(RSTW_KIND_LISTEN_DROP, RSTW_DIR_RECEIVED, S_LISTEN, RSTW_F_SEGMENT,
			RSTW_SYSC_NONE, RSTW_REASON_NONE, RSTW_EVID_NONE,
			RSTW_SEEN_LISTEN_OVERFLOW);
	CHECK_EQ_STR(key_reason_name(&r, &k), "TCP_LISTEN_OVERFLOW");
	CHECK_EQ_STR(key_kind_name(&k), "listen_drop");
	k.kind = RSTW_KIND_RST_DROPPED;
	k.seen = RSTW_SEEN_CHALLENGED;
	CHECK_EQ_STR(key_reason_name(&r, &k), "TCP_RESET");
	CHECK_EQ_STR(key_kind_name(&k), "reset_dropped");
	k.seen = RSTW_SEEN_OUT_OF_WINDOW;
	CHECK_EQ_STR(key_reason_name(&r, &k), "TCP_INVALID_SEQUENCE");
	k.seen = RSTW_SEEN_NO_SOCKET;
	CHECK_EQ_STR(key_reason_name(&r, &k), "NO_SOCKET");
	k.seen = RSTW_SEEN_FOREIGN_RST; /* not a drop's */
	CHECK(key_reason_name(&r, &k) == NULL);
	/* the wire: the kernel gave no reason */
	k.kind = RSTW_KIND_WIRE;
	CHECK(key_reason_name(&r, &k) == NULL);
	CHECK_EQ_STR(key_kind_name(&k), "wire");
	k.seen = RSTW_SEEN_TW_KEPT;
	CHECK(key_reason_name(&r, &k) == NULL);
}

TEST(every_result_is_a_cause_of_its_direction)
{
	/* exhaustive over facts x states for a few reasons: no out-of-range cause,
	 * never a received-only cause for a sent reset and vice versa */
	static const char *const reasons[] = { NULL, "NO_SOCKET", "TCP_STATE", "INVALID_SYN" };

	for (uint32_t dir = 0; dir <= 1; dir++)
		for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++)
			for (uint32_t state = 0; state < 16; state++)
				for (uint32_t facts = 0; facts < 256; facts++) {
					struct cause_input in =
						input(dir, reasons[r], state, facts, "close");
					enum rstw_cause c = cause_attribute(&in);
					enum cause_dir d;

					if (!CHECK((unsigned)c < CAUSE__COUNT)) {
						NOTE("dir %u reason %s state %u facts 0x%x", dir,
						     reasons[r] ? reasons[r] : "-", state, facts);
						return;
					}
					d = cause_info(c)->dir;
					if (!CHECK(d & (dir == RSTW_DIR_SENT ? CDIR_SENT :
									       CDIR_RECEIVED))) {
						NOTE("dir %u reason %s state %u facts 0x%x -> %s",
						     dir, reasons[r] ? reasons[r] : "-", state,
						     facts, id(c));
						return;
					}
				}
}

TEST(context_strings)
{
	static const struct {
		uint32_t dir;
		uint32_t facts;
		const char *syscall;
		bool ctx_known;
		const char *want;
	} cases[] = {
		{ RSTW_DIR_SENT, RSTW_F_TASK, "close", true, "syscall:close" },
		{ RSTW_DIR_SENT, RSTW_F_TASK | RSTW_F_LINGER0, "exit_group", true,
		  "syscall:exit_group" },
		{ RSTW_DIR_SENT, RSTW_F_TASK, "connect", true, "syscall:connect" },
		{ RSTW_DIR_SENT, RSTW_F_TASK, NULL, true, "process" },
		{ RSTW_DIR_SENT, RSTW_F_SEGMENT, NULL, true, "softirq" },
		{ RSTW_DIR_SENT, RSTW_F_SEGMENT | RSTW_F_SYN, NULL, true, "softirq" },
		{ RSTW_DIR_RECEIVED, 0, NULL, true, "softirq" },
		{ RSTW_DIR_RECEIVED, RSTW_F_TASK, "recvfrom", true, "syscall:recvfrom" },
		{ RSTW_DIR_SENT, 0, NULL, true, "timer" },
		{ RSTW_DIR_SENT, RSTW_F_ORPHAN, NULL, true, "timer" },
		{ RSTW_DIR_SENT, 0, NULL, false, "unknown" },
		{ RSTW_DIR_SENT, RSTW_F_SEGMENT, NULL, false, "unknown" },
		{ RSTW_DIR_RECEIVED, 0, NULL, false, "unknown" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cause_input in =
			input(cases[i].dir, NULL, S_ESTABLISHED, cases[i].facts, cases[i].syscall);
		char buf[64];

		memset(buf, 'x', sizeof(buf));
		cause_context(&in, cases[i].ctx_known, buf, sizeof(buf));
		if (!CHECK_EQ_STR(buf, cases[i].want))
			NOTE("case %zu", i);
	}
}

TEST(context_truncates_safely)
{
	struct cause_input in = input(RSTW_DIR_SENT, NULL, S_CLOSE, RSTW_F_TASK, "close");
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	cause_context(&in, true, buf, 8);
	CHECK_EQ_STR(buf, "syscall");
	CHECK_EQ_INT(buf[8], 'x'); /* nothing written past len */
}

TEST(current_is_actor)
{
	struct cause_input in;

	/* a syscall on the socket itself: the current task is its user */
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_TASK | RSTW_F_LINGER0, "close");
	CHECK(cause_current_is_actor(CAUSE_LINGER_ABORT, &in));
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_TASK, "connect");
	CHECK(cause_current_is_actor(CAUSE_DISCONNECT, &in));
	in = input(RSTW_DIR_SENT, "TCP_ABORT_ON_CLOSE", S_CLOSE, RSTW_F_TASK, "close");
	CHECK(cause_current_is_actor(CAUSE_ABORT_ON_CLOSE, &in));
	/* ss -K: the current task is the killer, not the socket's owner */
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_ESTABLISHED, RSTW_F_TASK, "sendmsg");
	CHECK(!cause_current_is_actor(CAUSE_ADMIN_KILL, &in));
	/* softirq and timers: current is whoever was on the CPU */
	in = input(RSTW_DIR_SENT, "NO_SOCKET", S_NONE, RSTW_F_SEGMENT | RSTW_F_SYN, NULL);
	CHECK(!cause_current_is_actor(CAUSE_CLOSED_PORT, &in));
	in = input(RSTW_DIR_SENT, "TCP_KEEPALIVE_TIMEOUT", S_ESTABLISHED, 0, NULL);
	CHECK(!cause_current_is_actor(CAUSE_KEEPALIVE_TIMEOUT, &in));
	in = input(RSTW_DIR_RECEIVED, NULL, S_ESTABLISHED, RSTW_F_SEGMENT, NULL);
	CHECK(!cause_current_is_actor(CAUSE_PEER_RESET, &in));
	/* even a linger abort is not the current task's outside process context */
	in = input(RSTW_DIR_SENT, "TCP_STATE", S_CLOSE, RSTW_F_LINGER0, NULL);
	CHECK(!cause_current_is_actor(CAUSE_LINGER_ABORT, &in));
}

/* DESIGN.md section 3, in order: the append-only contract. */
static const struct {
	const char *id;
	enum rstw_cause c;
	enum cause_dir dir;
} design_ids[] = {
	{ "closed_port", CAUSE_CLOSED_PORT, CDIR_SENT },
	{ "no_socket", CAUSE_NO_SOCKET, CDIR_SENT },
	{ "abort_on_close", CAUSE_ABORT_ON_CLOSE, CDIR_SENT },
	{ "linger_abort", CAUSE_LINGER_ABORT, CDIR_SENT },
	{ "linger2_abort", CAUSE_LINGER2_ABORT, CDIR_SENT },
	{ "abort_on_data", CAUSE_ABORT_ON_DATA, CDIR_SENT },
	{ "timewait", CAUSE_TIMEWAIT, CDIR_SENT },
	{ "keepalive_timeout", CAUSE_KEEPALIVE_TIMEOUT, CDIR_SENT },
	{ "listen_overflow", CAUSE_LISTEN_OVERFLOW, CDIR_SENT },
	{ "invalid_syn", CAUSE_INVALID_SYN, CDIR_SENT },
	{ "invalid_ack", CAUSE_INVALID_ACK, CDIR_SENT },
	{ "bad_flags", CAUSE_BAD_FLAGS, CDIR_SENT },
	{ "paws", CAUSE_PAWS, CDIR_SENT },
	{ "abort_on_memory", CAUSE_ABORT_ON_MEMORY, CDIR_SENT },
	{ "admin_kill", CAUSE_ADMIN_KILL, CDIR_SENT },
	{ "disconnect", CAUSE_DISCONNECT, CDIR_SENT },
	{ "mptcp", CAUSE_MPTCP, CDIR_SENT },
	{ "firewall_reject", CAUSE_FIREWALL_REJECT, CDIR_SENT },
	{ "unknown", CAUSE_UNKNOWN, CDIR_EITHER },
	{ "refused", CAUSE_REFUSED, CDIR_RECEIVED },
	{ "peer_reset", CAUSE_PEER_RESET, CDIR_RECEIVED },
	{ "rst_challenged", CAUSE_RST_CHALLENGED, CDIR_RECEIVED },
	{ "rst_out_of_window", CAUSE_RST_OUT_OF_WINDOW, CDIR_RECEIVED },
	{ "rst_timewait", CAUSE_RST_TIMEWAIT, CDIR_RECEIVED },
	{ "rst_no_socket", CAUSE_RST_NO_SOCKET, CDIR_RECEIVED },
	/* appended after the table: DESIGN.md names listen_drop below it */
	{ "listen_drop", CAUSE_LISTEN_DROP, 0 /* not a reset: no direction asserted */ },
	{ "listener_closed", CAUSE_LISTENER_CLOSED, CDIR_SENT },
};

TEST(cause_ids_are_the_design_list_in_order)
{
	size_t n = sizeof(design_ids) / sizeof(design_ids[0]);

	/* appending to the design list means appending here too */
	CHECK_EQ_INT(CAUSE__COUNT, n);
	for (size_t i = 0; i < n && i < CAUSE__COUNT; i++) {
		CHECK_EQ_INT(design_ids[i].c, i);
		if (!CHECK_EQ_STR(cause_info((enum rstw_cause)i)->id, design_ids[i].id))
			NOTE("position %zu", i);
		if (design_ids[i].dir &&
		    !CHECK_EQ_INT(cause_info((enum rstw_cause)i)->dir, design_ids[i].dir))
			NOTE("direction of %s", design_ids[i].id);
	}
}

TEST(cause_table_is_complete_and_unique)
{
	for (int i = 0; i < CAUSE__COUNT; i++) {
		const struct cause_info *ci = cause_info((enum rstw_cause)i);

		if (!CHECK(ci->id && *ci->id && ci->explain && *ci->explain && ci->hint &&
			   *ci->hint)) {
			NOTE("cause %d", i);
			continue;
		}
		/* one line each: they go into a JSON field and a text column */
		if (!CHECK(!strchr(ci->explain, '\n') && !strchr(ci->hint, '\n')))
			NOTE("cause %s", ci->id);
		/* ids are metric label values and JSON: lowercase, digits, '_' */
		if (!CHECK(strspn(ci->id, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
			   strlen(ci->id)))
			NOTE("cause %s", ci->id);
		for (int j = 0; j < i; j++)
			if (!CHECK(strcmp(ci->id, cause_info((enum rstw_cause)j)->id) != 0))
				NOTE("duplicate id %s (%d and %d)", ci->id, j, i);
	}
}

TEST(cause_from_id_round_trips)
{
	for (int i = 0; i < CAUSE__COUNT; i++)
		if (!CHECK_EQ_INT(cause_from_id(cause_info((enum rstw_cause)i)->id), i))
			NOTE("cause %d", i);
	CHECK_EQ_INT(cause_from_id("nope"), -1);
	CHECK_EQ_INT(cause_from_id(""), -1);
	CHECK_EQ_INT(cause_from_id("Closed_Port"), -1);
	CHECK_EQ_INT(cause_from_id("closed_port "), -1);
	CHECK_EQ_INT(cause_from_id("closed"), -1);
}

TEST(cause_info_out_of_range_is_unknown)
{
	CHECK_EQ_STR(cause_info(CAUSE__COUNT)->id, "unknown");
	CHECK_EQ_STR(cause_info((enum rstw_cause) - 1)->id, "unknown");
	CHECK_EQ_STR(cause_info((enum rstw_cause)1000)->id, "unknown");
}

TEST(cause_codes_are_seed_002_codes)
{
	for (int i = 0; i < CAUSE__COUNT; i++) {
		const struct cause_info *ci = cause_info((enum rstw_cause)i);

		if (ci->code == -1)
			continue;
		if (!CHECK(ci->code >= 0 && ci->code <= 17))
			NOTE("%s has code %d", ci->id, ci->code);
		else if (!CHECK(cause_code_text(ci->code) && *cause_code_text(ci->code)))
			NOTE("%s has code %d", ci->id, ci->code);
	}
	for (int code = 0; code <= 17; code++)
		if (!CHECK(cause_code_text(code) && *cause_code_text(code)))
			NOTE("code %d", code);
	CHECK(cause_code_text(-1) == NULL);
	CHECK(cause_code_text(18) == NULL);
	CHECK(cause_code_text(1 << 30) == NULL);
	CHECK_EQ_STR(cause_code_text(0), "Unknown");
	CHECK_EQ_STR(cause_code_text(11), "SYN Received for Unknown Port");
	CHECK_EQ_STR(cause_code_text(17), "Keep Alive packet Limit Exceeded");
	/* the causes whose seed-002 code is beyond doubt */
	CHECK_EQ_INT(cause_info(CAUSE_CLOSED_PORT)->code, 11);
	CHECK_EQ_INT(cause_info(CAUSE_NO_SOCKET)->code, 1);
	CHECK_EQ_INT(cause_info(CAUSE_ABORT_ON_CLOSE)->code, 16);
	CHECK_EQ_INT(cause_info(CAUSE_LINGER_ABORT)->code, 6);
	CHECK_EQ_INT(cause_info(CAUSE_KEEPALIVE_TIMEOUT)->code, 17);
	CHECK_EQ_INT(cause_info(CAUSE_LISTEN_OVERFLOW)->code, 14);
	CHECK_EQ_INT(cause_info(CAUSE_INVALID_SYN)->code, 3);
	CHECK_EQ_INT(cause_info(CAUSE_INVALID_ACK)->code, 2);
}

static bool key_round_trips(uint32_t dir, uint32_t reason, uint32_t state, uint32_t facts,
			    uint32_t sys)
{
	struct rstw_key k = rstw_key_of(RSTW_KIND_RESET, dir, state, facts, sys, reason,
					RSTW_EVID_NONE, RSTW_SEEN_NONE);
	bool ok = CHECK_EQ_UINT(k.kind, RSTW_KIND_RESET) && CHECK_EQ_UINT(k.dir, dir) &&
		  CHECK_EQ_UINT(k.reason, reason) && CHECK_EQ_UINT(k.state, state) &&
		  CHECK_EQ_UINT(k.facts, facts) && CHECK_EQ_UINT(k.sysclass, sys) &&
		  CHECK_EQ_UINT(k.evidence, RSTW_EVID_NONE) &&
		  CHECK_EQ_UINT(k.seen, RSTW_SEEN_NONE) && CHECK(key_valid(&k));

	if (!ok)
		NOTE("dir %u reason %u state %u facts 0x%x sysclass %u", dir, reason, state, facts,
		     sys);
	return ok;
}

TEST(key_round_trip)
{
	static const uint32_t reasons[] = { 0, 1, 14, 24, 62, 63, 64, 254, RSTW_REASON_NONE };
	static const uint32_t facts[] = { 0,
					  RSTW_F_SEGMENT,
					  RSTW_F_SYN | RSTW_F_SEGMENT,
					  RSTW_F_TASK | RSTW_F_LINGER0,
					  RSTW_F_RCV_SHUT,
					  0xff };
	static const uint32_t sys[] = { RSTW_SYSC_NONE, RSTW_SYSC_OTHER, RSTW_SYSC_CLOSE,
					RSTW_SYSC_CONNECT, RSTW_SYSC_NETLINK };
	size_t nr = sizeof(reasons) / sizeof(reasons[0]), nf = sizeof(facts) / sizeof(facts[0]),
	       ns = sizeof(sys) / sizeof(sys[0]);

	/* every combination: dir x reason x state 0-15 x facts x syscall */
	for (size_t i = 0; i < 2 * nr * 16 * nf * ns; i++) {
		size_t n = i;
		uint32_t s = sys[n % ns], f = facts[(n /= ns) % nf], st = (n /= nf) % 16,
			 r = reasons[(n /= 16) % nr], d = (uint32_t)((n / nr) % 2);

		if (!key_round_trips(d, r, st, f, s))
			return;
	}
}

TEST(key_layout)
{
	/* the bytes the BPF side writes, in this order: the map key and the event's */
	struct rstw_key k = rstw_key_of(RSTW_KIND_WIRE, RSTW_DIR_RECEIVED, 6, 0x81, RSTW_SYSC_CLOSE,
					RSTW_REASON_NONE, RSTW_EVID_NONE, RSTW_SEEN_TW_KEPT);
	const unsigned char want[8] = { RSTW_KIND_WIRE, RSTW_DIR_RECEIVED, 6,
					0x81,		RSTW_SYSC_CLOSE,   RSTW_REASON_NONE,
					RSTW_EVID_NONE, RSTW_SEEN_TW_KEPT };
	struct rstw_service_key sk = { .cgroup_id = 7, .key = k };

	CHECK_EQ_UINT(sizeof(k), 8);
	CHECK(memcmp(&k, want, sizeof(want)) == 0);
	CHECK_EQ_UINT(sizeof(sk), 16);
	CHECK(memcmp((const char *)&sk + 8, want, sizeof(want)) == 0);
}

TEST(key_compare)
{
	struct rstw_key a = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, 0, 0, 2, 0, 0), b = a;

	CHECK_EQ_INT(key_cmp(&a, &b), 0);
	b.seen = 1;
	CHECK(key_cmp(&a, &b) < 0 && key_cmp(&b, &a) > 0);
	b = a;
	b.kind = RSTW_KIND_WIRE;
	a.seen = 7; /* the kind orders first */
	CHECK(key_cmp(&a, &b) < 0);
}

TEST(key_clamps_and_masks)
{
	struct rstw_key k;

	/* a reason past a byte becomes "no reason", never aliases a real one */
	k = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, 0, 0, 0x100 + 2, 0, 0);
	CHECK_EQ_UINT(k.reason, RSTW_REASON_NONE);
	k = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, 0, 0, 0xffffffffu, 0, 0);
	CHECK_EQ_UINT(k.reason, RSTW_REASON_NONE);
	CHECK_EQ_UINT(k.dir, RSTW_DIR_SENT);
	CHECK_EQ_UINT(k.state, 1);
	/* a class past the last is "some other syscall" */
	k = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, 0, RSTW_SYSC__COUNT, 1, 0, 0);
	CHECK_EQ_UINT(k.sysclass, RSTW_SYSC_OTHER);
	k = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, 0, (uint32_t)-1, 1, 0, 0);
	CHECK_EQ_UINT(k.sysclass, RSTW_SYSC_OTHER);
	CHECK_EQ_UINT(k.reason, 1);
	/* evidence and what was seen past their enums: none */
	k = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, 0, 0, 1, RSTW_EVID__COUNT,
			RSTW_SEEN__COUNT);
	CHECK_EQ_UINT(k.evidence, RSTW_EVID_NONE);
	CHECK_EQ_UINT(k.seen, RSTW_SEEN_NONE);
	/* facts, state and direction are masked to their width */
	k = rstw_key_of(RSTW_KIND_RESET, 3, 0x1f, 0x1ff, 4, 0, 0, 0);
	CHECK_EQ_UINT(k.dir, 1);
	CHECK_EQ_UINT(k.state, 0xf);
	CHECK_EQ_UINT(k.facts, 0xff);
	CHECK_EQ_UINT(k.reason, 0);
	CHECK_EQ_UINT(k.sysclass, 4);
}

TEST(every_cause_says_which_kernels_report_it)
{
	for (int c = 0; c < CAUSE__COUNT; c++) {
		const char *k = cause_kernels(c);

		if (!CHECK(k && *k && (c == CAUSE_UNKNOWN || strcmp(k, "any kernel") != 0)))
			NOTE("cause %s", cause_info(c)->id);
	}
}
