// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The wire view: what no reset tracepoint sees.
 *
 * - TC egress: every RST leaving an interface.  One this host forwarded is
 *   counted as such and is nobody's reset here; one the TCP stack did not make
 *   (netfilter REJECT, or any other generator) is firewall_reject.
 * - XDP ingress: every RST arriving.  A socket lookup predicts what the kernel
 *   will do; a RST for a TIME_WAIT socket (rst_timewait) is traced nowhere else.
 *   Challenged, out-of-window and no-socket RSTs are confirmed by kfree_skb.
 *
 * Both always let the packet through and leave the next program its turn.
 */
#include "facts.bpf.h"
#include "parse.h"

#define TC_ACT_UNSPEC_NUM (-1) /* = TCX_NEXT: the next program decides */

#ifdef RSTW_NO_KFUNC
/* the compat object (see the Makefile): no kfunc, no interface netns */
#define kern_ctx_of(ctx) ((void *)0)
#else
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;
#define kern_ctx_of(ctx) (bpf_cast_to_kern_ctx ? bpf_cast_to_kern_ctx(ctx) : (void *)0)
#endif

#define ETH_P_IP 0x0800 /* include/uapi/linux/if_ether.h */
#define ETH_P_IPV6 0x86DD
#define IP_OFFSET 0x1FFF /* include/net/ip.h: the fragment offset bits of frag_off */
#define LOOPBACK_IFINDEX 1 /* include/net/flow.h: lo's index, in every namespace */

/*
 * Where the packet starts.  TC and XDP hand the programs the packet from its
 * link-layer header, and a device without one (WireGuard, tun, ipip, sit,
 * ip6tnl, GRE: no header_ops, mac_len 0) hands them the IP header itself.
 * Which one an interface is, user space knows from its type (ARPHRD_*, see
 * user/wire.c) and attaches the matching variant below: the choice costs no
 * instruction per packet, where a check in the program (a map keyed by
 * ifindex, or sk_buff's mac_len through a kfunc the 5.10/6.1 compat object
 * lacks) would cost one on every packet of every Ethernet device.
 */
enum link_hdr { LINK_ETH, LINK_NONE };

/*
 * Every packet on every interface passes here, and almost none is a RST: for
 * an untagged IPv4 or IPv6 packet without extension headers, a few loads tell.
 * False sends the packet to the full parser (VLANs, extension headers, short
 * or odd packets): it may be a RST.  PROTO is the packet's ethertype (network
 * order): the Ethernet header's, or on a device without one the skb's
 * protocol (TC), or 0 where nothing says it (XDP): the IP version then does.
 */
static __always_inline bool surely_not_rst_ip(const void *l3, void *end, __be16 proto)
{
	const __u8 *th;

	/* IPv4 first, as the branches stood before L3 devices: one test to its check */
	if (__builtin_expect(proto == bpf_htons(ETH_P_IP), 1)) {
		const struct iphdr *ip = l3;
		__u32 ihl;

		if ((void *)(ip + 1) > end)
			return false;
		if (ip->protocol != IPPROTO_TCP || (ip->frag_off & bpf_htons(IP_OFFSET)))
			return true; /* not TCP, or a fragment without its header */
		ihl = (*(const __u8 *)ip & 0x0f) * 4; /* the ihl nibble, in bytes */
		if (ihl < sizeof(*ip))
			return false;
		th = (const __u8 *)ip + ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return false;
		if (ip6->nexthdr != IPPROTO_TCP)
			return !parse_is_ext(ip6->nexthdr);
		th = (const __u8 *)(ip6 + 1);
	} else {
		/* ARP and the like: no RST; VLAN tags: the parser walks them */
		return proto != bpf_htons(PARSE_ETH_P_8021Q) &&
		       proto != bpf_htons(PARSE_ETH_P_8021AD);
	}
	if (th + sizeof(struct tcphdr) > (const __u8 *)end)
		return false;
	return !(tcp_flag_byte(th) & TCPHDR_RST);
}

static __always_inline bool surely_not_rst(void *data, void *end, enum link_hdr link, __be16 proto)
{
	struct ethhdr *eth = data;
	__u8 version;

	if (link == LINK_ETH) {
		if ((void *)(eth + 1) > end)
			return false;
		return surely_not_rst_ip(eth + 1, end, eth->h_proto);
	}
	if (data + 1 > end)
		return false;
	version = *(const __u8 *)data >> 4;
	if (!proto)
		proto = version == 4 ? bpf_htons(ETH_P_IP) :
			version == 6 ? bpf_htons(ETH_P_IPV6) :
				       0;
	/* an skb protocol the header does not bear out: not an IP packet to parse */
	else if (version != (proto == bpf_htons(ETH_P_IP)   ? 4 :
			     proto == bpf_htons(ETH_P_IPV6) ? 6 :
							      0))
		return true;
	return surely_not_rst_ip(data, end, proto);
}

