// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Map capacities.  Per-CPU counter maps preallocate a value per CPU for every
 * entry: their defaults shrink on hosts with many CPUs so that none costs
 * more than 16 MiB.  The keyed owners map holds every socket where owners
 * cannot be kept on the socket (one entry per 16 KiB of memory, at least
 * 64 Ki), else only TIME_WAIT sockets (tcp_max_tw_buckets of the host).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "opts.h"

#define PERCPU_MAP_BUDGET (16u << 20)

static const struct {
	const char *name;
	bool lru, sized;
} maps[RSTW_MAP__COUNT] = {
	[RSTW_MAP_COUNTS] = { "counts", false, true },
	[RSTW_MAP_SERVICE_COUNTS] = { "service_counts", false, true },
	[RSTW_MAP_WIRE_COUNTS] = { "wire_counts", false, true },
	[RSTW_MAP_OWNERS] = { "owners", true, true },
	[RSTW_MAP_SK_OWNERS] = { "sk_owners", false, false },
	[RSTW_MAP_LISTENERS] = { "listeners", true, true },
};

const char *maps_name(enum rstw_map_id id)
{
	return (unsigned int)id < RSTW_MAP__COUNT ? maps[id].name : NULL;
}

bool maps_is_lru(enum rstw_map_id id)
{
	return (unsigned int)id < RSTW_MAP__COUNT && maps[id].lru;
}

bool maps_sized(enum rstw_map_id id)
{
	return (unsigned int)id < RSTW_MAP__COUNT && maps[id].sized;
}

static uint32_t clamp_u64(uint64_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

/* Entries of a per-CPU map of u64 counters that fit the budget, at most max. */
static uint32_t percpu_entries(int ncpu, uint32_t max)
{
	uint64_t per_entry = (uint64_t)(ncpu > 0 ? ncpu : 1) * sizeof(uint64_t);

	return clamp_u64(PERCPU_MAP_BUDGET / per_entry, 1024, max);
}

void maps_default_entries(const struct maps_host *h, uint32_t out[RSTW_MAP__COUNT])
{
	memset(out, 0, sizeof(uint32_t) * RSTW_MAP__COUNT);
	/* fact keys in use stay in the hundreds: facts x states x reasons seen */
	out[RSTW_MAP_COUNTS] = percpu_entries(h->ncpu, 4096);
	/* that again per service that resets */
	out[RSTW_MAP_SERVICE_COUNTS] = percpu_entries(h->ncpu, 16384);
	/* interfaces x namespaces x 2 directions */
	out[RSTW_MAP_WIRE_COUNTS] = percpu_entries(h->ncpu, 4096);
	if (h->owners_on_socket)
		out[RSTW_MAP_OWNERS] = clamp_u64(h->tw_buckets, 4096, 1u << 20);
	else
		out[RSTW_MAP_OWNERS] = clamp_u64(h->mem_kib / 16, 65536, 1u << 20);
	out[RSTW_MAP_LISTENERS] = 8192;
}

static bool set_entries(const char *num, uint32_t *slot, char *err, size_t errlen)
{
	uint64_t v;

	if (!parse_u64(num, MAPS_ENTRIES_MIN, MAPS_ENTRIES_MAX, &v)) {
		snprintf(err, errlen, "--map-entries: '%.32s' is not a capacity (%u-%u)", num,
			 MAPS_ENTRIES_MIN, MAPS_ENTRIES_MAX);
		return false;
	}
	*slot = (uint32_t)v;
	return true;
}

bool maps_parse_entries(const char *spec, uint32_t out[RSTW_MAP__COUNT], char *err, size_t errlen)
{
	char buf[256], *save = NULL, *tok;

	if (!spec || !*spec || strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "--map-entries: give N, or MAP=N[,MAP=N...]");
		return false;
	}
	if (!strchr(spec, '=')) {
		uint32_t n;

		if (!set_entries(spec, &n, err, errlen))
			return false;
		for (int m = 0; m < RSTW_MAP__COUNT; m++)
			if (maps_sized(m))
				out[m] = n;
		return true;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int m;

		if (!eq) {
			snprintf(err, errlen, "--map-entries: '%.32s' is not MAP=N", tok);
			return false;
		}
		*eq = '\0';
		for (m = 0; m < RSTW_MAP__COUNT; m++)
			if (maps_sized(m) && strcmp(tok, maps_name(m)) == 0)
				break;
		if (m == RSTW_MAP__COUNT) {
			snprintf(err, errlen,
				 "--map-entries: unknown map '%.32s' (counts, service_counts, "
				 "wire_counts, owners, listeners)",
				 tok);
			return false;
		}
		if (!set_entries(eq + 1, &out[m], err, errlen))
			return false;
	}
	return true;
}
