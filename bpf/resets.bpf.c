// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reset tracepoints and socket-owner tracking.
 *
 * Records raw facts only: which socket, which segment, which context.  Every
 * reset is counted exactly in a per-CPU map by its fact key; the ring buffer
 * carries samples, and every failed reserve is counted.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "rstwatch.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP_NUM 6
#define SOCK_STREAM_NUM 1

/* Set by the loader before load; constant for the verifier. */
const volatile bool have_task_ctx = false;
/* enum skb_drop_reason value of TCP_LISTEN_OVERFLOW in this kernel (from BTF) */
const volatile __u32 drop_listen_overflow = ~0U;
/* enum skb_drop_reason values for dropped incoming RSTs (~0U: unknown here) */
const volatile __u32 drop_tcp_reset = ~0U;
const volatile __u32 drop_invalid_sequence = ~0U;
const volatile __u32 drop_no_socket = ~0U;
/* wake the reader once this much is waiting in the ring buffer (loader sets it) */
const volatile __u64 wakeup_bytes = 1 << 20;
/* false: count only (serve without --log); nothing goes to the ring buffer */
const volatile bool sample_events = true;
/* the wire programs are loaded: the stack marks its own resets for TC egress */
const volatile bool wire_view = true;
/*
 * Tracing programs may call bpf_get_socket_cookie (5.12+).  Where they may
 * not, owners are keyed by the socket's address instead, and forgotten when
 * the socket closes, before the address can be reused.
 */
const volatile bool have_cookie_helper = true;
/* kfree_skb has its 4th argument, the receiving socket (rx_sk) */
const volatile bool kfree_has_rx_sk = false;
/*
 * Owners are kept on the socket itself (socket-local storage from tracing
 * programs, 5.11+, with cookies, 5.12+): nothing to evict, gone with the
 * socket.  Only a socket turning into TIME_WAIT hands its owner to the keyed
 * map, by cookie.  False: every owner is in the keyed map.
 */
const volatile bool owners_on_socket = false;
/* syscall number -> enum rstw_sysclass (the loader fills it from user/cause.c) */
const volatile __u8 syscall_class[RSTW_SYSCALL_TABLE] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by the loader */
} events SEC(".maps");

/* Capacities of the keyed maps: chosen by the loader from the host (user/maps.c). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* fact key */
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSTW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* per map: failed inserts, and LRU inserts/deletes (enum rstw_map_id, rstw_map_stat) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSTW_MAP__COUNT *RSTW_MS__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} map_stats SEC(".maps");

/*
 * socket cookie (or address, before 5.12) -> the process seen using the
 * socket in process context.  With owners_on_socket, only TIME_WAIT sockets.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct rstw_task);
} owners SEC(".maps");

/* The same on the socket itself, where owners_on_socket. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rstw_task);
} sk_owners SEC(".maps");

/* (netns, port) -> owner of the socket listening there */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct rstw_listen_key);
	__type(value, struct rstw_listener);
} listeners SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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
 * needed; another CPU may create it first.  A full map is counted as lost.
 */
static __always_inline void percpu_count(void *map, __u32 id, const void *key)
{
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(map, key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0)
		return;
	v = bpf_map_lookup_elem(map, key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		map_stat_inc(id, RSTW_MS_FULL);
}

/* (owner cgroup, fact key) -> count: exact per-service totals */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rstw_service_key);
	__type(value, __u64);
} service_counts SEC(".maps");

static __always_inline void count_service(__u64 cgroup_id, __u32 key)
{
	struct rstw_service_key k = { .cgroup_id = cgroup_id, .key = key };

	percpu_count(&service_counts, RSTW_MAP_SERVICE_COUNTS, &k);
}

