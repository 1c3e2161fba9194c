/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Bounded packet parsing with a cursor: Ethernet, up to two VLAN tags, IPv4
 * (options), IPv6 (extension headers), TCP (doff).  The same code runs in the
 * XDP/TC programs and, built for user space, under libFuzzer.  Every read is
 * checked against the end; every loop is bounded.
 */
#ifndef RSTW_PARSE_H
#define RSTW_PARSE_H

#ifdef __BPF__
#define PARSE_INLINE static __always_inline
#define parse_ntohs(x) bpf_ntohs(x)
#define parse_ntohl(x) bpf_ntohl(x)
#else
#include <arpa/inet.h>
#include <linux/types.h>
#include <string.h>
#define PARSE_INLINE static inline
#define parse_ntohs(x) ntohs(x)
#define parse_ntohl(x) ntohl(x)
#endif

#define PARSE_ETH_P_IP 0x0800
#define PARSE_ETH_P_IPV6 0x86DD
#define PARSE_ETH_P_8021Q 0x8100
#define PARSE_ETH_P_8021AD 0x88A8
#define PARSE_MAX_VLANS 2
#define PARSE_MAX_EXTHDRS 6

enum parse_result {
	PARSE_TCP = 0, /* a complete TCP header: fields are valid */
	PARSE_NOT_TCP, /* well formed, but not TCP (or a non-first fragment) */
	PARSE_TRUNCATED, /* a header runs past the end */
	PARSE_MALFORMED, /* a length or version that cannot be */
};

struct parsed_tcp {
	__u8 family; /* 2 or 10 */
	__u8 flags; /* TCP flags byte */
	__u16 sport; /* host byte order */
	__u16 dport;
	__u16 window;
	__u32 seq; /* host byte order */
	__u32 ack;
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u8 vlans; /* VLAN tags seen */
	__u8 pad[3];
};

PARSE_INLINE void parse_copy(void *dst, const void *src, unsigned int n)
{
#ifdef __BPF__
	__builtin_memcpy(dst, src, n);
#else
	memcpy(dst, src, n);
#endif
}

/* IPv6 extension headers that may precede TCP. */
PARSE_INLINE int parse_is_ext(__u8 nh)
{
	return nh == 0 /* hop-by-hop */ || nh == 43 /* routing */ || nh == 44 /* fragment */ ||
	       nh == 60 /* destination options */ || nh == 51 /* AH */;
}

/*
 * Parse from data (an Ethernet frame if l2, else an IP packet) up to end.
 * Fills *out for PARSE_TCP.
 */
PARSE_INLINE enum parse_result parse_tcp_packet(const void *data, const void *end, int l2,
						struct parsed_tcp *out)
{
	const __u8 *p = (const __u8 *)data;
	const __u8 *e = (const __u8 *)end;
	__u16 proto;
	__u8 nh, doff;
	int i;

	out->vlans = 0;
	if (l2) {
		if (p + 14 > e)
			return PARSE_TRUNCATED;
		proto = (__u16)(p[12] << 8 | p[13]);
		p += 14;
#ifdef __BPF__
#pragma unroll
#endif
		for (i = 0; i < PARSE_MAX_VLANS; i++) {
			if (proto != PARSE_ETH_P_8021Q && proto != PARSE_ETH_P_8021AD)
				break;
			if (p + 4 > e)
				return PARSE_TRUNCATED;
			proto = (__u16)(p[2] << 8 | p[3]);
			p += 4;
			out->vlans++;
		}
	} else {
		if (p + 1 > e)
			return PARSE_TRUNCATED;
		proto = (p[0] >> 4) == 6 ? PARSE_ETH_P_IPV6 : PARSE_ETH_P_IP;
	}

	if (proto == PARSE_ETH_P_IP) {
		unsigned int ihl;

		if (p + 20 > e)
			return PARSE_TRUNCATED;
		if ((p[0] >> 4) != 4)
			return PARSE_MALFORMED;
		ihl = (p[0] & 0x0f) * 4u;
		if (ihl < 20)
			return PARSE_MALFORMED;
		/* a fragment other than the first has no TCP header */
		if (((p[6] & 0x1f) << 8 | p[7]) != 0)
			return PARSE_NOT_TCP;
		if (p[9] != 6)
			return PARSE_NOT_TCP;
		out->family = 2;
		parse_copy(out->saddr, p + 12, 4);
		parse_copy(out->daddr, p + 16, 4);
		if (p + ihl > e)
			return PARSE_TRUNCATED;
		p += ihl;
	} else if (proto == PARSE_ETH_P_IPV6) {
		if (p + 40 > e)
			return PARSE_TRUNCATED;
		if ((p[0] >> 4) != 6)
			return PARSE_MALFORMED;
		nh = p[6];
		out->family = 10;
		parse_copy(out->saddr, p + 8, 16);
		parse_copy(out->daddr, p + 24, 16);
		p += 40;
#ifdef __BPF__
#pragma unroll
#endif
		for (i = 0; i < PARSE_MAX_EXTHDRS; i++) {
			unsigned int len;

			if (!parse_is_ext(nh))
				break;
			if (p + 8 > e)
				return PARSE_TRUNCATED;
			if (nh == 44) {
				/* fragment header: only the first fragment carries TCP */
				if (((p[2] << 8 | p[3]) & 0xfff8) != 0)
					return PARSE_NOT_TCP;
				len = 8;
			} else if (nh == 51) {
				len = (p[1] + 2u) * 4u;
			} else {
				len = (p[1] + 1u) * 8u;
			}
			nh = p[0];
			if (p + len > e)
				return PARSE_TRUNCATED;
			p += len;
		}
		if (nh != 6)
			return PARSE_NOT_TCP;
	} else {
		return PARSE_NOT_TCP;
	}

	if (p + 20 > e)
		return PARSE_TRUNCATED;
	doff = p[12] >> 4;
	if (doff < 5)
		return PARSE_MALFORMED;
	if (p + doff * 4u > e)
		return PARSE_TRUNCATED;
	out->sport = (__u16)(p[0] << 8 | p[1]);
	out->dport = (__u16)(p[2] << 8 | p[3]);
	out->seq = (__u32)p[4] << 24 | (__u32)p[5] << 16 | (__u32)p[6] << 8 | p[7];
	out->ack = (__u32)p[8] << 24 | (__u32)p[9] << 16 | (__u32)p[10] << 8 | p[11];
	out->flags = p[13];
	out->window = (__u16)(p[14] << 8 | p[15]);
	return PARSE_TCP;
}

#endif /* RSTW_PARSE_H */
