// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Segments the kernel drops: incoming RSTs it refuses (kfree_skb reasons) and
 * accept-queue overflows, by the drop reason where the kernel has it and by
 * fentry/fexit where it does not.
 */
/* three kfree_skb runs per closed-port reset: the unit where direct reads pay most */
#define RSTW_DIRECT_PACKET_READS
#include "facts.bpf.h"

/*
 * A dropped segment (a refused RST, or one an accept queue had no room for):
 * its tuple, and the facts and owner of the socket it was for (sk may be NULL).
 * TCP: its TCP header if already read, else NULL.
 */
static __always_inline void emit_drop(struct sk_buff *skb, const struct tcphdr *tcp,
				      struct sock *sk, __u32 reason, __u32 kind, __u32 seen)
{
	__u32 facts = RSTW_F_SEGMENT;
	struct rstw_event *e;

	e = scratch_event(reason);
	if (!e || !tuple_from_skb(skb, e, false, tcp))
		return;
	if ((e->tcp_flags & (RSTW_TCP_SYN | RSTW_TCP_ACK)) == RSTW_TCP_SYN)
		facts |= RSTW_F_SYN;
	if (sk) {
		facts |= sk_facts(sk, e);
		task_beside_socket(e, facts);
		owner_lookup(e, sk, owner_key_of(sk, e));
	}
	if (!e->netns)
		e->netns = netns_of_skb(skb, false);
	emit_kind(e, kind, RSTW_DIR_RECEIVED, facts, RSTW_EVID_NONE, seen);
}

/*
 * Accept queue full with tcp_abort_on_overflow=0: no reset, the kernel drops
 * the segment (skb:kfree_skb, reason TCP_LISTEN_OVERFLOW).  Not a reset, but
 * what operators chase behind "connection timed out" and resets elsewhere.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(skb_dropped, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	__u32 r = (__u32)reason, kind = RSTW_KIND_RST_DROPPED, seen;
	struct sock *sk = NULL;
	struct tcphdr tcp;

	if (r == drop_listen_overflow) {
		kind = RSTW_KIND_LISTEN_DROP;
		seen = RSTW_SEEN_LISTEN_OVERFLOW;
	} else if (r == drop_tcp_reset) {
		seen = RSTW_SEEN_CHALLENGED;
	} else if (r == drop_invalid_sequence) {
		seen = RSTW_SEEN_OUT_OF_WINDOW;
	} else if (r == drop_no_socket) {
		seen = RSTW_SEEN_NO_SOCKET;
	} else {
		return 0;
	}
	if (kind == RSTW_KIND_RST_DROPPED) {
		/* most drops with these reasons are not resets: look before any work */
		if (!tcp_header_of(skb, false, &tcp) || !(tcp_flag_byte(&tcp) & TCPHDR_RST))
			return 0;
	}
	if (kfree_has_rx_sk)
		sk = (struct sock *)ctx[3];
	/* r: the drop reason, for naming in user space */
	emit_drop(skb, kind == RSTW_KIND_RST_DROPPED ? &tcp : NULL, sk, r, kind, seen);
	return 0;
}

/*
 * Accept-queue drops on kernels without the TCP_LISTEN_OVERFLOW drop reason
 * (Debian 12's 6.1, for one).  Two places count ListenOverflows: a SYN to a
 * listener with a full accept queue (tcp_conn_request), and the handshake's
 * last ACK finding it full (tcp_check_req: no child, and with
 * tcp_abort_on_overflow=0 the segment is dropped; with 1 it is reset, which
 * the tracepoint reports as listen_overflow).
 */
static __always_inline bool accept_queue_full(const struct sock *sk)
{
	return sk->sk_ack_backlog > sk->sk_max_ack_backlog;
}

/*
 * fexit: no child returned, the queue full, no abort, and the request marked
 * acked by the overflow path (its final ACK was dropped for want of room).
 */
SEC("fexit/tcp_check_req")
int BPF_PROG(listen_drop_ack, struct sock *sk, struct sk_buff *skb, struct request_sock *req)
{
	__u64 ret = 1;

	if (bpf_get_func_ret(ctx, &ret) || ret)
		return 0;
	if (!accept_queue_full(sk) ||
	    sk->__sk_common.skc_net.net->ipv4.sysctl_tcp_abort_on_overflow)
		return 0;
	if (!BPF_CORE_READ_BITFIELD_PROBED((struct inet_request_sock *)req, acked))
		return 0;
	emit_drop(skb, NULL, sk, RSTW_REASON_NONE, RSTW_KIND_LISTEN_DROP,
		  RSTW_SEEN_LISTEN_OVERFLOW);
	return 0;
}

/*
 * A SYN to a listener whose accept queue is full: tcp_conn_request() drops it
 * (ListenOverflows), unless an earlier check drops it first: a full SYN queue
 * without syncookies (ListenDrops only).
 */
SEC("fentry/tcp_conn_request")
int BPF_PROG(listen_drop_syn, struct request_sock_ops *rsk_ops, void *af_ops, struct sock *sk,
	     struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;

	if (!accept_queue_full(sk))
		return 0;
	if (!sk->__sk_common.skc_net.net->ipv4.sysctl_tcp_syncookies &&
	    BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter) >= (int)sk->sk_max_ack_backlog)
		return 0;
	emit_drop(skb, NULL, sk, RSTW_REASON_NONE, RSTW_KIND_LISTEN_DROP,
		  RSTW_SEEN_LISTEN_OVERFLOW);
	return 0;
}
