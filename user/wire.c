// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching the wire programs: every namespace (/proc/PID/ns/net and
 * /run/netns), every interface in it, found again on each scan.  Nothing is
 * ever displaced: an interface that already has an XDP program keeps it (and
 * is reported); tcx chains with other programs.  Ingress is TC by default:
 * generic XDP costs an extra pass over every packet on devices without native
 * XDP, and a native program makes some NIC drivers reset the link and turns
 * veth into NAPI mode with a copy of every packet.  --xdp-mode generic or
 * native asks for XDP instead.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
#include "opts.h"
#include "resets.skel.h"
#include "rstwatch.h"
#include "wire.h"

#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823 /* linux/if_arp.h, which clashes with net/if.h */
#endif

static bool name_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/*
 * Does the interface hand TC and XDP its packets from the IP header, with no
 * link-layer header before it?  Told by its type (dev->type, ARPHRD_*): the
 * types below have no header_ops, so the kernel starts their packets at the
 * network header.  Ethernet and loopback carry an Ethernet header; any other
 * type is parsed as Ethernet, as before.  A GRE device without a fixed remote
 * (NBMA) has a header (its outer IP and GRE): its RSTs are missed, not
 * misread.  Asked in the current namespace.
 */
static bool link_has_no_header(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	err = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (err)
		return false;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_NONE: /* WireGuard, tun, xfrm */
	case ARPHRD_TUNNEL: /* ipip, vti */
	case ARPHRD_TUNNEL6: /* ip6tnl, vti6 */
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
	case ARPHRD_RAWIP: /* cellular modems */
	case ARPHRD_PPP:
		return true;
	default:
		return false;
	}
}

static struct wire_attach *find(struct wire *w, uint32_t netns, int ifindex)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].netns == netns && w->v[i].ifindex == ifindex)
			return &w->v[i];
	return NULL;
}

/*
 * Kernels without tcx: a clsact egress filter.  Unlike a link it outlives a
 * killed rstwatch; the next start replaces it (same handle and priority).
 * The clsact qdisc itself is left in place: other filters may use it.
 */
static int clsact_attach(int prog, int ifindex, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WIRE_TC_HANDLE, .priority = WIRE_TC_PRIORITY,
		    .prog_fd = prog, .flags = BPF_TC_F_REPLACE);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

/* In the attachment's namespace (the caller enters it). */
static void clsact_detach(const struct wire_attach *a)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WIRE_TC_HANDLE, .priority = WIRE_TC_PRIORITY);

	if (a->tc_clsact)
		bpf_tc_detach(&hook, &opts);
	if (a->tc_in_clsact) {
		hook.attach_point = BPF_TC_INGRESS;
		bpf_tc_detach(&hook, &opts);
	}
}

static size_t attach_fds(const struct wire_attach *a)
{
	return (size_t)(a->xdp_link >= 0) + (a->tc_link >= 0) + (a->tc_in_link >= 0) +
	       (a->netns_fd >= 0);
}

/* Links close; a clsact filter is forgotten (its interface or namespace is gone). */
static void detach(struct wire *w, struct wire_attach *a)
{
	w->fds -= attach_fds(a);
	if (a->untrusted)
		w->untrusted_fds -= attach_fds(a);
	if (a->xdp_link >= 0)
		close(a->xdp_link);
	if (a->tc_link >= 0)
		close(a->tc_link);
	if (a->tc_in_link >= 0)
		close(a->tc_in_link);
	if (a->netns_fd >= 0)
		close(a->netns_fd);
	a->xdp_link = a->tc_link = a->tc_in_link = a->netns_fd = -1;
	a->tc_clsact = a->tc_in_clsact = false;
}

/* At stop: remove our clsact filters, entering each namespace. */
static void clsact_remove_all(struct wire *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wire_attach *a = &w->v[i];

		if (!a->tc_clsact && !a->tc_in_clsact)
			continue;
		if (a->netns_fd < 0) {
			clsact_detach(a);
		} else if (setns(a->netns_fd, CLONE_NEWNET) == 0) {
			clsact_detach(a);
			if (setns(w->self_netns, CLONE_NEWNET))
				log_err("wire: cannot return to our own network namespace: %s",
					strerror(errno));
		}
	}
}

