// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The wire programs (bpf/wire.bpf.c: xdp_rst_in, tc_rst_in, tc_rst_out and their _l3
 * variants for devices without a link-layer header) run by the kernel
 * on crafted frames with BPF_PROG_TEST_RUN, their maps and ring buffer read
 * back.  Root only; everything happens in a private network namespace of this
 * process (unshare), so no socket or interface of the host is involved.
 *
 * What BPF_PROG_TEST_RUN really gives the programs (net/bpf/test_run.c), and
 * so what is asserted below:
 *  - XDP: the frame arrives on queue 0 of the loopback device of the current
 *    namespace: ingress_ifindex = 1 (lo), never 0, and the device's namespace
 *    (read through bpf_cast_to_kern_ctx) is this one, never 0.  A RST is
 *    counted there whether or not a socket matches it (xdp_key()).
 *  - TC: skb->dev is the loopback device (ifindex 1) of the current namespace,
 *    so the netns read through bpf_cast_to_kern_ctx is this namespace's inode,
 *    not 0.  And skb->sk is always a dummy socket the test run allocates, so
 *    tc_rst_out takes every test-run RST for one the stack sent (it carries a
 *    socket): counted, never an event.  The foreign-RST event is therefore
 *    tested on a real path: tc_rst_out attached with tcx at lo's ingress,
 *    where loopback_xmit has orphaned the skb (skb->sk == NULL), fed frames
 *    through an AF_PACKET socket.
 *  - The kernel refuses (-EINVAL) some frames before any program runs, so
 *    nothing is counted: for both, frames shorter than ETH_HLEN (14; Linux
 *    6.18 refuses them for XDP even behind metadata, xdp_md.data); for TC
 *    also an outer ethertype IPv4 with less than a 20-byte IP header after
 *    the Ethernet header, IPv6 with less than 40 (test_run.c checks the
 *    network header it will hand to the program).  What the parser does with
 *    those lengths is the fuzzer's part (tests/fuzz/fuzz_parse.c).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rstwatch.h"
#include "resets.skel.h"
#include "unit.h"

#define XDP_PASS_NUM 2
#define TC_ACT_UNSPEC_RET (-1)
#define TCP_TIME_WAIT_NUM 6
#define MAX_EVENTS 64

/* ------------------------------------------------------------------ frames */

struct pkt {
	uint8_t b[512];
	size_t len;
	size_t l3; /* offset of the IP header */
	size_t l4; /* offset of the TCP header */
	size_t tcp_end; /* end of the TCP header with its options; 0 if none */
	int family;
	uint8_t flags; /* TCP flags */
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	bool custom; /* addresses and ports set by flow_frame(), not the defaults */
};

static const uint8_t v4_src[4] = { 192, 0, 2, 1 };
static const uint8_t v4_dst[4] = { 198, 51, 100, 2 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2 };
/* distinct bytes: a byte-order mistake cannot go unseen */
#define SPORT 40001 /* 0x9c41 */
#define DPORT 443 /* 0x01bb */
#define RST RSTW_TCP_RST
#define RST_ACK (RSTW_TCP_RST | RSTW_TCP_ACK)

static void put8(struct pkt *p, uint8_t v)
{
	if (p->len < sizeof(p->b))
		p->b[p->len++] = v;
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void putn(struct pkt *p, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(p, d[i]);
}

static void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

/* Ethernet with nvlan tags (two or more: 802.1ad outside, 802.1Q inside). */
static void eth(struct pkt *p, int nvlan, uint16_t proto)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };

	putn(p, dst, 6);
	putn(p, src, 6);
	for (int i = 0; i < nvlan; i++) {
		put16(p, i == 0 && nvlan > 1 ? ETH_P_8021AD : ETH_P_8021Q);
		put16(p, (uint16_t)(100 + i));
	}
	put16(p, proto);
}

/* IPv4 with ihl words (options: NOPs); frag = flags and fragment offset. */
static void ipv4(struct pkt *p, int ihl, uint8_t proto, uint16_t frag)
{
	p->l3 = p->len;
	p->family = 2;
	if (!p->custom) {
		memcpy(p->saddr, v4_src, 4);
		memcpy(p->daddr, v4_dst, 4);
	}
	put8(p, (uint8_t)(0x40 | (ihl & 0xf)));
	put8(p, 0); /* tos */
	put16(p, 0); /* total length: pkt_done */
	put16(p, 0x1234); /* id */
	put16(p, frag);
	put8(p, 64); /* ttl */
	put8(p, proto);
	put16(p, 0); /* checksum: pkt_done */
	putn(p, p->saddr, 4);
	putn(p, p->daddr, 4);
	for (int i = 20; i < ihl * 4; i++)
		put8(p, 1); /* NOP */
}

static void ipv6(struct pkt *p, uint8_t nh)
{
	p->l3 = p->len;
	p->family = 10;
	if (!p->custom) {
		memcpy(p->saddr, v6_src, 16);
		memcpy(p->daddr, v6_dst, 16);
	}
	put32(p, 0x60000000);
	put16(p, 0); /* payload length: pkt_done */
	put8(p, nh);
	put8(p, 64);
	putn(p, p->saddr, 16);
	putn(p, p->daddr, 16);
}

/* One IPv6 extension header of the given type, followed by nh. */
static void ext6(struct pkt *p, uint8_t type, uint8_t nh, uint16_t frag_off_flags)
{
	put8(p, nh);
	switch (type) {
	case 44: /* fragment: 8 bytes */
		put8(p, 0);
		put16(p, frag_off_flags);
		put32(p, 0xabcdef01);
		break;
	case 51: /* AH: (len + 2) * 4 bytes; 24 with a 96-bit ICV */
		put8(p, 4);
		put16(p, 0);
		put32(p, 0x100); /* SPI */
		put32(p, 1); /* sequence */
		for (int i = 0; i < 12; i++)
			put8(p, 0xa5);
		break;
	case 43: /* routing: (len + 1) * 8 bytes; type 0 with one address */
		put8(p, 2);
		put8(p, 0);
		put8(p, 0);
		put32(p, 0);
		for (int i = 0; i < 16; i++)
			put8(p, 0x11);
		break;
	default: /* hop-by-hop, destination options: 16 bytes, one PadN */
		put8(p, 1);
		put8(p, 1); /* PadN */
		put8(p, 12);
		for (int i = 0; i < 12; i++)
			put8(p, 0);
		break;
	}
}

static void tcp(struct pkt *p, uint8_t flags, int doff)
{
	p->l4 = p->len;
	p->flags = flags;
	if (!p->custom) {
		p->sport = SPORT;
		p->dport = DPORT;
	}
	put16(p, p->sport);
	put16(p, p->dport);
	put32(p, 0x01020304); /* seq */
	put32(p, 0x05060708); /* ack */
	put8(p, (uint8_t)((doff & 0xf) << 4));
	put8(p, flags);
	put16(p, 0x0102); /* window */
	put16(p, 0); /* checksum */
	put16(p, 0); /* urgent */
	for (int i = 20; i < doff * 4; i++)
		put8(p, 1); /* NOP */
	p->tcp_end = p->len;
}

