/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The contract between the BPF programs (bpf/) and user space (user/).
 *
 * The kernel side records raw facts only. The facts that decide a cause are
 * packed into one 32-bit "fact key": it is both the key of the exact per-CPU
 * counters and a field of every sampled event, so counts and events are
 * attributed by the same pure function in user space and can never disagree.
 *
 * Append-only: bump RSTW_ABI_VERSION when the event layout changes.
 */
#ifndef RSTWATCH_H
#define RSTWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RSTW_ABI_VERSION 3
#define RSTW_COMM_LEN 16

enum rstw_dir {
	RSTW_DIR_SENT = 0,
	RSTW_DIR_RECEIVED = 1,
};

/* Kernel reason slot when the kernel gives none (tracepoint without `reason`). */
#define RSTW_REASON_NONE 63u
/*
 * Kernels whose tcp_send_reset has no reason field: the reason slot of an
 * active reset carries what the socket showed instead (bpf/send.bpf.c,
 * active_evidence()), never a kernel reason.
 */
#define RSTW_EVID_KEEPALIVE 62u /* keepalive on, probes unanswered, from a timer */
#define RSTW_EVID_LINGER2 61u /* orphaned with TCP_LINGER2 < 0 */
#define RSTW_EVID_CLOSED_DEAD 60u /* orphaned by close(), reset in the same call */
#define RSTW_EVID_NEVER_ACCEPTED 59u /* in a syscall, never had a file (listener closing) */
#define RSTW_EVID_MIN 59u
/*
 * The syscall in progress, as far as attribution needs it: a class, not the
 * number (the number would multiply the counter keys by every syscall that
 * can reset; the sampled event carries it, in syscall_nr).  The loader fills
 * the BPF side's number -> class table from user/cause.c.
 */
enum rstw_sysclass {
	RSTW_SYSC_NONE = 0, /* not in process context */
	RSTW_SYSC_OTHER = 1, /* some other syscall, or one this table does not know */
	RSTW_SYSC_CLOSE = 2, /* close, exit, close_range, shutdown: the socket is released */
	RSTW_SYSC_CONNECT = 3, /* connect (AF_UNSPEC disconnects) */
	RSTW_SYSC_NETLINK = 4, /* a write that may carry SOCK_DESTROY (ss -K) */
	RSTW_SYSC__COUNT,
};
/* Syscall numbers the class table covers (x86-64 uses fewer than 512). */
#define RSTW_SYSCALL_TABLE 512

/* Raw facts about the socket and context of a reset (bits of the fact key). */
enum rstw_fact {
	RSTW_F_SEGMENT = 1u << 0, /* a reply to an incoming segment (skb present) */
	RSTW_F_SYN = 1u << 1, /* that segment was a SYN without ACK */
	RSTW_F_TASK = 1u << 2, /* process context (a syscall), not softirq/timer */
	RSTW_F_LINGER0 = 1u << 3, /* SO_LINGER on with a zero timeout */
	RSTW_F_ORPHAN = 1u << 4, /* no application holds the socket (closed, or never accepted) */
	RSTW_F_LISTEN_FULL = 1u << 5, /* a listener whose accept queue is full */
	RSTW_F_UNREAD = 1u << 6, /* unread data in the receive queue */
	RSTW_F_RCV_SHUT = 1u << 7, /* receive side shut down (shutdown/close) */
};

/* What a record is about. */
enum rstw_kind {
	RSTW_KIND_RESET = 0, /* a reset sent or received */
	RSTW_KIND_LISTEN_DROP = 1, /* accept queue full, segment dropped: no reset */
	RSTW_KIND_RST_DROPPED = 2, /* an incoming RST the kernel did not accept */
	RSTW_KIND_WIRE = 3, /* seen only on the wire (XDP ingress, TC egress) */
};

