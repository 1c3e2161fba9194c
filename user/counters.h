/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_COUNTERS_H
#define RSTW_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "rstwatch.h"

struct key_count {
	uint32_t key;
	uint64_t count;
};

/*
 * Sum the per-CPU fact-key counters.  Returns the number of keys (<= max) or
 * -errno; *out is filled with at most max entries.
 */
int counters_read(int counts_fd, struct key_count *out, size_t max);
/* Sum one slot of the per-CPU stats array. */
uint64_t counters_stat(int stats_fd, uint32_t slot);

#endif