/* IP lengths and checksum; Ethernet padding to the 60-byte minimum. */
static void pkt_done(struct pkt *p)
{
	size_t ip_len = p->len - p->l3;

	if (p->family == 2 && (p->b[p->l3] >> 4) == 4) {
		uint32_t sum = 0;
		size_t ihl = (p->b[p->l3] & 0xfu) * 4u;

		p->b[p->l3 + 2] = (uint8_t)(ip_len >> 8);
		p->b[p->l3 + 3] = (uint8_t)ip_len;
		for (size_t i = 0; i + 1 < ihl && p->l3 + i + 1 < p->len; i += 2)
			sum += (uint32_t)(p->b[p->l3 + i] << 8 | p->b[p->l3 + i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		p->b[p->l3 + 10] = (uint8_t)(~sum >> 8);
		p->b[p->l3 + 11] = (uint8_t)~sum;
	} else if (p->family == 10) {
		p->b[p->l3 + 4] = (uint8_t)((ip_len - 40) >> 8);
		p->b[p->l3 + 5] = (uint8_t)(ip_len - 40);
	}
	while (p->len < 60)
		put8(p, 0);
}

/*
 * For IHL < 5: wherever a parser that took the IHL at its word would look for
 * the TCP header (IP + 4 * ihl), put a RST (doff 5, flags 0x04): addresses
 * 80.4.x.x, sport 0x5004, seq and ack 0x5004....  Not counting it is then
 * the parser's doing, not luck.
 */
static void ihl_bait(struct pkt *p)
{
	static const size_t at[] = { 12, 16, 20, 24, 28 }; /* IP + 4 * ihl + 12 */

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		p->b[p->l3 + at[i]] = 0x50;
		p->b[p->l3 + at[i] + 1] = RST;
	}
	p->saddr[0] = p->daddr[0] = 0x50;
	p->saddr[1] = p->daddr[1] = RST;
	p->sport = 0x5000 | RST;
}

static void v4_tcp(struct pkt *p, int nvlan, int ihl, uint16_t frag, uint8_t flags, int doff)
{
	pkt_init(p);
	eth(p, nvlan, ETH_P_IP);
	ipv4(p, ihl, 6, frag);
	tcp(p, flags, doff);
	if (ihl < 5)
		ihl_bait(p);
	pkt_done(p);
}

/* IPv6 with the extension headers types[0..n-1] in order, then TCP. */
static void v6_tcp(struct pkt *p, int nvlan, const uint8_t *types, int n, uint16_t frag,
		   uint8_t flags)
{
	pkt_init(p);
	eth(p, nvlan, ETH_P_IPV6);
	ipv6(p, n ? types[0] : 6);
	for (int i = 0; i < n; i++)
		ext6(p, types[i], i + 1 < n ? types[i + 1] : 6, frag);
	tcp(p, flags, 5);
	pkt_done(p);
}

/* A plain RST-or-not segment of the given flow (addresses in network order). */
static void flow_frame(struct pkt *p, int family, const void *saddr, const void *daddr,
		       uint16_t sport, uint16_t dport, uint8_t flags)
{
	pkt_init(p);
	p->custom = true;
	memcpy(p->saddr, saddr, family == 2 ? 4 : 16);
	memcpy(p->daddr, daddr, family == 2 ? 4 : 16);
	p->sport = sport;
	p->dport = dport;
	eth(p, 0, family == 2 ? ETH_P_IP : ETH_P_IPV6);
	if (family == 2)
		ipv4(p, 5, 6, 0);
	else
		ipv6(p, 6);
	tcp(p, flags, 5);
	pkt_done(p);
}

/* ------------------------------------------------------------- the frames */

static const uint8_t ext_hbh_dst_frag[] = { 0, 60, 44 };
static const uint8_t ext_six[] = { 0, 60, 43, 51, 44, 60 };
static const uint8_t ext_seven[] = { 0, 60, 43, 51, 44, 60, 60 };

enum frame_id {
	F_V4_RST,
	F_V4_RST_ACK,
	F_V4_OPTS_RST, /* ihl 15 */
	F_V6_RST,
	F_V6_EXT_RST, /* hop-by-hop, destination options, fragment (first) */
	F_V6_SIX_EXT_RST, /* the parser's limit: six extension headers */
	F_VLAN1_RST,
	F_VLAN2_RST, /* 802.1ad + 802.1Q */
	F_VLAN2_V6_RST,
	F_TCPOPT_RST, /* doff 8 */
	F_V4_FIRST_FRAG_RST, /* MF set, offset 0 */
	F_V4_DF_RST,
	/* not counted from here */
	F_V6_NONFIRST_FRAG,
	F_V6_SEVEN_EXT, /* past the limit */
	F_V6_NO_NEXT, /* next header 59 */
	F_V4_NONFIRST_FRAG_LO, /* offset in the low byte */
	F_V4_NONFIRST_FRAG_HI, /* offset in the high bits */
	F_DOFF4,
	F_DOFF0,
	F_IHL4,
	F_IHL0,
	F_V4_VERSION6, /* ethertype IPv4, version 6 */
	F_V6_VERSION4, /* ethertype IPv6, version 4 */
	F_VLAN3, /* three tags: more than the parser follows */
	F_UDP, /* a UDP datagram whose payload looks like a TCP RST */
	F_ARP,
	F_V4_SYN,
	F_V6_SYN,
	F_V4_FIN_ACK,
	F_COUNT,
};

#define FIRST_NOT_COUNTED F_V6_NONFIRST_FRAG

static const char *const frame_names[F_COUNT] = {
	[F_V4_RST] = "ipv4 rst",
	[F_V4_RST_ACK] = "ipv4 rst|ack",
	[F_V4_OPTS_RST] = "ipv4 ihl 15 rst",
	[F_V6_RST] = "ipv6 rst",
	[F_V6_EXT_RST] = "ipv6 hbh+dstopt+frag(first) rst",
	[F_V6_SIX_EXT_RST] = "ipv6 six extension headers rst",
	[F_VLAN1_RST] = "vlan ipv4 rst",
	[F_VLAN2_RST] = "qinq ipv4 rst",
	[F_VLAN2_V6_RST] = "qinq ipv6 rst",
	[F_TCPOPT_RST] = "ipv4 rst doff 8",
	[F_V4_FIRST_FRAG_RST] = "ipv4 first fragment (MF) rst",
	[F_V4_DF_RST] = "ipv4 DF rst",
	[F_V6_NONFIRST_FRAG] = "ipv6 non-first fragment",
	[F_V6_SEVEN_EXT] = "ipv6 seven extension headers",
	[F_V6_NO_NEXT] = "ipv6 no next header",
	[F_V4_NONFIRST_FRAG_LO] = "ipv4 fragment offset 1",
	[F_V4_NONFIRST_FRAG_HI] = "ipv4 fragment offset 0x1000",
	[F_DOFF4] = "tcp doff 4",
	[F_DOFF0] = "tcp doff 0",
	[F_IHL4] = "ipv4 ihl 4",
	[F_IHL0] = "ipv4 ihl 0",
	[F_V4_VERSION6] = "ipv4 ethertype, version 6",
	[F_V6_VERSION4] = "ipv6 ethertype, version 4",
	[F_VLAN3] = "three vlan tags",
	[F_UDP] = "udp",
	[F_ARP] = "arp",
	[F_V4_SYN] = "ipv4 syn",
	[F_V6_SYN] = "ipv6 syn",
	[F_V4_FIN_ACK] = "ipv4 fin|ack",
};

static void build(enum frame_id id, struct pkt *p)
{
	static const uint8_t frag_only[] = { 44 };

	switch (id) {
	case F_V4_RST:
		v4_tcp(p, 0, 5, 0, RST, 5);
		break;
	case F_V4_RST_ACK:
		v4_tcp(p, 0, 5, 0, RST_ACK, 5);
		break;
	case F_V4_OPTS_RST:
		v4_tcp(p, 0, 15, 0, RST, 5);
		break;
	case F_V6_RST:
		v6_tcp(p, 0, NULL, 0, 0, RST_ACK);
		break;
	case F_V6_EXT_RST:
		v6_tcp(p, 0, ext_hbh_dst_frag, 3, 0x0001 /* M */, RST);
		break;
	case F_V6_SIX_EXT_RST:
		v6_tcp(p, 0, ext_six, 6, 0x0001, RST);
		break;
	case F_VLAN1_RST:
		v4_tcp(p, 1, 5, 0, RST, 5);
		break;
	case F_VLAN2_RST:
		v4_tcp(p, 2, 5, 0, RST, 5);
		break;
	case F_VLAN2_V6_RST:
		v6_tcp(p, 2, NULL, 0, 0, RST);
		break;
	case F_TCPOPT_RST:
		v4_tcp(p, 0, 5, 0, RST_ACK, 8);
		break;
	case F_V4_FIRST_FRAG_RST:
		v4_tcp(p, 0, 5, 0x2000, RST, 5);
		break;
	case F_V4_DF_RST:
		v4_tcp(p, 0, 5, 0x4000, RST, 5);
		break;
	case F_V6_NONFIRST_FRAG:
		v6_tcp(p, 0, frag_only, 1, 0x0008 /* offset 1 */, RST);
		break;
	case F_V6_SEVEN_EXT:
		v6_tcp(p, 0, ext_seven, 7, 0x0001, RST);
		break;
	case F_V6_NO_NEXT:
		v6_tcp(p, 0, NULL, 0, 0, RST);
		p->b[p->l3 + 6] = 59;
		break;
	case F_V4_NONFIRST_FRAG_LO:
		v4_tcp(p, 0, 5, 0x0001, RST, 5);
		break;
	case F_V4_NONFIRST_FRAG_HI:
		v4_tcp(p, 0, 5, 0x1000, RST, 5);
		break;
	case F_DOFF4:
		v4_tcp(p, 0, 5, 0, RST, 4);
		break;
	case F_DOFF0:
		v4_tcp(p, 0, 5, 0, RST, 0);
		break;
	case F_IHL4:
		v4_tcp(p, 0, 4, 0, RST, 5);
		break;
	case F_IHL0:
		v4_tcp(p, 0, 0, 0, RST, 5);
		break;
	case F_V4_VERSION6:
		v4_tcp(p, 0, 5, 0, RST, 5);
		p->b[p->l3] = 0x65;
		break;
	case F_V6_VERSION4:
		v6_tcp(p, 0, NULL, 0, 0, RST);
		p->b[p->l3] = 0x45;
		break;
	case F_VLAN3:
		v4_tcp(p, 3, 5, 0, RST, 5);
		break;
	case F_UDP:
		/* bytes 12-13 of the "transport header": doff 5, RST */
		v4_tcp(p, 0, 5, 0, RST, 5);
		p->b[p->l3 + 9] = 17;
		break;
	case F_ARP: {
		static const uint8_t arp[28] = { 0,   1, 8, 0, 6, 4, 0, 1, 2, 0, 0,   0, 0, 1,
						 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2 };

		pkt_init(p);
		eth(p, 0, ETH_P_ARP);
		putn(p, arp, sizeof(arp));
		pkt_done(p);
		break;
	}
	case F_V4_SYN:
		v4_tcp(p, 0, 5, 0, RSTW_TCP_SYN, 5);
		break;
	case F_V6_SYN:
		v6_tcp(p, 0, NULL, 0, 0, RSTW_TCP_SYN);
		break;
	case F_V4_FIN_ACK:
		v4_tcp(p, 0, 5, 0, RSTW_TCP_FIN | RSTW_TCP_ACK, 5);
		break;
	case F_COUNT:
		break;
	}
}

/* ------------------------------------------------------------- the set-up */

static struct {
	bool tried, ok;
	struct resets_bpf *skel;
	struct ring_buffer *rb;
	int xdp_fd, tc_fd, tc_in_fd, wire_fd, xdp_l3_fd, tc_l3_fd,
		tc_in_l3_fd, /* the *_l3 variants: no link-layer header */
		counts_fd, svc_fd, stats_fd, stack_fd;
	uint32_t netns; /* inode of our private network namespace */
	uint32_t lo; /* its loopback ifindex */
	int ncpu;
} g;

static struct rstw_event events[MAX_EVENTS];
static int n_events, n_events_dropped;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size != sizeof(struct rstw_event) || n_events == MAX_EVENTS) {
		n_events_dropped++;
		return 0;
	}
	memcpy(&events[n_events++], data, sizeof(struct rstw_event));
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN && !getenv("RSTW_TEST_VERBOSE"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

__attribute__((constructor)) static void need_root(void)
{
	if (geteuid() != 0) {
		printf("SKIP test_wire_progs: needs root (BPF_PROG_TEST_RUN, a private network "
		       "namespace): NOTHING WAS TESTED\n");
		exit(77);
	}
}

static bool lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
	close(s);
	return ok;
}

