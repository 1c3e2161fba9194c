/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus text exposition (format 0.0.4) of the kernel's exact counters. */
#ifndef RSTW_METRICS_H
#define RSTW_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "causes.h"
#include "rstwatch.h"

#define METRICS_MAX_PROGS 16
#define METRICS_MAX_WIRE 256
#define METRICS_MAX_SERVICES 20 /* series per direction; the rest is "other" */

struct metrics_snapshot {
	uint64_t by_cause[2][CAUSE__COUNT]; /* [dir][cause], listen drops included */
	uint64_t events, events_lost, not_received, malformed;
	uint64_t pending; /* submitted by the kernel, not yet consumed */
	int nprogs;
	struct {
		const char *name;
		uint64_t run_ns, run_cnt;
	} progs[METRICS_MAX_PROGS];
	int attached; /* BPF links attached (tracepoints and wire) */
	int nwire;
	struct {
		uint32_t netns;
		char ifname[16];
		int dir;
		uint64_t count;
	} wire[METRICS_MAX_WIRE];
	const char *version, *revision;
	int nservices; /* by count, largest first; the last may be "other" */
	struct {
		char name[128];
		uint64_t sent, received;
	} services[METRICS_MAX_SERVICES + 1];
	int services_folded; /* services counted under "other" */
	uint64_t map_lost[RSTW_MAP__COUNT]; /* entries lost per map (user/counters.c) */
	uint32_t map_entries[RSTW_MAP__COUNT]; /* capacities, 0 where none */
};

/* Write every family, with HELP and TYPE, to f. */
void metrics_render(FILE *f, const struct metrics_snapshot *s);

#endif
