// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Shared formatting (user/format.c): the names and numbers both sinks print. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"

#include "format.h"

TEST(tcp_state_names)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED",	 [2] = "SYN_SENT",  [3] = "SYN_RECV", [4] = "FIN_WAIT1",
		[5] = "FIN_WAIT2",	 [6] = "TIME_WAIT", [7] = "CLOSE",    [8] = "CLOSE_WAIT",
		[9] = "LAST_ACK",	 [10] = "LISTEN",   [11] = "CLOSING", [12] = "NEW_SYN_RECV",
		[13] = "BOUND_INACTIVE",
	};

	for (unsigned int s = 1; s < sizeof(names) / sizeof(names[0]); s++)
		if (!CHECK_EQ_STR(tcp_state_name(s), names[s]))
			NOTE("state %u", s);
	/* 0: no socket */
	CHECK(tcp_state_name(0) == NULL);
	/* out of range: a name, never a read past the table */
	CHECK_EQ_STR(tcp_state_name(14), "UNKNOWN");
	CHECK_EQ_STR(tcp_state_name(15), "UNKNOWN");
	CHECK_EQ_STR(tcp_state_name(255), "UNKNOWN");
	CHECK_EQ_STR(tcp_state_name(~0u), "UNKNOWN");
}

static void addr(uint8_t a[16], const char *bytes, size_t n)
{
	/* junk after the address: format_addr must ignore it for IPv4 */
	memset(a, 0xee, 16);
	memcpy(a, bytes, n);
}

TEST(format_addr_v4)
{
	uint8_t a[16];
	char buf[ADDR_STR_LEN];

	addr(a, "\xc0\x00\x02\x01", 4);
	format_addr(2, a, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "192.0.2.1");
	addr(a, "\x00\x00\x00\x00", 4);
	format_addr(2, a, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "0.0.0.0");
	addr(a, "\xff\xff\xff\xff", 4);
	format_addr(2, a, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "255.255.255.255");
	addr(a, "\x7f\x00\x00\x01", 4);
	format_addr(2, a, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "127.0.0.1");
}