static int xdp_attach(struct wire *w, struct wire_attach *a)
{
	LIBBPF_OPTS(bpf_link_create_opts, xo);
	int fd;

	if (w->xdp_mode == XDP_MODE_NATIVE) {
		xo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(a->l3 ? w->xdp_prog_l3 : w->xdp_prog, a->ifindex, BPF_XDP,
				     &xo);
		a->xdp_native = fd >= 0;
		return fd;
	}
	xo.flags = XDP_FLAGS_SKB_MODE;
	return bpf_link_create(a->l3 ? w->xdp_prog_l3 : w->xdp_prog, a->ifindex, BPF_XDP, &xo);
}

static void warn_untrusted(struct wire *w)
{
	if (!w->warned_untrusted)
		log_warn(
			"wire: namespaces of unprivileged users are watched within bounds (%d "
			"interfaces each, %d namespaces, a quarter of the descriptor budget): some "
			"interfaces there are not watched",
			WIRE_UNTRUSTED_IFACES, WIRE_UNTRUSTED_NS);
	w->warned_untrusted = true;
}

/* Within the bounds (wire.h)?  Warns once per bound the first time it leaves something out. */
static bool within_bounds(struct wire *w, size_t cost, bool untrusted, size_t in_ns)
{
	if (untrusted &&
	    (in_ns >= WIRE_UNTRUSTED_IFACES || w->untrusted_fds + cost > w->fd_budget / 4)) {
		warn_untrusted(w);
		return false;
	}
	/* the namespaces' netlink sockets (netwatch) come out of the same budget */
	if (w->fds + netwatch_fds(&w->watch) + cost > w->fd_budget) {
		if (!w->warned_budget)
			log_warn(
				"wire: the links' descriptor budget (%zu, half of RLIMIT_NOFILE) is "
				"reached: interfaces past it are not watched; raise LimitNOFILE to "
				"watch more",
				w->fd_budget);
		w->warned_budget = true;
		return false;
	}
	return true;
}

/* In the current namespace (netns, open as ns_fd, -1 for our own): attach to its interfaces. */
/* RSTs arriving: TC ingress by default, XDP when --xdp-mode asks for it. */
static void attach_ingress(struct wire *w, struct wire_attach *a, int ns_fd)
{
	if (w->xdp_mode != XDP_MODE_AUTO) {
		a->xdp_link = xdp_attach(w, a);
		if (a->xdp_link < 0) {
			log_warn("wire: %s (netns %u): XDP: %s%s", a->ifname, a->netns,
				 strerror(errno),
				 errno == EBUSY ? " (it has an XDP program already: left alone; "
						  "RSTs to TIME_WAIT not seen there)" :
						  "");
			a->xdp_link = -1;
		}
		return;
	}
	if (w->clsact) {
		int err = clsact_attach(a->l3 ? w->tc_in_prog_l3 : w->tc_in_prog, a->ifindex,
					BPF_TC_INGRESS);

		if (err) {
			log_warn("wire: %s (netns %u): clsact ingress: %s: RSTs to TIME_WAIT not "
				 "seen there",
				 a->ifname, a->netns, strerror(-err));
			return;
		}
		a->tc_in_clsact = true;
		if (ns_fd >= 0 && a->netns_fd < 0)
			a->netns_fd = fcntl(ns_fd, F_DUPFD_CLOEXEC, 0);
		return;
	}
	a->tc_in_link = bpf_link_create(a->l3 ? w->tc_in_prog_l3 : w->tc_in_prog, a->ifindex,
					(enum bpf_attach_type)w->tcx_ingress, NULL);
	if (a->tc_in_link < 0) {
		log_warn("wire: %s (netns %u): tcx ingress: %s: RSTs to TIME_WAIT not seen there",
			 a->ifname, a->netns, strerror(errno));
		a->tc_in_link = -1;
	}
}

