/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What tells the wire view that a namespace or an interface appeared, so it
 * attaches at once instead of at the next periodic scan: inotify on
 * /run/netns (ip netns, CNI) and, in every namespace it watches, a netlink
 * socket for link changes (an interface created or moved in; a veth's peer
 * moved away shows in the namespace it left).
 */
#ifndef RSTW_NETWATCH_H
#define RSTW_NETWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netwatch {
	int epfd; /* -1 when off */
	int inotify_fd; /* /run/netns, -1 if it could not be watched (yet) */
	int other_fd; /* the ring buffer's epoll descriptor, once added */
	struct netwatch_sock {
		uint32_t netns;
		int fd;
		bool seen; /* during a scan */
	} * socks;
	size_t n, cap;
};

/* Off until netwatch_start: every call is then a no-op. */
void netwatch_init(struct netwatch *nw);
/* false (with a warning) if no epoll: the periodic scan remains. */
bool netwatch_start(struct netwatch *nw);
void netwatch_stop(struct netwatch *nw);

/* A scan begins: namespaces not entered again before netwatch_scan_end are gone. */
void netwatch_scan_begin(struct netwatch *nw);
/* Called inside namespace NETNS during a scan: watch its links from now on. */
void netwatch_enter(struct netwatch *nw, uint32_t netns);
void netwatch_scan_end(struct netwatch *nw);
/* Descriptors held for namespaces (the caller's budget counts them). */
size_t netwatch_fds(const struct netwatch *nw);

/*
 * Wait up to TIMEOUT_MS for OTHER_FD (the ring buffer's epoll descriptor) or
 * a change.  Returns true if something appeared (drained: scan now).
 */
bool netwatch_wait(struct netwatch *nw, int other_fd, int timeout_ms);

#endif
