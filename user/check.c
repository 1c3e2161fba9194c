// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rstwatch check: what this kernel offers, what is degraded and why, and where
 * the programs attach.  It loads and attaches everything for real, reports,
 * and exits: 0 if the core (sent resets) works.
 *
 * Text for people, or with --json one JSON object for programs (keys in
 * README and rstwatch(8)).  Each fact is printed by one function that writes
 * the form asked for (struct facts), so the two cannot say different things.
 */
#include <bpf/btf.h>
#include <linux/capability.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"
#include "caps.h"
#include "facts.h"
#include "format.h"
#include "loader.h"
#include "log.h"
#include "opts.h"
#include "wire.h"

enum check_result { RESULT_OK, RESULT_DEGRADED, RESULT_FAIL };

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

/* "kernel:" in text, "kernel": {"release", "machine"} in JSON */
static void print_kernel(const struct facts *f, const struct utsname *u)
{
	if (f->plain)
		fprintf(f->plain, "kernel:     %s %s\n", u->release, u->machine);
	if (f->json) {
		jw_key(f->json, "kernel");
		jw_object_begin(f->json);
		jw_kv_string(f->json, "release", u->release);
		jw_kv_string(f->json, "machine", u->machine);
		jw_object_end(f->json);
	}
}

/* "privileges": {"CAP_BPF": bool, ...}: the capabilities the views need */
static void print_privileges(const struct facts *f)
{
	static const struct {
		int cap;
		const char *name;
	} caps[] = {
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	};
	const size_t n = sizeof(caps) / sizeof(caps[0]);

	if (f->plain)
		fprintf(f->plain, "privileges: ");
	if (f->json) {
		jw_key(f->json, "privileges");
		jw_object_begin(f->json);
	}
	for (size_t i = 0; i < n; i++) {
		bool have = loader_has_capability(caps[i].cap);

		if (f->plain)
			fprintf(f->plain, "%s %s%s", caps[i].name, have ? "yes" : "no",
				i + 1 < n ? ", " : "\n");
		if (f->json) {
			jw_key(f->json, caps[i].name);
			jw_bool(f->json, have);
		}
	}
	if (f->json)
		jw_object_end(f->json);
}

/*
 * One hook: "  ok   WHAT: DETAIL" in text; in JSON "ID": {"ok", "how",
 * "detail"}, how being a short word for the way it is seen (or null), and
 * left open for a caller's extra keys (hook_end closes it).
 */
static void hook_begin(const struct facts *f, const char *id, bool ok, const char *what,
		       const char *how, const char *detail)
{
	if (f->plain)
		fprintf(f->plain, "  %-4s %s%s%s\n", ok ? "ok" : "no", what,
			detail && *detail ? ": " : "", detail ? detail : "");
	if (f->json) {
		jw_key(f->json, id);
		jw_object_begin(f->json);
		jw_key(f->json, "ok");
		jw_bool(f->json, ok);
		jw_kv_string(f->json, "how", how);
		jw_kv_string(f->json, "detail", detail && *detail ? detail : NULL);
	}
}

static void hook_end(const struct facts *f)
{
	if (f->json)
		jw_object_end(f->json);
}

static void print_hook(const struct facts *f, const char *id, bool ok, const char *what,
		       const char *how, const char *detail)
{
	hook_begin(f, id, ok, what, how, detail);
	hook_end(f);
}

/* the kernel's reset reason, and "names": how many of its names BTF gave */
static void print_reset_reason(const struct facts *f, const struct loader *l)
{
	bool field = btf_member(l->vmlinux, "trace_event_raw_tcp_send_reset", "reason");
	int names = 0;
	char d[96];

	for (int i = 0; i < REASONS_MAX; i++)
		names += l->reasons.names[i] != NULL;
	snprintf(d, sizeof(d), "enum sk_rst_reason, %d names from BTF", names);
	hook_begin(
		f, "reset_reason", field && l->reasons.have_enum, "the kernel's reset reason",
		field ? "tracepoint" : NULL,
		field ? d :
			"no reason field (before Linux 6.10): causes inferred from socket facts");
	if (f->json)
		jw_kv_uint(f->json, "names", (uint64_t)names);
	hook_end(f);
}

