/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_SERVE_H
#define RSTW_SERVE_H

#include <stdatomic.h>
#include <stdint.h>

#include "counters.h"

struct loader;
struct wire;
struct MHD_Daemon;

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9864"

struct serve {
	struct MHD_Daemon *http;
	struct loader *l;
	struct wire *w;
	int stats_fd; /* kernel bpf_stats stay on while open */
	uint64_t expire_after_ns; /* gone cgroups' and interfaces' series end this long after */
	/* the HTTP thread's: counts of the service keys it deleted, still in the totals */
	struct key_tally retired;
	/* written by the event loop, read by the HTTP thread: relaxed atomics */
	_Atomic uint64_t malformed; /* records rejected by validation */
	_Atomic uint64_t consumed; /* records taken from the ring buffer */
};

/*
 * HTTP for /metrics and a landing page, in libmicrohttpd's own thread: a
 * slow or hostile client never stalls event processing.  The HTTP threads hold
 * CAPS_HTTP only (and run as nobody when started by root); a request has 5 s,
 * and past 64 clients a new one closes the oldest.  Binds first if
 * serve_listen() was not called.
 */
/*
 * Bind LISTEN now, with the caller's privileges (a port below 1024 needs
 * them), before anything else is loaded: an address already served is one
 * error line.  A second instance is refused, never shares it.  0 or -1.
 */
int serve_listen(const char *listen);
int serve_start(struct serve *s, const char *listen, bool bpf_stats, struct loader *l,
		struct wire *w);
void serve_stop(struct serve *s);
/*
 * From the event loop, about once a second: ask the kernel for the names of
 * the cgroups that have counts (cached; the HTTP thread only reads them).
 */
void serve_name_cgroups(struct serve *s);
/* Parse "ADDR:PORT" or "[V6ADDR]:PORT" into a socket address; 0 on success. */
int serve_parse_listen(const char *listen, void *sockaddr_storage, unsigned int *len);

#endif
