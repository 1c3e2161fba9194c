// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* decode_event: ring buffer records are validated before anything reads them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "rstwatch.h"
#include "decode.h"

/* A reset's key, as the BPF side makes it. */
static struct rstw_key reset_key(uint32_t dir, uint32_t reason, uint32_t state, uint32_t facts,
				 uint32_t sysclass)
{
	return rstw_key_of(RSTW_KIND_RESET, dir, state, facts, sysclass, reason, RSTW_EVID_NONE,
			   RSTW_SEEN_NONE);
}

static struct rstw_event good(void)
{
	struct rstw_event e;

	memset(&e, 0, sizeof(e));
	e.abi = RSTW_ABI_VERSION;
	e.size = sizeof(e);
	e.state = 1;
	e.key = reset_key(RSTW_DIR_SENT, 1, e.state, RSTW_F_SEGMENT, RSTW_SYSC_NONE);
	e.ts_boot_ns = 123456789012345ull;
	e.cookie = 0x1122334455667788ull;
	e.netns = 4026531840u;
	e.reason = 1;
	e.family = 2;
	e.tcp_flags = RSTW_TCP_ACK | RSTW_TCP_PSH;
	e.owner_src = RSTW_OWNER_TRACKED;
	e.lport = 8080;
	e.rport = 51234;
	memcpy(e.laddr, "\x0a\x00\x00\x01", 4);
	memcpy(e.raddr, "\x0a\x00\x00\x02", 4);
	e.sk_ino = 4242;
	e.unread = 7;
	e.syscall_nr = -1;
	e.owner.pid = 100;
	e.owner.tgid = 99;
	e.owner.cgroup_id = 77;
	strcpy(e.owner.comm, "nginx");
	e.cur.pid = 200;
	e.cur.tgid = 200;
	strcpy(e.cur.comm, "swapper/0");
	return e;
}

/* Decode into an output prefilled with a pattern: a failure must leave it alone. */
static enum decode_status decode(const void *data, size_t len, struct rstw_event *out)
{
	memset(out, 0xa5, sizeof(*out));
	return decode_event(data, len, out);
}

static bool untouched(const struct rstw_event *out)
{
	const unsigned char *p = (const unsigned char *)out;

	for (size_t i = 0; i < sizeof(*out); i++)
		if (p[i] != 0xa5)
			return false;
	return true;
}

TEST(good_record)
{
	struct rstw_event in = good(), out;

	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
	CHECK(memcmp(&in, &out, sizeof(in)) == 0);
	CHECK_EQ_UINT(out.cookie, 0x1122334455667788ull);
	CHECK_EQ_INT(out.lport, 8080);
	CHECK_EQ_STR(out.owner.comm, "nginx");
	CHECK_EQ_STR(out.cur.comm, "swapper/0");
}

TEST(good_record_v6_and_no_socket)
{
	struct rstw_event in = good(), out;

	in.family = 10;
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
	/* a reset without a socket: state 0, family from the segment */
	in = good();
	in.state = 0;
	in.key = reset_key(RSTW_DIR_SENT, 1, 0, RSTW_F_SEGMENT | RSTW_F_SYN, RSTW_SYSC_NONE);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
	/* family 0 is let through (nothing known about the address) */
	in.family = 0;
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
	/* the largest state that fits the key */
	in = good();
	in.state = 15;
	in.key = reset_key(RSTW_DIR_RECEIVED, RSTW_REASON_NONE, 15, 0, 0);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
	CHECK_EQ_INT(out.state, 15);
}

TEST(null_and_short)
{
	struct rstw_event in = good(), out;

	CHECK_EQ_INT(decode(NULL, sizeof(in), &out), DECODE_SHORT);
	CHECK(untouched(&out));
	CHECK_EQ_INT(decode(NULL, 0, &out), DECODE_SHORT);
	/*
	 * A good header, then too few bytes: every length short of the
	 * struct, each in a buffer of exactly that size so that ASan sees
	 * any read past the record.
	 */
	for (size_t len = 0; len < sizeof(in); len++) {
		unsigned char *buf = malloc(len ? len : 1);
		bool ok;

		memcpy(buf, &in, len);
		ok = CHECK_EQ_INT(decode(buf, len, &out), DECODE_SHORT) && CHECK(untouched(&out));
		free(buf);
		if (!ok) {
			NOTE("len %zu", len);
			break;
		}
	}
}

