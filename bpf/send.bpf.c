// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Resets this host sends: the tcp_send_reset tracepoint, and the fentry and
 * kprobe rungs that complete it on kernels where it fires only for full
 * sockets.
 */
#include "facts.bpf.h"

/*
 * Kernels whose tcp_send_reset has no reason: what the socket shows about an
 * active reset (no segment), the key's evidence (enum rstw_evidence in
 * include/rstwatch.h).  Only what tcp_close(), tcp_disconnect() and
 * tcp_keepalive_timer() leave behind; anything else is RSTW_EVID_NONE.
 */
static __always_inline __u32 active_evidence(struct sock *sk, __u32 facts, __u8 state)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	unsigned long flags;
	int linger2;

	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV || state == TCP_LISTEN ||
	    (facts & RSTW_F_SEGMENT))
		return RSTW_EVID_NONE;
	flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	if (flags & (1UL << SOCK_DEAD)) {
		linger2 = BPF_CORE_READ(tp, linger2);
		/* after sock_orphan() in tcp_close(): FIN_WAIT2 with linger2 < 0, else memory */
		if (linger2 < 0)
			return RSTW_EVID_LINGER2;
		if (facts & RSTW_F_TASK)
			return RSTW_EVID_CLOSED_DEAD;
	}
	if (!(facts & RSTW_F_TASK) && (flags & (1UL << SOCK_KEEPOPEN))) {
		__u32 probes = BPF_CORE_READ_BITFIELD_PROBED(tp, keepalive_probes);
		__u32 out = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_probes_out);

		if (!probes) {
			struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);

			probes = BPF_CORE_READ_BITFIELD_PROBED(net,
							       ipv4.sysctl_tcp_keepalive_probes);
		}
		if (out && out >= probes)
			return RSTW_EVID_KEEPALIVE;
	}
	/* a child of a listener being closed: never accepted, not yet orphaned */
	if ((facts & RSTW_F_TASK) && !(flags & (1UL << SOCK_DEAD)) && !BPF_CORE_READ(sk, sk_socket))
		return RSTW_EVID_NEVER_ACCEPTED;
	return RSTW_EVID_NONE;
}

static __always_inline int handle_send(const void *ctx, struct sock *sk, struct sk_buff *skb,
				       __u32 reason, bool kprobe)
{
	__u32 facts, evidence = RSTW_EVID_NONE;
	struct pending_rx *p = pending_get();
	struct rstw_event *e;

	if (p && p->valid) {
		if (sk && p->cookie == owner_key(sk, kprobe)) {
			p->valid = 0; /* that "received" reset was this abort */
			stat_inc(RSTW_STAT_NOT_RECEIVED);
		} else {
			pending_flush(p);
		}
	}
	e = scratch_event(reason);
	if (!e)
		return 0;
	/*
	 * Without a socket (a closed port) the reset answers a segment in the
	 * receive softirq, never in a syscall: no need to look.
	 */
	facts = 0;
	if (sk)
		facts = context_facts(ctx, e) | sk_facts_of(sk, e, kprobe);
	if (skb && tuple_from_skb(skb, e, kprobe, NULL)) {
		facts |= RSTW_F_SEGMENT;
		if ((e->tcp_flags & (RSTW_TCP_SYN | RSTW_TCP_ACK)) == RSTW_TCP_SYN)
			facts |= RSTW_F_SYN;
		if (!sk)
			e->netns = netns_of_skb(skb, kprobe);
	} else if (sk) {
		tuple_from_sk(sk, e, kprobe);
	}
	if (sk) {
		task_beside_socket(e, facts);
		owner_lookup(e, kprobe ? NULL : sk, owner_key_of(sk, e));
	} else if ((facts & RSTW_F_SYN) && sample_events)
		last_listener_lookup(e); /* a hint for samples: counts need no owner here */
	if ((facts & RSTW_F_SEGMENT) && wire_view)
		stack_rst_note(e);
	if (!send_reset_has_reason() && sk)
		evidence = active_evidence(sk, facts, e->state);
	emit_kind(e, RSTW_KIND_RESET, RSTW_DIR_SENT, facts, evidence, RSTW_SEEN_NONE);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset, struct sock *sk, struct sk_buff *skb)
{
	__u32 reason = RSTW_REASON_NONE;

	if (send_reset_has_reason())
		reason = (__u32)ctx[2];
	return handle_send(ctx, sk, skb, reason, false);
}

/*
 * The fallback rung, for kernels whose tcp_send_reset fires only with a full
 * socket (before 6.10): tcp_v4_send_reset()/tcp_v6_send_reset() are entered
 * for every reset answering a segment; the tracepoint inside them already
 * covers full sockets, so only the rest is taken here: no socket, TIME_WAIT
 * and request sockets.  The early returns before the kernel sends (never a
 * reset to a reset; no socket and a destination that is not local) are
 * repeated so that the count matches TcpOutRsts.
 */
#define RSTW_RTN_LOCAL 2
#define RSTW_RTF_LOCAL 0x80000000u

static __always_inline bool sk_is_full(const struct sock *sk)
{
	__u8 st = BPF_CORE_READ(sk, __sk_common.skc_state);

	return st != TCP_TIME_WAIT && st != TCP_NEW_SYN_RECV;
}

static __always_inline bool kernel_would_reset(const struct sock *sk, struct sk_buff *skb, bool v6)
{
	struct tcphdr tcp;
	unsigned long dst;

	if (!tcp_header_of(skb, true, &tcp) || (tcp_flag_byte(&tcp) & TCPHDR_RST))
		return false;
	if (sk)
		return true;
	dst = BPF_CORE_READ(skb, _skb_refdst) & ~1UL; /* SKB_DST_PTRMASK */
	if (!dst)
		return false;
	if (v6)
		return BPF_CORE_READ((struct rt6_info *)dst, rt6i_flags) & RSTW_RTF_LOCAL;
	return BPF_CORE_READ((struct rtable *)dst, rt_type) == RSTW_RTN_LOCAL;
}

static __always_inline int fallback_send(const void *ctx, struct sock *sk, struct sk_buff *skb,
					 bool v6, bool kprobe)
{
	if (!skb || (sk && sk_is_full(sk)))
		return 0; /* the tracepoint reports it */
	if (!kernel_would_reset(sk, skb, v6))
		return 0;
	return handle_send(ctx, sk, skb, RSTW_REASON_NONE, kprobe);
}

SEC("fentry/tcp_v4_send_reset")
int BPF_PROG(send_reset_v4_fentry, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, false, false);
}

SEC("fentry/tcp_v6_send_reset")
int BPF_PROG(send_reset_v6_fentry, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, true, false);
}

SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(send_reset_v4_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, false, true);
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(send_reset_v6_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, true, true);
}