/* Exact: the count survives a full ring buffer and a slow reader. */
static __always_inline void count_key(__u32 key)
{
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

static __always_inline bool is_tcp_stream(const struct sock *sk)
{
	return sk_protocol_of(sk) == IPPROTO_TCP_NUM && sk_type_of(sk) == SOCK_STREAM_NUM;
}

/*
 * tp_btf and fentry programs get BTF-typed pointers: a plain load (its fault
 * handled by the kernel) costs a fraction of a bpf_probe_read_kernel call,
 * and the hot paths make a dozen.  kprobes must use the helper.
 */
static __always_inline __u32 netns_of_skb(const struct sk_buff *skb, bool kprobe)
{
	struct net_device *dev;

	if (kprobe) {
		dev = BPF_CORE_READ(skb, dev);
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	dev = skb->dev;
	return dev ? dev->nd_net.net->ns.inum : 0;
}

/*
 * A field through a BTF-typed pointer by a plain load, or through any pointer
 * by a probe read (kprobes): KPROBE is a constant, one branch is compiled.
 */
#define FIELD(kprobe, p, field) ((kprobe) ? BPF_CORE_READ(p, field) : (p)->field)

static __always_inline __u32 netns_of_sk(const struct sock *sk, bool kprobe)
{
	if (kprobe)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return sk->__sk_common.skc_net.net->ns.inum;
}

/*
 * Local/remote from the socket: this host's view of an established flow.  The
 * ports always (the listener lookup needs the local one); the addresses only
 * for samples.
 */
static __always_inline void tuple_from_sk(const struct sock *sk, struct rstw_event *e, bool kprobe)
{
	__u8 state = FIELD(kprobe, sk, __sk_common.skc_state);

	/* a closing full socket has already released its port (inet_num = 0) */
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		e->lport = FIELD(kprobe, sk, __sk_common.skc_num);
	else
		e->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	e->rport = bpf_ntohs(FIELD(kprobe, sk, __sk_common.skc_dport));
	if (!sample_events)
		return;
	e->family = FIELD(kprobe, sk, __sk_common.skc_family);
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		*(__u32 *)e->laddr = FIELD(kprobe, sk, __sk_common.skc_rcv_saddr);
		*(__u32 *)e->raddr = FIELD(kprobe, sk, __sk_common.skc_daddr);
	}
}

/* The TCP flags of a segment; false if its header cannot be read. */
static __always_inline bool tcp_flags_of(const struct sk_buff *skb, bool kprobe, __u8 *flags)
{
	unsigned char *head;
	__u16 th;

	if (kprobe) {
		head = BPF_CORE_READ(skb, head);
		th = BPF_CORE_READ(skb, transport_header);
	} else {
		head = skb->head;
		th = skb->transport_header;
	}
	return th != (__u16)~0U && !bpf_probe_read_kernel(flags, 1, head + th + 13);
}

/*
 * Local/remote from the segment that caused a reset (we are its destination).
 * Returns false if the headers cannot be read.
 */
static __always_inline bool tuple_from_skb(const struct sk_buff *skb, struct rstw_event *e,
					   bool kprobe)
{
	unsigned char *head;
	__u16 nh, th;
	struct tcphdr tcp;
	/* an IPv6 header's size: also an IPv4 header and at least 20 bytes of TCP */
	union {
		struct iphdr v4;
		struct ipv6hdr v6;
	} ip;

	if (kprobe) {
		head = BPF_CORE_READ(skb, head);
		nh = BPF_CORE_READ(skb, network_header);
		th = BPF_CORE_READ(skb, transport_header);
	} else {
		head = skb->head;
		nh = skb->network_header;
		th = skb->transport_header;
	}
	if (!head || nh == (__u16)~0U || th == (__u16)~0U)
		return false;
	/* counting needs the ports and flags: the addresses are for samples */
	if (!sample_events)
		goto tcp;
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
		return false;
	if (ip.v4.version == 4) {
		e->family = AF_INET;
		__builtin_memcpy(e->laddr, &ip.v4.daddr, 4);
		__builtin_memcpy(e->raddr, &ip.v4.saddr, 4);
	} else if (ip.v4.version == 6) {
		e->family = AF_INET6;
		__builtin_memcpy(e->laddr, &ip.v6.daddr, 16);
		__builtin_memcpy(e->raddr, &ip.v6.saddr, 16);
	} else {
		return false;
	}
tcp:
	if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th))
		return false;
	e->lport = bpf_ntohs(tcp.dest);
	e->rport = bpf_ntohs(tcp.source);
	e->tcp_flags = ((__u8 *)&tcp)[13];
	return true;
}