static void print_no_socket_resets(const struct facts *f, const struct loader *l)
{
	static const char *const how[] = {
		[RUNG_TRACEPOINT] = "the tracepoint fires for every reset (Linux 6.10+)",
		[RUNG_FENTRY] = "fentry on tcp_v4_send_reset, tcp_v6_send_reset "
				"(a BPF trampoline call per reset answering a segment)",
		[RUNG_KPROBE] = "kprobe on tcp_v4_send_reset, tcp_v6_send_reset (an ftrace "
				"or breakpoint trap per call: a few times fentry's cost)",
		[RUNG_PARTIAL] = "not seen: neither fentry nor kprobe works here",
	};

	print_hook(f, "no_socket_resets", l->rung != RUNG_PARTIAL,
		   "resets without a full socket (closed port, TIME_WAIT)",
		   l->rung != RUNG_PARTIAL ? loader_rung_name(l->rung) : NULL, how[l->rung]);
}

static void print_listen_drops(const struct facts *f, const struct loader *l)
{
	print_hook(f, "listen_drops", l->have_listen_drop, "listen drops (listen_drop)",
		   l->listen_drop_fexit ? "fexit" :
		   l->have_listen_drop	? "drop_reason" :
					  NULL,
		   l->listen_drop_fexit ? "fexit on tcp_check_req, fentry on tcp_conn_request" :
		   l->have_listen_drop	? "kfree_skb TCP_LISTEN_OVERFLOW" :
					  "needs the drop reason TCP_LISTEN_OVERFLOW or fexit");
}

/* How an interface sees RSTs arrive: "tcx", "clsact", "xdp-native", "xdp-generic", or NULL. */
static const char *ingress_of(const struct wire_attach *a)
{
	return a->tc_in_link >= 0 ? "tcx" :
	       a->tc_in_clsact	  ? "clsact" :
	       a->xdp_link < 0	  ? NULL :
	       a->xdp_native	  ? "xdp-native" :
				    "xdp-generic";
}

/* TC egress and ingress: attached somewhere, or nothing to attach to */
static void print_wire_hooks(const struct facts *f, const struct wire *wire, const struct loader *l,
			     const struct opts *o)
{
	size_t n_tc = 0, n_in = 0, n_nonlo = 0;
	bool tc_ok, in_ok, tc_any = wire->tcx_egress >= 0 || wire->clsact;
	bool knows_netns = loader_wire_knows_netns(l->vmlinux);
	bool by_tc = o->xdp_mode == XDP_MODE_AUTO;

	for (size_t i = 0; i < wire->n; i++) {
		n_tc += wire->v[i].tc_link >= 0 || wire->v[i].tc_clsact;
		n_in += ingress_of(&wire->v[i]) != NULL;
		n_nonlo += strcmp(wire->v[i].ifname, "lo") != 0;
	}
	tc_ok = wire->enabled && tc_any && (n_tc || !wire->n);
	in_ok = wire->enabled && (n_in || !n_nonlo);
	print_hook(f, "tc_egress", tc_ok, "TC egress (firewall_reject)",
		   !tc_ok	? NULL :
		   wire->clsact ? "clsact" :
				  "tcx",
		   !wire->enabled   ? "disabled" :
		   !tc_ok && tc_any ? "failed on every interface (see the warnings above)" :
		   wire->clsact	    ? "clsact filters: left behind if rstwatch is killed, replaced "
				      "at the next start" :
				      "tcx links");
	print_hook(f, "wire_netns", knows_netns,
		   "TC egress knows its interface's network namespace",
		   knows_netns ? "kfunc" : NULL,
		   knows_netns ? "bpf_cast_to_kern_ctx" :
				 "no bpf_cast_to_kern_ctx kfunc (before Linux 6.2): wire "
				 "events and counts have no netns");
	print_hook(f, "ingress", in_ok, "ingress with a socket lookup (rst_timewait)",
		   !in_ok	? NULL :
		   !by_tc	? (o->xdp_mode == XDP_MODE_NATIVE ? "xdp-native" : "xdp-generic") :
		   wire->clsact ? "clsact" :
				  "tcx",
		   !wire->enabled ? "disabled" :
		   !in_ok	  ? "failed on every interface (see the warnings above)" :
		   by_tc	  ? "TC ingress (the default; --xdp-mode generic|native for XDP)" :
		   o->xdp_mode == XDP_MODE_NATIVE ? "XDP, native mode" :
						    "XDP, generic mode");
}

