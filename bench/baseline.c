// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/baseline: empty BPF programs on the hooks rstwatch uses, for the
 * floor each hook costs with bpf_stats on, measured in the same run as
 * rstwatch and its peers.
 *
 *   baseline [--netns NAME]... [-i IFNAME] [--xdp-mode generic|native]
 *
 * Attaches the tracing programs host-wide and, in each named network
 * namespace (/run/netns/NAME), XDP and tcx ingress/egress on IFNAME.  Prints
 * "attached" once everything is in place, then waits for SIGINT or SIGTERM
 * and prints one JSON line per program: name, runs, run time (ns).
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "empty.skel.h"

#define BL_MAX_NETNS 8
#define BL_MAX_LINKS 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A kernel enum's value by name, from BTF: tcx arrived after Debian's headers. */
static int enum_value(const struct btf *btf, const char *type, const char *name)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name))
			return (int)e[i].val;
	return -1;
}

int main(int argc, char **argv)
{
	const char *netns[BL_MAX_NETNS], *ifname = NULL;
	int nnetns = 0, links[BL_MAX_LINKS], nlinks = 0, self, ret = 1;
	int tcx_in, tcx_out, xdp_flags = XDP_FLAGS_SKB_MODE;
	struct sigaction sa = { .sa_handler = on_signal };
	struct empty_bpf *skel;
	struct bpf_program *prog;
	struct btf *btf;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--netns") && i + 1 < argc && nnetns < BL_MAX_NETNS) {
			netns[nnetns++] = argv[++i];
		} else if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			ifname = argv[++i];
		} else if (!strcmp(argv[i], "--xdp-mode") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "native"))
				xdp_flags = XDP_FLAGS_DRV_MODE;
			else if (strcmp(argv[i], "generic"))
				goto usage;
		} else {
			goto usage;
		}
	}
	if (ifname && !nnetns)
		netns[nnetns++] = NULL; /* this namespace */
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		fprintf(stderr, "baseline: no kernel BTF: %s\n", strerror(errno));
		return 1;
	}
	tcx_in = enum_value(btf, "bpf_attach_type", "BPF_TCX_INGRESS");
	tcx_out = enum_value(btf, "bpf_attach_type", "BPF_TCX_EGRESS");
	btf__free(btf);
	skel = empty_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "baseline: cannot load the empty programs: %s\n", strerror(errno));
		return 1;
	}
	if (empty_bpf__attach(skel)) { /* the tracing ones; XDP and tc need a device */
		fprintf(stderr, "baseline: cannot attach: %s\n", strerror(errno));
		goto out;
	}
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	for (int n = 0; ifname && n < nnetns; n++) {
		char path[300];
		int fd = -1, ifindex;
		LIBBPF_OPTS(bpf_link_create_opts, xo, .flags = xdp_flags);

		if (netns[n]) {
			snprintf(path, sizeof(path), "/run/netns/%s", netns[n]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET)) {
				fprintf(stderr, "baseline: netns %s: %s\n", netns[n],
					strerror(errno));
				goto out;
			}
		}
		ifindex = (int)if_nametoindex(ifname);
		if (!ifindex) {
			fprintf(stderr, "baseline: no interface %s\n", ifname);
			goto out;
		}
		if (nlinks + 3 > BL_MAX_LINKS)
			break;
		links[nlinks] = bpf_link_create(bpf_program__fd(skel->progs.empty_xdp), ifindex,
						BPF_XDP, &xo);
		if (links[nlinks] >= 0)
			nlinks++;
		if (tcx_in >= 0 && tcx_out >= 0) {
			links[nlinks] =
				bpf_link_create(bpf_program__fd(skel->progs.empty_tc_ingress),
						ifindex, (enum bpf_attach_type)tcx_in, NULL);
			if (links[nlinks] >= 0)
				nlinks++;
			links[nlinks] =
				bpf_link_create(bpf_program__fd(skel->progs.empty_tc_egress),
						ifindex, (enum bpf_attach_type)tcx_out, NULL);
			if (links[nlinks] >= 0)
				nlinks++;
		}
		if (fd >= 0) {
			close(fd);
			if (setns(self, CLONE_NEWNET)) {
				fprintf(stderr, "baseline: back to our netns: %s\n",
					strerror(errno));
				goto out;
			}
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("attached %d device links\n", nlinks);
	fflush(stdout);
	while (!stop)
		pause();
	bpf_object__for_each_program(prog, skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		printf("{\"program\":\"%s\",\"run_cnt\":%llu,\"run_time_ns\":%llu}\n",
		       bpf_program__name(prog), (unsigned long long)info.run_cnt,
		       (unsigned long long)info.run_time_ns);
	}
	ret = 0;
out:
	for (int i = 0; i < nlinks; i++)
		close(links[i]);
	empty_bpf__destroy(skel);
	return ret;
usage:
	fprintf(stderr,
		"usage: baseline [--netns NAME]... [-i IFNAME] [--xdp-mode generic|native]\n");
	return 2;
}