/* For RSTW_KIND_WIRE, the reason slot of the key says what was seen. */
enum rstw_wire_class {
	RSTW_WIRE_FOREIGN_RST = 1, /* a RST leaving that the TCP stack did not make */
	RSTW_WIRE_TW_KILLED = 2, /* a RST for a TIME_WAIT socket, tcp_rfc1337=0: it dies */
	RSTW_WIRE_TW_KEPT = 3, /* the same with tcp_rfc1337=1: it is ignored */
};

/* Key of the per-service counters: the owner's cgroup and the fact key. */
struct rstw_service_key {
	__u64 cgroup_id; /* 0: no owner known */
	__u32 key;
	__u32 pad;
};

/* Key of the per-interface wire counters. */
struct rstw_wire_key {
	__u32 netns; /* 0 when no socket told the namespace */
	__u32 ifindex;
	__u32 dir; /* enum rstw_dir */
};

/* For RSTW_KIND_RST_DROPPED, the reason slot of the key says why (kfree_skb reason). */
enum rstw_rst_drop {
	RSTW_RST_CHALLENGED = 1, /* TCP_RESET: in window, inexact: challenge ACK (RFC 5961) */
	RSTW_RST_OUT_OF_WINDOW = 2, /* TCP_INVALID_SEQUENCE */
	RSTW_RST_NO_SOCKET = 3, /* NO_SOCKET */
};

/*
 * Fact key layout: facts 0-7, TCP state 8-11 (0 = no socket), kernel reason
 * 12-17, direction 18, syscall class 19-21, 22-28 zero, kind 29-30.
 */
#define RSTW_KEY_FACTS_SHIFT 0
#define RSTW_KEY_STATE_SHIFT 8
#define RSTW_KEY_REASON_SHIFT 12
#define RSTW_KEY_DIR_SHIFT 18
#define RSTW_KEY_SYSCALL_SHIFT 19
#define RSTW_KEY_KIND_SHIFT 29

static inline __u32 rstw_key_make(__u32 dir, __u32 reason, __u32 state, __u32 facts, __u32 sysclass)
{
	if (reason > RSTW_REASON_NONE)
		reason = RSTW_REASON_NONE;
	if (sysclass >= RSTW_SYSC__COUNT)
		sysclass = RSTW_SYSC_OTHER;
	return (facts & 0xffu) | (state & 0xfu) << RSTW_KEY_STATE_SHIFT |
	       reason << RSTW_KEY_REASON_SHIFT | (dir & 1u) << RSTW_KEY_DIR_SHIFT |
	       sysclass << RSTW_KEY_SYSCALL_SHIFT;
}

static inline __u32 rstw_key_facts(__u32 key)
{
	return key & 0xffu;
}
static inline __u32 rstw_key_state(__u32 key)
{
	return (key >> RSTW_KEY_STATE_SHIFT) & 0xfu;
}
static inline __u32 rstw_key_reason(__u32 key)
{
	return (key >> RSTW_KEY_REASON_SHIFT) & 0x3fu;
}
static inline __u32 rstw_key_dir(__u32 key)
{
	return (key >> RSTW_KEY_DIR_SHIFT) & 1u;
}
static inline __u32 rstw_key_sysclass(__u32 key)
{
	return (key >> RSTW_KEY_SYSCALL_SHIFT) & 7u;
}
static inline __u32 rstw_key_kind(__u32 key)
{
	return (key >> RSTW_KEY_KIND_SHIFT) & 3u;
}

/* Self-accounting slots of the per-CPU `stats` array. */
enum rstw_stat {
	RSTW_STAT_EVENTS = 0, /* events submitted to the ring buffer */
	RSTW_STAT_RB_LOST, /* ring buffer reserve failed: sample lost, count kept */
	RSTW_STAT_NOT_RECEIVED, /* tcp_receive_reset fired for an abort on data: no RST arrived */
	RSTW_STAT_MAX,
};

/*
 * The maps an insert can fail in (or, for an LRU map, evict from to make
 * room): the index of the per-CPU `map_stats` array is map * RSTW_MS__COUNT +
 * stat.  user/maps.c names them as the BPF side does.
 */
