// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for parse_tcp_packet() (include/parse.h), built for user
 * space: the same code the XDP and TC programs run.  The first input byte
 * chooses the flavour (bit 0: 1 = an Ethernet frame, 0 = an IP packet); the
 * rest is the packet, copied to a buffer of exactly its size so that ASan
 * sees any read past the end.
 *
 * Invariants (a violation aborts, which libFuzzer reports as a crash):
 *  - the result is one of the four values; out->vlans <= 2, and 0 without l2;
 *  - PARSE_TCP: family 2 or 10, and the fields are those of the input bytes:
 *    the IP header starts after 14 + 4 * vlans bytes (l2) or at 0, its
 *    version matches the family, its addresses are saddr/daddr; the TCP
 *    header follows the IHL (IPv4, protocol 6, not a later fragment) or the
 *    extension headers (IPv6, walked again here by offsets, not a later
 *    fragment), it is complete (doff >= 5, all of it within the input), and
 *    sport, dport, seq, ack, flags, window are its bytes in host order;
 *  - the same packet parsed twice gives the same result and fields;
 *  - any prefix parses to the same result or to PARSE_TRUNCATED, and to the
 *    same fields when both are PARSE_TCP;
 *  - an Ethernet frame that parses to PARSE_TCP parses the same from its IP
 *    header with l2 = 0.
 *
 * Seeds: FUZZ_PARSE_SEED_DIR=DIR ./fuzz_parse writes a small corpus of
 * well-formed and boundary packets to DIR and exits (see the Makefile).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "fuzz_parse: invariant broken: " __VA_ARGS__); \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parse a heap copy of exactly n bytes (n may be 0: a 1-byte allocation). */
static enum parse_result parse_copy_of(const uint8_t *data, size_t n, int l2,
				       struct parsed_tcp *out)
{
	uint8_t *buf = malloc(n ? n : 1);
	enum parse_result r;

	if (!buf)
		abort();
	memcpy(buf, data, n);
	/* garbage in: parse_tcp_packet must set what it returns */
	memset(out, 0xa5, sizeof(*out));
	r = parse_tcp_packet(buf, buf + n, l2, out);
	free(buf);
	return r;
}

/* The fields PARSE_TCP promises (saddr/daddr: as many bytes as the family). */
static int same_fields(const struct parsed_tcp *a, const struct parsed_tcp *b)
{
	size_t alen = a->family == 2 ? 4 : 16;

	return a->family == b->family && a->flags == b->flags && a->sport == b->sport &&
	       a->dport == b->dport && a->window == b->window && a->seq == b->seq &&
	       a->ack == b->ack && memcmp(a->saddr, b->saddr, alen) == 0 &&
	       memcmp(a->daddr, b->daddr, alen) == 0;
}

