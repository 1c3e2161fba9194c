/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_COUNTERS_H
#define RSTW_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "key_tally.h"
#include "rstwatch.h"

/*
 * For each key of a per-CPU hash of u64 counters (keys of key_size bytes, at
 * most 64), call fn with the key and its sum over CPUs; fn returns non-zero
 * to stop.  Returns the number of keys given to fn, or -errno.
 */
typedef int (*counters_fn)(const void *key, uint64_t count, void *arg);
int counters_each(int fd, size_t key_size, counters_fn fn, void *arg);

struct loader;
/*
 * The exact totals by fact key.  The kernel counts each event once: in
 * service_counts under its owner's cgroup, or in counts where service_counts
 * had no room for the pair.  Their sum over cgroups, plus RETIRED (may be
 * NULL), merged into *out (allocated, freed by the caller, also on error).
 * Returns the number of keys or -errno.
 */
int counters_totals(const struct loader *l, const struct key_tally *retired,
		    struct key_count **out);
/* Sum one slot of the per-CPU stats array. */
uint64_t counters_stat(int stats_fd, uint32_t slot);

/*
 * Entries each map lost since load: failed inserts, and for LRU maps the
 * entries evicted to make room, which the kernel does not count: new keys
 * inserted, less keys deleted, less keys left.  That difference is read
 * while the map changes, so lost[] only ever grows: pass the previous values
 * in (zeros at first).
 */
void counters_map_losses(const struct loader *l, uint64_t lost[RSTW_MAP__COUNT]);

#endif