static bool setup_once(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .btf_custom_path = "/sys/kernel/btf/vmlinux");
	struct bpf_program *prog;
	struct stat st;
	int err;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return false;
	}
	if (!lo_up() || stat("/proc/self/ns/net", &st)) {
		fprintf(stderr, "private namespace: lo up / stat: %s\n", strerror(errno));
		return false;
	}
	g.netns = (uint32_t)st.st_ino;
	g.lo = if_nametoindex("lo");
	g.ncpu = libbpf_num_possible_cpus();
	if (g.ncpu <= 0)
		return false;

	libbpf_set_print(libbpf_print);
	g.skel = resets_bpf__open_opts(&oopts);
	if (!g.skel) {
		fprintf(stderr, "resets_bpf__open_opts: %s\n", strerror(errno));
		return false;
	}
	bpf_object__for_each_program(prog, g.skel->obj)
	{
		bpf_program__set_autoload(prog, prog == g.skel->progs.xdp_rst_in ||
							prog == g.skel->progs.tc_rst_in ||
							prog == g.skel->progs.tc_rst_out ||
							prog == g.skel->progs.xdp_rst_in_l3 ||
							prog == g.skel->progs.tc_rst_in_l3 ||
							prog == g.skel->progs.tc_rst_out_l3);
	}
	err = resets_bpf__load(g.skel);
	if (err) {
		fprintf(stderr, "resets_bpf__load: %s (RSTW_TEST_VERBOSE=1 for the log)\n",
			strerror(-err));
		return false;
	}
	g.xdp_fd = bpf_program__fd(g.skel->progs.xdp_rst_in);
	g.tc_fd = bpf_program__fd(g.skel->progs.tc_rst_out);
	g.tc_in_fd = bpf_program__fd(g.skel->progs.tc_rst_in);
	g.xdp_l3_fd = bpf_program__fd(g.skel->progs.xdp_rst_in_l3);
	g.tc_l3_fd = bpf_program__fd(g.skel->progs.tc_rst_out_l3);
	g.tc_in_l3_fd = bpf_program__fd(g.skel->progs.tc_rst_in_l3);
	g.wire_fd = bpf_map__fd(g.skel->maps.wire_counts);
	g.counts_fd = bpf_map__fd(g.skel->maps.counts);
	g.svc_fd = bpf_map__fd(g.skel->maps.service_counts);
	g.stats_fd = bpf_map__fd(g.skel->maps.stats);
	g.stack_fd = bpf_map__fd(g.skel->maps.stack_rst);
	g.rb = ring_buffer__new(bpf_map__fd(g.skel->maps.events), on_event, NULL, NULL);
	if (!g.rb) {
		fprintf(stderr, "ring_buffer__new: %s\n", strerror(errno));
		return false;
	}
	return true;
}

static bool setup(void)
{
	if (!g.tried) {
		g.tried = true;
		g.ok = setup_once();
	}
	return g.ok;
}

#define NEED_SETUP()                 \
	do {                         \
		if (!CHECK(setup())) \
			return;      \
	} while (0)

/* ------------------------------------------------------------ map helpers */