/* Facts from a socket; only full sockets have more than the common part. */
static __always_inline __u64 cookie_of(struct sock *sk, bool kprobe)
{
	/* kprobes have no BTF pointers for the helper: the cookie, if one was made */
	if (kprobe || !have_cookie_helper)
		return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	return bpf_get_socket_cookie(sk);
}

/* The owners map's key for a socket: its cookie, or its address before 5.12. */
static __always_inline __u64 owner_key(struct sock *sk, bool kprobe)
{
	return have_cookie_helper ? cookie_of(sk, kprobe) : (__u64)(unsigned long)sk;
}

/* The same, for a socket whose facts e already holds (no second cookie call). */
static __always_inline __u64 owner_key_of(const struct sock *sk, const struct rstw_event *e)
{
	return have_cookie_helper ? e->cookie : (__u64)(unsigned long)sk;
}

static __always_inline void owner_record(struct sock *sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct rstw_task *old, t = {};
	__u64 key;

	if (owners_on_socket) {
		old = bpf_sk_storage_get(&sk_owners, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
		if (!old) {
			map_stat_inc(RSTW_MAP_SK_OWNERS, RSTW_MS_FULL);
			return;
		}
		if (old->tgid == tgid)
			return;
		/*
		 * A TIME_WAIT socket copies the cookie when it is born, before
		 * owner_handoff() runs: make the cookie now, so that the two agree.
		 */
		bpf_get_socket_cookie(sk);
		task_fill(old);
		return;
	}
	key = owner_key(sk, false);
	old = bpf_map_lookup_elem(&owners, &key);
	if (old && old->tgid == tgid)
		return;
	task_fill(&t);
	lru_update(&owners, RSTW_MAP_OWNERS, &key, &t, old != NULL);
}

/*
 * A socket leaving FIN_WAIT1/FIN_WAIT2/CLOSING for CLOSE may live on as a
 * TIME_WAIT socket, which has no socket-local storage but keeps the cookie:
 * hand its owner to the keyed map.
 */
static __always_inline void owner_handoff(struct sock *sk)
{
	struct rstw_task *o;
	__u64 key;

	if (!owners_on_socket)
		return;
	o = bpf_sk_storage_get(&sk_owners, sk, NULL, 0);
	if (!o)
		return;
	key = bpf_get_socket_cookie(sk);
	lru_update(&owners, RSTW_MAP_OWNERS, &key, o, bpf_map_lookup_elem(&owners, &key) != NULL);
}

static __always_inline __u32 sk_facts_of(struct sock *sk, struct rstw_event *e, bool kprobe)
{
	__u32 facts = 0;
	unsigned long flags;
	struct socket *sock;

	e->state = FIELD(kprobe, sk, __sk_common.skc_state);
	e->netns = netns_of_sk(sk, kprobe);
	e->cookie = cookie_of(sk, kprobe);
	if (e->state == TCP_TIME_WAIT || e->state == TCP_NEW_SYN_RECV)
		return 0;

	flags = FIELD(kprobe, sk, __sk_common.skc_flags);
	if ((flags & (1UL << SOCK_LINGER)) && FIELD(kprobe, sk, sk_lingertime) == 0)
		facts |= RSTW_F_LINGER0;
	sock = FIELD(kprobe, sk, sk_socket);
	/* closed by the application, or never accepted by it */
	if ((flags & (1UL << SOCK_DEAD)) || !sock)
		facts |= RSTW_F_ORPHAN;
	if ((kprobe ? BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) :
		      BPF_CORE_READ_BITFIELD(sk, sk_shutdown)) &
	    1 /* RCV_SHUTDOWN */)
		facts |= RSTW_F_RCV_SHUT;

	if (e->state == TCP_LISTEN) {
		e->ack_backlog = FIELD(kprobe, sk, sk_ack_backlog);
		e->max_ack_backlog = FIELD(kprobe, sk, sk_max_ack_backlog);
		if (e->ack_backlog > e->max_ack_backlog)
			facts |= RSTW_F_LISTEN_FULL;
	} else if (e->state != TCP_SYN_SENT) {
		if (kprobe) {
			struct tcp_sock *tp = (struct tcp_sock *)sk;

			e->unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
		} else {
			/* a BTF pointer to the whole tcp_sock, not just its struct sock */
			struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

			if (tp)
				e->unread = tp->rcv_nxt - tp->copied_seq;
		}
		if (e->unread)
			facts |= RSTW_F_UNREAD;
	}

	/* the socket's inode: for the /proc owner lookup of samples */
	if (sock && sample_events) {
		struct socket_alloc *sa = container_of(sock, struct socket_alloc, socket);

		e->sk_ino = BPF_CORE_READ(sa, vfs_inode.i_ino);
	}
	return facts;
}

