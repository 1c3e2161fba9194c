/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Facts about a socket or a segment, and who owns the socket: what the send,
 * receive, drop and wire programs read before they count.
 */
#ifndef FACTS_BPF_H
#define FACTS_BPF_H

#include "shared.bpf.h"

static __always_inline bool is_tcp_stream(const struct sock *sk)
{
	return sk_protocol_of(sk) == IPPROTO_TCP && sk_type_of(sk) == SOCK_STREAM;
}

/*
 * tp_btf and fentry programs get BTF-typed pointers: a plain load (its fault
 * handled by the kernel) costs a fraction of a bpf_probe_read_kernel call,
 * and the hot paths make a dozen.  kprobes must use the helper.
 */
static __always_inline __u32 netns_of_skb(const struct sk_buff *skb, bool kprobe)
{
	struct net_device *dev;

	if (kprobe) {
		dev = BPF_CORE_READ(skb, dev);
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	dev = skb->dev;
	return dev ? dev->nd_net.net->ns.inum : 0;
}

/*
 * A field through a BTF-typed pointer by a plain load, or through any pointer
 * by a probe read (kprobes): KPROBE is a constant, one branch is compiled.
 */
#define FIELD(kprobe, p, field) ((kprobe) ? BPF_CORE_READ(p, field) : (p)->field)

static __always_inline __u32 netns_of_sk(const struct sock *sk, bool kprobe)
{
	if (kprobe)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return sk->__sk_common.skc_net.net->ns.inum;
}

/*
 * Local/remote from the socket: this host's view of an established flow.  The
 * ports always (the listener lookup needs the local one); the addresses only
 * for samples.
 */
static __always_inline void tuple_from_sk(const struct sock *sk, struct rstw_event *e, bool kprobe)
{
	__u8 state = FIELD(kprobe, sk, __sk_common.skc_state);

	/* a closing full socket has already released its port (inet_num = 0) */
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		e->lport = FIELD(kprobe, sk, __sk_common.skc_num);
	else
		e->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	e->rport = bpf_ntohs(FIELD(kprobe, sk, __sk_common.skc_dport));
	if (!sample_events)
		return;
	e->family = FIELD(kprobe, sk, __sk_common.skc_family);
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		*(__u32 *)e->laddr = FIELD(kprobe, sk, __sk_common.skc_rcv_saddr);
		*(__u32 *)e->raddr = FIELD(kprobe, sk, __sk_common.skc_daddr);
	}
}

/*
 * Packet bytes in an skb's buffer.  Where the kernel has bpf_rdonly_cast (the
 * main object), BTF-typed programs load them directly: a faulting load reads
 * zeros instead of oopsing, and costs a few instructions where a
 * bpf_probe_read_kernel call costs tens of ns.  kprobes and the compat object
 * (no kfuncs) call the helper.  Only the unit that defines
 * RSTW_DIRECT_PACKET_READS declares the kfunc: the linker of Debian's libbpf
 * 1.1 (bpftool 7.1) fails on one extern function declared in two units
 * ("failed to resolve size of underlying type"; fixed in libbpf 1.5).
 */
#if defined(RSTW_NO_KFUNC) || !defined(RSTW_DIRECT_PACKET_READS)
#define direct_packet_reads() false
#define packet_at(addr, type) ((const type *)0)
#else
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define direct_packet_reads() (bpf_rdonly_cast != 0)
#define packet_at(addr, type) ((const type *)bpf_rdonly_cast((addr), bpf_core_type_id_kernel(type)))
#endif

/*
 * A TCP header copied member by member: the verifier checks each direct load
 * against the members it covers (the 16 bits at offset 12 are doff and the
 * flags, bitfields it lets one load read whole).
 */
static __always_inline void tcp_copy(struct tcphdr *dst, const struct tcphdr *src)
{
	dst->source = src->source;
	dst->dest = src->dest;
	dst->seq = src->seq;
	dst->ack_seq = src->ack_seq;
	((__u16 *)dst)[6] = ((const __u16 *)src)[6];
	dst->window = src->window;
	dst->check = src->check;
	dst->urg_ptr = src->urg_ptr;
}

/* A segment's TCP header; false if it cannot be read. */
static __always_inline bool tcp_header_of(const struct sk_buff *skb, bool kprobe,
					  struct tcphdr *tcp)
{
	unsigned char *head;
	__u16 th;