static uint64_t percpu_sum(int fd, const void *key)
{
	uint64_t *v = calloc((size_t)g.ncpu, sizeof(*v)), sum = 0;

	if (v && bpf_map_lookup_elem(fd, key, v) == 0)
		for (int i = 0; i < g.ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

static void hash_clear(int fd)
{
	uint8_t key[64];

	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		if (bpf_map_delete_elem(fd, key))
			break;
}

static int hash_count_keys(int fd, size_t key_size)
{
	uint8_t key[64], next[64];
	void *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0 && n < 100000) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static void stats_clear(void)
{
	uint64_t *zero = calloc((size_t)g.ncpu, sizeof(*zero));

	for (uint32_t slot = 0; zero && slot < RSTW_STAT_MAX; slot++)
		bpf_map_update_elem(g.stats_fd, &slot, zero, BPF_ANY);
	free(zero);
}

static uint64_t stat_get(uint32_t slot)
{
	return percpu_sum(g.stats_fd, &slot);
}

static int drain(void)
{
	n_events = n_events_dropped = 0;
	ring_buffer__consume(g.rb);
	return n_events;
}

/* Before each run: no counts, no stats, no events pending. */
static void reset_state(void)
{
	hash_clear(g.wire_fd);
	hash_clear(g.counts_fd);
	hash_clear(g.svc_fd);
	stats_clear();
	drain();
}

static struct rstw_wire_key wkey(uint32_t netns, uint32_t ifindex, uint32_t dir)
{
	struct rstw_wire_key k = { .netns = netns, .ifindex = ifindex, .dir = dir };

	return k;
}

/* Where a test-run RST is counted (see the top of the file): lo, our netns. */
static struct rstw_wire_key xdp_key(void)
{
	return wkey(g.netns, g.lo, RSTW_DIR_RECEIVED);
}

static struct rstw_wire_key tc_key(void)
{
	return wkey(g.netns, g.lo, RSTW_DIR_SENT);
}

/* wire_counts holds exactly `want` with a total of n, or nothing if n == 0. */
static bool wire_is(const struct rstw_wire_key *want, uint64_t n)
{
	int keys = hash_count_keys(g.wire_fd, sizeof(*want));
	bool ok;

	if (n == 0)
		return CHECK_EQ_INT(keys, 0);
	ok = CHECK_EQ_INT(keys, 1);
	ok = CHECK_EQ_UINT(percpu_sum(g.wire_fd, want), n) && ok;
	if (!ok) {
		struct rstw_wire_key k, *prev = NULL, kk;

		while (bpf_map_get_next_key(g.wire_fd, prev, &k) == 0) {
			NOTE("wire_counts has {netns %u, ifindex %u, dir %u} = %llu", k.netns,
			     k.ifindex, k.dir, (unsigned long long)percpu_sum(g.wire_fd, &k));
			kk = k;
			prev = &kk;
		}
		NOTE("expected {netns %u, ifindex %u, dir %u} = %llu", want->netns, want->ifindex,
		     want->dir, (unsigned long long)n);
	}
	return ok;
}

/* Nothing but wire_counts changed: no fact-key count, no stat, no event. */
static bool quiet_elsewhere(void)
{
	bool ok = CHECK_EQ_INT(hash_count_keys(g.counts_fd, sizeof(struct rstw_key)), 0);

	ok = CHECK_EQ_INT(hash_count_keys(g.svc_fd, sizeof(struct rstw_service_key)), 0) && ok;
	for (uint32_t slot = 0; slot < RSTW_STAT_MAX; slot++)
		ok = CHECK_EQ_UINT(stat_get(slot), 0) && ok;
	ok = CHECK_EQ_INT(drain(), 0) && ok;
	return ok;
}

/* ------------------------------------------------------------ test runs */

static int run_xdp_fd(int fd, const uint8_t *frame, size_t len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len);
	int err = bpf_prog_test_run_opts(fd, &o);

	*retval = o.retval;
	return err;
}

static int run_xdp(const uint8_t *frame, size_t len, uint32_t *retval)
{
	return run_xdp_fd(g.xdp_fd, frame, len, retval);
}

static int run_tc_fd(int fd, const uint8_t *frame, size_t len, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len);
	int err = bpf_prog_test_run_opts(fd, &o);

	*retval = o.retval;
	return err;
}

static int run_tc(const uint8_t *frame, size_t len, uint32_t *retval)
{
	return run_tc_fd(g.tc_fd, frame, len, retval);
}

/* The three wire programs: the two ingress ones count what arrives. */
enum wire_prog { P_XDP_IN, P_TC_OUT, P_TC_IN, P__COUNT };
static const char *const prog_names[P__COUNT] = { "xdp_rst_in", "tc_rst_out", "tc_rst_in" };

/* Does BPF_PROG_TEST_RUN refuse the first len bytes of this frame (above)? */
static bool test_run_refuses(enum wire_prog prog, const struct pkt *p, size_t len)
{
	uint16_t proto = (uint16_t)(p->b[12] << 8 | p->b[13]);

	if (len < ETH_HLEN)
		return true;
	if (prog == P_XDP_IN)
		return false;
	return (proto == ETH_P_IP && len < ETH_HLEN + 20) ||
	       (proto == ETH_P_IPV6 && len < ETH_HLEN + 40);
}

/*
 * One frame (its first len bytes) through one program: the verdict, and
 * wire_counts holding exactly one count under the expected key if counted,
 * nothing otherwise; no event (see the top of the file), no other count.
 */
static bool check_run(enum wire_prog prog, const struct pkt *p, size_t len, bool counted,
		      const char *name)
{
	struct rstw_wire_key k = prog == P_TC_OUT ? tc_key() : xdp_key();
	uint32_t retval = 0;
	bool ok = true;
	int err;

	reset_state();
	err = prog == P_XDP_IN ?
		      run_xdp(p->b, len, &retval) :
		      run_tc_fd(prog == P_TC_OUT ? g.tc_fd : g.tc_in_fd, p->b, len, &retval);
	if (test_run_refuses(prog, p, len)) {
		ok = CHECK_EQ_INT(err, -EINVAL);
	} else {
		ok = CHECK_EQ_INT(err, 0) && ok;
		if (prog == P_XDP_IN)
			ok = CHECK_EQ_INT(retval, XDP_PASS_NUM) && ok;
		else
			ok = CHECK_EQ_INT((int32_t)retval, TC_ACT_UNSPEC_RET) && ok;
	}
	ok = wire_is(&k, counted ? 1 : 0) && ok;
	ok = quiet_elsewhere() && ok;
	if (!ok)
		NOTE("%s: %s, %zu of %zu bytes, expected %s", prog_names[prog], name, len, p->len,
		     counted ? "counted" : "not counted");
	return ok;
}

/* Every program, one frame: false at the first that fails. */
static bool check_runs(const struct pkt *p, size_t len, bool counted, const char *name)
{
	for (int prog = 0; prog < P__COUNT; prog++)
		if (!check_run((enum wire_prog)prog, p, len, counted, name))
			return false;
	return true;
}

TEST(whole_frames)
{
	NEED_SETUP();
	for (int id = 0; id < F_COUNT; id++) {
		struct pkt p;

		build((enum frame_id)id, &p);
		check_runs(&p, p.len, id < FIRST_NOT_COUNTED, frame_names[id]);
	}
}

/* Every truncation: counted exactly when the whole TCP header is still there. */
TEST(truncated_frames)
{
	NEED_SETUP();
	for (int id = 0; id < F_COUNT; id++) {
		struct pkt p;

		build((enum frame_id)id, &p);
		for (size_t len = 0; len <= p.len; len++) {
			bool counted = id < FIRST_NOT_COUNTED && len >= p.tcp_end;

			if (!check_runs(&p, len, counted, frame_names[id]))
				break; /* one failing length per frame is enough to read */
		}
	}
}

