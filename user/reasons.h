/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_REASONS_H
#define RSTW_REASONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rstwatch.h"

struct btf;

#define REASONS_MAX 64

/* The kernel's enum sk_rst_reason, named from the running kernel's BTF. */
struct reasons {
	bool have_enum;
	char *names[REASONS_MAX]; /* from BTF, NULL where it names no value */
	char unnamed[REASONS_MAX][16]; /* "REASON_<n>", written at load only */
};

int reasons_load(struct reasons *r, const struct btf *vmlinux);
void reasons_free(struct reasons *r);
/*
 * Name without the SK_RST_REASON_ prefix; NULL when the kernel gave no reason.
 * Reads only: safe from any thread once loaded.
 */
static inline const char *reasons_name(const struct reasons *r, uint32_t value)
{
	if (value == RSTW_REASON_NONE || value >= REASONS_MAX || !r->have_enum)
		return NULL;
	return r->names[value] ? r->names[value] : r->unnamed[value];
}

#endif
