// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pcap-filter expressions on rebuilt reset packets.  libpcap's compiler and
 * its BPF interpreter (pcap_offline_filter) are what tcpdump and Wireshark's
 * capture filters use, so an expression means here what it means there.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pcap_filter.h"

#ifdef RSTW_NO_PCAP
/* The static binary (old-kernel guests): Debian's libpcap.a needs libsystemd.a, which it lacks. */
struct pcap_filter {
	int unused;
};

struct pcap_filter *pcap_filter_new(const char *expr, char *err, size_t errlen)
{
	(void)expr;
	snprintf(err, errlen, "--filter: this build has no libpcap (a static build)");
	return NULL;
}

bool pcap_filter_match(const struct pcap_filter *f, const struct rstw_event *e)
{
	(void)f;
	(void)e;
	return true;
}

void pcap_filter_free(struct pcap_filter *f)
{
	(void)f;
}
#else
#include <pcap/pcap.h>

struct pcap_filter {
	struct bpf_program prog;
};

#define TCP_HDR_LEN 20
#define IP4_HDR_LEN 20
#define IP6_HDR_LEN 40
#define RST_SNAPLEN 65535

struct pcap_filter *pcap_filter_new(const char *expr, char *err, size_t errlen)
{
	/* LINKTYPE_RAW: the packet starts at its IP header, v4 or v6 by its version */
	pcap_t *p = pcap_open_dead(DLT_RAW, RST_SNAPLEN);
	struct pcap_filter *f;

	if (!p) {
		snprintf(err, errlen, "--filter: out of memory");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "--filter: out of memory");
	} else if (pcap_compile(p, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "--filter '%.200s': %s", expr, pcap_geterr(p));
		free(f);
		f = NULL;
	}
	pcap_close(p);
	return f;
}

/* The RST's flags: its own where the event saw it, else what the kernel sends. */
static uint8_t rst_flags(const struct rstw_event *e)
{
	if (e->tcp_flags & RSTW_TCP_RST)
		return e->tcp_flags;
	/* answering a segment without ACK (RFC 793), and every active reset, sets ACK */
	if (e->key.dir == RSTW_DIR_SENT && (e->key.facts & RSTW_F_SEGMENT) &&
	    (e->tcp_flags & RSTW_TCP_ACK))
		return RSTW_TCP_RST;
	return RSTW_TCP_RST | RSTW_TCP_ACK;
}

/* Writes the packet at P; returns its length, 0 if E has no addresses. */
static size_t rebuild(const struct rstw_event *e, uint8_t *p)
{
	/* a sent RST leaves from the local address, a received one arrives at it */
	bool sent = e->key.dir == RSTW_DIR_SENT;
	const uint8_t *src = sent ? e->laddr : e->raddr, *dst = sent ? e->raddr : e->laddr;
	uint16_t sport = htons(sent ? e->lport : e->rport),
		 dport = htons(sent ? e->rport : e->lport);
	size_t ip_len;
	uint8_t *tcp;

	if (e->family == AF_INET) {
		ip_len = IP4_HDR_LEN;
		memset(p, 0, ip_len);
		p[0] = 0x45;
		p[3] = IP4_HDR_LEN + TCP_HDR_LEN; /* total length, big-endian */
		p[9] = 6; /* IPPROTO_TCP */
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
	} else if (e->family == AF_INET6) {
		ip_len = IP6_HDR_LEN;
		memset(p, 0, ip_len);
		p[0] = 0x60;
		p[5] = TCP_HDR_LEN;
		p[6] = 6; /* next header: TCP */
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
	} else {
		return 0;
	}
	tcp = p + ip_len;
	memset(tcp, 0, TCP_HDR_LEN);
	memcpy(tcp, &sport, 2);
	memcpy(tcp + 2, &dport, 2);
	tcp[12] = (TCP_HDR_LEN / 4) << 4;
	tcp[13] = rst_flags(e);
	return ip_len + TCP_HDR_LEN;
}

bool pcap_filter_match(const struct pcap_filter *f, const struct rstw_event *e)
{
	uint8_t pkt[IP6_HDR_LEN + TCP_HDR_LEN];
	struct pcap_pkthdr h = { 0 };

	if (!f)
		return true;
	h.caplen = h.len = (bpf_u_int32)rebuild(e, pkt);
	/* no addresses (a count-only record): nothing for an expression to match */
	if (!h.caplen)
		return false;
	return pcap_offline_filter(&f->prog, &h, pkt) != 0;
}

void pcap_filter_free(struct pcap_filter *f)
{
	if (!f)
		return;
	pcap_freecode(&f->prog);
	free(f);
}
#endif
