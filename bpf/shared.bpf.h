/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every BPF unit shares: the maps and load-time constants (defined once,
 * in maps.bpf.c, and extern everywhere else; bpftool gen object links the
 * units), and the count-then-sample helpers every program ends in.
 *
 * Records raw facts only: which socket, which segment, which context.  Every
 * reset is counted exactly in a per-CPU map by its fact key; the ring buffer
 * carries samples, and every failed reserve is counted.
 */
#ifndef SHARED_BPF_H
#define SHARED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "rstwatch.h"

/* maps.bpf.c defines; every other unit declares */
#ifdef RSTW_DEFINE_SHARED
#define RSTW_CONST(type, name, init) const volatile type name = init
#define RSTW_MAP(type, name) type name SEC(".maps")
#else
#define RSTW_CONST(type, name, init) extern const volatile type name
#define RSTW_MAP(type, name) extern type name SEC(".maps")
#endif

/* include/linux/socket.h: #defines, so not in vmlinux.h */
#define AF_INET 2
#define AF_INET6 10
/* include/net/sock.h */
#define RCV_SHUTDOWN 1
/* include/net/tcp.h */
#define TCPHDR_RST 0x04
/* include/net/tcp.h's tcp_flag_byte(): the flags are the TCP header's 14th byte */
#define tcp_flag_byte(th) (((const __u8 *)(th))[13])

/* Set by the loader before load; constant for the verifier. */
RSTW_CONST(bool, have_task_ctx, false);
/* enum skb_drop_reason value of TCP_LISTEN_OVERFLOW in this kernel (from BTF) */
RSTW_CONST(__u32, drop_listen_overflow, ~0U);
/* enum skb_drop_reason values for dropped incoming RSTs (~0U: unknown here) */
RSTW_CONST(__u32, drop_tcp_reset, ~0U);
RSTW_CONST(__u32, drop_invalid_sequence, ~0U);
RSTW_CONST(__u32, drop_no_socket, ~0U);
/* wake the reader once this much is waiting in the ring buffer (loader sets it) */
RSTW_CONST(__u64, wakeup_bytes, 1 << 20);
/* false: count only (serve without --log); nothing goes to the ring buffer */
RSTW_CONST(bool, sample_events, true);
/* the wire programs are loaded: the stack marks its own resets for TC egress */
RSTW_CONST(bool, wire_view, true);
/*
 * Tracing programs may call bpf_get_socket_cookie (5.12+).  Where they may
 * not, owners are keyed by the socket's address instead, and forgotten when
 * the socket closes, before the address can be reused.
 */
RSTW_CONST(bool, have_cookie_helper, true);
/* kfree_skb has its 4th argument, the receiving socket (rx_sk) */
RSTW_CONST(bool, kfree_has_rx_sk, false);
/*
 * Owners are kept on the socket itself (socket-local storage from tracing
 * programs, 5.11+, with cookies, 5.12+): nothing to evict, gone with the
 * socket.  Only a socket turning into TIME_WAIT hands its owner to the keyed
 * map, by cookie.  False: every owner is in the keyed map.
 */
RSTW_CONST(bool, owners_on_socket, false);
/* syscall number -> enum rstw_sysclass (the loader fills it from user/cause.c) */
RSTW_CONST(__u8, syscall_class[RSTW_SYSCALL_TABLE], {});

typedef struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by the loader */
} events_map_t;
RSTW_MAP(events_map_t, events);

/*
 * Capacities of the keyed maps: chosen by the loader from the host (user/maps.c).
 * Each event is counted once: in service_counts under its owner's cgroup, or
 * here, by fact key alone, where service_counts had no room for the pair.
 * User space sums the two for the exact totals (user/counters.c).
 */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rstw_key); /* fact key */
	__type(value, __u64);
} counts_map_t;
RSTW_MAP(counts_map_t, counts);

typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSTW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats_map_t;
RSTW_MAP(stats_map_t, stats);

/* per map: failed inserts, and LRU inserts/deletes (enum rstw_map_id, rstw_map_stat) */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSTW_MAP__COUNT *RSTW_MS__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} map_stats_map_t;
RSTW_MAP(map_stats_map_t, map_stats);

/*
 * socket cookie (or address, before 5.12) -> the process seen using the
 * socket in process context.  With owners_on_socket, only TIME_WAIT sockets.
 */
typedef struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct rstw_task);
} owners_map_t;
RSTW_MAP(owners_map_t, owners);

/* The same on the socket itself, where owners_on_socket. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rstw_task);
} sk_owners_map_t;
RSTW_MAP(sk_owners_map_t, sk_owners);

/* (netns, port) -> owner of the socket listening there */
typedef struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct rstw_listen_key);
	__type(value, struct rstw_listener);
} listeners_map_t;
RSTW_MAP(listeners_map_t, listeners);