TEST(wrong_abi)
{
	struct rstw_event in = good(), out;

	in.abi = RSTW_ABI_VERSION + 1;
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_ABI);
	CHECK(untouched(&out));
	in.abi = 0;
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_ABI);
	/* the ABI is known from the first 4 bytes alone */
	in.abi = 0xffff;
	CHECK_EQ_INT(decode(&in, 4, &out), DECODE_ABI);
	CHECK(untouched(&out));
}

TEST(size_field_wrong)
{
	struct rstw_event in = good(), out;
	unsigned char big[sizeof(in) + 64];

	/* claims more than it has */
	in.size = sizeof(in) + 8;
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_SHORT);
	CHECK(untouched(&out));
	/* claims less: a layout this build does not know, not to be read as ours */
	in.size = sizeof(in) - 8;
	CHECK(decode(&in, sizeof(in), &out) != DECODE_OK);
	CHECK(untouched(&out));
	in.size = 0;
	CHECK(decode(&in, sizeof(in), &out) != DECODE_OK);
	CHECK(untouched(&out));
	/* claims more, and has it: still not our layout */
	memset(big, 0, sizeof(big));
	in.size = sizeof(big);
	memcpy(big, &in, sizeof(in));
	CHECK(decode(big, sizeof(big), &out) != DECODE_OK);
	CHECK(untouched(&out));
}

TEST(len_shorter_than_size)
{
	struct rstw_event in = good(), out;

	CHECK_EQ_INT(decode(&in, sizeof(in) - 1, &out), DECODE_SHORT);
	CHECK_EQ_INT(decode(&in, sizeof(in) / 2, &out), DECODE_SHORT);
	CHECK(untouched(&out));
}

TEST(bad_family)
{
	static const uint8_t bad[] = { 1, 3, 9, 11, 17, 255 };
	struct rstw_event in = good(), out;

	for (size_t i = 0; i < sizeof(bad); i++) {
		in.family = bad[i];
		if (!CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_BAD))
			NOTE("family %u", bad[i]);
		CHECK(untouched(&out));
	}
}

TEST(bad_state)
{
	struct rstw_event in = good(), out;

	/* 16 does not fit the key's 4 bits: no key can agree with it */
	in.state = 16;
	in.key = reset_key(RSTW_DIR_SENT, 1, 0, 0, 0);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_BAD);
	CHECK(untouched(&out));
	in.state = 255;
	in.key = reset_key(RSTW_DIR_SENT, 1, 15, 0, 0);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_BAD);
	CHECK(untouched(&out));
}

TEST(key_state_mismatch)
{
	struct rstw_event in = good(), out;

	in.state = 1;
	in.key = reset_key(RSTW_DIR_SENT, 1, 2, RSTW_F_SEGMENT, RSTW_SYSC_NONE);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_BAD);
	CHECK(untouched(&out));
	in.state = 0;
	in.key = reset_key(RSTW_DIR_SENT, 1, 10, 0, 0);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_BAD);
	in.state = 10;
	in.key = reset_key(RSTW_DIR_SENT, 1, 0, 0, 0);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_BAD);
}