	if (kprobe) {
		head = BPF_CORE_READ(skb, head);
		th = BPF_CORE_READ(skb, transport_header);
	} else {
		head = skb->head;
		th = skb->transport_header;
	}
	if (!head || th == (__u16)~0U)
		return false;
	if (!kprobe && direct_packet_reads()) {
		tcp_copy(tcp, packet_at(head + th, struct tcphdr));
		return true;
	}
	return !bpf_probe_read_kernel(tcp, sizeof(*tcp), head + th);
}

/* A segment's addresses, read directly (see packet_at); we are its destination. */
static __always_inline bool addrs_direct(const void *nhp, struct rstw_event *e)
{
	const struct iphdr *v4 = packet_at(nhp, struct iphdr);
	const struct ipv6hdr *v6 = packet_at(nhp, struct ipv6hdr);
	__u32 *l = (__u32 *)e->laddr, *r = (__u32 *)e->raddr;

	if (v4->version == 4) {
		e->family = AF_INET;
		l[0] = v4->daddr;
		r[0] = v4->saddr;
		return true;
	}
	if (v4->version != 6)
		return false;
	e->family = AF_INET6;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		l[i] = v6->daddr.in6_u.u6_addr32[i];
		r[i] = v6->saddr.in6_u.u6_addr32[i];
	}
	return true;
}

/*
 * Local/remote from the segment that caused a reset (we are its destination).
 * KNOWN: its TCP header if the caller has read it already, else NULL.
 * Returns false if the headers cannot be read.
 */
static __always_inline bool tuple_from_skb(const struct sk_buff *skb, struct rstw_event *e,
					   bool kprobe, const struct tcphdr *known)
{
	unsigned char *head;
	__u16 nh, th;
	struct tcphdr tcp;
	bool whole;
	/*
	 * One read for both headers where TCP follows a 20-byte IPv4 or a bare
	 * IPv6 header (the usual case): an IPv6 header's size, then 20 bytes.
	 */
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
		__u8 bytes[sizeof(struct ipv6hdr) + sizeof(struct tcphdr)];
	} ip;

	if (kprobe) {
		head = BPF_CORE_READ(skb, head);
		nh = BPF_CORE_READ(skb, network_header);
		th = BPF_CORE_READ(skb, transport_header);
	} else {
		head = skb->head;
		nh = skb->network_header;
		th = skb->transport_header;
	}
	if (!head || nh == (__u16)~0U || th == (__u16)~0U)
		return false;
	if (!kprobe && direct_packet_reads()) {
		/* counting needs the ports and flags: the addresses are for samples */
		if (sample_events && !addrs_direct(head + nh, e))
			return false;
		if (!known) {
			tcp_copy(&tcp, packet_at(head + th, struct tcphdr));
			known = &tcp;
		}
		goto ports;
	}
	if (!sample_events)
		goto tcp;
	/* near the end of the buffer: the IP header alone, and TCP read on its own */
	whole = !bpf_probe_read_kernel(&ip, sizeof(ip), head + nh);
	if (!whole && bpf_probe_read_kernel(&ip, sizeof(struct ipv6hdr), head + nh))
		return false;
	if (ip.v4.version == 4) {
		e->family = AF_INET;
		__builtin_memcpy(e->laddr, &ip.v4.daddr, 4);
		__builtin_memcpy(e->raddr, &ip.v4.saddr, 4);
	} else if (ip.v4.version == 6) {
		e->family = AF_INET6;
		__builtin_memcpy(e->laddr, &ip.v6.daddr, 16);
		__builtin_memcpy(e->raddr, &ip.v6.saddr, 16);
	} else {
		return false;
	}
	if (!known && whole && th - nh == sizeof(struct iphdr))
		known = (const struct tcphdr *)(ip.bytes + sizeof(struct iphdr));
	else if (!known && whole && th - nh == sizeof(struct ipv6hdr))
		known = (const struct tcphdr *)(ip.bytes + sizeof(struct ipv6hdr));
tcp:
	if (!known) {
		if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th))
			return false;
		known = &tcp;
	}
ports:
	e->lport = bpf_ntohs(known->dest);
	e->rport = bpf_ntohs(known->source);
	e->tcp_flags = tcp_flag_byte(known);
	return true;
}

/* Facts from a socket; only full sockets have more than the common part. */
static __always_inline __u64 cookie_of(struct sock *sk, bool kprobe)
{
	/* kprobes have no BTF pointers for the helper: the cookie, if one was made */
	if (kprobe || !have_cookie_helper)
		return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	return bpf_get_socket_cookie(sk);
}

/* The owners map's key for a socket: its cookie, or its address before 5.12. */
static __always_inline __u64 owner_key(struct sock *sk, bool kprobe)
{
	return have_cookie_helper ? cookie_of(sk, kprobe) : (__u64)(unsigned long)sk;
}

