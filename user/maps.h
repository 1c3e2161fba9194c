/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The BPF side's keyed maps: their names, and the capacity each gets.  The
 * loader chooses every capacity from the host before load (or from
 * --map-entries); readers ask the map, never a constant.
 */
#ifndef RSTW_MAPS_H
#define RSTW_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rstwatch.h"

/* Bounds of --map-entries (a capacity of 1 still loads; 0 means "default"). */
#define MAPS_ENTRIES_MIN 1u
#define MAPS_ENTRIES_MAX (1u << 24)

/* What the default capacities are chosen from. */
struct maps_host {
	int ncpu; /* possible CPUs: per-CPU maps cost this many values per entry */
	uint64_t mem_kib; /* MemTotal */
	uint64_t tw_buckets; /* net.ipv4.tcp_max_tw_buckets, 0 if unknown */
	bool owners_on_socket; /* owners on the socket: the keyed map holds only TIME_WAIT */
};

/* The BPF map's name ("counts", "owners", ...); NULL past the last. */
const char *maps_name(enum rstw_map_id id);
/* Is this map an LRU (it evicts to make room rather than refusing)? */
bool maps_is_lru(enum rstw_map_id id);
/* Does the loader size this map (socket-local storage has no capacity)? */
bool maps_sized(enum rstw_map_id id);

/* The default capacity of every sized map for this host; 0 for the others. */
void maps_default_entries(const struct maps_host *h, uint32_t out[RSTW_MAP__COUNT]);

/*
 * --map-entries SPEC: "N" (every sized map) or "MAP=N[,MAP=N...]", merged
 * into out (0 = default).  Returns false with a one-line message in err.
 */
bool maps_parse_entries(const char *spec, uint32_t out[RSTW_MAP__COUNT], char *err, size_t errlen);

#endif
