// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Streaming JSON writer.  Every byte below 0x20 is escaped, and bytes that are
 * not valid UTF-8 (a process may name itself anything) become \u00XX, so the
 * output is always valid JSON whatever the kernel hands us.
 */
#include <string.h>

#include "utf8.h"
#include "json_writer.h"

/*
 * Output collects in the writer's own buffer and reaches the FILE in one
 * write per top-level value (an event is ~25 small pieces: a stdio call
 * each costs more than the piece).
 */
void jw_flush(struct jw *w)
{
	if (w->len) {
		fwrite(w->buf, 1, w->len, w->f);
		w->len = 0;
	}
}

static void out_n(struct jw *w, const char *s, size_t n)
{
	if (w->len + n > sizeof(w->buf)) {
		jw_flush(w);
		if (n > sizeof(w->buf)) {
			fwrite(s, 1, n, w->f);
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void out_c(struct jw *w, char c)
{
	if (w->len == sizeof(w->buf))
		jw_flush(w);
	w->buf[w->len++] = c;
}

static void out_s(struct jw *w, const char *s)
{
	out_n(w, s, strlen(s));
}

void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->len = 0;
}

static void jw_sep(struct jw *w)
{
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH) {
		if (w->need_comma[w->depth - 1])
			out_c(w, ',');
		w->need_comma[w->depth - 1] = true;
	}
}

static void jw_open(struct jw *w, char c)
{
	jw_sep(w);
	out_c(w, c);
	if (w->depth < JW_MAX_DEPTH)
		w->need_comma[w->depth] = false;
	w->depth++;
}

static void jw_close(struct jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	out_c(w, c);
	if (w->depth == 0)
		jw_flush(w);
}

void jw_object_begin(struct jw *w)
{
	jw_open(w, '{');
}

void jw_object_end(struct jw *w)
{
	jw_close(w, '}');
}

void jw_array_begin(struct jw *w)
{
	jw_open(w, '[');
}

void jw_array_end(struct jw *w)
{
	jw_close(w, ']');
}

size_t json_escape(char *out, size_t outsz, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0, k;
	char tmp[8];

#define PUT(c)                        \
	do {                          \
		if (o + 1 < outsz)    \
			out[o] = (c); \
		o++;                  \
	} while (0)

	while (i < n) {
		unsigned char c = p[i];
		size_t len = utf8_seq_len(p + i, n - i);
		const char *esc = NULL;

		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		if (esc) {
			for (k = 0; esc[k]; k++)
				PUT(esc[k]);
			i++;
		} else if (c < 0x20 || c == 0x7f || len == 0) {
			tmp[0] = '\\';
			tmp[1] = 'u';
			tmp[2] = '0';
			tmp[3] = '0';
			tmp[4] = hex[c >> 4];
			tmp[5] = hex[c & 0xf];
			for (k = 0; k < 6; k++)
				PUT(tmp[k]);
			i++;
		} else {
			for (k = 0; k < len; k++)
				PUT((char)p[i + k]);
			i += len;
		}
	}
#undef PUT
	if (outsz)
		out[o < outsz ? o : outsz - 1] = '\0';
	return o;
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

static void jw_raw_string(struct jw *w, const char *s, size_t n)
{
	/*
	 * Most strings (ids, addresses, explanations) need no escaping: copy
	 * and check in one pass, and escape only if a byte asks for it.
	 */
	if (w->len + n + 2 > sizeof(w->buf))
		jw_flush(w);
	if (n + 2 <= sizeof(w->buf)) {
		char *d = w->buf + w->len + 1;
		size_t i;

		for (i = 0; i < n && !needs_escape((unsigned char)s[i]); i++)
			d[i] = s[i];
		if (i == n) {
			d[-1] = '"';
			d[n] = '"';
			w->len += n + 2;
			return;
		}
	}
	char buf[512];
	size_t need = json_escape(buf, sizeof(buf), s, n);

	out_c(w, '"');
	if (need < sizeof(buf)) {
		out_s(w, buf);
	} else {
		/* long strings: escape piecewise on UTF-8 sequence boundaries */
		size_t i = 0;

		while (i < n) {
			size_t chunk = n - i < 64 ? n - i : 64;

			/* never split a UTF-8 sequence (at most 3 continuation bytes) */
			for (int k = 0; k < 3 && chunk < n - i && chunk > 1 &&
					((unsigned char)s[i + chunk] & 0xc0) == 0x80;
			     k++)
				chunk--;
			json_escape(buf, sizeof(buf), s + i, chunk);
			out_s(w, buf);
			i += chunk;
		}
	}
	out_c(w, '"');
}

void jw_key_n(struct jw *w, const char *key, size_t n)
{
	jw_sep(w);
	jw_raw_string(w, key, n);
	out_c(w, ':');
	/* the value that follows must not add another separator */
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH)
		w->need_comma[w->depth - 1] = false;
}

/* A key the program spells: quoted as it is. */
static void jw_key_lit(struct jw *w, const char *key, size_t n)
{
	jw_sep(w);
	if (w->len + n + 3 > sizeof(w->buf))
		jw_flush(w);
	if (n + 3 > sizeof(w->buf)) {
		jw_raw_string(w, key, n);
		out_c(w, ':');
	} else {
		char *d = w->buf + w->len;

		d[0] = '"';
		memcpy(d + 1, key, n);
		d[n + 1] = '"';
		d[n + 2] = ':';
		w->len += n + 3;
	}
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH)
		w->need_comma[w->depth - 1] = false;
}