/* (owner cgroup, fact key) -> count: exact per-service totals */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rstw_service_key);
	__type(value, __u64);
} service_counts_map_t;
RSTW_MAP(service_counts_map_t, service_counts);

/* Per CPU: records emitted, for looking at the ring's fill every few records. */
#define RSTW_WAKE_EVERY 8
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wake_tick_map_t;
RSTW_MAP(wake_tick_map_t, wake_tick);

static __always_inline __u64 *wake_tick_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&wake_tick, &zero);
}

/* A per-CPU scratch event: too large for the 512-byte BPF stack with room to spare. */
typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rstw_event);
} scratch_map_t;
RSTW_MAP(scratch_map_t, scratch);

/*
 * The kernel's abort on data (data for a socket in FIN_WAIT1/2 whose receive
 * side is shut) calls tcp_reset() on itself before sending its reset, which
 * fires tcp_receive_reset although no RST arrived.  A receive in that state
 * waits here, per CPU: the matching tcp_send_reset right after it (same CPU,
 * same softirq) cancels it; anything else, or the loader's periodic flush
 * (BPF_PROG_TEST_RUN on each CPU), lets it through, counted and sampled.
 */
struct pending_rx {
	__u64 cookie;
	__u64 held_ns; /* when it was held, for the periodic flush */
	__u32 facts;
	__u32 valid;
	struct rstw_event ev;
};

typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_rx);
} pending_map_t;
RSTW_MAP(pending_map_t, pending);

/*
 * per-CPU: the last reset the stack itself sent, to tell its RSTs at egress.
 * It leaves in the same softirq, microseconds later, but a virtual CPU the
 * host descheduled meanwhile comes back ticks later (11 ms seen in a qemu
 * guest under load): the mark holds for RSTW_STACK_MARK_TICKS, 10 ms at
 * HZ=1000 and 100 ms at HZ=100; a foreign RST of the same ports on the same
 * CPU within that is what it could be mistaken for.
 */
#define RSTW_STACK_MARK_TICKS 10
struct stack_rst_mark {
	__u64 ts; /* jiffies */
	__u16 sport; /* host order: the RST's source = our local port */
	__u16 dport;
	__u32 pad;
};

typedef struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_rst_mark);
} stack_rst_map_t;
RSTW_MAP(stack_rst_map_t, stack_rst);