/* RSTs on the wire per (netns, ifindex, direction): only this unit counts them */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rstw_wire_key);
	__type(value, __u64);
} wire_counts SEC(".maps");

static __always_inline bool stack_rst_matches(const struct parsed_tcp *pt)
{
	__u32 zero = 0;
	struct stack_rst_mark *m = bpf_map_lookup_elem(&stack_rst, &zero);

	/* the stack sends its reply within the same softirq (see stack_rst_mark) */
	return m && m->sport == pt->sport && m->dport == pt->dport &&
	       bpf_jiffies64() - m->ts <= RSTW_STACK_MARK_TICKS;
}

static __always_inline void wire_count(__u32 netns, __u32 ifindex, __u32 dir)
{
	struct rstw_wire_key k = { .netns = netns, .ifindex = ifindex, .dir = dir };

	percpu_count(&wire_counts, RSTW_MAP_WIRE_COUNTS, &k);
}

/* A scratch event for the wire: no task (these run in softirq, not for one). */
static __always_inline struct rstw_event *wire_event(const struct parsed_tcp *pt, bool rx)
{
	struct rstw_event *e = scratch_event(RSTW_REASON_NONE);

	if (!e)
		return NULL;
	e->family = pt->family;
	e->tcp_flags = pt->flags;
	if (rx) {
		__builtin_memcpy(e->laddr, pt->daddr, 16);
		__builtin_memcpy(e->raddr, pt->saddr, 16);
		e->lport = pt->dport;
		e->rport = pt->sport;
	} else {
		__builtin_memcpy(e->laddr, pt->saddr, 16);
		__builtin_memcpy(e->raddr, pt->daddr, 16);
		e->lport = pt->sport;
		e->rport = pt->dport;
	}
	return e;
}

static __always_inline int rst_leaving(struct __sk_buff *skb, enum link_hdr link)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct rstw_event *e;
	struct parsed_tcp pt = {}; /* all 16 address bytes reach the event, even for IPv4 */
	__u32 netns = 0;

	if (surely_not_rst(data, end, link, link == LINK_ETH ? 0 : skb->protocol))
		return TC_ACT_UNSPEC_NUM;
	if (parse_tcp_packet(data, end, link == LINK_ETH, &pt) != PARSE_TCP ||
	    !(pt.flags & RSTW_TCP_RST))
		return TC_ACT_UNSPEC_NUM;
	{
		struct sk_buff *kskb = kern_ctx_of(skb);

		/* a BTF pointer: plain loads, no probe reads */
		if (kskb && kskb->dev)
			netns = kskb->dev->nd_net.net->ns.inum;
	}
	/*
	 * Routed or bridged through: it came in on an interface (skb_iif, set on
	 * receive).  A packet made here has none, a REJECT's RST included: a new
	 * packet even when the one rejected was being forwarded.  Loopback
	 * carries only this host's own packets.
	 */
	if (skb->ingress_ifindex > LOOPBACK_IFINDEX) {
		wire_count(netns, skb->ifindex, RSTW_WIRE_FORWARDED);
		return TC_ACT_UNSPEC_NUM;
	}
	wire_count(netns, skb->ifindex, RSTW_DIR_SENT);
	/* the stack's resets carry their socket (or the per-netns control socket) */
	if (skb->sk || stack_rst_matches(&pt))
		return TC_ACT_UNSPEC_NUM;
	e = wire_event(&pt, false);
	if (!e)
		return TC_ACT_UNSPEC_NUM;
	e->netns = netns;
	emit_kind(e, RSTW_KIND_WIRE, RSTW_DIR_SENT, RSTW_F_SEGMENT, RSTW_EVID_NONE,
		  RSTW_SEEN_FOREIGN_RST);
	return TC_ACT_UNSPEC_NUM;
}

/* Egress by TC on a device with an Ethernet header, and on one without (above). */
SEC("tc")
int tc_rst_out(struct __sk_buff *skb)
{
	return rst_leaving(skb, LINK_ETH);
}

SEC("tc")
int tc_rst_out_l3(struct __sk_buff *skb)
{
	return rst_leaving(skb, LINK_NONE);
}

/*
 * A RST arriving on IFINDEX: counted, and looked up the way the stack will.
 * A RST for a TIME_WAIT socket (rst_timewait) is traced nowhere else.  CTX is
 * the XDP or TC context the socket lookup takes.
 */
