/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_WIRE_H
#define RSTW_WIRE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netwatch.h"

struct loader;
struct opts;

/* An interface that vanished: its counter keys wait for wire_expire_counts. */
struct wire_gone {
	uint32_t netns;
	int ifindex;
	uint64_t since_ns; /* CLOCK_MONOTONIC */
};
#define WIRE_GONE_MAX 4096 /* the oldest is forgotten past this (its keys then stay) */

struct wire_attach {
	uint32_t netns;
	int ifindex;
	char ifname[16];
	int xdp_link; /* -1 if none */
	int tc_link; /* tcx egress link, -1 if none */
	int tc_in_link; /* tcx ingress link, -1 if none */
	bool tc_clsact; /* a clsact egress filter of ours is attached instead */
	bool tc_in_clsact; /* the same at ingress */
	int netns_fd; /* for detaching those filters: -1 for our own namespace */
	bool xdp_native; /* attached in native (driver) mode */
	bool l3; /* no link-layer header: the *_l3 programs, parsing from the IP header */
	bool untrusted; /* in an unprivileged user's namespace */
	bool seen; /* during a scan */
};

/*
 * The ingress (TC, or XDP with --xdp-mode) and TC egress programs, attached to
 * every interface of every network namespace (or those named with -i), and to
 * new ones as they appear.  tcx links detach by themselves if rstwatch dies;
 * clsact filters (kernels without tcx) are replaced at the next start.
 */
struct wire {
	bool enabled;
	int xdp_prog, tc_prog, tc_in_prog;
	int xdp_prog_l3, tc_prog_l3, tc_in_prog_l3; /* the same for devices without a link header */
	int xdp_mode; /* XDP_MODE_* of opts.h: AUTO means TC ingress */
	int tcx_egress, tcx_ingress; /* enum bpf_attach_type values from BTF, -1 if none */
	bool clsact; /* TC through clsact filters, not tcx */
	const char *only; /* -i list, or NULL for all */
	int self_netns;
	struct wire_attach *v;
	size_t n, cap;
	pthread_mutex_t lock; /* v and n, against the metrics thread */
	/* bounds (see wire.c): file descriptors the links may hold, and what they hold */
	size_t fd_budget, fds, untrusted_fds;
	size_t skipped; /* interfaces left unwatched by the last scan, for a bound */
	size_t skipped_ns; /* unprivileged users' namespaces not entered by the last scan */
	bool warned_budget, warned_untrusted;
	struct wire_gone *gone; /* vanished interfaces, oldest first */
	size_t ngone;
	struct netwatch watch; /* new namespaces and links: scan at once */
};

/*
 * Bounds: the links hold at most half of RLIMIT_NOFILE's descriptors.  A
 * namespace whose user namespace belongs to a user other than root (anyone
 * can make one: unshare -Urn) gets at most WIRE_UNTRUSTED_IFACES interfaces,
 * at most WIRE_UNTRUSTED_NS such namespaces are entered per scan, and all of
 * them together hold at most a quarter of the budget: one user cannot take the
 * wire view from everyone else.  What a bound leaves out is counted and
 * warned about once.
 */
#define WIRE_UNTRUSTED_IFACES 8
#define WIRE_UNTRUSTED_NS 64

int wire_start(struct wire *w, struct loader *l, const struct opts *o);
/* Attach to interfaces and namespaces that appeared; forget those gone. */
void wire_scan(struct wire *w);
/*
 * Wait up to TIMEOUT_MS for RING_EPOLL_FD (the ring buffer's) to be readable;
 * if meanwhile a namespace or an interface appeared, scan before returning.
 * True if it scanned.
 */
bool wire_wait(struct wire *w, int ring_epoll_fd, int timeout_ms);
void wire_stop(struct wire *w);

/* For readers in other threads (metrics): hold the lock around these. */
void wire_lock(struct wire *w);
void wire_unlock(struct wire *w);
int wire_links(const struct wire *w);
/* Handle and priority of rstwatch's clsact egress filters (tc filter del ...). */
#define WIRE_TC_HANDLE 0x52535457u /* "RSTW" */
#define WIRE_TC_PRIORITY 49152u
/* The interface's name, or "if<index>" if it is not one we attached to. */
void wire_ifname(const struct wire *w, uint32_t netns, int ifindex, char *buf, size_t len);

/*
 * Delete the counter keys (map COUNTS_FD) of interfaces gone for AGE_NS or
 * more, unless the same namespace and index are watched again.  With the lock
 * held (serve's HTTP thread calls it while it walks the counters).
 */
void wire_expire_counts(struct wire *w, int counts_fd, uint64_t now_ns, uint64_t age_ns);

#endif