static __always_inline __u32 sk_facts(struct sock *sk, struct rstw_event *e)
{
	return sk_facts_of(sk, e, false);
}

/*
 * Kernels whose tcp_send_reset has no reason: what the socket shows about an
 * active reset (no segment), in the reason slot (see RSTW_EVID_* in
 * include/rstwatch.h).  Only what tcp_close(), tcp_disconnect() and
 * tcp_keepalive_timer() leave behind; anything else stays RSTW_REASON_NONE.
 */
static __always_inline __u32 active_evidence(struct sock *sk, __u32 facts, __u8 state)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	unsigned long flags;
	int linger2;

	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV || state == TCP_LISTEN ||
	    (facts & RSTW_F_SEGMENT))
		return RSTW_REASON_NONE;
	flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	if (flags & (1UL << SOCK_DEAD)) {
		linger2 = BPF_CORE_READ(tp, linger2);
		/* after sock_orphan() in tcp_close(): FIN_WAIT2 with linger2 < 0, else memory */
		if (linger2 < 0)
			return RSTW_EVID_LINGER2;
		if (facts & RSTW_F_TASK)
			return RSTW_EVID_CLOSED_DEAD;
	}
	if (!(facts & RSTW_F_TASK) && (flags & (1UL << SOCK_KEEPOPEN))) {
		__u32 probes = BPF_CORE_READ_BITFIELD_PROBED(tp, keepalive_probes);
		__u32 out = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_probes_out);

		if (!probes) {
			struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);

			probes = BPF_CORE_READ_BITFIELD_PROBED(net,
							       ipv4.sysctl_tcp_keepalive_probes);
		}
		if (out && out >= probes)
			return RSTW_EVID_KEEPALIVE;
	}
	/* a child of a listener being closed: never accepted, not yet orphaned */
	if ((facts & RSTW_F_TASK) && !(flags & (1UL << SOCK_DEAD)) && !BPF_CORE_READ(sk, sk_socket))
		return RSTW_EVID_NEVER_ACCEPTED;
	return RSTW_REASON_NONE;
}

static __always_inline struct rstw_listener *listener_of(__u32 netns, __u16 port)
{
	struct rstw_listen_key lk = { .netns = netns, .port = port };

	return bpf_map_lookup_elem(&listeners, &lk);
}

/*
 * The owner of a socket: SK (BTF-typed, NULL from kprobes and XDP) where the
 * owner is kept on the socket, else KEY in the keyed map.
 */
static __always_inline void owner_lookup(struct rstw_event *e, struct sock *sk, __u64 key)
{
	struct rstw_task *o = NULL;
	struct rstw_listener *l;

	if (!key)
		return;
	if (owners_on_socket && sk && e->state != TCP_TIME_WAIT && e->state != TCP_NEW_SYN_RECV)
		o = bpf_sk_storage_get(&sk_owners, sk, NULL, 0);
	else
		o = bpf_map_lookup_elem(&owners, &key);
	if (o) {
		e->owner = *o;
		e->owner_src = RSTW_OWNER_TRACKED;
		return;
	}
	/* an accepted socket nobody has read or written yet: ask its listener */
	if (e->state == TCP_SYN_SENT || e->state == TCP_LISTEN)
		return;
	l = listener_of(e->netns, e->lport);
	if (!l)
		return;
	e->owner = l->owner;
	e->owner_src = RSTW_OWNER_LISTENER;
}

