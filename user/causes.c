// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The cause taxonomy: what each reset means and what to check. */
#include <string.h>

#include "causes.h"

static const struct cause_info causes[CAUSE__COUNT] = {
	[CAUSE_CLOSED_PORT] = { "closed_port", CDIR_SENT, 11,
				"a SYN arrived for a port nobody listens on",
				"is the service running and listening on this address and port (ss -ltn)? "
				"check the client's target port and any load balancer health checks" },
	[CAUSE_NO_SOCKET] = { "no_socket", CDIR_SENT, 1,
			      "a segment arrived for a connection this host does not know",
			      "the peer holds a half-open connection: this host or service restarted, a NAT or "
			      "load balancer mapping expired, or the socket was closed long ago" },
	[CAUSE_ABORT_ON_CLOSE] = { "abort_on_close", CDIR_SENT, 16,
				   "the application closed the socket with unread data",
				   "the application closes before reading the whole request or response: read to EOF "
				   "before close(), or check its error paths and timeouts" },
	[CAUSE_LINGER_ABORT] = { "linger_abort", CDIR_SENT, 6,
				 "the application closed with SO_LINGER {on, 0}: an abortive release",
				 "the application (or its framework) sets SO_LINGER with zero timeout on purpose; "
				 "check why it aborts instead of closing gracefully" },
	[CAUSE_LINGER2_ABORT] = { "linger2_abort", CDIR_SENT, 6,
				  "closed in FIN_WAIT2 with TCP_LINGER2 < 0: the FIN_WAIT2 state was skipped",
				  "the application sets TCP_LINGER2 to a negative value; the peer never closed its "
				  "side" },
	[CAUSE_ABORT_ON_DATA] = { "abort_on_data", CDIR_SENT, 1,
				  "data arrived after the application shut down or closed the connection",
				  "the peer kept sending after this side closed: check request/response framing, "
				  "keep-alive and idle timeouts on both sides" },
	[CAUSE_TIMEWAIT] = { "timewait", CDIR_SENT, 1,
			     "a segment arrived for a connection already closed (TIME_WAIT or orphaned FIN_WAIT2)",
			     "the peer sent data after this side closed; check idle timeouts and connection "
			     "reuse on the peer" },
	[CAUSE_KEEPALIVE_TIMEOUT] = { "keepalive_timeout", CDIR_SENT, 17,
				      "keepalive probes went unanswered: the peer or the path is gone",
				      "the peer crashed or a firewall/NAT dropped the idle flow; check "
				      "tcp_keepalive_* sysctls and middlebox idle timeouts" },
	[CAUSE_LISTEN_OVERFLOW] = { "listen_overflow", CDIR_SENT, 14,
				    "accept queue full with tcp_abort_on_overflow=1",
				    "the application accepts too slowly: raise the listen() backlog and "
				    "net.core.somaxconn, or add workers" },
	[CAUSE_INVALID_SYN] = { "invalid_syn", CDIR_SENT, 3,
				"a SYN or segment was invalid for the connection request",
				"check for duplicate or crafted SYNs, SYN cookies and the peer's TCP stack" },
	[CAUSE_INVALID_ACK] = { "invalid_ack", CDIR_SENT, 2,
				"an unacceptable ACK (wrong sequence, old, or for unsent data)",
				"check for a middlebox rewriting sequence numbers, or a peer that lost state" },
	[CAUSE_BAD_FLAGS] = { "bad_flags", CDIR_SENT, 2,
			      "unacceptable TCP flags for a listener or connection request",
			      "check for scans or broken peers sending odd flag combinations" },
	[CAUSE_PAWS] = { "paws", CDIR_SENT, 2, "the PAWS timestamp check failed",
			 "check for NAT mixing hosts behind one address, or timestamps reset by a restart" },
	[CAUSE_ABORT_ON_MEMORY] = { "abort_on_memory", CDIR_SENT, 14,
				    "too many orphaned sockets or TCP memory pressure",
				    "check net.ipv4.tcp_max_orphans and tcp_mem, and nstat TcpExtTCPAbortOnMemory" },
	[CAUSE_ADMIN_KILL] = { "admin_kill", CDIR_SENT, 13,
			       "the socket was destroyed administratively (ss -K, SOCK_DESTROY)",
			       "someone or something killed the socket: look at the process in context" },
	[CAUSE_DISCONNECT] = { "disconnect", CDIR_SENT, 6,
			       "the application disconnected the socket (connect(AF_UNSPEC)) while connected",
			       "the application reuses or resets sockets with connect(AF_UNSPEC)" },
	[CAUSE_MPTCP] = { "mptcp", CDIR_SENT, -1, "an MPTCP subflow was reset",
			  "see the kernel reason (MPTCP_RST_*) and the MPTCP path manager's configuration" },
	[CAUSE_FIREWALL_REJECT] = { "firewall_reject", CDIR_SENT, -1,
				    "a reset this host made outside the TCP stack, e.g. netfilter REJECT --reject-with tcp-reset",
				    "check nft list ruleset / iptables -S for REJECT rules, the FORWARD chain's "
				    "too; RSTs this host only routes or bridges count as wire direction "
				    "\"forwarded\", never here" },
	[CAUSE_UNKNOWN] = { "unknown", CDIR_EITHER, 0,
			    "nothing more specific is known; see the kernel reason",
			    "compare with nstat TcpExt counters and a packet capture" },
	[CAUSE_REFUSED] = { "refused", CDIR_RECEIVED, 11,
			    "our SYN was answered with a reset: connection refused",
			    "nothing listens on the remote port, or a firewall rejects it" },
	[CAUSE_PEER_RESET] = { "peer_reset", CDIR_RECEIVED, 0,
			       "the peer reset an established connection: connection reset by peer",
			       "look at the peer: run rstwatch there to see why it reset" },
	[CAUSE_RST_CHALLENGED] = { "rst_challenged", CDIR_RECEIVED, -1,
				   "an in-window but inexact reset: a challenge ACK was sent, the connection lives (RFC 5961)",
				   "a spoofed or stale reset; check for middleboxes injecting resets" },
	[CAUSE_RST_OUT_OF_WINDOW] = { "rst_out_of_window", CDIR_RECEIVED, -1,
				      "a reset outside the receive window was dropped",
				      "a stale or spoofed reset; check for middleboxes injecting resets" },
	[CAUSE_RST_TIMEWAIT] = { "rst_timewait", CDIR_RECEIVED, -1,
				 "a reset hit a TIME_WAIT socket (TIME-WAIT assassination, RFC 1337)",
				 "see net.ipv4.tcp_rfc1337" },
	[CAUSE_RST_NO_SOCKET] = { "rst_no_socket", CDIR_RECEIVED, 1,
				  "a reset arrived for no socket and was dropped",
				  "a late reset for a connection already gone, or a spoofed one" },
	[CAUSE_LISTEN_DROP] = { "listen_drop", CDIR_RECEIVED, 14,
				"not a reset: the accept queue was full (tcp_abort_on_overflow=0), a segment was dropped",
				"the application accepts too slowly: raise the listen() backlog and "
				"net.core.somaxconn, or add workers; see nstat TcpExtListenOverflows" },
	[CAUSE_LISTENER_CLOSED] = { "listener_closed", CDIR_SENT, 6,
				    "the listening socket was closed with connections it had not accepted yet",
				    "the service stopped or restarted with clients in its accept queue: drain before "
				    "closing, or hand the listener over (SO_REUSEPORT, socket activation)" },
};