TEST(ipv4_ihl_every_value)
{
	NEED_SETUP();
	for (int ihl = 0; ihl <= 15; ihl++) {
		char name[32];
		struct pkt p;

		v4_tcp(&p, 0, ihl, 0, RST, 5);
		snprintf(name, sizeof(name), "ipv4 ihl %d rst", ihl);
		check_runs(&p, p.len, ihl >= 5, name);
		/* the options are part of the header: one byte short is truncated */
		if (ihl >= 5) {
			check_runs(&p, p.tcp_end - 1, false, name);
		}
	}
}

TEST(tcp_doff_every_value)
{
	NEED_SETUP();
	for (int doff = 0; doff <= 15; doff++) {
		char name[32];
		struct pkt p;

		v4_tcp(&p, 1, 5, 0, RST, doff);
		snprintf(name, sizeof(name), "vlan ipv4 rst doff %d", doff);
		check_runs(&p, p.len, doff >= 5, name);
		if (doff >= 5) {
			check_runs(&p, p.tcp_end - 1, false, name);
		}
	}
}

/* Counts add up under one key: two RSTs count 2, a SYN in between nothing. */
TEST(counts_accumulate)
{
	struct rstw_wire_key kx, kt;
	struct pkt rst, syn;
	uint32_t r;

	NEED_SETUP();
	kx = xdp_key();
	kt = tc_key();
	build(F_V4_RST, &rst);
	build(F_V4_SYN, &syn);
	reset_state();
	CHECK_EQ_INT(run_xdp(rst.b, rst.len, &r), 0);
	CHECK_EQ_INT(run_xdp(syn.b, syn.len, &r), 0);
	CHECK_EQ_INT(run_xdp(rst.b, rst.len, &r), 0);
	wire_is(&kx, 2);
	reset_state();
	CHECK_EQ_INT(run_tc(rst.b, rst.len, &r), 0);
	CHECK_EQ_INT(run_tc(syn.b, syn.len, &r), 0);
	CHECK_EQ_INT(run_tc(rst.b, rst.len, &r), 0);
	CHECK_EQ_INT(run_tc(rst.b, rst.len, &r), 0);
	wire_is(&kt, 3);
	quiet_elsewhere();
}

/*
 * A RST leaving that came in on an interface (skb_iif, the test run's
 * ingress_ifindex) was forwarded, routed or bridged: counted under
 * (netns, lo, forwarded), never as sent, no fact-key count, no event.  One
 * made here (0) or looped back on lo (1) stays sent.
 */
TEST(tc_forwarded_rst_counted_apart)
{
	static const uint32_t iifs[] = { 0, 1, 2, 9, 4096 };
	static const enum frame_id frames[] = { F_V4_RST, F_V6_RST };

	NEED_SETUP();
	for (size_t i = 0; i < sizeof(iifs) / sizeof(iifs[0]); i++) {
		for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++) {
			struct __sk_buff ctx = { .ingress_ifindex = iifs[i] };
			bool fwd = iifs[i] > 1;
			struct rstw_wire_key k =
				wkey(g.netns, g.lo, fwd ? RSTW_WIRE_FORWARDED : RSTW_DIR_SENT);
			struct pkt p;
			bool ok;

			build(frames[f], &p);
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.b,
				    .data_size_in = (__u32)p.len, .ctx_in = &ctx,
				    .ctx_size_in = sizeof(ctx));
			reset_state();
			ok = CHECK_EQ_INT(bpf_prog_test_run_opts(g.tc_fd, &o), 0);
			ok = CHECK_EQ_INT((int32_t)o.retval, TC_ACT_UNSPEC_RET) && ok;
			ok = wire_is(&k, 1) && ok;
			ok = quiet_elsewhere() && ok;
			if (!ok)
				NOTE("%s, ingress_ifindex %u", frame_names[frames[f]], iifs[i]);
		}
	}
}

/* ------------------------------------------------------------- events */

struct want_event {
	struct rstw_key key;
	uint8_t family, state, flags;
	uint16_t lport, rport;
	const uint8_t *laddr, *raddr;
	uint64_t cookie;
	uint32_t owner_pid; /* 0: no owner expected */
};

static struct rstw_key wire_key(uint32_t dir, uint32_t seen, uint32_t state)
{
	return rstw_key_of(RSTW_KIND_WIRE, dir, state, RSTW_F_SEGMENT, RSTW_SYSC_NONE,
			   RSTW_REASON_NONE, RSTW_EVID_NONE, seen);
}

/* Keys are 8 bytes without padding: equal when their bytes are. */
static bool key_is(const struct rstw_key *got, const struct rstw_key *want)
{
	if (!memcmp(got, want, sizeof(*got)))
		return true;
	NOTE("key: kind %u dir %u state %u facts %#x sysclass %u reason %u evidence %u seen %u,"
	     " want kind %u dir %u state %u facts %#x sysclass %u reason %u evidence %u seen %u",
	     got->kind, got->dir, got->state, got->facts, got->sysclass, got->reason, got->evidence,
	     got->seen, want->kind, want->dir, want->state, want->facts, want->sysclass,
	     want->reason, want->evidence, want->seen);
	return CHECK(false);
}

static bool event_is(const struct rstw_event *e, const struct want_event *w)
{
	static const uint8_t zero[32];
	size_t alen = w->family == 2 ? 4 : 16;
	bool ok = true;

	ok = CHECK_EQ_UINT(e->abi, RSTW_ABI_VERSION) && ok;
	ok = CHECK_EQ_UINT(e->size, sizeof(struct rstw_event)) && ok;
	ok = key_is(&e->key, &w->key) && ok;
	ok = CHECK_EQ_UINT(e->netns, g.netns) && ok;
	ok = CHECK_EQ_UINT(e->reason, RSTW_REASON_NONE) && ok;
	ok = CHECK_EQ_INT(e->syscall_nr, -1) && ok;
	ok = CHECK(e->ts_boot_ns != 0) && ok;
	ok = CHECK_EQ_UINT(e->family, w->family) && ok;
	ok = CHECK_EQ_UINT(e->state, w->state) && ok;
	ok = CHECK_EQ_UINT(e->tcp_flags, w->flags) && ok;
	ok = CHECK_EQ_UINT(e->lport, w->lport) && ok;
	ok = CHECK_EQ_UINT(e->rport, w->rport) && ok;
	ok = CHECK(memcmp(e->laddr, w->laddr, alen) == 0) && ok;
	ok = CHECK(memcmp(e->raddr, w->raddr, alen) == 0) && ok;
	ok = CHECK_EQ_UINT(e->cookie, w->cookie) && ok;
	/* softirq: no task on a wire event */
	ok = CHECK(memcmp(&e->cur, zero, sizeof(e->cur)) == 0) && ok;
	if (w->owner_pid) {
		ok = CHECK_EQ_UINT(e->owner_src, RSTW_OWNER_TRACKED) && ok;
		ok = CHECK_EQ_UINT(e->owner.pid, w->owner_pid) && ok;
	} else {
		ok = CHECK_EQ_UINT(e->owner_src, RSTW_OWNER_NONE) && ok;
		ok = CHECK(memcmp(&e->owner, zero, sizeof(e->owner)) == 0) && ok;
	}
	return ok;
}

/*
 * The count and the stats of n sampled events under one key: counted once,
 * under no owner's cgroup in service_counts (which has room), none in counts.
 */
static bool counted_events(struct rstw_key key, uint64_t n)
{
	struct rstw_service_key sk = { .cgroup_id = 0, .key = key };
	bool ok = CHECK_EQ_INT(hash_count_keys(g.svc_fd, sizeof(sk)), n ? 1 : 0);

	ok = CHECK_EQ_INT(hash_count_keys(g.counts_fd, sizeof(struct rstw_key)), 0) && ok;
	if (n)
		ok = CHECK_EQ_UINT(percpu_sum(g.svc_fd, &sk), n) && ok;
	ok = CHECK_EQ_UINT(stat_get(RSTW_STAT_EVENTS), n) && ok;
	ok = CHECK_EQ_UINT(stat_get(RSTW_STAT_RB_LOST), 0) && ok;
	{
		uint32_t slot = RSTW_MAP_COUNTS * RSTW_MS__COUNT + RSTW_MS_FULL;

		ok = CHECK_EQ_UINT(percpu_sum(bpf_map__fd(g.skel->maps.map_stats), &slot), 0) && ok;
	}
	return ok;
}

