// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* json_escape and the streaming JSON writer: exact output, always valid JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "json_writer.h"

/* json_escape into a static buffer; checks the returned length on the way. */
static const char *esc_n(const char *s, size_t n)
{
	static char out[8192];
	size_t need = json_escape(out, sizeof(out), s, n);

	if (!CHECK_EQ_UINT(need, strlen(out)))
		NOTE("json_escape returned a length that is not the output's");
	return out;
}

static const char *esc(const char *s)
{
	return esc_n(s, strlen(s));
}

/* Capture what the writer prints. */
struct cap {
	char *buf;
	size_t len;
	FILE *f;
	struct jw w;
};

static struct jw *cap_begin(struct cap *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f)
		abort();
	jw_init(&c->w, c->f);
	return &c->w;
}

/* Ends the capture, compares, frees. */
#define CAP_CHECK(c, want)                             \
	do {                                           \
		jw_flush(&(c)->w);                     \
		fclose((c)->f);                        \
		CHECK_EQ_STR((c)->buf, (want));        \
		CHECK_EQ_UINT((c)->len, strlen(want)); \
		free((c)->buf);                        \
	} while (0)

TEST(escape_plain)
{
	CHECK_EQ_STR(esc(""), "");
	CHECK_EQ_STR(esc("hello world"), "hello world");
	CHECK_EQ_STR(esc("a\"b"), "a\\\"b");
	CHECK_EQ_STR(esc("a\\b"), "a\\\\b");
	CHECK_EQ_STR(esc("\"\\\"\\"), "\\\"\\\\\\\"\\\\");
	CHECK_EQ_STR(esc("/path/to/x"), "/path/to/x");
	CHECK_EQ_STR(esc("line1\nline2\r\n\tx"), "line1\\nline2\\r\\n\\tx");
}

TEST(escape_printable_ascii_unchanged)
{
	for (int c = 0x20; c < 0x7f; c++) {
		char in[2] = { (char)c, 0 };
		const char *out = esc(in);

		if (c == '"' || c == '\\') {
			char want[3] = { '\\', (char)c, 0 };

			CHECK_EQ_STR(out, want);
		} else if (!CHECK_EQ_STR(out, in)) {
			NOTE("byte 0x%02x", c);
		}
	}
}

TEST(escape_every_control_byte)
{
	static const char shorts[] = {
		['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'
	};

	for (int c = 0; c <= 0x7f; c++) {
		char in[1] = { (char)c }, lower[8], upper[8], shrt[3] = { 0 };
		const char *out;

		if (c >= 0x20 && c < 0x7f)
			continue;
		out = esc_n(in, 1);
		snprintf(lower, sizeof(lower), "\\u%04x", c);
		snprintf(upper, sizeof(upper), "\\u%04X", c);
		if (c < (int)sizeof(shorts) && shorts[c]) {
			shrt[0] = '\\';
			shrt[1] = shorts[c];
		}
		if (!CHECK(strcmp(out, lower) == 0 || strcmp(out, upper) == 0 ||
			   (shrt[0] && strcmp(out, shrt) == 0)))
			NOTE("byte 0x%02x escaped as \"%s\"", c, out);
	}
	/* and exactly, as this writer spells them */
	CHECK_EQ_STR(esc_n("\x00\x01\x1f\x7f\x08\x0c", 6),
		     "\\u0000\\u0001\\u001f\\u007f\\u0008\\u000c");
	CHECK_EQ_STR(esc_n("a\0b", 3), "a\\u0000b");
	CHECK_EQ_STR(esc("\x1b[31mred\x1b[0m"), "\\u001b[31mred\\u001b[0m");
}

TEST(escape_valid_utf8_kept)
{
	static const char *const ok[] = {
		"\xc3\xa9", /* U+00E9 */
		"\xc2\x80", /* U+0080, smallest 2-byte */
		"\xdf\xbf", /* U+07FF */
		"\xe0\xa0\x80", /* U+0800, smallest 3-byte */
		"\xe2\x82\xac", /* U+20AC */
		"\xed\x9f\xbf", /* U+D7FF, below the surrogates */
		"\xee\x80\x80", /* U+E000, above the surrogates */
		"\xef\xbf\xbf", /* U+FFFF */
		"\xf0\x90\x80\x80", /* U+10000, smallest 4-byte */
		"\xf0\x9f\x98\x80", /* U+1F600 */
		"\xf4\x8f\xbf\xbf", /* U+10FFFF, the last */
		"caf\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80!",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!CHECK_EQ_STR(esc(ok[i]), ok[i]))
			NOTE("case %zu", i);
}

TEST(escape_invalid_utf8)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "\x80", "\\u0080" }, /* lone continuation byte */
		{ "\xbf", "\\u00bf" },
		{ "\xff", "\\u00ff" },
		{ "\xfe", "\\u00fe" },
		{ "a\xffz", "a\\u00ffz" },
		{ "\xe2\x82", "\\u00e2\\u0082" }, /* truncated at the end */
		{ "\xe2\x82"
		  "A",
		  "\\u00e2\\u0082A" }, /* truncated by ASCII */
		{ "\xf0\x9f\x98", "\\u00f0\\u009f\\u0098" },
		{ "\xc3", "\\u00c3" },
		{ "\xc3\xc3\xa9", "\\u00c3\xc3\xa9" }, /* bad lead, then a good one */
		{ "\xc0\xaf", "\\u00c0\\u00af" }, /* overlong '/' */
		{ "\xc1\xbf", "\\u00c1\\u00bf" }, /* overlong */
		{ "\xe0\x80\xaf", "\\u00e0\\u0080\\u00af" }, /* overlong 3-byte */
		{ "\xf0\x80\x80\xaf", "\\u00f0\\u0080\\u0080\\u00af" }, /* overlong 4-byte */
		{ "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080" }, /* surrogate U+D800 */
		{ "\xed\xbf\xbf", "\\u00ed\\u00bf\\u00bf" }, /* surrogate U+DFFF */
		{ "\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080" }, /* U+110000 */
		{ "\xf5\x80\x80\x80", "\\u00f5\\u0080\\u0080\\u0080" },
		{ "\xf8\x88\x80\x80\x80", "\\u00f8\\u0088\\u0080\\u0080\\u0080" }, /* 5-byte form */
		{ "\xe2\x28\xa1", "\\u00e2(\\u00a1" }, /* bad continuation */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!CHECK_EQ_STR(esc(cases[i].in), cases[i].want))
			NOTE("case %zu", i);
}