static void print_hooks(const struct facts *f, const struct loader *l, const struct wire *wire,
			const struct opts *o)
{
	if (f->plain)
		fprintf(f->plain, "hooks:\n");
	if (f->json) {
		jw_key(f->json, "hooks");
		jw_object_begin(f->json);
	}
	print_hook(f, "send_reset", true, "tp_btf/tcp_send_reset (sent resets, exact counts)",
		   "tp_btf", NULL);
	print_reset_reason(f, l);
	print_no_socket_resets(f, l);
	print_hook(f, "receive_reset", l->have_receive,
		   "tp_btf/tcp_receive_reset (received resets)", l->have_receive ? "tp_btf" : NULL,
		   NULL);
	print_hook(f, "process_context", l->ctx_known, "process vs softirq context",
		   l->ctx_known ? "pt_regs" : NULL,
		   l->ctx_known ? "task stack + pt_regs" : "needs x86-64 and bpf_task_pt_regs");
	print_hook(f, "owner_state", true, "owner tracking: tp_btf/inet_sock_set_state",
		   l->cookies ? "cookie" : "address",
		   l->cookies ?
			   "by socket cookie" :
			   "by socket address: no socket cookies in tracing programs before 5.12");
	print_hook(f, "owners_on_socket", l->owners_on_socket,
		   "owners kept on the socket (socket-local storage)",
		   l->owners_on_socket ? "sk_storage" : NULL,
		   l->owners_on_socket ?
			   "nothing to evict; TIME_WAIT sockets in the keyed owners map" :
			   l->owners_why);
	print_hook(f, "owner_io", l->owner_io,
		   "owner tracking: tp_btf/sock_send_length, sock_recv_length",
		   l->owner_io ? "tp_btf" : NULL,
		   l->owner_io ? NULL : "accepted sockets resolved from /proc or their listener");
	print_hook(f, "rst_drops", l->have_rst_drops,
		   "refused RSTs: kfree_skb TCP_RESET, TCP_INVALID_SEQUENCE, NO_SOCKET",
		   l->have_rst_drops ? "drop_reason" : NULL, NULL);
	print_listen_drops(f, l);
	print_wire_hooks(f, wire, l, o);
	if (f->json)
		jw_object_end(f->json);
}

/* "rung": the way sent resets are seen; "rung_why": why not fentry, or null */
static void print_rung(const struct facts *f, const struct loader *l)
{
	if (f->plain && l->rung_why[0])
		fprintf(f->plain, "rung:       %s (fentry: %s)\n", loader_rung_name(l->rung),
			l->rung_why);
	else if (f->plain)
		fprintf(f->plain, "rung:       %s\n", loader_rung_name(l->rung));
	if (f->json) {
		jw_kv_string(f->json, "rung", loader_rung_name(l->rung));
		jw_kv_string(f->json, "rung_why", l->rung_why[0] ? l->rung_why : NULL);
	}
}

/*
 * "wire": [{"ifname", "netns", "tc": "tcx"|"clsact"|null, "ingress": "tcx"|"clsact"|
 * "xdp-native"|"xdp-generic"|null, "link_header": "ethernet"|"none"}]
 */