/* A PARSE_TCP result against the bytes it came from. */
static void check_tcp(const uint8_t *pkt, size_t n, int l2, const struct parsed_tcp *t)
{
	size_t ip = l2 ? 14u + 4u * t->vlans : 0, tcp, doff;

	if (t->family != 2 && t->family != 10)
		FAIL("PARSE_TCP with family %u", t->family);
	if (ip + (t->family == 2 ? 20u : 40u) + 20u > n)
		FAIL("PARSE_TCP but %zu bytes cannot hold the headers", n);
	if (l2 && be16(pkt + ip - 2) != (t->family == 2 ? PARSE_ETH_P_IP : PARSE_ETH_P_IPV6))
		FAIL("PARSE_TCP family %u under ethertype %04x", t->family, be16(pkt + ip - 2));
	if ((pkt[ip] >> 4) != (t->family == 2 ? 4 : 6))
		FAIL("PARSE_TCP family %u with IP version %u", t->family, pkt[ip] >> 4);
	if (t->family == 2) {
		if (memcmp(t->saddr, pkt + ip + 12, 4) || memcmp(t->daddr, pkt + ip + 16, 4))
			FAIL("IPv4 addresses are not the header's");
		if (pkt[ip + 9] != 6)
			FAIL("PARSE_TCP for IPv4 protocol %u", pkt[ip + 9]);
		if ((pkt[ip] & 0xf) < 5)
			FAIL("PARSE_TCP with IHL %u", pkt[ip] & 0xf);
		if (((pkt[ip + 6] & 0x1f) << 8 | pkt[ip + 7]) != 0)
			FAIL("PARSE_TCP for a non-first IPv4 fragment");
		tcp = ip + (pkt[ip] & 0xfu) * 4u;
	} else {
		uint8_t nh = pkt[ip + 6];
		int i;

		if (memcmp(t->saddr, pkt + ip + 8, 16) || memcmp(t->daddr, pkt + ip + 24, 16))
			FAIL("IPv6 addresses are not the header's");
		/* walk the extension headers again, by offsets: where TCP must be */
		tcp = ip + 40;
		for (i = 0; i < PARSE_MAX_EXTHDRS && nh != 6; i++) {
			size_t len = nh == 44 ? 8u :
				     nh == 51 ? (pkt[tcp + 1] + 2u) * 4u :
						(pkt[tcp + 1] + 1u) * 8u;

			if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60)
				FAIL("PARSE_TCP past IPv6 next header %u", nh);
			if (tcp + len > n)
				FAIL("PARSE_TCP past a truncated IPv6 extension header");
			if (nh == 44 && (be16(pkt + tcp + 2) & 0xfff8) != 0)
				FAIL("PARSE_TCP for a non-first IPv6 fragment");
			nh = pkt[tcp];
			tcp += len;
		}
		if (nh != 6)
			FAIL("PARSE_TCP with IPv6 next header %u after %d extension headers", nh,
			     i);
	}
	if (tcp + 20 > n)
		FAIL("PARSE_TCP but the TCP header runs past the end");
	doff = pkt[tcp + 12] >> 4;
	if (doff < 5 || tcp + doff * 4 > n)
		FAIL("PARSE_TCP with doff %zu at %zu of %zu bytes", doff, tcp, n);
	if (t->sport != be16(pkt + tcp) || t->dport != be16(pkt + tcp + 2) ||
	    t->seq != be32(pkt + tcp + 4) || t->ack != be32(pkt + tcp + 8) ||
	    t->flags != pkt[tcp + 13] || t->window != be16(pkt + tcp + 14))
		FAIL("TCP fields are not the header's (family %u, TCP at %zu)", t->family, tcp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parsed_tcp a, b, c;
	enum parse_result r, r2;
	const uint8_t *pkt;
	size_t n, cut;
	int l2;

	if (size < 1)
		return 0;
	l2 = data[0] & 1;
	pkt = data + 1;
	n = size - 1;

	r = parse_copy_of(pkt, n, l2, &a);
	if (r != PARSE_TCP && r != PARSE_NOT_TCP && r != PARSE_TRUNCATED && r != PARSE_MALFORMED)
		FAIL("result %d", (int)r);
	if (a.vlans > PARSE_MAX_VLANS || (!l2 && a.vlans != 0))
		FAIL("vlans %u (l2 %d)", a.vlans, l2);
	if (r == PARSE_TCP)
		check_tcp(pkt, n, l2, &a);

	/* deterministic */
	r2 = parse_copy_of(pkt, n, l2, &b);
	if (r2 != r || (r == PARSE_TCP && !same_fields(&a, &b)))
		FAIL("two parses of the same %zu bytes differ: %d, %d", n, (int)r, (int)r2);

	/* prefixes: the same answer, or truncated (every cut for small inputs) */
	for (cut = 0; cut < n; cut += n <= 256 ? 1 : 1 + n / 64) {
		r2 = parse_copy_of(pkt, cut, l2, &b);
		if (r2 != r && r2 != PARSE_TRUNCATED)
			FAIL("%zu of %zu bytes parse to %d, all of them to %d", cut, n, (int)r2,
			     (int)r);
		if (r2 == PARSE_TCP && (r != PARSE_TCP || !same_fields(&a, &b)))
			FAIL("%zu of %zu bytes parse to other TCP fields", cut, n);
	}

	/* an Ethernet frame's TCP: the same from its IP header without l2 */
	if (l2 && r == PARSE_TCP) {
		size_t ip = 14u + 4u * a.vlans;

		r2 = parse_copy_of(pkt + ip, n - ip, 0, &c);
		if (r2 != PARSE_TCP || !same_fields(&a, &c) || c.vlans != 0)
			FAIL("the IP packet inside a TCP frame parses to %d", (int)r2);
	}
	return 0;
}

/* ------------------------------------------------------------------ seeds */

struct seed {
	uint8_t b[256];
	size_t n;
};

static void s_put(struct seed *s, const void *d, size_t n)
{
	if (s->n + n <= sizeof(s->b)) {
		memcpy(s->b + s->n, d, n);
		s->n += n;
	}
}

static void s_u8(struct seed *s, uint8_t v)
{
	s_put(s, &v, 1);
}

static void s_u16(struct seed *s, uint16_t v)
{
	s_u8(s, (uint8_t)(v >> 8));
	s_u8(s, (uint8_t)v);
}

static void s_eth(struct seed *s, int nvlan, uint16_t proto)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	s_u8(s, 1); /* the l2 flavour */
	s_put(s, macs, sizeof(macs));
	for (int i = 0; i < nvlan; i++) {
		s_u16(s, i == 0 && nvlan > 1 ? PARSE_ETH_P_8021AD : PARSE_ETH_P_8021Q);
		s_u16(s, (uint16_t)(100 + i));
	}
	s_u16(s, proto);
}

static void s_v4(struct seed *s, int ihl, uint8_t proto, uint16_t frag)
{
	static const uint8_t addrs[8] = { 192, 0, 2, 1, 198, 51, 100, 2 };

	s_u8(s, (uint8_t)(0x40 | ihl));
	s_u8(s, 0);
	s_u16(s, (uint16_t)(ihl * 4 + 20));
	s_u16(s, 1);
	s_u16(s, frag);
	s_u8(s, 64);
	s_u8(s, proto);
	s_u16(s, 0);
	s_put(s, addrs, sizeof(addrs));
	for (int i = 20; i < ihl * 4; i++)
		s_u8(s, 1);
}