/* --------------------------------- XDP: a socket found, TIME_WAIT events */

static const uint8_t lo4[4] = { 127, 0, 0, 1 }, lo4_peer[4] = { 127, 0, 0, 2 };
static const uint8_t lo6[16] = { [15] = 1 };

static socklen_t sa_make(struct sockaddr_storage *ss, int family, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 2) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		memcpy(&a->sin_addr, lo4, 4);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	memcpy(&a6->sin6_addr, lo6, 16);
	return sizeof(*a6);
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					       ((struct sockaddr_in6 *)&ss)->sin6_port);
}

struct conn {
	int ls, c, a; /* listener, client, accepted */
	uint16_t lport, cport;
	uint64_t ccookie; /* the client's socket cookie */
};

static bool conn_open(struct conn *k, int family)
{
	int af = family == 2 ? AF_INET : AF_INET6;
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, family, 0);
	socklen_t clen = sizeof(k->ccookie);

	memset(k, 0, sizeof(*k));
	k->ls = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	k->c = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	k->a = -1;
	if (k->ls < 0 || k->c < 0 || bind(k->ls, (struct sockaddr *)&ss, len) || listen(k->ls, 4))
		return false;
	k->lport = local_port(k->ls);
	len = sa_make(&ss, family, k->lport);
	if (connect(k->c, (struct sockaddr *)&ss, len))
		return false;
	k->a = accept(k->ls, NULL, NULL);
	k->cport = local_port(k->c);
	if (getsockopt(k->c, SOL_SOCKET, SO_COOKIE, &k->ccookie, &clen))
		return false;
	return k->a >= 0 && k->cport && k->lport;
}

static void conn_close(struct conn *k)
{
	if (k->c >= 0)
		close(k->c);
	if (k->a >= 0)
		close(k->a);
	if (k->ls >= 0)
		close(k->ls);
	k->c = k->a = k->ls = -1;
}

/* TCP state of the socket with local port `port` in /proc/net/tcp{,6}, or -1. */
static int tcp_state(int family, uint16_t port)
{
	FILE *f = fopen(family == 2 ? "/proc/net/tcp" : "/proc/net/tcp6", "r");
	char line[512];
	int state = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int lp, st;

		if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lp, &st) == 2 &&
		    lp == port)
			state = (int)st;
	}
	fclose(f);
	return state;
}

/* The client closes first: it ends in TIME_WAIT. */
static bool conn_to_time_wait(struct conn *k, int family)
{
	char buf[16];

	close(k->c);
	k->c = -1;
	if (read(k->a, buf, sizeof(buf)) != 0)
		return false;
	close(k->a);
	k->a = -1;
	for (int i = 0; i < 200; i++) {
		if (tcp_state(family, k->cport) == TCP_TIME_WAIT_NUM)
			return true;
		usleep(5000);
	}
	return false;
}

static bool sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

/*
 * A RST for a full socket (listener, established) or for none: counted once,
 * under the receiving device's namespace, and no event (only TIME_WAIT has one).
 */
TEST(xdp_rst_with_and_without_a_socket)
{
	NEED_SETUP();
	for (int family = 2; family <= 10; family += 8) {
		const void *peer = family == 2 ? (const void *)lo4_peer : (const void *)lo6;
		const void *self = family == 2 ? (const void *)lo4 : (const void *)lo6;
		struct rstw_wire_key k = xdp_key();
		struct conn c;
		struct pkt p;
		uint32_t r;

		if (!CHECK(conn_open(&c, family))) {
			NOTE("family %d: cannot set up a connection on lo", family);
			conn_close(&c);
			continue;
		}
		/* to the listener, from a peer it does not know */
		flow_frame(&p, family, peer, self, 50000, c.lport, RST);
		reset_state();
		CHECK_EQ_INT(run_xdp(p.b, p.len, &r), 0);
		CHECK_EQ_INT(r, XDP_PASS_NUM);
		if (!wire_is(&k, 1) || !quiet_elsewhere())
			NOTE("family %d: RST to the listener", family);
		/* to the established client, from the server */
		flow_frame(&p, family, self, self, c.lport, c.cport, RST_ACK);
		reset_state();
		CHECK_EQ_INT(run_xdp(p.b, p.len, &r), 0);
		CHECK_EQ_INT(r, XDP_PASS_NUM);
		if (!wire_is(&k, 1) || !quiet_elsewhere())
			NOTE("family %d: RST to the established client", family);
		/* the same RST to a port nobody uses: no socket, the same count */
		flow_frame(&p, family, self, self, c.lport, (uint16_t)(c.cport ^ 0x4000), RST);
		reset_state();
		CHECK_EQ_INT(run_xdp(p.b, p.len, &r), 0);
		if (!wire_is(&k, 1) || !quiet_elsewhere())
			NOTE("family %d: RST to no socket", family);
		conn_close(&c);
	}
}

/*
 * A RST for a TIME_WAIT socket: one event of kind wire, class TW_KILLED with
 * tcp_rfc1337=0 and TW_KEPT with 1 (the test run passes nothing to the stack,
 * so the same TIME_WAIT socket serves both), local = the frame's destination.
 */
TEST(xdp_rst_for_time_wait_emits_event)
{
	NEED_SETUP();
	for (int family = 2; family <= 10; family += 8) {
		const uint8_t *self = family == 2 ? lo4 : lo6;
		struct rstw_wire_key k = xdp_key();
		struct rstw_task owner = { .pid = 4242, .tgid = 4242, .comm = "tw-owner" };
		struct conn c;
		struct pkt p;
		uint32_t r;

		if (!CHECK(conn_open(&c, family)) || !CHECK(conn_to_time_wait(&c, family))) {
			NOTE("family %d: cannot make a TIME_WAIT socket on lo", family);
			conn_close(&c);
			continue;
		}
		flow_frame(&p, family, self, self, c.lport, c.cport, RST);
		for (int rfc = 0; rfc <= 1; rfc++) {
			int failed = unit_cur_failed;
			uint32_t cls = rfc ? RSTW_SEEN_TW_KEPT : RSTW_SEEN_TW_KILLED;
			struct want_event w = {
				.key = wire_key(RSTW_DIR_RECEIVED, cls, TCP_TIME_WAIT_NUM),
				.family = (uint8_t)family,
				.state = TCP_TIME_WAIT_NUM,
				.flags = RST,
				.lport = c.cport,
				.rport = c.lport,
				.laddr = self,
				.raddr = self,
				.cookie = c.ccookie,
				/* the second time, the socket has a tracked owner */
				.owner_pid = rfc ? owner.pid : 0,
			};

			CHECK(sysctl_write("/proc/sys/net/ipv4/tcp_rfc1337", rfc ? "1" : "0"));
			reset_state();
			if (rfc)
				CHECK_EQ_INT(bpf_map_update_elem(bpf_map__fd(g.skel->maps.owners),
								 &c.ccookie, &owner, BPF_ANY),
					     0);
			CHECK(c.ccookie != 0);
			CHECK_EQ_INT(run_xdp(p.b, p.len, &r), 0);
			CHECK_EQ_INT(r, XDP_PASS_NUM);
			wire_is(&k, 1);
			counted_events(w.key, 1);
			if (CHECK_EQ_INT(drain(), 1))
				event_is(&events[0], &w);
			CHECK_EQ_INT(n_events_dropped, 0);
			if (unit_cur_failed != failed)
				NOTE("family %d, tcp_rfc1337=%d", family, rfc);
		}
		CHECK(sysctl_write("/proc/sys/net/ipv4/tcp_rfc1337", "0"));
		bpf_map_delete_elem(bpf_map__fd(g.skel->maps.owners), &c.ccookie);
		/* still TIME_WAIT: a test run never hands the frame to the stack */
		CHECK_EQ_INT(tcp_state(family, c.cport), TCP_TIME_WAIT_NUM);
		conn_close(&c);
	}
}