TEST(escape_length_and_truncation)
{
	char out[8];
	size_t n;

	/* sizing call: no buffer */
	CHECK_EQ_UINT(json_escape(NULL, 0, "a\"b\x01", 4), 1 + 2 + 1 + 6);
	CHECK_EQ_UINT(json_escape(NULL, 0, "", 0), 0);
	/* short buffer: NUL-terminated, never overrun, full length returned */
	memset(out, 'x', sizeof(out));
	n = json_escape(out, 4, "abcdef", 6);
	CHECK_EQ_UINT(n, 6);
	CHECK_EQ_STR(out, "abc");
	CHECK_EQ_INT(out[4], 'x');
	memset(out, 'x', sizeof(out));
	n = json_escape(out, 1, "abc", 3);
	CHECK_EQ_UINT(n, 3);
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(out[1], 'x');
	/* exactly enough */
	n = json_escape(out, 7, "\x01", 1);
	CHECK_EQ_UINT(n, 6);
	CHECK_EQ_STR(out, "\\u0001");
	/* one short */
	n = json_escape(out, 6, "\x01", 1);
	CHECK_EQ_UINT(n, 6);
	CHECK_EQ_UINT(strlen(out), 5);
}

TEST(writer_scalars)
{
	struct cap c;
	struct jw *w = cap_begin(&c);

	jw_object_begin(w);
	jw_kv_string(w, "s", "x y");
	jw_kv_uint(w, "u", 42);
	jw_kv_uint(w, "umax", UINT64_MAX);
	jw_kv_int(w, "i", -5);
	jw_kv_int(w, "imin", INT64_MIN);
	jw_kv_null(w, "n");
	jw_kv_string(w, "ns", NULL);
	jw_key(w, "t");
	jw_bool(w, true);
	jw_key(w, "f");
	jw_bool(w, false);
	jw_key(w, "e");
	jw_string(w, "");
	jw_object_end(w);
	CAP_CHECK(&c, "{\"s\":\"x y\",\"u\":42,\"umax\":18446744073709551615,\"i\":-5,"
		      "\"imin\":-9223372036854775808,\"n\":null,\"ns\":null,\"t\":true,"
		      "\"f\":false,\"e\":\"\"}");
}

TEST(writer_nesting_and_commas)
{
	struct cap c;
	struct jw *w = cap_begin(&c);

	jw_object_begin(w);
	jw_kv_uint(w, "a", 1);
	jw_key(w, "o");
	jw_object_begin(w);
	jw_kv_string(w, "k", "v");
	jw_key(w, "empty");
	jw_object_begin(w);
	jw_object_end(w);
	jw_object_end(w);
	jw_key(w, "arr");
	jw_array_begin(w);
	jw_uint(w, 1);
	jw_string(w, "two");
	jw_null(w);
	jw_string(w, NULL);
	jw_array_begin(w);
	jw_array_end(w);
	jw_object_begin(w);
	jw_kv_int(w, "x", 0);
	jw_object_end(w);
	jw_array_begin(w);
	jw_bool(w, true);
	jw_array_begin(w);
	jw_int(w, -1);
	jw_array_end(w);
	jw_array_end(w);
	jw_array_end(w);
	jw_kv_uint(w, "z", 9);
	jw_object_end(w);
	CAP_CHECK(&c, "{\"a\":1,\"o\":{\"k\":\"v\",\"empty\":{}},"
		      "\"arr\":[1,\"two\",null,null,[],{\"x\":0},[true,[-1]]],\"z\":9}");
}

