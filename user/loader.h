/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_LOADER_H
#define RSTW_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "reasons.h"
#include "rstwatch.h"

struct resets_bpf;
struct btf;
struct ring_buffer;
struct opts;

/* How sent resets are seen (rstwatch check prints it). */
enum send_rung {
	RUNG_TRACEPOINT = 0, /* tcp_send_reset fires for every reset (6.10+) */
	RUNG_FENTRY, /* + fentry on tcp_v4/v6_send_reset for resets without a full socket */
	RUNG_KPROBE, /* + kprobe on the same */
	RUNG_PARTIAL, /* tracepoint only: resets without a full socket are not seen */
};

struct loader {
	struct resets_bpf *skel;
	struct btf *vmlinux;
	struct reasons reasons;
	bool ctx_known; /* the kernel side can tell process context */
	bool owner_io; /* send/recv owner tracking attached */
	bool have_receive; /* tcp_receive_reset attached */
	bool have_listen_drop; /* listen drops seen: kfree_skb, or the fexit below */
	bool listen_drop_fexit; /* through fexit on tcp_check_req, fentry on tcp_conn_request */
	bool have_rst_drops; /* kfree_skb with the reasons of refused RSTs attached */
	bool sample; /* events go to the ring buffer (not serve without --log) */
	bool cookies; /* tracing programs get socket cookies (5.12+) */
	bool owners_on_socket; /* owners in socket-local storage, not a keyed map */
	char owners_why[64]; /* why not, or "" */
	uint32_t map_entries[RSTW_MAP__COUNT]; /* capacities the loader chose, 0 if none */
	enum send_rung rung;
	char rung_why[96]; /* why fentry was not used in auto mode, or "" */
};

#define VMLINUX_BTF_PATH "/sys/kernel/btf/vmlinux"

/* Probe, choose programs, load and attach.  Prints one error line on failure. */
int loader_start(struct loader *l, const struct opts *o);
void loader_stop(struct loader *l);
/* "tracepoint", "fentry", "kprobe", "partial" */
const char *loader_rung_name(enum send_rung r);
/*
 * Can the TC program tell its interface's network namespace (the
 * bpf_cast_to_kern_ctx kfunc, 6.2+)?  Without it, wire events have netns 0.
 */
bool loader_wire_knows_netns(const struct btf *btf);
/* Release receive events waiting per CPU (see bpf/shared.bpf.h, pending_rx). */
void loader_flush_pending(const struct loader *l);
int loader_events_fd(const struct loader *l);
int loader_stats_fd(const struct loader *l);
/* The BPF map behind a map id (for user/counters.c's loss accounting). */
int loader_map_fd(const struct loader *l, enum rstw_map_id id);
int loader_map_stats_fd(const struct loader *l);

/* Value of an enumerator in the kernel's BTF, or -1. */
long long loader_btf_enum_value(const struct btf *btf, const char *enum_name, const char *value);
/* Is this capability in our effective set? */
bool loader_has_capability(int cap);

/* Missing privilege as "CAP_BPF" etc., or NULL if all present. */
const char *loader_missing_capability(void);

#endif