static void attach_here(struct wire *w, uint32_t netns, int ns_fd, bool untrusted)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	size_t in_ns = 0;

	if (!ifs)
		return;
	for (it = ifs; it->if_index; it++) {
		struct wire_attach *a = find(w, netns, (int)it->if_index);
		bool lo = strcmp(it->if_name, "lo") == 0;
		/* the links it will hold: tc egress, ingress (not on lo), a netns fd for clsact */
		size_t cost = 1 + !lo + (w->clsact && ns_fd >= 0);

		if (w->only && !name_in_list(w->only, it->if_name))
			continue;
		if (a) {
			a->seen = true;
			in_ns++;
			continue;
		}
		if (!within_bounds(w, cost, untrusted, in_ns)) {
			w->skipped++;
			continue;
		}
		in_ns++;
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 64;
			struct wire_attach *v = realloc(w->v, cap * sizeof(*v));

			if (!v)
				break;
			w->v = v;
			w->cap = cap;
		}
		a = &w->v[w->n++];
		memset(a, 0, sizeof(*a));
		a->netns = netns;
		a->ifindex = (int)it->if_index;
		a->seen = true;
		a->untrusted = untrusted;
		a->xdp_link = a->tc_link = a->tc_in_link = a->netns_fd = -1;
		snprintf(a->ifname, sizeof(a->ifname), "%s", it->if_name);
		a->l3 = link_has_no_header(a->ifname);

		if (w->clsact) {
			int err = clsact_attach(a->l3 ? w->tc_prog_l3 : w->tc_prog, a->ifindex,
						BPF_TC_EGRESS);

			if (err) {
				log_warn(
					"wire: %s (netns %u): clsact egress: %s: firewall resets not "
					"seen there",
					a->ifname, netns, strerror(-err));
			} else {
				a->tc_clsact = true;
				if (ns_fd >= 0)
					a->netns_fd = fcntl(ns_fd, F_DUPFD_CLOEXEC, 0);
			}
		} else if (w->tcx_egress >= 0) {
			a->tc_link = bpf_link_create(a->l3 ? w->tc_prog_l3 : w->tc_prog, a->ifindex,
						     (enum bpf_attach_type)w->tcx_egress, NULL);
			if (a->tc_link < 0) {
				log_warn("wire: %s (netns %u): tcx egress: %s: firewall resets not "
					 "seen there",
					 a->ifname, netns, strerror(errno));
				a->tc_link = -1;
			}
		}
		/* loopback traffic is all local: the tracepoints see it whole */
		if (!lo)
			attach_ingress(w, a, ns_fd);
		log_info("wire: %s (netns %u): %s%s%s", a->ifname, netns,
			 a->tc_link >= 0 ? "tcx egress " :
			 a->tc_clsact	 ? "clsact egress " :
					   "",
			 a->tc_in_link >= 0 ? "tcx ingress" :
			 a->tc_in_clsact    ? "clsact ingress" :
			 a->xdp_link < 0    ? "" :
			 a->xdp_native	    ? "xdp (native)" :
					      "xdp (generic)",
			 a->l3 ? ", from the IP header (no link-layer header)" : "");
		w->fds += attach_fds(a);
		if (untrusted)
			w->untrusted_fds += attach_fds(a);
	}
	if_freenameindex(ifs);
}

struct ns_seen {
	dev_t dev;
	ino_t ino;
};

/* One scan: the namespaces visited, and how many of them were unprivileged users'. */
struct scan {
	struct ns_seen *s;
	size_t n, cap;
	size_t untrusted;
};

static bool ns_seen_add(struct scan *sc, const struct stat *st)
{
	for (size_t i = 0; i < sc->n; i++)
		if (sc->s[i].ino == st->st_ino && sc->s[i].dev == st->st_dev)
			return false;
	if (sc->n == sc->cap) {
		size_t c = sc->cap ? sc->cap * 2 : 64;
		struct ns_seen *v = realloc(sc->s, c * sizeof(*v));

		if (!v)
			return false;
		sc->s = v;
		sc->cap = c;
	}
	sc->s[sc->n++] = (struct ns_seen){ st->st_dev, st->st_ino };
	return true;
}

/* Owned by a user namespace that root did not make (or one we cannot ask about)? */
static bool ns_untrusted(int ns_fd)
{
	int user = ioctl(ns_fd, NS_GET_USERNS);
	uid_t uid = (uid_t)-1;

	if (user >= 0) {
		if (ioctl(user, NS_GET_OWNER_UID, &uid))
			uid = (uid_t)-1;
		close(user);
	}
	return uid != 0;
}

/*
 * Hear of links appearing in the namespace we are in, within the descriptor
 * budget; unprivileged users' namespaces wait for the periodic scan (one user
 * could make thousands).
 */
static void watch_links(struct wire *w, uint32_t netns, bool untrusted)
{
	if (untrusted || w->fds + netwatch_fds(&w->watch) >= w->fd_budget)
		return;
	netwatch_enter(&w->watch, netns);
}