TEST(bad_key)
{
	/* each field of the key out of range, or at odds with its kind */
	static const struct {
		const char *what;
		struct rstw_key key;
	} bad[] = {
		{ "kind past the last", { .kind = 4, .state = 1, .reason = 1 } },
		{ "direction 2", { .dir = 2, .state = 1, .reason = 1 } },
		{ "syscall class past the last", { .state = 1, .sysclass = RSTW_SYSC__COUNT } },
		{ "evidence past the last",
		  { .state = 1, .reason = RSTW_REASON_NONE, .evidence = 5 } },
		{ "evidence beside a kernel reason", { .state = 1, .reason = 1, .evidence = 1 } },
		{ "a reset that saw a drop",
		  { .state = 1, .reason = 1, .seen = RSTW_SEEN_CHALLENGED } },
		{ "a drop without a class",
		  { .kind = RSTW_KIND_RST_DROPPED, .state = 1, .reason = RSTW_REASON_NONE } },
		{ "a drop with a kernel reset reason",
		  { .kind = RSTW_KIND_RST_DROPPED,
		    .state = 1,
		    .reason = 2,
		    .seen = RSTW_SEEN_NO_SOCKET } },
		{ "the wire with a drop class",
		  { .kind = RSTW_KIND_WIRE,
		    .state = 1,
		    .reason = RSTW_REASON_NONE,
		    .seen = RSTW_SEEN_OUT_OF_WINDOW } },
		{ "a listen drop with evidence",
		  { .kind = RSTW_KIND_LISTEN_DROP,
		    .state = 1,
		    .reason = RSTW_REASON_NONE,
		    .evidence = RSTW_EVID_LINGER2,
		    .seen = RSTW_SEEN_LISTEN_OVERFLOW } },
		{ "what was seen past the last",
		  { .kind = RSTW_KIND_WIRE,
		    .state = 1,
		    .reason = RSTW_REASON_NONE,
		    .seen = RSTW_SEEN__COUNT } },
	};
	struct rstw_event in = good(), out;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.key = bad[i].key;
		if (!CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_BAD) ||
		    !CHECK(untouched(&out)))
			NOTE("%s", bad[i].what);
	}
	/* and the same kinds made right */
	in.key = rstw_key_of(RSTW_KIND_WIRE, RSTW_DIR_RECEIVED, 1, RSTW_F_SEGMENT, RSTW_SYSC_NONE,
			     RSTW_REASON_NONE, RSTW_EVID_NONE, RSTW_SEEN_TW_KILLED);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
	in.key = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, 0, RSTW_SYSC_NONE, RSTW_REASON_NONE,
			     RSTW_EVID_KEEPALIVE, RSTW_SEEN_NONE);
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
}

TEST(comm_without_nul_is_terminated)
{
	struct rstw_event in = good(), out;

	memset(in.owner.comm, 'A', sizeof(in.owner.comm));
	memset(in.cur.comm, 'B', sizeof(in.cur.comm));
	CHECK_EQ_INT(decode(&in, sizeof(in), &out), DECODE_OK);
	CHECK_EQ_INT(out.owner.comm[RSTW_COMM_LEN - 1], '\0');
	CHECK_EQ_INT(out.cur.comm[RSTW_COMM_LEN - 1], '\0');
	CHECK_EQ_STR(out.owner.comm, "AAAAAAAAAAAAAAA");
	CHECK_EQ_STR(out.cur.comm, "BBBBBBBBBBBBBBB");
	/* the caller's buffer is not written to */
	CHECK_EQ_INT(in.owner.comm[RSTW_COMM_LEN - 1], 'A');
	/* the rest of the record is untouched by the termination */
	CHECK_EQ_UINT(out.owner.cgroup_id, 77);
	CHECK_EQ_UINT(out.cur.pid, 200);
}

TEST(longer_record_is_accepted)
{
	/* ring buffer records may be padded: trailing bytes are ignored */
	struct rstw_event in = good(), out;
	unsigned char buf[sizeof(in) + 16];

	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, &in, sizeof(in));
	CHECK_EQ_INT(decode(buf, sizeof(buf), &out), DECODE_OK);
	CHECK(memcmp(&out, &in, sizeof(in)) == 0);
	CHECK_EQ_INT(decode(buf, sizeof(in) + 1, &out), DECODE_OK);
	CHECK(memcmp(&out, &in, sizeof(in)) == 0);
}

TEST(unaligned_input)
{
	/* the record need not be aligned for struct rstw_event */
	struct rstw_event in = good(), out;
	unsigned char buf[sizeof(in) + 1];

	memcpy(buf + 1, &in, sizeof(in));
	CHECK_EQ_INT(decode(buf + 1, sizeof(in), &out), DECODE_OK);
	CHECK(memcmp(&out, &in, sizeof(in)) == 0);
}

TEST(status_strings)
{
	CHECK_EQ_STR(decode_status_str(DECODE_OK), "ok");
	CHECK(strlen(decode_status_str(DECODE_SHORT)) > 0);
	CHECK(strlen(decode_status_str(DECODE_ABI)) > 0);
	CHECK(strlen(decode_status_str(DECODE_BAD)) > 0);
	CHECK(strcmp(decode_status_str(DECODE_SHORT), decode_status_str(DECODE_ABI)) != 0);
	CHECK(strcmp(decode_status_str(DECODE_ABI), decode_status_str(DECODE_BAD)) != 0);
	CHECK(strcmp(decode_status_str(DECODE_SHORT), decode_status_str(DECODE_BAD)) != 0);
	CHECK(decode_status_str((enum decode_status)99) != NULL);
}
