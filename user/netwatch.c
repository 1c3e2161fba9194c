// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Namespace and link change notifications for the wire view (see netwatch.h). */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netwatch.h"

#define NETNS_DIR "/run/netns"
/* epoll data of the ring buffer's descriptor; the others carry their fd */
#define OTHER_TAG (-1)

void netwatch_init(struct netwatch *nw)
{
	memset(nw, 0, sizeof(*nw));
	nw->epfd = nw->inotify_fd = nw->other_fd = -1;
}

static void watch_fd(struct netwatch *nw, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	epoll_ctl(nw->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* /run/netns may appear after start (the first `ip netns add` makes it). */
static void watch_netns_dir(struct netwatch *nw)
{
	if (nw->inotify_fd < 0 || nw->epfd < 0)
		return;
	if (inotify_add_watch(nw->inotify_fd, NETNS_DIR, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) <
		    0 &&
	    errno != ENOENT)
		log_info("wire: cannot watch %s: %s: new namespaces there wait for the next scan",
			 NETNS_DIR, strerror(errno));
}

bool netwatch_start(struct netwatch *nw)
{
	nw->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (nw->epfd < 0) {
		log_warn("wire: no epoll (%s): new namespaces are found every 2 s only",
			 strerror(errno));
		return false;
	}
	nw->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (nw->inotify_fd >= 0) {
		watch_fd(nw, nw->inotify_fd);
		watch_netns_dir(nw);
	}
	return true;
}

void netwatch_stop(struct netwatch *nw)
{
	for (size_t i = 0; i < nw->n; i++)
		close(nw->socks[i].fd);
	free(nw->socks);
	if (nw->inotify_fd >= 0)
		close(nw->inotify_fd);
	if (nw->epfd >= 0)
		close(nw->epfd);
	netwatch_init(nw);
}

void netwatch_scan_begin(struct netwatch *nw)
{
	for (size_t i = 0; i < nw->n; i++)
		nw->socks[i].seen = false;
	watch_netns_dir(nw); /* again: idempotent, and catches a directory made since */
}

void netwatch_enter(struct netwatch *nw, uint32_t netns)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd;

	if (nw->epfd < 0)
		return;
	for (size_t i = 0; i < nw->n; i++) {
		if (nw->socks[i].netns == netns) {
			nw->socks[i].seen = true;
			return;
		}
	}
	if (nw->n == nw->cap) {
		size_t cap = nw->cap ? nw->cap * 2 : 16;
		struct netwatch_sock *v = realloc(nw->socks, cap * sizeof(*v));

		if (!v)
			return;
		nw->socks = v;
		nw->cap = cap;
	}
	/* a netlink socket belongs to the namespace it is made in: the caller's now */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return;
	}
	watch_fd(nw, fd);
	nw->socks[nw->n++] = (struct netwatch_sock){ .netns = netns, .fd = fd, .seen = true };
}

void netwatch_scan_end(struct netwatch *nw)
{
	size_t keep = 0;

	for (size_t i = 0; i < nw->n; i++) {
		if (nw->socks[i].seen) {
			nw->socks[keep++] = nw->socks[i];
			continue;
		}
		close(nw->socks[i].fd); /* closing also leaves the epoll set */
	}
	nw->n = keep;
}

size_t netwatch_fds(const struct netwatch *nw)
{
	return nw->n;
}

/* Read everything waiting on FD (we only need to know that something came). */
static void drain(int fd)
{
	char buf[8192];

	for (int i = 0; i < 64 && read(fd, buf, sizeof(buf)) > 0; i++)
		;
}

bool netwatch_wait(struct netwatch *nw, int other_fd, int timeout_ms)
{
	struct epoll_event ev[16];
	bool changed = false;
	int n;

	if (nw->epfd < 0) {
		struct pollfd p = { .fd = other_fd, .events = POLLIN };

		poll(&p, 1, timeout_ms);
		return false;
	}
	if (other_fd >= 0 && nw->other_fd != other_fd) {
		struct epoll_event oe = { .events = EPOLLIN, .data.fd = OTHER_TAG };

		if (epoll_ctl(nw->epfd, EPOLL_CTL_ADD, other_fd, &oe) == 0)
			nw->other_fd = other_fd;
	}
	n = epoll_wait(nw->epfd, ev, 16, timeout_ms);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == OTHER_TAG)
			continue;
		drain(ev[i].data.fd);
		changed = true;
	}
	return changed;
}