static void visit_ns(struct wire *w, const char *path, struct scan *sc)
{
	static bool warned;
	struct stat st, self;
	bool untrusted;
	int fd;

	if (stat(path, &st) || !ns_seen_add(sc, &st))
		return;
	/* our own namespace needs no setns (nor CAP_SYS_ADMIN) */
	if (fstat(w->self_netns, &self) == 0 && self.st_ino == st.st_ino &&
	    self.st_dev == st.st_dev) {
		attach_here(w, (uint32_t)st.st_ino, -1, false);
		watch_links(w, (uint32_t)st.st_ino, false);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	untrusted = ns_untrusted(fd);
	if (untrusted && sc->untrusted++ >= WIRE_UNTRUSTED_NS) {
		/* entering each costs every scan: their number is bounded too */
		w->skipped_ns++;
		warn_untrusted(w);
		close(fd);
		return;
	}
	if (setns(fd, CLONE_NEWNET) == 0) {
		attach_here(w, (uint32_t)st.st_ino, fd, untrusted);
		watch_links(w, (uint32_t)st.st_ino, untrusted);
		if (setns(w->self_netns, CLONE_NEWNET))
			log_err("wire: cannot return to our own network namespace: %s",
				strerror(errno));
	} else if (!warned) {
		warned = true;
		log_warn("degraded: cannot enter other network namespaces (%s%s): the wire view "
			 "covers rstwatch's own namespace only",
			 strerror(errno), errno == EPERM ? ", CAP_SYS_ADMIN needed" : "");
	}
	close(fd);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Remember a vanished interface, so that its counter keys can go later. */
static void note_gone(struct wire *w, const struct wire_attach *a)
{
	if (!w->gone) {
		w->gone = calloc(WIRE_GONE_MAX, sizeof(*w->gone));
		if (!w->gone)
			return;
	}
	if (w->ngone == WIRE_GONE_MAX) {
		memmove(w->gone, w->gone + 1, (WIRE_GONE_MAX - 1) * sizeof(*w->gone));
		w->ngone--;
	}
	w->gone[w->ngone++] = (struct wire_gone){ .netns = a->netns,
						  .ifindex = a->ifindex,
						  .since_ns = mono_ns() };
}

void wire_expire_counts(struct wire *w, int counts_fd, uint64_t now_ns, uint64_t age_ns)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->ngone; i++) {
		const struct wire_gone *g = &w->gone[i];

		if (now_ns - g->since_ns < age_ns) {
			w->gone[kept++] = *g;
			continue;
		}
		/* an index reused in the same namespace is counted under the same key */
		if (find(w, g->netns, g->ifindex))
			continue;
		for (uint32_t dir = 0; dir < RSTW_WIRE__DIRS; dir++) {
			struct rstw_wire_key k = { .netns = g->netns,
						   .ifindex = (uint32_t)g->ifindex,
						   .dir = dir };

			bpf_map_delete_elem(counts_fd, &k);
		}
	}
	w->ngone = kept;
}

void wire_scan(struct wire *w)
{
	struct scan sc = { 0 };
	size_t i, keep = 0;
	char path[300];
	struct dirent *d;
	DIR *dir;

	if (!w->enabled)
		return;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->n; i++)
		w->v[i].seen = false;
	w->skipped = w->skipped_ns = 0;
	netwatch_scan_begin(&w->watch);
	visit_ns(w, "/proc/self/ns/net", &sc);
	dir = opendir("/run/netns");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		visit_ns(w, path, &sc);
	}
	if (dir)
		closedir(dir);
	dir = opendir("/proc");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		visit_ns(w, path, &sc);
	}
	if (dir)
		closedir(dir);
	free(sc.s);
	netwatch_scan_end(&w->watch);
	/* interfaces or namespaces gone: their links are defunct, close them */
	for (i = 0; i < w->n; i++) {
		if (w->v[i].seen) {
			w->v[keep++] = w->v[i];
		} else {
			note_gone(w, &w->v[i]);
			detach(w, &w->v[i]);
		}
	}
	w->n = keep;
	pthread_mutex_unlock(&w->lock);
}

