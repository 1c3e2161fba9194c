/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_OPTS_H
#define RSTW_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "causes.h"
#include "rstwatch.h"

enum rstw_cmd {
	CMD_WATCH = 0, /* stream events (default) */
	CMD_EXPLAIN,
	CMD_CHECK, /* what this kernel offers; load and attach everything, then exit */
	CMD_SERVE, /* long-running: /metrics, optional JSON Lines log */
	CMD_TOP, /* live full-screen view */
};

struct opts {
	enum rstw_cmd cmd;
	bool json;
	bool wide;
	bool details; /* JSON: static per-cause text and every optional key in each event */
	int verbose;
	bool no_summary;
	long pid; /* -1: any */
	long port; /* -1: any */
	long netns; /* -1: any */
	const char *pcap_filter; /* --filter EXPR (pcap-filter syntax), NULL for none */
	int family; /* 0 any, 4, 6 */
	uint64_t count; /* 0: unlimited */
	bool cause_set; /* --cause given */
	bool causes[CAUSE__COUNT];
	uint64_t ringbuf_bytes;
	const char *btf_path; /* kernel BTF; default /sys/kernel/btf/vmlinux */
	unsigned int disabled; /* DISABLE_* hooks turned off with --disable */
	uint32_t map_entries[RSTW_MAP__COUNT]; /* --map-entries, 0: the host's default */
	const char *ifaces; /* -i: interfaces for the wire view, NULL for all */
	int xdp_mode; /* XDP_MODE_AUTO, _GENERIC, _NATIVE (--xdp-mode) */
	int tc_mode; /* TC_MODE_AUTO, _TCX, _CLSACT (--tc-mode) */
	int fallback; /* FALLBACK_AUTO, _FENTRY, _KPROBE (--fallback) */
	bool bpf_stats; /* serve: turn on the kernel's BPF run-time statistics */
	const char *listen; /* serve: --listen ADDR:PORT */
	const char *log_path; /* serve: --log FILE */
	const char *config_path; /* --config FILE */
	int color; /* COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER */
	unsigned int interval; /* top: seconds between refreshes (0: default 1) */
	unsigned int
		expire_after; /* serve: seconds a gone cgroup's or interface's series lives on */
	const char *explain_cause; /* explain: NULL for all */
	const char *summary_json; /* stream: --summary-json FILE, the exit summary as JSON */
};

/* Optional hooks an operator may turn off (--disable), e.g. to save their cost. */
enum {
	DISABLE_RECEIVE = 1u << 0, /* tcp_receive_reset: received resets */
	DISABLE_OWNER_IO = 1u << 1, /* send/recv owner tracking */
	DISABLE_DROPS = 1u << 2, /* kfree_skb: refused RSTs, listen drops */
	DISABLE_WIRE = 1u << 3, /* ingress (TC or XDP) and TC egress on interfaces */
	DISABLE_SK_STORAGE = 1u << 4, /* owners in the keyed map, not on the socket */
};

/* --xdp-mode: auto = generic (see user/wire.c); native only when asked for */
enum { XDP_MODE_AUTO = 0, XDP_MODE_GENERIC, XDP_MODE_NATIVE };

/*
 * --tc-mode: tcx links (6.6+: gone with the process) where the kernel has
 * them, else a clsact filter (older kernels: it outlives a killed rstwatch
 * until the next start replaces it).
 */
enum { TC_MODE_AUTO = 0, TC_MODE_TCX, TC_MODE_CLSACT };

/*
 * --fallback: how to see the resets that the tcp_send_reset tracepoint misses
 * on kernels before 6.10 (no socket, TIME_WAIT, request sockets).  auto =
 * fentry where BPF trampolines work, kprobe otherwise.
 */
enum { FALLBACK_AUTO = 0, FALLBACK_FENTRY, FALLBACK_KPROBE };

enum { COLOR_AUTO = 0, COLOR_ALWAYS, COLOR_NEVER };

enum opts_result {
	OPTS_RUN = 0, /* go on */
	OPTS_EXIT_OK, /* --help / --version done */
	OPTS_USAGE, /* bad usage: message in err, exit 2 */
};

enum opts_result opts_parse(int argc, char **argv, struct opts *o, char *err, size_t errlen);
void opts_usage(FILE *f);
/* A long option by name: 1 takes a value, 0 a flag, -1 unknown (or not for files). */
int opts_option_kind(const char *name);

/* Strict integer parsing: the whole string, in [min, max]. */
bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Size with optional K/M/G suffix (powers of two). */
bool parse_size(const char *s, uint64_t *out);

#endif
