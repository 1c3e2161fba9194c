// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utf8.h"
#include "format.h"

static const char *const tcp_states[] = {
	[1] = "ESTABLISHED",	 [2] = "SYN_SENT",  [3] = "SYN_RECV", [4] = "FIN_WAIT1",
	[5] = "FIN_WAIT2",	 [6] = "TIME_WAIT", [7] = "CLOSE",    [8] = "CLOSE_WAIT",
	[9] = "LAST_ACK",	 [10] = "LISTEN",   [11] = "CLOSING", [12] = "NEW_SYN_RECV",
	[13] = "BOUND_INACTIVE",
};

const char *tcp_state_name(unsigned int state)
{
	if (state >= sizeof(tcp_states) / sizeof(tcp_states[0]))
		return "UNKNOWN";
	return tcp_states[state];
}

void format_addr(int family, const uint8_t addr[16], char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if (family == 2 && len >= INET_ADDRSTRLEN) {
		/* every event has two: inet_ntop goes through sprintf */
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			unsigned int b = addr[i];

			if (b >= 100)
				*p++ = (char)('0' + b / 100);
			if (b >= 10)
				*p++ = (char)('0' + b / 10 % 10);
			*p++ = (char)('0' + b % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
	} else if (family == 2)
		inet_ntop(AF_INET, addr, buf, len);
	else if (family == 10)
		inet_ntop(AF_INET6, addr, buf, len);
}

void format_endpoint(int family, const uint8_t addr[16], uint16_t port, char *buf, size_t len)
{
	char a[ADDR_STR_LEN];

	format_addr(family, addr, a, sizeof(a));
	if (family == 10)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}

void format_rfc3339(uint64_t realtime_ns, char *buf, size_t len)
{
	/* events come in bursts within one second: format its date once */
	static __thread time_t cached_sec = -1;
	static __thread char date[32];
	time_t sec = (time_t)(realtime_ns / 1000000000ull);
	uint32_t ns = (uint32_t)(realtime_ns % 1000000000ull);
	size_t n;

	if (sec != cached_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		if (strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
			date[0] = '\0';
		cached_sec = sec;
	}
	n = strlen(date);
	if (len < n + 12) { /* ".123456789Z" and the NUL */
		snprintf(buf, len, "%s.%09uZ", date, ns);
		return;
	}
	memcpy(buf, date, n);
	buf[n] = '.';
	for (int i = 9; i >= 1; i--, ns /= 10)
		buf[n + (size_t)i] = (char)('0' + ns % 10);
	buf[n + 10] = 'Z';
	buf[n + 11] = '\0';
}

void format_hms(uint64_t realtime_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(realtime_ns / 1000000000ull);
	struct tm tm;

	if (len == 0)
		return;
	localtime_r(&sec, &tm);
	if (strftime(buf, len, "%H:%M:%S", &tm) == 0)
		buf[0] = '\0'; /* too small: contents undefined otherwise */
}

const char *format_safe(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (len == 0)
		return buf;
	while (*p) {
		size_t n = utf8_seq_len(p, strnlen((const char *)p, 4));
		/* C0, DEL and C1 (U+0080..U+009F: 0xc2 0x80..0x9f) move terminals */
		bool control = n == 1 ? *p < 0x20 || *p == 0x7f || *p == '\\' :
					n == 2 && p[0] == 0xc2 && p[1] < 0xa0;

		if (n && !control) {
			if (o + n >= len)
				break;
			memcpy(buf + o, p, n);
			o += n;
			p += n;
			continue;
		}
		/* an invalid byte alone, or each byte of a control character */
		for (size_t i = 0; i < (n ? n : 1); i++) {
			if (o + 4 >= len)
				goto out;
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", p[i]);
		}
		p += n ? n : 1;
	}
out:
	buf[o] = '\0';
	return buf;
}
