/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The bounded, stable set of series behind rstwatch_service_resets_total.
 * The kernel counts by (owner cgroup id, fact key); this names each cgroup
 * once, sums cgroups into services, and decides which services get a series.
 */
#ifndef RSTW_SERVICES_H
#define RSTW_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "owner.h"

/* What the host says about a cgroup id (owner_cgroup_lookup in serve). */
typedef enum cgroup_state (*services_resolve_fn)(uint64_t id, char *path, size_t len, void *arg);

struct services;

struct services *services_new(services_resolve_fn resolve, void *arg);
void services_free(struct services *t);
/* How long a gone cgroup's series lives on (default METRICS_SERVICE_EXPIRY_S). */
void services_set_expiry(struct services *t, uint64_t ns);

/*
 * One scrape: services_begin, services_count for every key of the counter
 * map, services_snapshot.  services_count returns true when the key's cgroup
 * has been gone for METRICS_SERVICE_EXPIRY_S: the caller may delete the key
 * (and give services_count any count it gained meanwhile); the service's
 * series keeps what it counted until its last cgroup's keys are gone.
 */
void services_begin(struct services *t, uint64_t now_ns);
bool services_count(struct services *t, uint64_t cgroup_id, int dir, uint64_t count);
void services_snapshot(struct services *t, struct metrics_snapshot *m);

/*
 * The service a cgroup path stands for: its outermost systemd unit (so a
 * user's own units, all below user@UID.service, count as that), else the path;
 * cleaned for a label.  True if it is a user's (below /user.slice/).
 */
bool services_name(const char *path, char *name, size_t len);

#endif
