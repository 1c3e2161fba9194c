/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The contract between the BPF programs (bpf/) and user space (user/).
 *
 * The kernel side records raw facts only. The facts that decide a cause form
 * one 8-byte "fact key" (struct rstw_key), one field per meaning: it is both
 * the key of the exact per-CPU counters and a field of every sampled event, so
 * counts and events are attributed by the same pure function in user space and
 * can never disagree.  The BPF side makes keys with rstw_key_of() only; user
 * space reads them through user/key.c and user/attribute.c only.
 *
 * Append-only: bump RSTW_ABI_VERSION when the event layout changes.
 */
#ifndef RSTWATCH_H
#define RSTWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RSTW_ABI_VERSION 4
#define RSTW_COMM_LEN 16

enum rstw_dir {
	RSTW_DIR_SENT = 0,
	RSTW_DIR_RECEIVED = 1,
};

/* Kernel reason value when the kernel gives none (tracepoint without `reason`). */
#define RSTW_REASON_NONE 0xffu
/*
 * Kernels whose tcp_send_reset has no reason field: what the socket showed
 * about an active reset instead (bpf/send.bpf.c, active_evidence()).
 */
enum rstw_evidence {
	RSTW_EVID_NONE = 0,
	RSTW_EVID_KEEPALIVE = 1, /* keepalive on, probes unanswered, from a timer */
	RSTW_EVID_LINGER2 = 2, /* orphaned with TCP_LINGER2 < 0 */
	RSTW_EVID_CLOSED_DEAD = 3, /* orphaned by close(), reset in the same call */
	RSTW_EVID_NEVER_ACCEPTED = 4, /* in a syscall, never had a file (listener closing) */
	RSTW_EVID__COUNT,
};
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

/*
 * What a record that is not a reset the kernel made saw: the drop class of a
 * dropped segment (its kfree_skb reason) or what the wire showed.  The values
 * do not overlap across kinds.
 */
enum rstw_seen {
	RSTW_SEEN_NONE = 0, /* RSTW_KIND_RESET */
	/* RSTW_KIND_LISTEN_DROP */
	RSTW_SEEN_LISTEN_OVERFLOW = 1, /* TCP_LISTEN_OVERFLOW: accept queue full */
	/* RSTW_KIND_RST_DROPPED */
	RSTW_SEEN_CHALLENGED = 2, /* TCP_RESET: in window, inexact: challenge ACK (RFC 5961) */
	RSTW_SEEN_OUT_OF_WINDOW = 3, /* TCP_INVALID_SEQUENCE */
	RSTW_SEEN_NO_SOCKET = 4, /* NO_SOCKET */
	/* RSTW_KIND_WIRE */
	RSTW_SEEN_FOREIGN_RST = 5, /* a RST leaving that the TCP stack did not make */
	RSTW_SEEN_TW_KILLED = 6, /* a RST for a TIME_WAIT socket, tcp_rfc1337=0: it dies */
	RSTW_SEEN_TW_KEPT = 7, /* the same with tcp_rfc1337=1: it is ignored */
	RSTW_SEEN__COUNT,
};

/* The fact key: the exact counters' key, and every event's. */
struct rstw_key {
	__u8 kind; /* enum rstw_kind */
	__u8 dir; /* enum rstw_dir */
	__u8 state; /* TCP state, 0: no socket */
	__u8 facts; /* enum rstw_fact bits */
	__u8 sysclass; /* enum rstw_sysclass */
	__u8 reason; /* the kernel's sk_rst_reason (resets), else RSTW_REASON_NONE */
	__u8 evidence; /* enum rstw_evidence: reasonless kernels' resets only */
	__u8 seen; /* enum rstw_seen: drops and the wire only */
};

/* The one constructor: out-of-range values fold to NONE / OTHER, never alias. */
static inline struct rstw_key rstw_key_of(__u32 kind, __u32 dir, __u32 state, __u32 facts,
					  __u32 sysclass, __u32 reason, __u32 evidence, __u32 seen)
{
	struct rstw_key k = {
		.kind = kind,
		.dir = dir & 1u,
		.state = state & 0xfu,
		.facts = facts,
		.sysclass = sysclass < RSTW_SYSC__COUNT ? sysclass : RSTW_SYSC_OTHER,
		.reason = reason < RSTW_REASON_NONE ? reason : RSTW_REASON_NONE,
		.evidence = evidence < RSTW_EVID__COUNT ? evidence : RSTW_EVID_NONE,
		.seen = seen < RSTW_SEEN__COUNT ? seen : RSTW_SEEN_NONE,
	};

	return k;
}

/* Key of the per-service counters: the owner's cgroup and the fact key. */
struct rstw_service_key {
	__u64 cgroup_id; /* 0: no owner known */
	struct rstw_key key;
};
/*
 * Key of the per-interface wire counters.  Their direction has a third value:
 * a RST that left this host but came in on another interface (routed or
 * bridged through), which is neither sent nor received by this host.
 */
struct rstw_wire_key {
	__u32 netns; /* 0 when no socket told the namespace */
	__u32 ifindex;
	__u32 dir; /* enum rstw_dir, or RSTW_WIRE_FORWARDED */
};
#define RSTW_WIRE_FORWARDED 2
#define RSTW_WIRE__DIRS 3

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
	__u32 netns; /* network namespace inode */
	struct rstw_key key; /* fact key, as counted */
	__u64 ts_boot_ns; /* bpf_ktime_get_boot_ns() */
	__u64 cookie; /* socket cookie, 0 without a socket */
	/* the kernel's raw reason: sk_rst_reason, or skb_drop_reason for drops; RSTW_REASON_NONE */
	__u32 reason;
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 state; /* TCP state, 0 without a socket */
	__u8 tcp_flags; /* flags of the segment that caused the reset */
	__u8 owner_src; /* enum rstw_owner_src */
	__u16 lport; /* host byte order, local = this host */
	__u16 rport;
	__u32 sk_ino; /* socket inode, 0 if none (for /proc fallback) */
	__u8 laddr[16]; /* IPv4 uses the first 4 bytes */
	__u8 raddr[16];
	__u32 ack_backlog; /* listener accept queue length */
	__u32 max_ack_backlog; /* listener accept queue limit */
	__u32 unread; /* bytes received but not read */
	__s32 syscall_nr; /* current syscall, -1 outside process context */
	struct rstw_task owner; /* tracked owner of the socket */
	struct rstw_task cur; /* task on the CPU when it happened */
	__u64 last_listener_closed_ns; /* RSTW_OWNER_LAST_LISTENER: when it stopped, 0 if not */
};

#define RSTW_TCP_FIN 0x01
#define RSTW_TCP_SYN 0x02
#define RSTW_TCP_RST 0x04
#define RSTW_TCP_PSH 0x08
#define RSTW_TCP_ACK 0x10

_Static_assert(sizeof(struct rstw_key) == 8, "rstw_key layout");
_Static_assert(sizeof(struct rstw_service_key) == 16, "rstw_service_key layout");
_Static_assert(sizeof(struct rstw_task) == 32, "rstw_task layout");
_Static_assert(sizeof(struct rstw_event) == 168, "rstw_event layout");
_Static_assert(__builtin_offsetof(struct rstw_event, key) == 8, "rstw_event key");
_Static_assert(__builtin_offsetof(struct rstw_event, laddr) == 48, "rstw_event laddr");
_Static_assert(__builtin_offsetof(struct rstw_event, owner) == 96, "rstw_event owner");

#endif /* RSTWATCH_H */
