/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus text exposition (format 0.0.4) of the kernel's exact counters. */
#ifndef RSTW_METRICS_H
#define RSTW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "causes.h"
#include "rstwatch.h"

#define METRICS_MAX_PROGS 16
#define METRICS_MAX_WIRE 256 /* interface series; later ones count under "other" */
#define METRICS_MAX_SYSTEM_SERVICES 20 /* series per direction for system units */
#define METRICS_MAX_USER_SERVICES 10 /* and for users' own (user@UID.service, sessions) */
#define METRICS_MAX_SERVICES (METRICS_MAX_SYSTEM_SERVICES + METRICS_MAX_USER_SERVICES)
#define METRICS_LABEL_MAX 256 /* a cleaned label value, with its NUL */
#define METRICS_SERVICE_EXPIRY_S 300 /* series of gone cgroups live on this long */

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
	int nwire; /* sorted by netns, interface, direction; "other" last */
	struct metrics_wire_row {
		uint32_t netns;
		bool other; /* the folded series: netns and interface "other" */
		char ifname[METRICS_LABEL_MAX];
		int dir;
		uint64_t count;
	} wire[METRICS_MAX_WIRE + RSTW_WIRE__DIRS]; /* and one "other" row per direction */
	int wire_folded; /* interfaces counted under interface="other" */
	const char *version, *revision;
	int nservices; /* sorted by name; the last may be "other" */
	struct {
		char name[METRICS_LABEL_MAX];
		uint64_t sent, received;
	} services[METRICS_MAX_SERVICES + 1];
	int services_folded; /* services counted under "other" */
	uint64_t map_lost[RSTW_MAP__COUNT]; /* entries lost per map (user/counters.c) */
	uint32_t map_entries[RSTW_MAP__COUNT]; /* capacities, 0 where none */
};

/*
 * raw as a label value Prometheus accepts: bytes that are not valid UTF-8, and
 * control characters, become the four characters \xNN (as systemd writes
 * escapes in unit names); the rest is kept.  Truncated to fit len at a
 * character boundary.  Returns the length written.
 */
size_t metrics_label_clean(const char *raw, char *out, size_t len);
/* Write every family, with HELP and TYPE, to f. */
void metrics_render(FILE *f, const struct metrics_snapshot *s);

#endif