TEST(writer_top_level_lines)
{
	/* one object per line: no separator between top-level values */
	struct cap c;
	struct jw *w = cap_begin(&c);

	jw_object_begin(w);
	jw_kv_uint(w, "a", 1);
	jw_object_end(w);
	fputc('\n', c.f);
	jw_object_begin(w);
	jw_kv_uint(w, "b", 2);
	jw_object_end(w);
	fputc('\n', c.f);
	CAP_CHECK(&c, "{\"a\":1}\n{\"b\":2}\n");
	CHECK_EQ_INT(c.w.depth, 0);
}

TEST(writer_max_depth)
{
	struct cap c;
	struct jw *w = cap_begin(&c);

	for (int i = 0; i < JW_MAX_DEPTH; i++)
		jw_array_begin(w);
	jw_uint(w, 1);
	jw_uint(w, 2);
	for (int i = 0; i < JW_MAX_DEPTH; i++)
		jw_array_end(w);
	CAP_CHECK(&c, "[[[[[[[[1,2]]]]]]]]");
	CHECK_EQ_INT(JW_MAX_DEPTH, 8);
}

TEST(writer_escapes_keys_and_values)
{
	struct cap c;
	struct jw *w = cap_begin(&c);

	jw_object_begin(w);
	jw_key(w, "k\"ey\n"); /* jw_kv_* keys are the program's literals; jw_key escapes */
	jw_string(w, "v\\al\x01\xff\xc3\xa9");
	jw_object_end(w);
	CAP_CHECK(&c, "{\"k\\\"ey\\n\":\"v\\\\al\\u0001\\u00ff\xc3\xa9\"}");
}

TEST(writer_comm_without_nul)
{
	struct cap c;
	struct jw *w;
	/* exactly 16 bytes, no terminator: ASan catches any read past it */
	char *comm = malloc(16);

	memcpy(comm, "abcdefghijklmnop", 16);
	w = cap_begin(&c);
	jw_string_n(w, comm, 16);
	CAP_CHECK(&c, "\"abcdefghijklmnop\"");

	/* a NUL inside ends the string */
	memcpy(comm, "nginx\0garbage!!!", 16);
	w = cap_begin(&c);
	jw_string_n(w, comm, 16);
	CAP_CHECK(&c, "\"nginx\"");

	/* hostile bytes in a comm */
	memcpy(comm, "\"x\\\n\x7f\xff\xe2\x82\xac\x01zzzzz", 16);
	w = cap_begin(&c);
	jw_object_begin(w);
	jw_key(w, "comm");
	jw_string_n(w, comm, 16);
	jw_object_end(w);
	CAP_CHECK(&c, "{\"comm\":\"\\\"x\\\\\\n\\u007f\\u00ff\xe2\x82\xac\\u0001zzzzz\"}");

	/* a multi-byte sequence cut by the end of the buffer */
	memcpy(comm, "aaaaaaaaaaaaaa\xe2\x82", 16);
	w = cap_begin(&c);
	jw_string_n(w, comm, 16);
	CAP_CHECK(&c, "\"aaaaaaaaaaaaaa\\u00e2\\u0082\"");

	/* n = 0 and a NULL string */
	w = cap_begin(&c);
	jw_array_begin(w);
	jw_string_n(w, comm, 0);
	jw_string_n(w, NULL, 16);
	jw_array_end(w);
	CAP_CHECK(&c, "[\"\",null]");
	free(comm);
}

