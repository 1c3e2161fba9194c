// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Map capacities (user/maps.c): the host's defaults and --map-entries. */
#include <stdint.h>
#include <string.h>

#include "unit.h"

#include "maps.h"

TEST(names_match_the_bpf_side)
{
	CHECK_EQ_STR(maps_name(RSTW_MAP_COUNTS), "counts");
	CHECK_EQ_STR(maps_name(RSTW_MAP_SERVICE_COUNTS), "service_counts");
	CHECK_EQ_STR(maps_name(RSTW_MAP_WIRE_COUNTS), "wire_counts");
	CHECK_EQ_STR(maps_name(RSTW_MAP_OWNERS), "owners");
	CHECK_EQ_STR(maps_name(RSTW_MAP_SK_OWNERS), "sk_owners");
	CHECK_EQ_STR(maps_name(RSTW_MAP_LISTENERS), "listeners");
	CHECK(maps_name(RSTW_MAP__COUNT) == NULL);
	CHECK(maps_is_lru(RSTW_MAP_OWNERS) && maps_is_lru(RSTW_MAP_LISTENERS));
	CHECK(!maps_is_lru(RSTW_MAP_COUNTS) && !maps_is_lru(RSTW_MAP_SK_OWNERS));
	CHECK(!maps_sized(RSTW_MAP_SK_OWNERS));
}

TEST(defaults_follow_the_host)
{
	struct maps_host small = { .ncpu = 2, .mem_kib = 4u << 20, .tw_buckets = 32768 };
	struct maps_host big = { .ncpu = 1024, .mem_kib = 1ull << 31, .tw_buckets = 1u << 22 };
	uint32_t e[RSTW_MAP__COUNT];

	maps_default_entries(&small, e);
	CHECK_EQ_UINT(e[RSTW_MAP_COUNTS], 4096);
	CHECK_EQ_UINT(e[RSTW_MAP_SERVICE_COUNTS], 16384);
	CHECK_EQ_UINT(e[RSTW_MAP_WIRE_COUNTS], 4096);
	CHECK_EQ_UINT(e[RSTW_MAP_OWNERS], 262144); /* 4 GiB / 16 KiB */
	CHECK_EQ_UINT(e[RSTW_MAP_LISTENERS], 8192);
	CHECK_EQ_UINT(e[RSTW_MAP_SK_OWNERS], 0);
	small.owners_on_socket = true; /* only TIME_WAIT sockets */
	maps_default_entries(&small, e);
	CHECK_EQ_UINT(e[RSTW_MAP_OWNERS], 32768);
	/* 1024 CPUs: a per-CPU map stays within 16 MiB of values */
	maps_default_entries(&big, e);
	CHECK_EQ_UINT(e[RSTW_MAP_SERVICE_COUNTS], 2048);
	CHECK_EQ_UINT(e[RSTW_MAP_COUNTS], 2048);
	CHECK_EQ_UINT(e[RSTW_MAP_OWNERS], 1u << 20);
	big.owners_on_socket = true;
	maps_default_entries(&big, e);
	CHECK_EQ_UINT(e[RSTW_MAP_OWNERS], 1u << 20);
	/* nothing known about the host: the floors */
	memset(&small, 0, sizeof(small));
	maps_default_entries(&small, e);
	CHECK_EQ_UINT(e[RSTW_MAP_OWNERS], 65536);
	CHECK_EQ_UINT(e[RSTW_MAP_COUNTS], 4096);
}

TEST(map_entries_spec)
{
	uint32_t e[RSTW_MAP__COUNT] = { 0 };
	char err[160];

	CHECK(maps_parse_entries("8", e, err, sizeof(err)));
	for (int m = 0; m < RSTW_MAP__COUNT; m++)
		CHECK_EQ_UINT(e[m], maps_sized(m) ? 8 : 0);
	memset(e, 0, sizeof(e));
	CHECK(maps_parse_entries("owners=100,counts=1", e, err, sizeof(err)));
	CHECK_EQ_UINT(e[RSTW_MAP_OWNERS], 100);
	CHECK_EQ_UINT(e[RSTW_MAP_COUNTS], 1);
	CHECK_EQ_UINT(e[RSTW_MAP_LISTENERS], 0);
	CHECK(!maps_parse_entries("0", e, err, sizeof(err)));
	CHECK(strstr(err, "is not a capacity") != NULL);
	CHECK(!maps_parse_entries("16777217", e, err, sizeof(err)));
	CHECK(!maps_parse_entries("counts=1x", e, err, sizeof(err)));
	CHECK(!maps_parse_entries("sk_owners=5", e, err, sizeof(err)));
	CHECK(strstr(err, "unknown map 'sk_owners'") != NULL);
	CHECK(!maps_parse_entries("counts", e, err, sizeof(err)));
	CHECK(!maps_parse_entries("counts=4,owners", e, err, sizeof(err)));
	CHECK(!maps_parse_entries("", e, err, sizeof(err)));
}
