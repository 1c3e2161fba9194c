/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A small streaming JSON writer: one object per line, always valid output. */
#ifndef RSTW_JSON_WRITER_H
#define RSTW_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JW_MAX_DEPTH 8
#define JW_BUF 2048

struct jw {
	FILE *f;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	size_t len; /* bytes waiting in buf */
	char buf[JW_BUF];
};

void jw_init(struct jw *w, FILE *f);
/* Write what waits; done by itself whenever a top-level value is complete. */
void jw_flush(struct jw *w);
void jw_object_begin(struct jw *w);
void jw_object_end(struct jw *w);
void jw_array_begin(struct jw *w);
void jw_array_end(struct jw *w);
void jw_string(struct jw *w, const char *s);
/* A string from a fixed buffer that may lack a NUL (e.g. a kernel comm). */
void jw_string_n(struct jw *w, const char *s, size_t n);
void jw_uint(struct jw *w, uint64_t v);
void jw_int(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);

/*
 * key + value shorthands; a NULL string is written as null.  Their KEY is a
 * literal of the program's, plain ASCII, written as it is (jw_key escapes).
 */
/*
 * KEY of N bytes.  The macros below measure the key where they are called:
 * for a literal (almost every key) the compiler folds strlen to a constant.
 */
void jw_key_n(struct jw *w, const char *key, size_t n);
void jw_kv_string_n(struct jw *w, const char *key, size_t n, const char *s);
void jw_kv_uint_n(struct jw *w, const char *key, size_t n, uint64_t v);
void jw_kv_int_n(struct jw *w, const char *key, size_t n, int64_t v);
void jw_kv_null_n(struct jw *w, const char *key, size_t n);
void jw_kv_plain_n(struct jw *w, const char *key, size_t n, const char *s);

#define jw_key(w, key) jw_key_n((w), (key), strlen(key))
#define jw_kv_string(w, key, s) jw_kv_string_n((w), (key), strlen(key), (s))
#define jw_kv_uint(w, key, v) jw_kv_uint_n((w), (key), strlen(key), (v))
#define jw_kv_int(w, key, v) jw_kv_int_n((w), (key), strlen(key), (v))
#define jw_kv_null(w, key) jw_kv_null_n((w), (key), strlen(key))
#define jw_kv_plain(w, key, s) jw_kv_plain_n((w), (key), strlen(key), (s))

size_t json_escape(char *out, size_t outsz, const char *s, size_t n);

#endif