/* ------------------------------- TC: the foreign-RST event, on a real path */

static int tcx_ingress_type(void)
{
	struct btf *btf = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	const struct btf_type *t;
	const struct btf_enum *e;
	int id, val = -1;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	e = t ? btf_enum(t) : NULL;
	for (int i = 0; e && i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, e[i].name_off), "BPF_TCX_INGRESS") == 0)
			val = (int)e[i].val;
	btf__free(btf);
	return val;
}

static bool send_frame(int s, const struct pkt *p)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_ifindex = (int)g.lo,
				   .sll_halen = ETH_ALEN };

	return sendto(s, p->b, p->len, 0, (struct sockaddr *)&sll, sizeof(sll)) == (ssize_t)p->len;
}

/* Wait until want events arrived (or 2 s), then a little more for extras. */
static int collect(int want)
{
	n_events = n_events_dropped = 0;
	for (int i = 0; i < 100 && n_events < want; i++)
		ring_buffer__poll(g.rb, 20);
	usleep(50000);
	ring_buffer__consume(g.rb);
	return n_events;
}

static const struct rstw_event *event_by_lport(uint16_t lport)
{
	for (int i = 0; i < n_events; i++)
		if (events[i].lport == lport)
			return &events[i];
	return NULL;
}

/* tc_rst_out at lo's tcx ingress, and an AF_PACKET socket to feed it. */
static bool tc_ingress_attach(int *link, int *s)
{
	int type = tcx_ingress_type();

	*link = *s = -1;
	if (!CHECK(type >= 0)) {
		NOTE("this kernel's BTF has no BPF_TCX_INGRESS");
		return false;
	}
	*link = bpf_link_create(g.tc_fd, (int)g.lo, (enum bpf_attach_type)type, NULL);
	if (!CHECK(*link >= 0)) {
		NOTE("tcx ingress on lo: %s", strerror(errno));
		return false;
	}
	*s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (!CHECK(*s >= 0)) {
		NOTE("AF_PACKET: %s", strerror(errno));
		return false;
	}
	return true;
}

static void tc_ingress_detach(int link, int s)
{
	if (s >= 0)
		close(s);
	if (link >= 0)
		close(link);
}

/* The kernel's jiffies (the stack's reset mark is stamped with bpf_jiffies64()). */
static uint64_t kernel_jiffies(void)
{
	unsigned long long j = 0;
	char line[256];
	FILE *f = fopen("/proc/timer_list", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "jiffies: %llu", &j) == 1)
			break;
	fclose(f);
	return j;
}

static void stack_mark(uint16_t sport, uint16_t dport, uint64_t age_jiffies)
{
	struct {
		uint64_t ts;
		uint16_t sport, dport;
		uint32_t pad;
	} *m = calloc((size_t)g.ncpu, sizeof(*m));
	uint64_t now = kernel_jiffies();
	uint32_t zero = 0;

	if (!m)
		return;
	CHECK(now != 0);
	for (int i = 0; i < g.ncpu; i++) {
		m[i].ts = now - age_jiffies;
		m[i].sport = sport;
		m[i].dport = dport;
	}
	CHECK_EQ_INT(bpf_map_update_elem(g.stack_fd, &zero, m, BPF_ANY), 0);
	free(m);
}

/*
 * tc_rst_out at lo's tcx ingress (skb->sk == NULL there, unlike any test run):
 * a RST is counted under (netns, lo, sent) and, being nobody's, is sampled as
 * a foreign RST with local = the frame's source.  Frames that are not RSTs
 * are neither; a RST matching the stack's last reset (stack_rst, <= 10 ticks) is
 * counted but not sampled.  Each case ends with a sentinel RST from port
 * 40100 + case, so that "no event" is known to come after the frame was seen.
 */
TEST(tc_foreign_rst_event)
{
	struct rstw_wire_key k;
	int link, s;

	NEED_SETUP();
	k = tc_key(); /* lo's ingress here, but the program counts it as sent */
	if (!tc_ingress_attach(&link, &s))
		goto out;
	for (int c = 0, tries = 0; c < 6; c++) {
		bool rst = c != 2; /* the frame under test is a RST */
		bool sampled = c != 2 && c != 3;
		int family = c == 1 ? 10 : 2, failed = unit_cur_failed;
		const uint8_t *sa = family == 2 ? v4_src : v6_src;
		const uint8_t *da = family == 2 ? v4_dst : v6_dst;
		uint16_t sentinel_port = (uint16_t)(40100 + c);
		struct want_event w = {
			.key = wire_key(RSTW_DIR_SENT, RSTW_SEEN_FOREIGN_RST, 0),
			.family = (uint8_t)family,
			.flags = RST_ACK,
			.lport = SPORT,
			.rport = DPORT,
			.laddr = sa,
			.raddr = da,
		};
		struct want_event ws = w;
		const struct rstw_event *e;
		struct pkt p, sentinel;
		uint64_t began = kernel_jiffies();

		ws.family = 2;
		ws.flags = RST;
		ws.lport = sentinel_port;
		ws.laddr = v4_src;
		ws.raddr = v4_dst;
		flow_frame(&p, family, sa, da, SPORT, DPORT, rst ? RST_ACK : RSTW_TCP_SYN);
		flow_frame(&sentinel, 2, v4_src, v4_dst, sentinel_port, DPORT, RST);
		reset_state();
		stack_mark(0, 0, 0);
		if (c == 3) /* the stack has just sent this very RST */
			stack_mark(SPORT, DPORT, 0);
		if (c == 4) /* it did, 100 ticks ago: too long for the same softirq */
			stack_mark(SPORT, DPORT, 100);
		if (c == 5) /* a stack reset from the same port, to another */
			stack_mark(SPORT, DPORT + 1, 0);
		CHECK(send_frame(s, &p));
		CHECK(send_frame(s, &sentinel));
		if (c == 3 && kernel_jiffies() - began > 10 && ++tries < 5) {
			/* descheduled for ticks between mark and frame: not the case under test */
			NOTE("case 3: %d ticks between the mark and the frame, again",
			     (int)(kernel_jiffies() - began));
			collect(1);
			c--;
			continue;
		}
		CHECK_EQ_INT(collect(sampled ? 2 : 1), sampled ? 2 : 1);
		CHECK_EQ_INT(n_events_dropped, 0);
		e = event_by_lport(sentinel_port);
		if (CHECK(e != NULL))
			event_is(e, &ws);
		e = event_by_lport(SPORT);
		if (sampled && CHECK(e != NULL))
			event_is(e, &w);
		if (!sampled)
			CHECK(e == NULL);
		counted_events(w.key, sampled ? 2 : 1);
		wire_is(&k, rst ? 2 : 1);
		if (unit_cur_failed != failed)
			NOTE("case %d (%s)", c, family == 2 ? "ipv4" : "ipv6");
	}
out:
	stack_mark(0, 0, 0);
	tc_ingress_detach(link, s);
}