static void s_v6(struct seed *s, uint8_t nh)
{
	static const uint8_t addrs[32] = { 0x20, 1, 0xd, 0xb8, [15] = 1,
					   0x20, 1, 0xd, 0xb8, [31] = 2 };

	s_u16(s, 0x6000);
	s_u16(s, 0);
	s_u16(s, 20);
	s_u8(s, nh);
	s_u8(s, 64);
	s_put(s, addrs, sizeof(addrs));
}

static void s_ext(struct seed *s, uint8_t type, uint8_t nh)
{
	static const uint8_t zero[24];

	s_u8(s, nh);
	if (type == 44) { /* fragment, first (M set) */
		s_u8(s, 0);
		s_u16(s, 1);
		s_put(s, zero, 4);
	} else if (type == 51) { /* AH, 24 bytes */
		s_u8(s, 4);
		s_put(s, zero, 22);
	} else { /* 8 bytes */
		s_u8(s, 0);
		s_put(s, zero, 6);
	}
}

static void s_tcp(struct seed *s, uint8_t flags, int doff)
{
	s_u16(s, 40001);
	s_u16(s, 443);
	s_u16(s, 0x0102);
	s_u16(s, 0x0304);
	s_u16(s, 0x0506);
	s_u16(s, 0x0708);
	s_u8(s, (uint8_t)(doff << 4));
	s_u8(s, flags);
	s_u16(s, 512);
	s_u16(s, 0);
	s_u16(s, 0);
	for (int i = 20; i < doff * 4; i++)
		s_u8(s, 1);
}

static int write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f)) {
		fprintf(stderr, "fuzz_parse: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_seeds(const char *dir)
{
	static const uint8_t chain[] = { 0, 60, 43, 51, 44 };
	struct seed s;
	int err = 0;

#define SEED(name, ...)                           \
	do {                                      \
		memset(&s, 0, sizeof(s));         \
		__VA_ARGS__;                      \
		err |= write_seed(dir, name, &s); \
	} while (0)

	SEED("v4-rst", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 5, 6, 0); s_tcp(&s, 0x14, 5));
	SEED("v4-opts-rst", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 15, 6, 0); s_tcp(&s, 0x04, 5));
	SEED("v4-tcpopts", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 5, 6, 0x2000); s_tcp(&s, 4, 8));
	SEED("v4-frag", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 5, 6, 0x0010); s_tcp(&s, 4, 5));
	SEED("v4-frag-hi", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 5, 6, 0x1000); s_tcp(&s, 4, 5));
	SEED("v4-ihl4", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 4, 6, 0); s_tcp(&s, 4, 5));
	SEED("v4-doff4", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 5, 6, 0); s_tcp(&s, 4, 4));
	SEED("v4-udp", s_eth(&s, 0, PARSE_ETH_P_IP); s_v4(&s, 5, 17, 0); s_tcp(&s, 4, 5));
	SEED("vlan-v4", s_eth(&s, 1, PARSE_ETH_P_IP); s_v4(&s, 5, 6, 0); s_tcp(&s, 0x02, 5));
	SEED("qinq-v6", s_eth(&s, 2, PARSE_ETH_P_IPV6); s_v6(&s, 6); s_tcp(&s, 0x14, 5));
	SEED("vlan3", s_eth(&s, 3, PARSE_ETH_P_IP); s_v4(&s, 5, 6, 0); s_tcp(&s, 4, 5));
	SEED("v6-rst", s_eth(&s, 0, PARSE_ETH_P_IPV6); s_v6(&s, 6); s_tcp(&s, 0x04, 5));
	SEED("v6-ext", s_eth(&s, 0, PARSE_ETH_P_IPV6); s_v6(&s, chain[0]);
	     for (size_t i = 0; i < sizeof(chain); i++)
		     s_ext(&s, chain[i], i + 1 < sizeof(chain) ? chain[i + 1] : 6);
	     s_tcp(&s, 0x04, 6));
	SEED("v6-frag-later", s_eth(&s, 0, PARSE_ETH_P_IPV6); s_v6(&s, 44); s_ext(&s, 44, 6);
	     s.b[s.n - 5] = 0x08; /* fragment offset 1, last */
	     s_tcp(&s, 0x04, 5));
	SEED("ip-v4", s_u8(&s, 0); s_v4(&s, 6, 6, 0); s_tcp(&s, 0x04, 5));
	SEED("ip-v6", s_u8(&s, 0); s_v6(&s, 0); s_ext(&s, 0, 6); s_tcp(&s, 0x14, 7));
	SEED("arp", s_eth(&s, 0, 0x0806); s_v4(&s, 5, 6, 0));
	SEED("empty-l2", s_u8(&s, 1));
#undef SEED
	return err ? 1 : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_PARSE_SEED_DIR");

	(void)argc;
	(void)argv;
	if (dir)
		exit(write_seeds(dir));
	return 0;
}