/* The same, for a socket whose facts e already holds (no second cookie call). */
static __always_inline __u64 owner_key_of(const struct sock *sk, const struct rstw_event *e)
{
	return have_cookie_helper ? e->cookie : (__u64)(unsigned long)sk;
}

static __always_inline __u32 sk_facts_of(struct sock *sk, struct rstw_event *e, bool kprobe)
{
	__u32 facts = 0;
	unsigned long flags;
	struct socket *sock;

	e->state = FIELD(kprobe, sk, __sk_common.skc_state);
	e->netns = netns_of_sk(sk, kprobe);
	e->cookie = cookie_of(sk, kprobe);
	if (e->state == TCP_TIME_WAIT || e->state == TCP_NEW_SYN_RECV)
		return 0;

	flags = FIELD(kprobe, sk, __sk_common.skc_flags);
	if ((flags & (1UL << SOCK_LINGER)) && FIELD(kprobe, sk, sk_lingertime) == 0)
		facts |= RSTW_F_LINGER0;
	sock = FIELD(kprobe, sk, sk_socket);
	/* closed by the application, or never accepted by it */
	if ((flags & (1UL << SOCK_DEAD)) || !sock)
		facts |= RSTW_F_ORPHAN;
	if ((kprobe ? BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) :
		      BPF_CORE_READ_BITFIELD(sk, sk_shutdown)) &
	    RCV_SHUTDOWN)
		facts |= RSTW_F_RCV_SHUT;

	if (e->state == TCP_LISTEN) {
		e->ack_backlog = FIELD(kprobe, sk, sk_ack_backlog);
		e->max_ack_backlog = FIELD(kprobe, sk, sk_max_ack_backlog);
		if (e->ack_backlog > e->max_ack_backlog)
			facts |= RSTW_F_LISTEN_FULL;
	} else if (e->state != TCP_SYN_SENT) {
		if (kprobe) {
			struct tcp_sock *tp = (struct tcp_sock *)sk;

			e->unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
		} else {
			/* a BTF pointer to the whole tcp_sock, not just its struct sock */
			struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

			if (tp)
				e->unread = tp->rcv_nxt - tp->copied_seq;
		}
		if (e->unread)
			facts |= RSTW_F_UNREAD;
	}

	/* the socket's inode: for the /proc owner lookup of samples */
	if (sock && sample_events) {
		struct socket_alloc *sa = container_of(sock, struct socket_alloc, socket);

		e->sk_ino = BPF_CORE_READ(sa, vfs_inode.i_ino);
	}
	return facts;
}

static __always_inline __u32 sk_facts(struct sock *sk, struct rstw_event *e)
{
	return sk_facts_of(sk, e, false);
}

static __always_inline struct rstw_listener *listener_of(__u32 netns, __u16 port)
{
	struct rstw_listen_key lk = { .netns = netns, .port = port };

	return bpf_map_lookup_elem(&listeners, &lk);
}

/*
 * The owner of a socket: SK (BTF-typed, NULL from kprobes and XDP) where the
 * owner is kept on the socket, else KEY in the keyed map.
 */
static __always_inline void owner_lookup(struct rstw_event *e, struct sock *sk, __u64 key)
{
	struct rstw_task *o = NULL;
	struct rstw_listener *l;

	if (!key)
		return;
	if (owners_on_socket && sk && e->state != TCP_TIME_WAIT && e->state != TCP_NEW_SYN_RECV)
		o = bpf_sk_storage_get(&sk_owners, sk, NULL, 0);
	else
		o = bpf_map_lookup_elem(&owners, &key);
	if (o) {
		e->owner = *o;
		e->owner_src = RSTW_OWNER_TRACKED;
		return;
	}
	/* an accepted socket nobody has read or written yet: ask its listener */
	if (e->state == TCP_SYN_SENT || e->state == TCP_LISTEN)
		return;
	l = listener_of(e->netns, e->lport);
	if (!l)
		return;
	e->owner = l->owner;
	e->owner_src = RSTW_OWNER_LISTENER;
}

/* A SYN to a closed port: who listened there last, and when they stopped. */
static __always_inline void last_listener_lookup(struct rstw_event *e)
{
	struct rstw_listener *l = listener_of(e->netns, e->lport);

	if (!l)
		return;
	e->owner = l->owner;
	e->owner_src = RSTW_OWNER_LAST_LISTENER;
	e->last_listener_closed_ns = l->closed_boot_ns;
}

#endif /* FACTS_BPF_H */