/* A long string made of pieces whose escapes are known, crossing every chunk boundary. */
TEST(writer_long_string)
{
	static const struct {
		const char *in;
		const char *out;
	} pieces[] = {
		{ "a", "a" },
		{ "\"", "\\\"" },
		{ "\\", "\\\\" },
		{ "\n", "\\n" },
		{ "\x01", "\\u0001" },
		{ "\xc3\xa9", "\xc3\xa9" },
		{ "\xe2\x82\xac", "\xe2\x82\xac" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
		{ "\xff", "\\u00ff" },
		{ "\x80", "\\u0080" },
		{ "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080" },
		{ "xyz", "xyz" },
	};
	size_t np = sizeof(pieces) / sizeof(pieces[0]);
	char *in = malloc(8192), *want = malloc(32768), *oneshot = malloc(32768);
	size_t il = 0, wl = 0;
	struct cap c;
	struct jw *w;

	want[wl++] = '"';
	/* a prime stride so pieces land on every offset of a chunk */
	for (size_t i = 0; il < 3000; i = (i + 7) % np) {
		size_t a = strlen(pieces[i].in), b = strlen(pieces[i].out);

		memcpy(in + il, pieces[i].in, a);
		il += a;
		memcpy(want + wl, pieces[i].out, b);
		wl += b;
	}
	want[wl++] = '"';
	want[wl] = '\0';
	in[il] = '\0';
	CHECK(wl > 1024);

	w = cap_begin(&c);
	jw_string_n(w, in, il);
	CAP_CHECK(&c, want);

	/* json_escape in one go agrees */
	CHECK_EQ_UINT(json_escape(oneshot, 32768, in, il), wl - 2);
	want[wl - 1] = '\0';
	CHECK_EQ_STR(oneshot, want + 1);

	/* 600 plain bytes: just over the writer's 512-byte buffer */
	memset(in, 'q', 600);
	in[600] = '\0';
	w = cap_begin(&c);
	jw_string(w, in);
	want[0] = '"';
	memset(want + 1, 'q', 600);
	strcpy(want + 601, "\"");
	CAP_CHECK(&c, want);

	/* exactly at the buffer: 511 and 512 escaped bytes */
	for (size_t len = 505; len <= 520; len++) {
		memset(in, 'r', len);
		in[len] = '\0';
		w = cap_begin(&c);
		jw_string(w, in);
		want[0] = '"';
		memset(want + 1, 'r', len);
		strcpy(want + 1 + len, "\"");
		CAP_CHECK(&c, want);
	}
	free(in);
	free(want);
	free(oneshot);
}

/* Each multi-byte sequence at every offset of the writer's chunks stays whole. */
TEST(writer_long_string_sequence_at_every_offset)
{
	static const char *const seqs[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	char *in = malloc(1024), *want = malloc(1024);

	for (size_t q = 0; q < sizeof(seqs) / sizeof(seqs[0]); q++) {
		size_t sl = strlen(seqs[q]);

		for (size_t off = 0; off < 140; off++) {
			struct cap c;
			struct jw *w;
			size_t n = 0;

			/* \u0001 on the end: escaped length well over the 512-byte buffer */
			memset(in, 'a', off);
			n = off;
			memcpy(in + n, seqs[q], sl);
			n += sl;
			memset(in + n, '\x01', 100);
			n += 100;
			in[n] = '\0';
			n = 0;
			want[n++] = '"';
			memset(want + n, 'a', off);
			n += off;
			memcpy(want + n, seqs[q], sl);
			n += sl;
			for (int k = 0; k < 100; k++, n += 6)
				memcpy(want + n, "\\u0001", 6);
			want[n++] = '"';
			want[n] = '\0';

			w = cap_begin(&c);
			jw_string(w, in);
			fclose(c.f);
			if (!CHECK_EQ_STR(c.buf, want)) {
				NOTE("%zu-byte sequence at offset %zu", sl, off);
				free(c.buf);
				goto out;
			}
			free(c.buf);
		}
	}
out:
	free(in);
	free(want);
}

/*
 * A long string escapes like a short one: the piecewise path must not split a
 * valid UTF-8 sequence.  Here a valid 3-byte sequence (U+2000) is followed by
 * more than 64 stray continuation bytes.
 */
TEST(writer_long_string_keeps_valid_sequences)
{
	char *in = malloc(1024), *inner = malloc(8192), *want = malloc(8192);
	size_t il = 0, wl = 0;
	struct cap c;
	struct jw *w;

	in[il++] = '\xe2';
	for (int i = 0; i < 70; i++)
		in[il++] = '\x80';
	memset(in + il, 'a', 500);
	il += 500;
	in[il] = '\0';

	memcpy(inner + wl, "\xe2\x80\x80", 3); /* U+2000 is valid, kept */
	wl += 3;
	for (int i = 0; i < 68; i++) {
		memcpy(inner + wl, "\\u0080", 6);
		wl += 6;
	}
	memset(inner + wl, 'a', 500);
	wl += 500;
	inner[wl] = '\0';
	snprintf(want, 8192, "\"%s\"", inner);

	/* what json_escape does with the whole string */
	CHECK_EQ_STR(esc(in), inner);

	w = cap_begin(&c);
	jw_string(w, in);
	CAP_CHECK(&c, want);
	free(in);
	free(inner);
	free(want);
}
