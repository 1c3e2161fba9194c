// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Resets this host accepts (tcp_receive_reset), and owner tracking: who uses
 * each socket, recorded where the owner changes.
 */
#include "facts.bpf.h"

/*
 * Per CPU, the last few (socket cookie, process) pairs recorded on sockets:
 * a send or receive by the owner already recorded then costs a few loads,
 * not a socket-storage lookup.  Only with owners_on_socket, whose recording
 * gives every socket its cookie (a cookie is never reused).
 */
#define OWNER_CACHE_WAYS 4

struct owner_cache {
	__u64 cookie[OWNER_CACHE_WAYS];
	__u32 tgid[OWNER_CACHE_WAYS];
	__u32 next;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct owner_cache);
} owner_cache SEC(".maps");

static __always_inline struct owner_cache *owner_cache_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&owner_cache, &zero);
}

static __always_inline bool owner_cached(struct owner_cache *c, __u64 cookie, __u32 tgid)
{
	if (!c || !cookie)
		return false;
#pragma unroll
	for (int i = 0; i < OWNER_CACHE_WAYS; i++)
		if (c->cookie[i] == cookie && c->tgid[i] == tgid)
			return true;
	return false;
}

static __always_inline void owner_cache_put(struct owner_cache *c, __u64 cookie, __u32 tgid)
{
	__u32 way;

	if (!c)
		return;
	way = c->next++ % OWNER_CACHE_WAYS;
	c->cookie[way] = cookie;
	c->tgid[way] = tgid;
}

static __always_inline void owner_record(struct sock *sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct rstw_task *old, t = {};
	__u64 key;

	if (owners_on_socket) {
		struct owner_cache *c = owner_cache_get();

		if (owner_cached(c, sk->__sk_common.skc_cookie.counter, tgid))
			return;
		old = bpf_sk_storage_get(&sk_owners, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
		if (!old) {
			map_stat_inc(RSTW_MAP_SK_OWNERS, RSTW_MS_FULL);
			return;
		}
		/*
		 * A TIME_WAIT socket copies the cookie when it is born, before
		 * owner_handoff() runs: make the cookie now, so that the two agree.
		 */
		owner_cache_put(c, bpf_get_socket_cookie(sk), tgid);
		if (old->tgid != tgid)
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

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset, struct sock *sk)
{
	struct pending_rx *p = pending_get();
	struct rstw_event *e;
	__u32 facts;

	pending_flush(p);
	e = scratch_event(RSTW_REASON_NONE);
	if (!e || !sk)
		return 0;
	facts = context_facts(ctx, e) | sk_facts(sk, e);
	task_beside_socket(e, facts);
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
