// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching the wire programs: every namespace (/proc/PID/ns/net and
 * /run/netns), every interface in it, found again on each scan.  Nothing is
 * ever displaced: an interface that already has an XDP program keeps it (and
 * is reported); tcx chains with other programs.  XDP is generic unless
 * --xdp-mode native: a native program makes some NIC drivers reset the link,
 * and turns veth into NAPI mode with a copy of every packet, which costs more
 * than generic mode under load (make bench: json vs json_native).
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
#include "opts.h"
#include "resets.skel.h"
#include "wire.h"

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
static int clsact_attach(const struct wire *w, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = WIRE_TC_HANDLE, .priority = WIRE_TC_PRIORITY,
		    .prog_fd = w->tc_prog, .flags = BPF_TC_F_REPLACE);
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

	bpf_tc_detach(&hook, &opts);
}

/* Links close; a clsact filter is forgotten (its interface or namespace is gone). */
static void detach(struct wire_attach *a)
{
	if (a->xdp_link >= 0)
		close(a->xdp_link);
	if (a->tc_link >= 0)
		close(a->tc_link);
	if (a->netns_fd >= 0)
		close(a->netns_fd);
	a->xdp_link = a->tc_link = a->netns_fd = -1;
	a->tc_clsact = false;
}

/* At stop: remove our clsact filters, entering each namespace. */
static void clsact_remove_all(struct wire *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wire_attach *a = &w->v[i];

		if (!a->tc_clsact)
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
		fd = bpf_link_create(w->xdp_prog, a->ifindex, BPF_XDP, &xo);
		a->xdp_native = fd >= 0;
		return fd;
	}
	xo.flags = XDP_FLAGS_SKB_MODE;
	return bpf_link_create(w->xdp_prog, a->ifindex, BPF_XDP, &xo);
}

/* In the current namespace (netns, open as ns_fd, -1 for our own): attach to its interfaces. */
static void attach_here(struct wire *w, uint32_t netns, int ns_fd)
{
	struct if_nameindex *ifs = if_nameindex(), *it;

	if (!ifs)
		return;
	for (it = ifs; it->if_index; it++) {
		struct wire_attach *a = find(w, netns, (int)it->if_index);

		if (w->only && !name_in_list(w->only, it->if_name))
			continue;
		if (a) {
			a->seen = true;
			continue;
		}
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
		a->xdp_link = a->tc_link = a->netns_fd = -1;
		snprintf(a->ifname, sizeof(a->ifname), "%s", it->if_name);

		if (w->clsact) {
			int err = clsact_attach(w, a->ifindex);

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
			a->tc_link = bpf_link_create(w->tc_prog, a->ifindex,
						     (enum bpf_attach_type)w->tcx_egress, NULL);
			if (a->tc_link < 0) {
				log_warn("wire: %s (netns %u): tcx egress: %s: firewall resets not "
					 "seen there",
					 a->ifname, netns, strerror(errno));
				a->tc_link = -1;
			}
		}
		/* loopback traffic is all local: the tracepoints see it whole */
		if (strcmp(it->if_name, "lo") != 0) {
			a->xdp_link = xdp_attach(w, a);
			if (a->xdp_link < 0) {
				log_warn("wire: %s (netns %u): XDP: %s%s", a->ifname, netns,
					 strerror(errno),
					 errno == EBUSY ?
						 " (it has an XDP program already: left "
						 "alone; RSTs to TIME_WAIT not seen there)" :
						 "");
				a->xdp_link = -1;
			}
		}
		log_info("wire: %s (netns %u): %s%s", a->ifname, netns,
			 a->tc_link >= 0 ? "tcx egress " :
			 a->tc_clsact	 ? "clsact egress " :
					   "",
			 a->xdp_link < 0 ? "" :
			 a->xdp_native	 ? "xdp (native)" :
					   "xdp (generic)");
	}
	if_freenameindex(ifs);
}

struct ns_seen {
	dev_t dev;
	ino_t ino;
};