static void hex16(char *out, const uint8_t *b)
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static bool tail_zero(const struct rstw_event *e)
{
	static const uint8_t zero[12];
	char l[33], r[33];
	bool ok = CHECK(memcmp(e->laddr + 4, zero, 12) == 0);

	ok = CHECK(memcmp(e->raddr + 4, zero, 12) == 0) && ok;
	if (!ok) {
		hex16(l, e->laddr);
		hex16(r, e->raddr);
		NOTE("IPv4 event laddr %s raddr %s: bytes 4-15 not zero", l, r);
	}
	return ok;
}

/* --------------------------------------------- devices without a link header */

/*
 * A packet as a tun, WireGuard or ipip device hands it over: the IP header
 * first.  A TC test run still reads bytes 12-13 as an ethertype
 * (eth_type_trans) and sets skb->protocol from them, which the _l3 TC
 * programs check against the IP version: a source address whose bytes there
 * spell the ethertype (IPv4 8.0.x.x; IPv6 bytes 4-5 86dd) gives the skb the
 * protocol a real device would; MATCH false gives it the other family's.
 */
static void ip_first(struct pkt *p, int family, bool match, uint8_t flags)
{
	/* IPv4: 8.0.x.x = 0x0800, 134.221.x.x = 0x86dd */
	static const uint8_t s4[4] = { 8, 0, 2, 1 }, other4[4] = { 134, 221, 2, 1 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x86, 0xdd, [15] = 1 };

	pkt_init(p);
	p->custom = true;
	memcpy(p->saddr, family == 2 ? (match ? s4 : other4) : s6, family == 2 ? 4 : 16);
	memcpy(p->daddr, family == 2 ? v4_dst : v6_dst, family == 2 ? 4 : 16);
	if (!match && family == 10) {
		p->saddr[4] = 0x08;
		p->saddr[5] = 0x00;
	}
	p->sport = SPORT;
	p->dport = DPORT;
	if (family == 2)
		ipv4(p, 5, 6, 0);
	else
		ipv6(p, 6);
	tcp(p, flags, 5);
	pkt_done(p);
}

/* One packet through one program: counted (under KEY) or not, nothing else. */
static bool l3_run(int fd, bool xdp, struct rstw_wire_key key, const struct pkt *p, bool counted,
		   const char *what)
{
	uint32_t retval = 0;
	bool ok;

	reset_state();
	ok = CHECK_EQ_INT(xdp ? run_xdp_fd(fd, p->b, p->len, &retval) :
				run_tc_fd(fd, p->b, p->len, &retval),
			  0);
	ok = CHECK_EQ_INT((int32_t)retval, xdp ? XDP_PASS_NUM : TC_ACT_UNSPEC_RET) && ok;
	ok = wire_is(&key, counted ? 1 : 0) && ok;
	ok = quiet_elsewhere() && ok;
	if (!ok)
		NOTE("%s: expected %s", what, counted ? "counted" : "not counted");
	return ok;
}

TEST(l3_programs_parse_from_the_ip_header)
{
	struct pkt p;

	NEED_SETUP();
	for (int family = 2; family <= 10; family += 8) {
		bool v4 = family == 2;

		ip_first(&p, family, true, RST_ACK);
		l3_run(g.xdp_l3_fd, true, xdp_key(), &p, true,
		       v4 ? "xdp_l3 ipv4 rst" : "xdp_l3 ipv6 rst");
		l3_run(g.tc_l3_fd, false, tc_key(), &p, true,
		       v4 ? "tc_out_l3 ipv4 rst" : "tc_out_l3 ipv6 rst");
		l3_run(g.tc_in_l3_fd, false, xdp_key(), &p, true,
		       v4 ? "tc_in_l3 ipv4 rst" : "tc_in_l3 ipv6 rst");
		/* the Ethernet programs read it as a frame: this RST was never counted */
		l3_run(g.xdp_fd, true, xdp_key(), &p, false, "xdp_rst_in on an IP packet");
		l3_run(g.tc_fd, false, tc_key(), &p, false, "tc_rst_out on an IP packet");
		l3_run(g.tc_in_fd, false, xdp_key(), &p, false, "tc_rst_in on an IP packet");
		/* not a RST: the fast path says so */
		ip_first(&p, family, true, RSTW_TCP_ACK);
		l3_run(g.xdp_l3_fd, true, xdp_key(), &p, false, "xdp_l3 ack");
		l3_run(g.tc_l3_fd, false, tc_key(), &p, false, "tc_out_l3 ack");
		l3_run(g.tc_in_l3_fd, false, xdp_key(), &p, false, "tc_in_l3 ack");
		/* an skb protocol the IP version does not bear out: TC leaves it */
		ip_first(&p, family, false, RST);
		l3_run(g.tc_l3_fd, false, tc_key(), &p, false, "tc_out_l3, other skb protocol");
		l3_run(g.tc_in_l3_fd, false, xdp_key(), &p, false, "tc_in_l3, other skb protocol");
		l3_run(g.xdp_l3_fd, true, xdp_key(), &p, true, "xdp_l3 (no skb protocol)");
	}
	/* an Ethernet frame given to them is no IP packet: nothing is invented */
	v4_tcp(&p, 0, 5, 0, RST, 5);
	l3_run(g.xdp_l3_fd, true, xdp_key(), &p, false, "xdp_l3 on an Ethernet frame");
	l3_run(g.tc_l3_fd, false, tc_key(), &p, false, "tc_out_l3 on an Ethernet frame");
	l3_run(g.tc_in_l3_fd, false, xdp_key(), &p, false, "tc_in_l3 on an Ethernet frame");
}

/*
 * An IPv4 event has the last 12 bytes of laddr/raddr zero (rstwatch.h: IPv4
 * uses the first 4 bytes; every other event path zeroes the rest).  Both wire
 * programs parse into an uninitialised struct parsed_tcp on their stack and
 * parse_tcp_packet() writes 4 bytes of saddr/daddr for IPv4; wire_event()
 * copies all 16.  An IPv6 event just before leaves its bytes on the stack.
 */
TEST(ipv4_event_address_tails_are_zero)
{
	const struct rstw_event *e;
	struct conn c4, c6;
	int link, s;
	struct pkt p;
	uint32_t r;

	NEED_SETUP();
	/* XDP, RSTs for TIME_WAIT sockets: IPv6, then IPv4 */
	if (CHECK(conn_open(&c6, 10)) && CHECK(conn_to_time_wait(&c6, 10)) &&
	    CHECK(conn_open(&c4, 2)) && CHECK(conn_to_time_wait(&c4, 2))) {
		reset_state();
		flow_frame(&p, 10, lo6, lo6, c6.lport, c6.cport, RST);
		CHECK_EQ_INT(run_xdp(p.b, p.len, &r), 0);
		flow_frame(&p, 2, lo4, lo4, c4.lport, c4.cport, RST);
		CHECK_EQ_INT(run_xdp(p.b, p.len, &r), 0);
		CHECK_EQ_INT(drain(), 2);
		e = event_by_lport(c4.cport);
		if (CHECK(e != NULL) && CHECK_EQ_UINT(e->family, 2) && !tail_zero(e))
			NOTE("xdp_rst_in, RST for a TIME_WAIT socket");
	}
	conn_close(&c4);
	conn_close(&c6);
	/* TC, foreign RSTs: IPv6, then IPv4 */
	if (tc_ingress_attach(&link, &s)) {
		reset_state();
		flow_frame(&p, 10, v6_src, v6_dst, SPORT, DPORT, RST);
		CHECK(send_frame(s, &p));
		flow_frame(&p, 2, v4_src, v4_dst, SPORT + 1, DPORT, RST);
		CHECK(send_frame(s, &p));
		CHECK_EQ_INT(collect(2), 2);
		e = event_by_lport(SPORT + 1);
		if (CHECK(e != NULL) && CHECK_EQ_UINT(e->family, 2) && !tail_zero(e))
			NOTE("tc_rst_out, foreign RST");
	}
	tc_ingress_detach(link, s);
}