enum rstw_map_id {
	RSTW_MAP_COUNTS = 0, /* per fact key: the exact totals */
	RSTW_MAP_SERVICE_COUNTS, /* per (cgroup, fact key) */
	RSTW_MAP_WIRE_COUNTS, /* per (netns, interface, direction) */
	RSTW_MAP_OWNERS, /* LRU, keyed owners: every socket, or only TIME_WAIT ones */
	RSTW_MAP_SK_OWNERS, /* socket-local storage: its allocation failed */
	RSTW_MAP_LISTENERS, /* LRU, (netns, port) -> listener */
	RSTW_MAP__COUNT,
};

enum rstw_map_stat {
	RSTW_MS_FULL = 0, /* an insert failed: the map was full (or out of memory) */
	RSTW_MS_INSERTED, /* LRU maps: new keys inserted */
	RSTW_MS_DELETED, /* LRU maps: keys deleted on purpose */
	RSTW_MS__COUNT,
};

/* Where the owner fields of an event came from. */
enum rstw_owner_src {
	RSTW_OWNER_NONE = 0, /* no owner known to the kernel side */
	RSTW_OWNER_TRACKED = 1, /* recorded in process context on this socket */
	RSTW_OWNER_LISTENER = 2, /* an accepted socket not yet used: its listener's owner */
	RSTW_OWNER_LAST_LISTENER = 3, /* no socket: who last listened on the port (not an owner) */
};

/* Key of the listener-owner map: accepted sockets share the listener's port. */
struct rstw_listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct rstw_task {
	__u32 pid; /* thread id */
	__u32 tgid; /* process id */
	__u64 cgroup_id; /* cgroup v2 id */
	char comm[RSTW_COMM_LEN];
};

/* Value of the listener map. */
struct rstw_listener {
	struct rstw_task owner;
	__u64 closed_boot_ns; /* 0 while it listens */
};

struct rstw_event {
	__u16 abi; /* RSTW_ABI_VERSION */
	__u16 size; /* sizeof(struct rstw_event) */
	__u32 key; /* fact key, as counted */
	__u64 ts_boot_ns; /* bpf_ktime_get_boot_ns() */
	__u64 cookie; /* socket cookie, 0 without a socket */
	__u32 netns; /* network namespace inode */
	__u32 reason; /* kernel reason value, RSTW_REASON_NONE if none */
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 state; /* TCP state, 0 without a socket */
	__u8 tcp_flags; /* flags of the segment that caused the reset */
	__u8 owner_src; /* enum rstw_owner_src */
	__u16 lport; /* host byte order, local = this host */
	__u16 rport;
	__u8 laddr[16]; /* IPv4 uses the first 4 bytes */
	__u8 raddr[16];
	__u32 sk_ino; /* socket inode, 0 if none (for /proc fallback) */
	__u32 ack_backlog; /* listener accept queue length */
	__u32 max_ack_backlog; /* listener accept queue limit */
	__u32 unread; /* bytes received but not read */
	__s32 syscall_nr; /* current syscall, -1 outside process context */
	__u32 pad;
	struct rstw_task owner; /* tracked owner of the socket */
	struct rstw_task cur; /* task on the CPU when it happened */
	__u64 last_listener_closed_ns; /* RSTW_OWNER_LAST_LISTENER: when it stopped, 0 if not */
};

#define RSTW_TCP_FIN 0x01
#define RSTW_TCP_SYN 0x02
#define RSTW_TCP_RST 0x04
#define RSTW_TCP_PSH 0x08
#define RSTW_TCP_ACK 0x10

_Static_assert(sizeof(struct rstw_task) == 32, "rstw_task layout");
_Static_assert(sizeof(struct rstw_event) == 168, "rstw_event layout");
_Static_assert(__builtin_offsetof(struct rstw_event, laddr) == 40, "rstw_event laddr");
_Static_assert(__builtin_offsetof(struct rstw_event, owner) == 96, "rstw_event owner");

#endif /* RSTWATCH_H */
