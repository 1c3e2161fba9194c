/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The exit summary of the event stream: exact kernel counts, and what was shown. */
#ifndef RSTW_SUMMARY_H
#define RSTW_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "causes.h"
#include "rstwatch.h"

struct run_summary {
	uint64_t by_cause[2][CAUSE__COUNT]; /* [0] sent, [1] received */
	uint64_t total; /* every reset the kernel counted, all namespaces */
	uint64_t shown, lost, malformed; /* events */
	uint64_t map_lost[RSTW_MAP__COUNT]; /* entries full kernel maps could not take */
};

/*
 * Write the summary as text to plain and as one JSON object (and a newline)
 * to json; either may be NULL.
 */
void summary_write(const struct run_summary *s, FILE *plain, FILE *json);

/*
 * --summary-json FILE: created (or truncated) now, never through a symlink;
 * NULL with errno set if it cannot be.
 */
FILE *summary_open(const char *path);

#endif