/* A SYN to a closed port: who listened there last, and when they stopped. */
static __always_inline void last_listener_lookup(struct rstw_event *e)
{
	struct rstw_listener *l = listener_of(e->netns, e->lport);

	if (!l)
		return;
	e->owner = l->owner;
	e->owner_src = RSTW_OWNER_LAST_LISTENER;
	e->last_listener_closed_ns = l->closed_boot_ns;
}

/* Count, then sample.  The count never depends on the ring buffer. */
static __always_inline void emit_kind(struct rstw_event *tmpl, __u32 kind, __u32 dir, __u32 facts,
				      __u32 slot)
{
	__u32 sysclass = RSTW_SYSC_NONE;
	struct rstw_event *e;

	if (facts & RSTW_F_TASK) {
		__u32 nr = (__u32)tmpl->syscall_nr;

		sysclass = nr < RSTW_SYSCALL_TABLE ? syscall_class[nr] : RSTW_SYSC_OTHER;
	}
	/* the reason slot: sk_rst_reason for resets, the drop class for dropped RSTs */
	tmpl->key = rstw_key_make(dir, slot, tmpl->state, facts, sysclass) |
		    kind << RSTW_KEY_KIND_SHIFT;
	count_key(tmpl->key);
	/* the service: the socket's owner, else the task in its own syscall */
	if (tmpl->owner_src == RSTW_OWNER_TRACKED || tmpl->owner_src == RSTW_OWNER_LISTENER)
		count_service(tmpl->owner.cgroup_id, tmpl->key);
	else
		count_service((facts & RSTW_F_TASK) ? tmpl->cur.cgroup_id : 0, tmpl->key);
	if (!sample_events)
		return;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(RSTW_STAT_RB_LOST);
		return;
	}
	__builtin_memcpy(e, tmpl, sizeof(*e));
	/*
	 * Waking the reader for every event costs more than the event (an
	 * irq_work and a wakeup per reset under a flood).  The reader polls every
	 * 100 ms anyway; wake it once when a quarter of the ring fills up.
	 */
	{
		/* only the record that crosses the mark wakes: not every one after it */
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

		bpf_ringbuf_submit(e,
				   avail >= wakeup_bytes && avail < wakeup_bytes + 2 * sizeof(*e) ?
					   BPF_RB_FORCE_WAKEUP :
					   BPF_RB_NO_WAKEUP);
	}
	stat_inc(RSTW_STAT_EVENTS);
}

static __always_inline void emit(struct rstw_event *tmpl, __u32 dir, __u32 facts)
{
	emit_kind(tmpl, RSTW_KIND_RESET, dir, facts, tmpl->reason);
}

/* A per-CPU scratch event: too large for the 512-byte BPF stack with room to spare. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rstw_event);
} scratch SEC(".maps");

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

#include "wire.bpf.h"

static __always_inline struct rstw_event *event_begin(__u32 reason)
{
	struct rstw_event *e = scratch_event(reason);

	/* the task on the CPU: samples show it; counts need it only in its syscall */
	if (e && sample_events)
		task_fill(&e->cur);
	return e;
}

static __always_inline __u32 context_facts(const void *ctx, struct rstw_event *e)
{
	if (!have_task_ctx)
		return 0;
	e->syscall_nr = task_syscall_nr(ctx);
	if (e->syscall_nr < 0)
		return 0;
	if (!sample_events) /* its cgroup is the service counted */
		task_fill(&e->cur);
	return RSTW_F_TASK;
}

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_rx);
} pending SEC(".maps");

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