bool wire_wait(struct wire *w, int ring_epoll_fd, int timeout_ms)
{
	if (!netwatch_wait(&w->watch, ring_epoll_fd, timeout_ms))
		return false;
	wire_scan(w);
	return true;
}

void wire_lock(struct wire *w)
{
	pthread_mutex_lock(&w->lock);
}

void wire_unlock(struct wire *w)
{
	pthread_mutex_unlock(&w->lock);
}

int wire_links(const struct wire *w)
{
	int n = 0;

	for (size_t i = 0; i < w->n; i++)
		n += (w->v[i].xdp_link >= 0) + (w->v[i].tc_link >= 0) + (w->v[i].tc_in_link >= 0) +
		     w->v[i].tc_clsact + w->v[i].tc_in_clsact;
	return n;
}

void wire_ifname(const struct wire *w, uint32_t netns, int ifindex, char *buf, size_t len)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].netns == netns && w->v[i].ifindex == ifindex) {
			snprintf(buf, len, "%s", w->v[i].ifname);
			return;
		}
	}
	snprintf(buf, len, "if%d", ifindex);
}

/* Half of the descriptors this process may open: the rest is for maps, HTTP, /proc. */
static size_t fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20)
		return (1u << 20) / 2;
	return (size_t)rl.rlim_cur / 2;
}

int wire_start(struct wire *w, struct loader *l, const struct opts *o)
{
	memset(w, 0, sizeof(*w));
	w->self_netns = -1;
	netwatch_init(&w->watch);
	pthread_mutex_init(&w->lock, NULL);
	if (o->disabled & DISABLE_WIRE)
		return 0;
	w->xdp_prog = bpf_program__fd(l->skel->progs.xdp_rst_in);
	w->tc_prog = bpf_program__fd(l->skel->progs.tc_rst_out);
	w->tc_in_prog = bpf_program__fd(l->skel->progs.tc_rst_in);
	w->xdp_prog_l3 = bpf_program__fd(l->skel->progs.xdp_rst_in_l3);
	w->tc_prog_l3 = bpf_program__fd(l->skel->progs.tc_rst_out_l3);
	w->tc_in_prog_l3 = bpf_program__fd(l->skel->progs.tc_rst_in_l3);
	w->xdp_mode = o->xdp_mode;
	w->tcx_egress = (int)loader_btf_enum_value(l->vmlinux, "bpf_attach_type", "BPF_TCX_EGRESS");
	w->tcx_ingress =
		(int)loader_btf_enum_value(l->vmlinux, "bpf_attach_type", "BPF_TCX_INGRESS");
	w->only = o->ifaces;
	if (o->tc_mode == TC_MODE_TCX && w->tcx_egress < 0) {
		log_err("--tc-mode tcx: this kernel has no tcx (Linux 6.6+)");
		return -1;
	}
	w->clsact = o->tc_mode == TC_MODE_CLSACT || w->tcx_egress < 0 || w->tcx_ingress < 0;
	w->fd_budget = fd_budget();
	if (w->clsact && w->tcx_egress < 0)
		log_info("no tcx in this kernel: TC through clsact filters (handle 0x%x, "
			 "priority %u)",
			 WIRE_TC_HANDLE, WIRE_TC_PRIORITY);
	w->self_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (w->self_netns < 0) {
		log_warn("wire: cannot open our network namespace: %s: no wire view",
			 strerror(errno));
		return 0;
	}
	w->enabled = true;
	netwatch_start(&w->watch);
	wire_scan(w);
	if (o->ifaces) {
		/* every name given must exist somewhere */
		char buf[256], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", o->ifaces);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			bool found = false;

			for (size_t i = 0; i < w->n; i++)
				found |= strcmp(w->v[i].ifname, tok) == 0;
			if (!found) {
				log_err("-i %s: no such interface in any network namespace", tok);
				return -1;
			}
		}
	}
	return 0;
}

void wire_stop(struct wire *w)
{
	if (w->clsact && w->self_netns >= 0)
		clsact_remove_all(w);
	for (size_t i = 0; i < w->n; i++)
		detach(w, &w->v[i]);
	free(w->v);
	free(w->gone);
	netwatch_stop(&w->watch);
	if (w->self_netns >= 0)
		close(w->self_netns);
	pthread_mutex_destroy(&w->lock);
	memset(w, 0, sizeof(*w));
	w->self_netns = -1;
	netwatch_init(&w->watch);
}