static void jw_value_done(struct jw *w)
{
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH)
		w->need_comma[w->depth - 1] = true;
	else if (w->depth == 0)
		jw_flush(w); /* a value on its own is complete */
}

void jw_string(struct jw *w, const char *s)
{
	jw_string_n(w, s, s ? strlen(s) : 0);
}

void jw_string_n(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	if (!s) {
		out_n(w, "null", 4);
	} else {
		size_t len = strnlen(s, n);

		jw_raw_string(w, s, len);
	}
	jw_value_done(w);
}

/* Decimal digits of v, without printf's format parsing. */
static void put_u64(struct jw *w, uint64_t v)
{
	char buf[20];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_n(w, buf + i, sizeof(buf) - (size_t)i);
}

void jw_uint(struct jw *w, uint64_t v)
{
	jw_sep(w);
	put_u64(w, v);
	jw_value_done(w);
}

void jw_int(struct jw *w, int64_t v)
{
	jw_sep(w);
	if (v < 0) {
		out_c(w, '-');
		put_u64(w, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(w, (uint64_t)v);
	}
	jw_value_done(w);
}

void jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	out_s(w, v ? "true" : "false");
	jw_value_done(w);
}

void jw_null(struct jw *w)
{
	jw_sep(w);
	out_n(w, "null", 4);
	jw_value_done(w);
}

void jw_kv_string_n(struct jw *w, const char *key, size_t n, const char *s)
{
	jw_key_lit(w, key, n);
	if (s)
		jw_string(w, s);
	else
		jw_null(w);
}

void jw_kv_uint_n(struct jw *w, const char *key, size_t n, uint64_t v)
{
	jw_key_lit(w, key, n);
	jw_uint(w, v);
}

void jw_kv_int_n(struct jw *w, const char *key, size_t n, int64_t v)
{
	jw_key_lit(w, key, n);
	jw_int(w, v);
}

void jw_kv_null_n(struct jw *w, const char *key, size_t n)
{
	jw_key_lit(w, key, n);
	jw_null(w);
}

void jw_kv_plain_n(struct jw *w, const char *key, size_t n, const char *s)
{
	size_t len;

	if (!s) {
		jw_kv_null_n(w, key, n);
		return;
	}
	len = strlen(s);
	jw_key_lit(w, key, n);
	out_c(w, '"');
	out_n(w, s, len);
	out_c(w, '"');
	jw_value_done(w);
}