static __always_inline int handle_send(const void *ctx, struct sock *sk, struct sk_buff *skb,
				       __u32 reason, bool kprobe)
{
	struct pending_rx *p = pending_get();
	struct rstw_event *e;
	__u32 facts;

	if (p && p->valid) {
		if (sk && p->cookie == owner_key(sk, kprobe)) {
			p->valid = 0; /* that "received" reset was this abort */
			stat_inc(RSTW_STAT_NOT_RECEIVED);
		} else {
			pending_flush(p);
		}
	}
	e = event_begin(reason);
	if (!e)
		return 0;
	facts = context_facts(ctx, e);
	if (sk)
		facts |= sk_facts_of(sk, e, kprobe);
	if (skb && tuple_from_skb(skb, e, kprobe)) {
		facts |= RSTW_F_SEGMENT;
		if ((e->tcp_flags & (RSTW_TCP_SYN | RSTW_TCP_ACK)) == RSTW_TCP_SYN)
			facts |= RSTW_F_SYN;
		if (!sk)
			e->netns = netns_of_skb(skb, kprobe);
	} else if (sk) {
		tuple_from_sk(sk, e, kprobe);
	}
	if (sk)
		owner_lookup(e, kprobe ? NULL : sk, owner_key_of(sk, e));
	else if ((facts & RSTW_F_SYN) && sample_events)
		last_listener_lookup(e); /* a hint for samples: counts need no owner here */
	if ((facts & RSTW_F_SEGMENT) && wire_view)
		stack_rst_note(e);
	if (!send_reset_has_reason() && sk)
		e->reason = active_evidence(sk, facts, e->state);
	emit(e, RSTW_DIR_SENT, facts);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset, struct sock *sk, struct sk_buff *skb)
{
	__u32 reason = RSTW_REASON_NONE;

	if (send_reset_has_reason())
		reason = (__u32)ctx[2];
	return handle_send(ctx, sk, skb, reason, false);
}

/*
 * The fallback rung, for kernels whose tcp_send_reset fires only with a full
 * socket (before 6.10): tcp_v4_send_reset()/tcp_v6_send_reset() are entered
 * for every reset answering a segment; the tracepoint inside them already
 * covers full sockets, so only the rest is taken here: no socket, TIME_WAIT
 * and request sockets.  The early returns before the kernel sends (never a
 * reset to a reset; no socket and a destination that is not local) are
 * repeated so that the count matches TcpOutRsts.
 */
#define RSTW_RTN_LOCAL 2
#define RSTW_RTF_LOCAL 0x80000000u

static __always_inline bool sk_is_full(const struct sock *sk)
{
	__u8 st = BPF_CORE_READ(sk, __sk_common.skc_state);

	return st != TCP_TIME_WAIT && st != TCP_NEW_SYN_RECV;
}

static __always_inline bool kernel_would_reset(const struct sock *sk, struct sk_buff *skb, bool v6)
{
	unsigned long dst;
	__u8 flags = 0;

	if (!tcp_flags_of(skb, true, &flags) || (flags & RSTW_TCP_RST))
		return false;
	if (sk)
		return true;
	dst = BPF_CORE_READ(skb, _skb_refdst) & ~1UL; /* SKB_DST_PTRMASK */
	if (!dst)
		return false;
	if (v6)
		return BPF_CORE_READ((struct rt6_info *)dst, rt6i_flags) & RSTW_RTF_LOCAL;
	return BPF_CORE_READ((struct rtable *)dst, rt_type) == RSTW_RTN_LOCAL;
}

static __always_inline int fallback_send(const void *ctx, struct sock *sk, struct sk_buff *skb,
					 bool v6, bool kprobe)
{
	if (!skb || (sk && sk_is_full(sk)))
		return 0; /* the tracepoint reports it */
	if (!kernel_would_reset(sk, skb, v6))
		return 0;
	return handle_send(ctx, sk, skb, RSTW_REASON_NONE, kprobe);
}

SEC("fentry/tcp_v4_send_reset")
int BPF_PROG(send_reset_v4_fentry, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, false, false);
}

SEC("fentry/tcp_v6_send_reset")
int BPF_PROG(send_reset_v6_fentry, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, true, false);
}

SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(send_reset_v4_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, false, true);
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(send_reset_v6_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return fallback_send(ctx, sk, skb, true, true);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset, struct sock *sk)
{
	struct pending_rx *p = pending_get();
	struct rstw_event *e;
	__u32 facts;

	pending_flush(p);
	e = event_begin(RSTW_REASON_NONE);
	if (!e || !sk)
		return 0;
	facts = context_facts(ctx, e) | sk_facts(sk, e);
	tuple_from_sk(sk, e, false);
	owner_lookup(e, sk, owner_key_of(sk, e));
	if (p && (e->state == TCP_FIN_WAIT1 || e->state == TCP_FIN_WAIT2) &&
	    (facts & RSTW_F_RCV_SHUT)) {
		__builtin_memcpy(&p->ev, e, sizeof(*e));
		p->cookie = owner_key_of(sk, e); /* what the send side compares */
		p->facts = facts;
		p->held_ns = bpf_ktime_get_ns();
		p->valid = 1;
		return 0;
	}
	emit(e, RSTW_DIR_RECEIVED, facts);
	return 0;
}