static __always_inline void stat_inc(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void map_stat_inc(__u32 map, __u32 stat)
{
	__u32 slot = map * RSTW_MS__COUNT + stat;
	__u64 *v = bpf_map_lookup_elem(&map_stats, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/*
 * Insert or replace KEY in an LRU map, counting new keys (evictions are what
 * was inserted, less what was deleted, less what is left: user/maps.c) and
 * failures.  EXISTED: the caller looked KEY up and found it.
 */
static __always_inline void lru_update(void *map, __u32 id, const void *key, const void *val,
				       bool existed)
{
	if (bpf_map_update_elem(map, key, val, BPF_ANY))
		map_stat_inc(id, RSTW_MS_FULL);
	else if (!existed)
		map_stat_inc(id, RSTW_MS_INSERTED);
}

/*
 * Add one to KEY's count in a per-CPU hash of counters, creating it if
 * needed; another CPU may create it first.  A full map is counted as lost;
 * false then.
 */
static __always_inline bool percpu_count(void *map, __u32 id, const void *key)
{
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(map, key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return true;
	}
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0)
		return true;
	v = bpf_map_lookup_elem(map, key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return true;
	}
	map_stat_inc(id, RSTW_MS_FULL);
	return false;
}

/*
 * Exact: the count survives a full ring buffer and a slow reader.  One map
 * update per event: the (owner cgroup, key) pair, or the key alone where
 * service_counts is full (then only the per-service count is lost).
 */
static __always_inline void count_event(__u64 cgroup_id, struct rstw_key key)
{
	struct rstw_service_key k = { .cgroup_id = cgroup_id, .key = key };

	if (!percpu_count(&service_counts, RSTW_MAP_SERVICE_COUNTS, &k))
		percpu_count(&counts, RSTW_MAP_COUNTS, &key);
}

static __always_inline void task_fill(struct rstw_task *t)
{
	__u64 id = bpf_get_current_pid_tgid();

	t->pid = (__u32)id;
	t->tgid = id >> 32;
	t->cgroup_id = bpf_get_current_cgroup_id();
	if (sample_events) /* the name is for samples; counts need the cgroup */
		bpf_get_current_comm(t->comm, sizeof(t->comm));
}

/*
 * Count, then sample.  The count never depends on the ring buffer.  EVIDENCE:
 * a reset's on a kernel without reasons; SEEN: what a drop or the wire saw.
 */
static __always_inline void emit_kind(struct rstw_event *tmpl, __u32 kind, __u32 dir, __u32 facts,
				      __u32 evidence, __u32 seen)
{
	__u32 sysclass = RSTW_SYSC_NONE;
	__u64 flags, *tick;
	struct rstw_key key;

	if (facts & RSTW_F_TASK) {
		__u32 nr = (__u32)tmpl->syscall_nr;

		sysclass = nr < RSTW_SYSCALL_TABLE ? syscall_class[nr] : RSTW_SYSC_OTHER;
	}
	/* tmpl->reason is an sk_rst_reason only for resets (a drop's is its skb_drop_reason) */
	key = rstw_key_of(kind, dir, tmpl->state, facts, sysclass,
			  kind == RSTW_KIND_RESET ? tmpl->reason : RSTW_REASON_NONE, evidence,
			  seen);
	tmpl->key = key;
	/* the service: the socket's owner, else the task in its own syscall */
	if (tmpl->owner_src == RSTW_OWNER_TRACKED || tmpl->owner_src == RSTW_OWNER_LISTENER)
		count_event(tmpl->owner.cgroup_id, key);
	else
		count_event((facts & RSTW_F_TASK) ? tmpl->cur.cgroup_id : 0, key);
	if (!sample_events)
		return;

	/*
	 * Waking the reader for every event costs more than the event (an
	 * irq_work and a wakeup per reset under a flood).  The reader polls every
	 * 100 ms anyway; wake it once when a quarter of the ring fills up.  Only
	 * every RSTW_WAKE_EVERY-th record on a CPU looks (a helper call less for
	 * the others), and only one that finds the fill just past the mark wakes,
	 * not every one after it.
	 */
	flags = BPF_RB_NO_WAKEUP;
	tick = wake_tick_get();
	if (tick && (++*tick % RSTW_WAKE_EVERY) == 0) {
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

		/* 64 records: what all CPUs may add between two looks */
		if (avail >= wakeup_bytes && avail < wakeup_bytes + 64 * sizeof(*tmpl))
			flags = BPF_RB_FORCE_WAKEUP;
	}
	/* one call copies and commits: no reserve, no copy in BPF */
	if (bpf_ringbuf_output(&events, tmpl, sizeof(*tmpl), flags)) {
		stat_inc(RSTW_STAT_RB_LOST);
		return;
	}
	stat_inc(RSTW_STAT_EVENTS);
}

static __always_inline void emit(struct rstw_event *tmpl, __u32 dir, __u32 facts)
{
	emit_kind(tmpl, RSTW_KIND_RESET, dir, facts, RSTW_EVID_NONE, RSTW_SEEN_NONE);
}

/* A zeroed per-CPU event with its header; no task (wire programs have none). */
static __always_inline struct rstw_event *scratch_event(__u32 reason)
{
	__u32 zero = 0;
	struct rstw_event *e = bpf_map_lookup_elem(&scratch, &zero);

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->abi = RSTW_ABI_VERSION;
	e->size = sizeof(*e);
	if (sample_events) /* a clock read costs ~40 ns in a VM: only for samples */
		e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->reason = reason;
	e->syscall_nr = -1;
	return e;
}

/* In a syscall, the task on the CPU is the actor: its cgroup is the service counted. */
static __always_inline __u32 context_facts(const void *ctx, struct rstw_event *e)
{
	if (!have_task_ctx)
		return 0;
	e->syscall_nr = task_syscall_nr(ctx);
	if (e->syscall_nr < 0)
		return 0;
	task_fill(&e->cur);
	return RSTW_F_TASK;
}

/*
 * Outside a syscall, samples show the task on the CPU only beside a socket's
 * owner (softirq runs on the peer's CPU).  Without a socket it is a
 * bystander: three helper calls not made for a closed port's reset.
 */
static __always_inline void task_beside_socket(struct rstw_event *e, __u32 facts)
{
	if (sample_events && !(facts & RSTW_F_TASK))
		task_fill(&e->cur);
}

static __always_inline struct pending_rx *pending_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&pending, &zero);
}

static __always_inline void pending_flush(struct pending_rx *p)
{
	if (!p || !p->valid)
		return;
	p->valid = 0;
	emit(&p->ev, RSTW_DIR_RECEIVED, p->facts);
}

/* Called from the tcp_send_reset program for replies to a segment. */
static __always_inline void stack_rst_note(const struct rstw_event *e)
{
	__u32 zero = 0;
	struct stack_rst_mark *m = bpf_map_lookup_elem(&stack_rst, &zero);

	if (!m)
		return;
	m->ts = bpf_jiffies64(); /* inlined: a clock read is a helper call */
	m->sport = e->lport;
	m->dport = e->rport;
}

#endif /* SHARED_BPF_H */
