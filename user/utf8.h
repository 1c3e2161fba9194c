/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_UTF8_H
#define RSTW_UTF8_H

#include <stddef.h>

/*
 * Length (1-4) of the valid UTF-8 sequence at s, of at most n bytes, or 0 if
 * it is not one (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF).  Every sink that passes on names from outside (JSON, text,
 * Prometheus labels) asks this one function.
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
