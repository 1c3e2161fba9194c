// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rstwatch check: what this kernel offers, what is degraded and why, and where
 * the programs attach.  It loads and attaches everything for real, reports,
 * and exits: 0 if the core (sent resets) works.
 */
#include <bpf/btf.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"
#include "caps.h"
#include "loader.h"
#include "log.h"
#include "opts.h"
#include "wire.h"

static bool btf_member(const struct btf *btf, const char *type, const char *member)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	const struct btf_member *m;
	const struct btf_type *t;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, m[i].name_off), member) == 0)
			return true;
	return false;
}

static void line(bool ok, const char *what, const char *detail)
{
	printf("  %-4s %s%s%s\n", ok ? "ok" : "no", what, detail && *detail ? ": " : "",
	       detail ? detail : "");
}

int cmd_check(const struct opts *o)
{
	struct wire wire = { .self_netns = -1 };
	struct utsname u;
	struct loader l;
	int names = 0, ret = 1;
	size_t n_tc = 0, n_xdp = 0, n_nonlo = 0;
	bool tc_ok, xdp_ok;
	bool reason;

	uname(&u);
	printf("kernel:     %s %s\n", u.release, u.machine);
	printf("privileges: CAP_BPF %s, CAP_PERFMON %s, CAP_NET_ADMIN %s, CAP_SYS_ADMIN %s\n",
	       loader_has_capability(CAP_BPF) ? "yes" : "no",
	       loader_has_capability(CAP_PERFMON) ? "yes" : "no",
	       loader_has_capability(CAP_NET_ADMIN) ? "yes" : "no",
	       loader_has_capability(CAP_SYS_ADMIN) ? "yes" : "no");
	fflush(stdout);
	if (loader_start(&l, o)) {
		printf("result:     FAIL: the core cannot run here (see the error above)\n");
		return 1;
	}
	if (wire_start(&wire, &l, o))
		goto out;
	for (int i = 0; i < REASONS_MAX; i++)
		names += l.reasons.names[i] != NULL;
	reason = btf_member(l.vmlinux, "trace_event_raw_tcp_send_reset", "reason");
	printf("hooks:\n");
	line(true, "tp_btf/tcp_send_reset (sent resets, exact counts)", NULL);
	{
		char d[96];

		snprintf(d, sizeof(d), "enum sk_rst_reason, %d names from BTF", names);
		line(reason && l.reasons.have_enum, "the kernel's reset reason",
		     reason ?
			     d :
			     "no reason field (before Linux 6.10): causes inferred from socket facts");
	}
	{
		static const char *const how[] = {
			[RUNG_TRACEPOINT] = "the tracepoint fires for every reset (Linux 6.10+)",
			[RUNG_FENTRY] = "fentry on tcp_v4_send_reset, tcp_v6_send_reset "
					"(a BPF trampoline call per reset answering a segment)",
			[RUNG_KPROBE] = "kprobe on tcp_v4_send_reset, tcp_v6_send_reset (an ftrace "
					"or breakpoint trap per call: a few times fentry's cost)",
			[RUNG_PARTIAL] = "not seen: neither fentry nor kprobe works here",
		};

		line(l.rung != RUNG_PARTIAL,
		     "resets without a full socket (closed port, TIME_WAIT)", how[l.rung]);
	}
	line(l.have_receive, "tp_btf/tcp_receive_reset (received resets)", NULL);
	line(l.ctx_known, "process vs softirq context",
	     l.ctx_known ? "task stack + pt_regs" : "needs x86-64 and bpf_task_pt_regs");
	line(true, "owner tracking: tp_btf/inet_sock_set_state",
	     l.cookies ? "by socket cookie" :
			 "by socket address: no socket cookies in tracing programs before 5.12");
	line(l.owners_on_socket, "owners kept on the socket (socket-local storage)",
	     l.owners_on_socket ? "nothing to evict; TIME_WAIT sockets in the keyed owners map" :
				  l.owners_why);
	line(l.owner_io, "owner tracking: tp_btf/sock_send_length, sock_recv_length",
	     l.owner_io ? NULL : "accepted sockets resolved from /proc or their listener");
	line(l.have_rst_drops, "refused RSTs: kfree_skb TCP_RESET, TCP_INVALID_SEQUENCE, NO_SOCKET",
	     NULL);
	line(l.have_listen_drop, "listen drops (listen_drop)",
	     l.listen_drop_fexit ? "fexit on tcp_check_req, fentry on tcp_conn_request" :
	     l.have_listen_drop	 ? "kfree_skb TCP_LISTEN_OVERFLOW" :
				   "needs the drop reason TCP_LISTEN_OVERFLOW or fexit");
	/* attached somewhere, or at least nothing failed (no interfaces to attach to) */
	for (size_t i = 0; i < wire.n; i++) {
		n_tc += wire.v[i].tc_link >= 0 || wire.v[i].tc_clsact;
		n_xdp += wire.v[i].xdp_link >= 0;
		n_nonlo += strcmp(wire.v[i].ifname, "lo") != 0;
	}
	tc_ok = wire.enabled && (wire.tcx_egress >= 0 || wire.clsact) && (n_tc || !wire.n);
	xdp_ok = wire.enabled && (n_xdp || !n_nonlo);
	line(tc_ok, "TC egress (firewall_reject)",
	     !wire.enabled ? "disabled" :
	     !tc_ok && (wire.tcx_egress >= 0 || wire.clsact) ?
			     "failed on every interface (see the warnings above)" :
	     wire.clsact ? "clsact filters: left behind if rstwatch is killed, replaced at the "
			   "next start" :
			   "tcx links");
	line(xdp_ok, "XDP ingress (rst_timewait)",
	     !wire.enabled		    ? "disabled" :
	     !xdp_ok			    ? "failed on every interface (see the warnings above)" :
	     o->xdp_mode == XDP_MODE_NATIVE ? "native mode" :
	     o->xdp_mode == XDP_MODE_GENERIC ? "generic mode" :
					       "generic mode (auto)");
	if (l.rung_why[0])
		printf("rung:       %s (fentry: %s)\n", loader_rung_name(l.rung), l.rung_why);
	else
		printf("rung:       %s\n", loader_rung_name(l.rung));
	printf("wire:       %zu interface(s)\n", wire.n);
	for (size_t i = 0; i < wire.n; i++)
		printf("  %-16s netns %-10u %s%s\n", wire.v[i].ifname, wire.v[i].netns,
		       wire.v[i].tc_link >= 0 ? "tcx-egress " :
		       wire.v[i].tc_clsact    ? "clsact-egress " :
						"",
		       wire.v[i].xdp_link < 0 ? "" :
		       wire.v[i].xdp_native   ? "xdp-native" :
						"xdp-generic");
	printf("result:     ok: the core works%s\n",
	       l.have_receive && l.ctx_known && l.have_rst_drops && wire.enabled &&
			       l.rung != RUNG_PARTIAL ?
		       "" :
		       "; some views are degraded (see 'no' above)");
	ret = 0;
out:
	wire_stop(&wire);
	loader_stop(&l);
	return ret;
}
