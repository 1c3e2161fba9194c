/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_OWNER_H
#define RSTW_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "cause.h"
#include "rstwatch.h"

enum owner_source {
	OWNER_NONE = 0, /* no socket, or nobody known */
	OWNER_TRACKED, /* recorded in process context on this socket */
	OWNER_CURRENT, /* the reset happened inside the owner's own syscall */
	OWNER_PROCFS, /* found by socket inode in /proc/PID/fd */
	OWNER_LISTENER, /* accepted, not used yet: the owner of its listener */
};

struct owner {
	enum owner_source source;
	long pid; /* -1 if none */
	char comm[RSTW_COMM_LEN];
	char cgroup[256]; /* cgroup v2 path, "" if unknown */
	char unit[128]; /* systemd unit from the cgroup path, "" if none */
};

void owner_resolve(const struct rstw_event *e, enum rstw_cause cause, const struct cause_input *in,
		   struct owner *out);
const char *owner_source_name(enum owner_source s);
/*
 * For a SYN to a closed port: a sentence naming who listened there last,
 * e.g. "last listener nginx[1234] stopped 180 s before", or "" if nobody known.
 */
void owner_last_listener_text(const struct rstw_event *e, char *buf, size_t len);
enum cgroup_state {
	CGROUP_UNKNOWN = 0, /* cannot tell (no cgroup2 mount, no permission) */
	CGROUP_ALIVE,
	CGROUP_GONE, /* removed; ids are never reused */
	CGROUP_PENDING, /* owner_cgroup_cached: not asked yet */
};
/*
 * A cgroup v2 id's path below the cgroup2 mount ("" if not known; for a gone
 * cgroup, its last path seen).  Answers, negative ones too, are cached in a
 * bounded table; a live one is asked again after 10 s.  Safe from any thread;
 * no lock is held while the kernel is asked.
 */
enum cgroup_state owner_cgroup_lookup(uint64_t id, char *buf, size_t len);
/*
 * The cache's answer only, never the kernel's (CGROUP_PENDING if it has none):
 * for serve's HTTP thread, which holds no capability to open a cgroup by its
 * handle.  The event loop asks the kernel (serve_name_cgroups).
 */
enum cgroup_state owner_cgroup_cached(uint64_t id, char *buf, size_t len);
/* The last *.service or *.scope component of a cgroup path, or "". */
void owner_unit_from_cgroup(const char *path, char *unit, size_t len);

#endif