static __always_inline void rst_arrived(void *ctx, void *data, void *end, enum link_hdr link,
					__u32 ifindex, __u32 netns)
{
	struct bpf_sock_tuple t = {};
	struct tcp_timewait_sock *tw;
	struct bpf_sock *sk;
	struct rstw_event *e;
	struct parsed_tcp pt = {}; /* all 16 address bytes reach the event, even for IPv4 */
	__u32 size, seen;

	if (parse_tcp_packet(data, end, link == LINK_ETH, &pt) != PARSE_TCP ||
	    !(pt.flags & RSTW_TCP_RST))
		return;
	if (pt.family == AF_INET) {
		__builtin_memcpy(&t.ipv4.saddr, pt.saddr, 4);
		__builtin_memcpy(&t.ipv4.daddr, pt.daddr, 4);
		t.ipv4.sport = bpf_htons(pt.sport);
		t.ipv4.dport = bpf_htons(pt.dport);
		size = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, pt.saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, pt.daddr, 16);
		t.ipv6.sport = bpf_htons(pt.sport);
		t.ipv6.dport = bpf_htons(pt.dport);
		size = sizeof(t.ipv6);
	}
	wire_count(netns, ifindex, RSTW_DIR_RECEIVED);
	sk = bpf_skc_lookup_tcp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return;
	tw = sk->state == BPF_TCP_TIME_WAIT ? bpf_skc_to_tcp_timewait_sock(sk) : NULL;
	if (tw) {
		netns = BPF_CORE_READ(tw, tw_sk.__tw_common.skc_net.net, ns.inum);
		/* RFC 1337: with tcp_rfc1337=0 the RST kills the TIME_WAIT socket */
		seen = BPF_CORE_READ(tw, tw_sk.__tw_common.skc_net.net, ipv4.sysctl_tcp_rfc1337) ?
			       RSTW_SEEN_TW_KEPT :
			       RSTW_SEEN_TW_KILLED;
		e = wire_event(&pt, true);
		if (e) {
			e->netns = netns;
			e->state = TCP_TIME_WAIT;
			e->cookie = BPF_CORE_READ(tw, tw_sk.__tw_common.skc_cookie.counter);
			owner_lookup(e, NULL, have_cookie_helper ? e->cookie : 0);
			emit_kind(e, RSTW_KIND_WIRE, RSTW_DIR_RECEIVED, RSTW_F_SEGMENT,
				  RSTW_EVID_NONE, seen);
		}
	}
	bpf_sk_release(sk);
}

/*
 * Ingress by XDP: --xdp-mode native on a NIC whose driver has it, or generic.
 * Generic XDP on a device without a link-layer header (tun, WireGuard, ipip)
 * starts at the IP header, as TC does.
 */
static __always_inline int xdp_rst_arrived(struct xdp_md *ctx, enum link_hdr link)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct xdp_buff *xb;
	__u32 netns = 0;

	if (surely_not_rst(data, end, link, 0))
		return XDP_PASS;
	xb = kern_ctx_of(ctx);
	if (xb)
		netns = xb->rxq->dev->nd_net.net->ns.inum;
	rst_arrived(ctx, data, end, link, ctx->ingress_ifindex, netns);
	return XDP_PASS;
}

SEC("xdp")
int xdp_rst_in(struct xdp_md *ctx)
{
	return xdp_rst_arrived(ctx, LINK_ETH);
}

SEC("xdp")
int xdp_rst_in_l3(struct xdp_md *ctx)
{
	return xdp_rst_arrived(ctx, LINK_NONE);
}

/*
 * Ingress by TC (tcx, or a clsact filter), the default: it sees what XDP
 * sees, without generic XDP's cost per packet on devices without native XDP,
 * and without attaching native XDP (which resets some NICs' links).
 */
static __always_inline int tc_rst_arrived(struct __sk_buff *skb, enum link_hdr link)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct sk_buff *kskb;
	__u32 netns = 0;

	if (surely_not_rst(data, end, link, link == LINK_ETH ? 0 : skb->protocol))
		return TC_ACT_UNSPEC_NUM;
	kskb = kern_ctx_of(skb);
	if (kskb && kskb->dev)
		netns = kskb->dev->nd_net.net->ns.inum;
	rst_arrived(skb, data, end, link, skb->ifindex, netns);
	return TC_ACT_UNSPEC_NUM;
}

SEC("tc")
int tc_rst_in(struct __sk_buff *skb)
{
	return tc_rst_arrived(skb, LINK_ETH);
}

SEC("tc")
int tc_rst_in_l3(struct __sk_buff *skb)
{
	return tc_rst_arrived(skb, LINK_NONE);
}