static void print_wire(const struct facts *f, const struct wire *wire)
{
	char ifname[4 * IF_NAMESIZE];

	if (f->plain) {
		fprintf(f->plain, "wire:       %zu interface(s)\n", wire->n);
		if (wire->skipped || wire->skipped_ns)
			fprintf(f->plain,
				"  skipped by the bounds: %zu interface(s), %zu namespace(s) of "
				"unprivileged users (descriptor budget %zu)\n",
				wire->skipped, wire->skipped_ns, wire->fd_budget);
	}
	if (f->json) {
		jw_key(f->json, "wire_skipped");
		jw_object_begin(f->json);
		jw_kv_uint(f->json, "interfaces", wire->skipped);
		jw_kv_uint(f->json, "namespaces", wire->skipped_ns);
		jw_kv_uint(f->json, "fd_budget", wire->fd_budget);
		jw_object_end(f->json);
		jw_key(f->json, "wire");
		jw_array_begin(f->json);
	}
	for (size_t i = 0; i < wire->n; i++) {
		const struct wire_attach *a = &wire->v[i];
		const char *tc = a->tc_link >= 0 ? "tcx" : a->tc_clsact ? "clsact" : NULL;
		const char *in = ingress_of(a);
		bool tc_in = a->tc_in_link >= 0 || a->tc_in_clsact;

		if (f->plain)
			/* interface names are anyone's (their own namespaces): escaped */
			fprintf(f->plain, "  %-16s netns %-10u %s%s%s%s%s\n",
				format_safe(a->ifname, ifname, sizeof(ifname)), a->netns,
				tc ? tc : "", tc ? "-egress " : "", in ? in : "",
				tc_in ? "-ingress" : "",
				a->l3 ? " (no link-layer header: parsed from the IP header)" : "");
		if (f->json) {
			jw_object_begin(f->json);
			jw_kv_string(f->json, "ifname", a->ifname);
			jw_kv_uint(f->json, "netns", a->netns);
			jw_kv_string(f->json, "tc", tc);
			jw_kv_string(f->json, "ingress", in);
			/* "ethernet", or "none": the programs start at the IP header */
			jw_kv_string(f->json, "link_header", a->l3 ? "none" : "ethernet");
			jw_object_end(f->json);
		}
	}
	if (f->json)
		jw_array_end(f->json);
}

/* "result": "ok", "degraded" (some views missing) or "fail" (exit status 1) */
static void print_result(const struct facts *f, enum check_result r, const char *why)
{
	static const char *const word[] = {
		[RESULT_OK] = "ok",
		[RESULT_DEGRADED] = "degraded",
		[RESULT_FAIL] = "fail",
	};

	if (f->plain && r == RESULT_FAIL)
		fprintf(f->plain, "result:     FAIL: %s (see the error above)\n", why);
	else if (f->plain)
		fprintf(f->plain, "result:     ok: the core works%s\n",
			r == RESULT_OK ? "" : "; some views are degraded (see 'no' above)");
	if (f->json)
		jw_kv_string(f->json, "result", word[r]);
}

int cmd_check(const struct opts *o)
{
	struct wire wire = { .self_netns = -1 };
	struct utsname u;
	struct loader l;
	struct jw jw;
	struct facts f = { .plain = o->json ? NULL : stdout, .json = o->json ? &jw : NULL };
	enum check_result r = RESULT_FAIL;
	bool started = false;

	uname(&u);
	if (f.json) {
		jw_init(&jw, stdout);
		jw_object_begin(&jw);
	}
	print_kernel(&f, &u);
	print_privileges(&f);
	fflush(stdout);
	if (loader_start(&l, o)) {
		print_result(&f, RESULT_FAIL, "the core cannot run here");
		goto done;
	}
	started = true;
	if (wire_start(&wire, &l, o)) {
		print_result(&f, RESULT_FAIL, "the wire view cannot start");
		goto out;
	}
	print_hooks(&f, &l, &wire, o);
	print_rung(&f, &l);
	print_wire(&f, &wire);
	r = l.have_receive && l.ctx_known && l.have_rst_drops && wire.enabled &&
			    l.rung != RUNG_PARTIAL ?
		    RESULT_OK :
		    RESULT_DEGRADED;
	print_result(&f, r, NULL);
out:
	wire_stop(&wire);
done:
	if (f.json) {
		jw_object_end(&jw);
		putchar('\n');
	}
	if (started)
		loader_stop(&l);
	return r == RESULT_FAIL;
}
