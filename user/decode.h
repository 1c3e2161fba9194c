/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_DECODE_H
#define RSTW_DECODE_H

#include <stddef.h>

#include "rstwatch.h"

enum decode_status {
	DECODE_OK = 0,
	DECODE_SHORT, /* fewer bytes than the header or than it claims */
	DECODE_ABI, /* an ABI version this build does not know */
	DECODE_BAD, /* a field out of range */
};

/* Validate a raw ring buffer record and copy it out. */
enum decode_status decode_event(const void *data, size_t len, struct rstw_event *out);
const char *decode_status_str(enum decode_status s);

#endif