static bool ns_seen_add(struct ns_seen **s, size_t *n, size_t *cap, const struct stat *st)
{
	for (size_t i = 0; i < *n; i++)
		if ((*s)[i].ino == st->st_ino && (*s)[i].dev == st->st_dev)
			return false;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct ns_seen *v = realloc(*s, c * sizeof(*v));

		if (!v)
			return false;
		*s = v;
		*cap = c;
	}
	(*s)[(*n)++] = (struct ns_seen){ st->st_dev, st->st_ino };
	return true;
}

static void visit_ns(struct wire *w, const char *path, struct ns_seen **s, size_t *n, size_t *cap)
{
	static bool warned;
	struct stat st, self;
	int fd;

	if (stat(path, &st) || !ns_seen_add(s, n, cap, &st))
		return;
	/* our own namespace needs no setns (nor CAP_SYS_ADMIN) */
	if (fstat(w->self_netns, &self) == 0 && self.st_ino == st.st_ino &&
	    self.st_dev == st.st_dev) {
		attach_here(w, (uint32_t)st.st_ino, -1);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (setns(fd, CLONE_NEWNET) == 0) {
		attach_here(w, (uint32_t)st.st_ino, fd);
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

void wire_scan(struct wire *w)
{
	struct ns_seen *s = NULL;
	size_t n = 0, cap = 0, i, keep = 0;
	char path[300];
	struct dirent *d;
	DIR *dir;

	if (!w->enabled)
		return;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->n; i++)
		w->v[i].seen = false;
	visit_ns(w, "/proc/self/ns/net", &s, &n, &cap);
	dir = opendir("/run/netns");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		visit_ns(w, path, &s, &n, &cap);
	}
	if (dir)
		closedir(dir);
	dir = opendir("/proc");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		visit_ns(w, path, &s, &n, &cap);
	}
	if (dir)
		closedir(dir);
	free(s);
	/* interfaces or namespaces gone: their links are defunct, close them */
	for (i = 0; i < w->n; i++) {
		if (w->v[i].seen)
			w->v[keep++] = w->v[i];
		else
			detach(&w->v[i]);
	}
	w->n = keep;
	pthread_mutex_unlock(&w->lock);
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
		n += (w->v[i].xdp_link >= 0) + (w->v[i].tc_link >= 0) + w->v[i].tc_clsact;
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

int wire_start(struct wire *w, struct loader *l, const struct opts *o)
{
	memset(w, 0, sizeof(*w));
	w->self_netns = -1;
	pthread_mutex_init(&w->lock, NULL);
	if (o->disabled & DISABLE_WIRE)
		return 0;
	w->xdp_prog = bpf_program__fd(l->skel->progs.xdp_rst_in);
	w->tc_prog = bpf_program__fd(l->skel->progs.tc_rst_out);
	w->xdp_mode = o->xdp_mode;
	w->tcx_egress = (int)loader_btf_enum_value(l->vmlinux, "bpf_attach_type", "BPF_TCX_EGRESS");
	w->only = o->ifaces;
	if (o->tc_mode == TC_MODE_TCX && w->tcx_egress < 0) {
		log_err("--tc-mode tcx: this kernel has no tcx (Linux 6.6+)");
		return -1;
	}
	w->clsact = o->tc_mode == TC_MODE_CLSACT || w->tcx_egress < 0;
	if (w->clsact && w->tcx_egress < 0)
		log_info("no tcx in this kernel: TC egress through clsact filters (handle 0x%x, "
			 "priority %u)",
			 WIRE_TC_HANDLE, WIRE_TC_PRIORITY);
	w->self_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (w->self_netns < 0) {
		log_warn("wire: cannot open our network namespace: %s: no wire view",
			 strerror(errno));
		return 0;
	}
	w->enabled = true;
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
		detach(&w->v[i]);
	free(w->v);
	if (w->self_netns >= 0)
		close(w->self_netns);
	pthread_mutex_destroy(&w->lock);
	memset(w, 0, sizeof(*w));
	w->self_netns = -1;
}