/* Which kernels report each cause, and through which hook (rstwatch explain). */
static const char *const kernels[CAUSE__COUNT] = {
	[CAUSE_CLOSED_PORT] = "tcp_send_reset, reason NO_SOCKET on a SYN (Linux 6.10+; before, the "
			      "tracepoint does not fire without a socket)",
	[CAUSE_NO_SOCKET] = "tcp_send_reset, reason NO_SOCKET (Linux 6.10+)",
	[CAUSE_ABORT_ON_CLOSE] = "tcp_send_reset, reason TCP_ABORT_ON_CLOSE (Linux 6.12+); "
				 "before, inferred from unread data at close()",
	[CAUSE_LINGER_ABORT] = "tcp_send_reset, reason TCP_STATE with SO_LINGER {1,0} (6.12+); "
			       "before, inferred from the socket's linger setting",
	[CAUSE_LINGER2_ABORT] = "tcp_send_reset, reason TCP_ABORT_ON_LINGER (Linux 6.12+)",
	[CAUSE_ABORT_ON_DATA] = "tcp_send_reset, reason TCP_ABORT_ON_DATA (Linux 6.10+)",
	[CAUSE_TIMEWAIT] = "tcp_send_reset, reason TCP_TIMEWAIT_SOCKET (Linux 6.10+; before, not "
			   "traced: no full socket)",
	[CAUSE_KEEPALIVE_TIMEOUT] = "tcp_send_reset, reason TCP_KEEPALIVE_TIMEOUT (Linux 6.12+)",
	[CAUSE_LISTEN_OVERFLOW] = "tcp_send_reset, reason INVALID_SYN on a full listener "
				  "(Linux 6.10+)",
	[CAUSE_INVALID_SYN] = "tcp_send_reset, reason INVALID_SYN (Linux 6.10+)",
	[CAUSE_INVALID_ACK] = "tcp_send_reset, reasons TCP_INVALID_ACK_SEQUENCE, TCP_TOO_OLD_ACK, "
			      "TCP_OLD_ACK, TCP_ACK_UNSENT_DATA (Linux 6.10+)",
	[CAUSE_BAD_FLAGS] = "tcp_send_reset, reason TCP_FLAGS (Linux 6.10+)",
	[CAUSE_PAWS] = "tcp_send_reset, reason TCP_RFC7323_PAWS (Linux 6.10+)",
	[CAUSE_ABORT_ON_MEMORY] = "tcp_send_reset, reason TCP_ABORT_ON_MEMORY (Linux 6.12+)",
	[CAUSE_ADMIN_KILL] = "tcp_send_reset, reason TCP_STATE from SOCK_DESTROY (Linux 6.12+)",
	[CAUSE_DISCONNECT] = "tcp_send_reset, reason TCP_STATE or TCP_DISCONNECT_WITH_DATA in "
			     "connect() (Linux 6.12+)",
	[CAUSE_MPTCP] = "tcp_send_reset, reasons MPTCP_RST_* (Linux 6.10+)",
	[CAUSE_FIREWALL_REJECT] = "TC egress (tcx, Linux 6.6+): such RSTs reach neither "
				  "tcp_send_reset nor TcpOutRsts",
	[CAUSE_UNKNOWN] = "any kernel",
	[CAUSE_REFUSED] = "tcp_receive_reset in SYN_SENT",
	[CAUSE_PEER_RESET] = "tcp_receive_reset",
	[CAUSE_RST_CHALLENGED] = "skb:kfree_skb, drop reason TCP_RESET",
	[CAUSE_RST_OUT_OF_WINDOW] = "skb:kfree_skb, drop reason TCP_INVALID_SEQUENCE",
	[CAUSE_RST_TIMEWAIT] =
		"wire ingress (TC, or XDP) with a socket lookup: no kernel hook traces it",
	[CAUSE_RST_NO_SOCKET] = "skb:kfree_skb, drop reason NO_SOCKET",
	[CAUSE_LISTEN_DROP] = "skb:kfree_skb, drop reason TCP_LISTEN_OVERFLOW",
	[CAUSE_LISTENER_CLOSED] = "tcp_send_reset, reason TCP_STATE while a listener closes "
				  "(Linux 6.12+)",
};