/*
 * Run by the loader on each CPU (BPF_PROG_TEST_RUN): release a waiting receive.
 * The test run arrives as an IPI, which may land between the receive and its
 * send in the same softirq: only a receive held for 20 ms has no send coming.
 */
SEC("raw_tp")
int flush_pending(void *ctx)
{
	struct pending_rx *p = pending_get();

	if (p && p->valid && bpf_ktime_get_ns() - p->held_ns > 20000000ull)
		pending_flush(p);
	return 0;
}

/*
 * Owner tracking.  These transitions only happen inside a syscall on the
 * socket (connect, listen, close/shutdown), so current is its user.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(track_state, struct sock *sk, int oldstate, int newstate)
{
	struct rstw_listen_key lk = {};

	if (!have_cookie_helper && newstate == TCP_SYN_RECV) {
		__u64 key = (__u64)(unsigned long)sk;

		/*
		 * An address outlives its socket: a child socket born here (it
		 * enters SYN_RECV, and nobody records it until used) is not the
		 * previous socket's.  Not at close: close() sets TCP_CLOSE before
		 * it sends its reset, which still needs the owner.  Sockets of
		 * connect() and listen() are recorded at birth anyway.
		 */
		if (bpf_map_delete_elem(&owners, &key) == 0)
			map_stat_inc(RSTW_MAP_OWNERS, RSTW_MS_DELETED);
	}
	if (newstate == TCP_CLOSE &&
	    (oldstate == TCP_FIN_WAIT1 || oldstate == TCP_FIN_WAIT2 || oldstate == TCP_CLOSING)) {
		owner_handoff(sk);
		return 0;
	}
	if (oldstate == TCP_LISTEN && newstate == TCP_CLOSE && is_tcp_stream(sk)) {
		struct rstw_listener *l;

		/* remember when the port stopped listening, for closed_port hints */
		lk.netns = netns_of_sk(sk, false);
		lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
		l = bpf_map_lookup_elem(&listeners, &lk);
		if (l)
			l->closed_boot_ns = bpf_ktime_get_boot_ns();
		return 0;
	}
	if (newstate != TCP_SYN_SENT && newstate != TCP_LISTEN && newstate != TCP_FIN_WAIT1 &&
	    newstate != TCP_LAST_ACK)
		return 0;
	if (!is_tcp_stream(sk))
		return 0;
	owner_record(sk);
	if (newstate == TCP_LISTEN) {
		struct rstw_listener l = {};

		lk.netns = netns_of_sk(sk, false);
		lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
		task_fill(&l.owner);
		lru_update(&listeners, RSTW_MAP_LISTENERS, &lk, &l, listener_of(lk.netns, lk.port));
	}
	return 0;
}

