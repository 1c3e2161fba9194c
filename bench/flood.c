// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flood - a TCP reset flood generator for the rstwatch benchmarks.
 *
 *   flood -s SRC -d DST [-p PORT] [-n COUNT] [-t SECONDS] [-b BATCH]
 *
 * Sends IPv4 SYNs from SRC to DST:PORT, a port nobody listens on, as fast as
 * it can through a raw socket (IPPROTO_TCP, IP_HDRINCL), so the peer's kernel
 * answers each one with a RST (closed_port, kernel reason NO_SOCKET).  Every
 * SYN is distinct: the source port walks 1024..65535 and the sequence number
 * counts up.  Stops after COUNT packets (default: no limit) or SECONDS
 * (default 10), whichever comes first; at least one bound must be finite.
 *
 * The raw socket would also receive every RST that comes back; a socket
 * filter that accepts nothing keeps that cost out of the measurement.
 *
 * Prints one JSON object on stdout:
 *   {"sent":N,"errors":E,"elapsed_s":S,"rate_pps":R,"src":..,"dst":..,"dport":P}
 * Exit status: 0 ok, 1 runtime error, 2 bad usage.  Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define PKT_LEN (sizeof(struct iphdr) + sizeof(struct tcphdr))
#define SPORT_MIN 1024u
#define SPORT_SPAN (65536u - SPORT_MIN)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: flood -s SRC -d DST [-p PORT] [-n COUNT] [-t SECONDS] [-b BATCH]\n"
		   "  IPv4 SYNs from SRC to DST:PORT (default 9), a closed port, as fast as\n"
		   "  possible; stops after COUNT packets or SECONDS (default 10).\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ones' complement sum of 16-bit big-endian words, not folded. */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void build_syn(uint8_t *pkt, struct in_addr src, struct in_addr dst, uint16_t sport,
		      uint16_t dport, uint32_t seq)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct tcphdr *tcp = (struct tcphdr *)(pkt + sizeof(*ip));
	uint8_t pseudo[12];
	uint32_t sum;

	memset(pkt, 0, PKT_LEN);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->tot_len = htons(PKT_LEN); /* the kernel fills in length, id, checksum */
	ip->saddr = src.s_addr;
	ip->daddr = dst.s_addr;

	tcp->source = htons(sport);
	tcp->dest = htons(dport);
	tcp->seq = htonl(seq);
	tcp->doff = sizeof(*tcp) / 4;
	tcp->syn = 1;
	tcp->window = htons(64240);

	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = 0;
	pseudo[11] = sizeof(*tcp);
	sum = csum_add(0, pseudo, sizeof(pseudo));
	sum = csum_add(sum, tcp, sizeof(*tcp));
	tcp->check = htons(csum_fold(sum));
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *out > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	static uint8_t pkts[MAX_BATCH][PKT_LEN];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iovs[MAX_BATCH];
	struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog fprog = { .len = 1, .filter = drop_all };
	unsigned long long count = 0, batch = 64, v, sent = 0, errors = 0;
	double seconds = 10.0, start, elapsed, deadline;
	struct sigaction sa = { .sa_handler = on_signal };
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct in_addr src = { 0 }, dst = { 0 };
	const char *src_s = NULL, *dst_s = NULL;
	unsigned int dport = 9, one = 1;
	uint32_t seq = 1;
	char *end;
	int fd, c;

	while ((c = getopt(argc, argv, "s:d:p:n:t:b:h")) != -1) {
		switch (c) {
		case 's':
			src_s = optarg;
			break;
		case 'd':
			dst_s = optarg;
			break;
		case 'p':
			if (parse_u64(optarg, 65535, &v) || v == 0) {
				fprintf(stderr, "flood: -p: bad port '%s'\n", optarg);
				return 2;
			}
			dport = (unsigned int)v;
			break;
		case 'n':
			if (parse_u64(optarg, ~0ULL, &count)) {
				fprintf(stderr, "flood: -n: bad count '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(seconds >= 0)) {
				fprintf(stderr, "flood: -t: bad duration '%s'\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (parse_u64(optarg, MAX_BATCH, &batch) || batch == 0) {
				fprintf(stderr, "flood: -b: batch must be 1..%d\n", MAX_BATCH);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !src_s || !dst_s) {
		usage(stderr);
		return 2;
	}
	if (inet_pton(AF_INET, src_s, &src) != 1 || inet_pton(AF_INET, dst_s, &dst) != 1) {
		fprintf(stderr, "flood: -s/-d must be IPv4 addresses\n");
		return 2;
	}
	if (seconds == 0 && count == 0) {
		fprintf(stderr, "flood: -n 0 and -t 0: nothing bounds the flood\n");
		return 2;
	}

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		fprintf(stderr, "flood: raw socket: %s (needs CAP_NET_RAW)\n", strerror(errno));
		return 1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog))) {
		fprintf(stderr, "flood: setsockopt: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	to.sin_addr = dst;
	for (unsigned int i = 0; i < MAX_BATCH; i++) {
		iovs[i].iov_base = pkts[i];
		iovs[i].iov_len = PKT_LEN;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	start = now_s();
	deadline = seconds > 0 ? start + seconds : 0;
	while (!stop && (!count || sent < count)) {
		unsigned int n = (unsigned int)batch;
		int r;

		if (count && count - sent < n)
			n = (unsigned int)(count - sent);
		for (unsigned int i = 0; i < n; i++) {
			uint64_t k = sent + i;

			build_syn(pkts[i], src, dst, (uint16_t)(SPORT_MIN + k % SPORT_SPAN),
				  (uint16_t)dport, seq + (uint32_t)k);
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "flood: sendmmsg: %s\n", strerror(errno));
				close(fd);
				return 1;
			}
			/* a full queue: the packet was not sent; try again */
			errors++;
			continue;
		}
		sent += (unsigned int)r;
		if (deadline && now_s() >= deadline)
			break;
	}
	elapsed = now_s() - start;
	close(fd);
	printf("{\"sent\":%llu,\"errors\":%llu,\"elapsed_s\":%.6f,\"rate_pps\":%.0f,"
	       "\"src\":\"%s\",\"dst\":\"%s\",\"dport\":%u}\n",
	       sent, errors, elapsed, elapsed > 0 ? (double)sent / elapsed : 0.0, src_s, dst_s,
	       dport);
	return 0;
}