static const char *const code_texts[] = {
	[0] = "Unknown",
	[1] = "Frame Received for Unknown Socket Pair",
	[2] = "TCP ACK Indication Received in Invalid State",
	[3] = "TCP SYN Indication Received in Invalid State",
	[4] = "Security Precedence Failure",
	[5] = "Update Sub file Failure",
	[6] = "Application Abort",
	[7] = "Logical I/O Interface Establishment Failed",
	[8] = "Unexpected Connection Destroy Invoked",
	[9] = "Reset Due to ICMP Destination Unreachable Message",
	[10] = "Reset Due to an Invalid State Transition",
	[11] = "SYN Received for Unknown Port",
	[12] = "Sub file Open Attempt Failed",
	[13] = "Reset Due to SNMP Request",
	[14] = "Max Connections Exceeded",
	[15] = "No Response Received for SYN",
	[16] = "Application Closed with Data to Read",
	[17] = "Keep Alive packet Limit Exceeded",
};

const struct cause_info *cause_info(enum rstw_cause c)
{
	if ((unsigned int)c >= CAUSE__COUNT)
		return &causes[CAUSE_UNKNOWN];
	return &causes[c];
}

int cause_from_id(const char *id)
{
	for (int i = 0; i < CAUSE__COUNT; i++)
		if (causes[i].id && strcmp(causes[i].id, id) == 0)
			return i;
	return -1;
}

const char *cause_kernels(enum rstw_cause c)
{
	if ((unsigned int)c >= CAUSE__COUNT || !kernels[c])
		return "any kernel";
	return kernels[c];
}

const char *cause_code_text(int code)
{
	if (code < 0 || code >= (int)(sizeof(code_texts) / sizeof(code_texts[0])))
		return NULL;
	return code_texts[code];
}