/* send/recv syscalls: catches accepted sockets, which no transition above sees. */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(track_recv, struct sock *sk, int ret, int flags)
{
	if (is_tcp_stream(sk))
		owner_record(sk);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(track_send, struct sock *sk, int ret, int flags)
{
	if (is_tcp_stream(sk))
		owner_record(sk);
	return 0;
}

/*
 * A dropped segment (a refused RST, or one an accept queue had no room for):
 * its tuple, and the facts and owner of the socket it was for (sk may be NULL).
 */
static __always_inline void emit_drop(struct sk_buff *skb, struct sock *sk, __u32 reason,
				      __u32 kind, __u32 slot)
{
	__u32 facts = RSTW_F_SEGMENT;
	struct rstw_event *e;

	e = event_begin(reason);
	if (!e || !tuple_from_skb(skb, e, false))
		return;
	if ((e->tcp_flags & (RSTW_TCP_SYN | RSTW_TCP_ACK)) == RSTW_TCP_SYN)
		facts |= RSTW_F_SYN;
	if (sk) {
		facts |= sk_facts(sk, e);
		owner_lookup(e, sk, owner_key_of(sk, e));
	}
	if (!e->netns)
		e->netns = netns_of_skb(skb, false);
	emit_kind(e, kind, RSTW_DIR_RECEIVED, facts, slot);
}

/*
 * Accept queue full with tcp_abort_on_overflow=0: no reset, the kernel drops
 * the segment (skb:kfree_skb, reason TCP_LISTEN_OVERFLOW).  Not a reset, but
 * what operators chase behind "connection timed out" and resets elsewhere.
 */
SEC("tp_btf/kfree_skb")
int BPF_PROG(skb_dropped, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	__u32 r = (__u32)reason, kind, cls = 0;
	struct sock *sk = NULL;

	if (r == drop_listen_overflow)
		kind = RSTW_KIND_LISTEN_DROP;
	else if (r == drop_tcp_reset)
		cls = RSTW_RST_CHALLENGED;
	else if (r == drop_invalid_sequence)
		cls = RSTW_RST_OUT_OF_WINDOW;
	else if (r == drop_no_socket)
		cls = RSTW_RST_NO_SOCKET;
	else
		return 0;
	if (cls) {
		__u8 flags = 0;

		/* most drops with these reasons are not resets: look before any work */
		if (!tcp_flags_of(skb, false, &flags) || !(flags & RSTW_TCP_RST))
			return 0;
		kind = RSTW_KIND_RST_DROPPED;
	}
	if (kfree_has_rx_sk)
		sk = (struct sock *)ctx[3];
	/* r: the drop reason, for naming in user space */
	emit_drop(skb, sk, r, kind, cls ? cls : RSTW_REASON_NONE);
	return 0;
}

/*
 * Accept-queue drops on kernels without the TCP_LISTEN_OVERFLOW drop reason
 * (Debian 12's 6.1, for one).  Two places count ListenOverflows: a SYN to a
 * listener with a full accept queue (tcp_conn_request), and the handshake's
 * last ACK finding it full (tcp_check_req: no child, and with
 * tcp_abort_on_overflow=0 the segment is dropped; with 1 it is reset, which
 * the tracepoint reports as listen_overflow).
 */
static __always_inline bool accept_queue_full(const struct sock *sk)
{
	return sk->sk_ack_backlog > sk->sk_max_ack_backlog;
}

/*
 * fexit: no child returned, the queue full, no abort, and the request marked
 * acked by the overflow path (its final ACK was dropped for want of room).
 */
SEC("fexit/tcp_check_req")
int BPF_PROG(listen_drop_ack, struct sock *sk, struct sk_buff *skb, struct request_sock *req)
{
	__u64 ret = 1;

	if (bpf_get_func_ret(ctx, &ret) || ret)
		return 0;
	if (!accept_queue_full(sk) ||
	    sk->__sk_common.skc_net.net->ipv4.sysctl_tcp_abort_on_overflow)
		return 0;
	if (!BPF_CORE_READ_BITFIELD_PROBED((struct inet_request_sock *)req, acked))
		return 0;
	emit_drop(skb, sk, RSTW_REASON_NONE, RSTW_KIND_LISTEN_DROP, RSTW_REASON_NONE);
	return 0;
}

/*
 * A SYN to a listener whose accept queue is full: tcp_conn_request() drops it
 * (ListenOverflows), unless an earlier check drops it first: a full SYN queue
 * without syncookies (ListenDrops only).
 */
SEC("fentry/tcp_conn_request")
int BPF_PROG(listen_drop_syn, struct request_sock_ops *rsk_ops, void *af_ops, struct sock *sk,
	     struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;

	if (!accept_queue_full(sk))
		return 0;
	if (!sk->__sk_common.skc_net.net->ipv4.sysctl_tcp_syncookies &&
	    BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter) >= (int)sk->sk_max_ack_backlog)
		return 0;
	emit_drop(skb, sk, RSTW_REASON_NONE, RSTW_KIND_LISTEN_DROP, RSTW_REASON_NONE);
	return 0;
}