TEST(format_addr_v6)
{
	static const struct {
		const char *bytes;
		const char *want;
	} cases[] = {
		{ "\xfd\x77\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", "fd77::1" },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "::" },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", "::1" },
		{ "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", "2001:db8::" },
		{ "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\x01\0\x02", "fe80::1:2" },
		{ "\x20\x01\x0d\xb8\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06", "2001:db8:1:2:3:4:5:6" },
		/* the longest run of zeros is the one compressed */
		{ "\x20\x01\x0d\xb8\0\0\0\x01\0\0\0\0\0\0\0\x01", "2001:db8:0:1::1" },
		{ "\x20\x01\x0d\xb8\0\0\0\0\0\x01\0\0\0\0\0\x01", "2001:db8::1:0:0:1" },
		/* v4-mapped */
		{ "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01", "::ffff:192.0.2.1" },
		{ "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	};
	uint8_t a[16];
	char buf[ADDR_STR_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(a, cases[i].bytes, 16);
		memset(buf, 'x', sizeof(buf));
		format_addr(10, a, buf, sizeof(buf));
		if (!CHECK_EQ_STR(buf, cases[i].want))
			NOTE("case %zu", i);
	}
}

TEST(format_addr_other_family_and_short_buffers)
{
	uint8_t a[16];
	char buf[ADDR_STR_LEN];

	addr(a, "\xc0\x00\x02\x01", 4);
	for (int fam = 0; fam < 64; fam++) {
		if (fam == 2 || fam == 10)
			continue;
		memset(buf, 'x', sizeof(buf));
		format_addr(fam, a, buf, sizeof(buf));
		if (!CHECK_EQ_STR(buf, ""))
			NOTE("family %d", fam);
	}
	/* too small: empty, terminated, nothing past len written */
	memset(buf, 'x', sizeof(buf));
	format_addr(2, a, buf, 5);
	CHECK_EQ_STR(buf, "");
	CHECK_EQ_INT(buf[5], 'x');
	memset(a, 0xff, 16);
	memset(buf, 'x', sizeof(buf));
	format_addr(10, a, buf, 20);
	CHECK_EQ_STR(buf, "");
	CHECK_EQ_INT(buf[20], 'x');
	/* exactly enough */
	addr(a, "\xc0\x00\x02\x01", 4);
	format_addr(2, a, buf, 10);
	CHECK_EQ_STR(buf, "192.0.2.1");
	/* len 0: nothing written */
	memset(buf, 'x', sizeof(buf));
	format_addr(2, a, buf, 0);
	CHECK_EQ_INT(buf[0], 'x');
}

TEST(format_endpoints)
{
	uint8_t a[16];
	char buf[64];

	addr(a, "\xc0\x00\x02\x01", 4);
	format_endpoint(2, a, 80, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "192.0.2.1:80");
	addr(a, "\0\0\0\0", 4);
	format_endpoint(2, a, 65535, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "0.0.0.0:65535");
	memcpy(a, "\xfd\x77\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	format_endpoint(10, a, 443, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[fd77::1]:443");
	memset(a, 0, 16);
	format_endpoint(10, a, 0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[::]:0");
	memset(a, 0xff, 16);
	format_endpoint(10, a, 65535, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	memcpy(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x01", 16);
	format_endpoint(10, a, 8080, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[::ffff:10.0.0.1]:8080");
	/* truncated, terminated, bounded */
	addr(a, "\xc0\x00\x02\x01", 4);
	memset(buf, 'x', sizeof(buf));
	format_endpoint(2, a, 80, buf, 8);
	CHECK_EQ_STR(buf, "192.0.2");
	CHECK_EQ_INT(buf[8], 'x');
}

TEST(rfc3339)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000000Z" },
		{ 1, "1970-01-01T00:00:00.000000001Z" },
		{ 999999999, "1970-01-01T00:00:00.999999999Z" },
		{ 1000000000, "1970-01-01T00:00:01.000000000Z" },
		{ 1234567890000000001ull, "2009-02-13T23:31:30.000000001Z" },
		{ 1795319302123456789ull, "2026-11-22T03:48:22.123456789Z" },
		{ 1709208000999999999ull, "2024-02-29T12:00:00.999999999Z" },
		{ 946684799500000000ull, "1999-12-31T23:59:59.500000000Z" },
		{ 4107542400000000000ull, "2100-03-01T00:00:00.000000000Z" },
		{ 9223372036854775808ull, "2262-04-11T23:47:16.854775808Z" },
		{ UINT64_MAX, "2554-07-21T23:34:33.709551615Z" },
	};
	char buf[64];

	/* UTC whatever the local zone */
	setenv("TZ", "EST5EDT", 1);
	tzset();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		format_rfc3339(cases[i].ns, buf, sizeof(buf));
		if (!CHECK_EQ_STR(buf, cases[i].want))
			NOTE("ns %llu", (unsigned long long)cases[i].ns);
	}
	/* truncated, terminated, bounded */
	memset(buf, 'x', sizeof(buf));
	format_rfc3339(0, buf, 11);
	CHECK_EQ_STR(buf, "1970-01-01");
	CHECK_EQ_INT(buf[11], 'x');
	/* exactly enough */
	format_rfc3339(1795319302123456789ull, buf, 31);
	CHECK_EQ_STR(buf, "2026-11-22T03:48:22.123456789Z");
	unsetenv("TZ");
	tzset();
}

TEST(hms_is_local_time)
{
	char buf[16];

	setenv("TZ", "UTC0", 1);
	tzset();
	format_hms(1795319302123456789ull, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "03:48:22");
	setenv("TZ", "EST5", 1);
	tzset();
	format_hms(1795319302123456789ull, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "22:48:22");
	format_hms(0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "19:00:00");
	unsetenv("TZ");
	tzset();
}

TEST(hms_short_buffer_is_terminated)
{
	/*
	 * Like every other formatter here, a buffer too small gives a
	 * terminated string: strftime() leaves it unterminated on overflow.
	 */
	char buf[16];

	setenv("TZ", "UTC0", 1);
	tzset();
	memset(buf, 'x', sizeof(buf));
	format_hms(0, buf, 5);
	CHECK(memchr(buf, '\0', 5) != NULL);
	CHECK_EQ_INT(buf[5], 'x');
	unsetenv("TZ");
	tzset();
}

/* Names from anyone reach terminals: nothing in them may move the cursor or retitle the window. */
TEST(safe_text_escapes_controls_and_bad_utf8)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
		{ "nginx", "nginx" },
		{ "\033]2;owned\a", "\\x1b]2;owned\\x07" },
		{ "a\nb\rc\td", "a\\x0ab\\x0dc\\x09d" },
		{ "del\x7f", "del\\x7f" },
		{ "back\\slash", "back\\x5cslash" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" }, /* valid UTF-8 stays */
		{ "\xe2\x82\xac", "\xe2\x82\xac" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
		{ "\xc2\x9b"
		  "31m",
		  "\\xc2\\x9b31m" }, /* C1 CSI in UTF-8 */
		{ "\x9b"
		  "31m",
		  "\\x9b31m" }, /* 8-bit CSI: not UTF-8 */
		{ "\xff.service", "\\xff.service" },
		{ "\xc3", "\\xc3" }, /* cut sequence */
		{ "\xc0\xaf", "\\xc0\\xaf" }, /* overlong '/' */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" }, /* past U+10FFFF */
		{ "", "" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!CHECK_EQ_STR(format_safe(rows[i].in, buf, sizeof(buf)), rows[i].want))
			NOTE("row %zu", i);
	/* cut to fit: a whole escape or character, never half of one */
	CHECK_EQ_STR(format_safe("ab\033cd", buf, 6), "ab");
	CHECK_EQ_STR(format_safe("ab\033cd", buf, 7), "ab\\x1b");
	CHECK_EQ_STR(format_safe("a\xc3\xa9", buf, 3), "a");
	CHECK_EQ_STR(format_safe("abc", buf, 1), "");
}
