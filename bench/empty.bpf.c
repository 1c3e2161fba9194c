// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor: programs that do nothing, one on each kind of hook rstwatch
 * uses.  bench/baseline attaches them so that make bench can put each of
 * rstwatch's ns per run beside what the hook itself costs (bpf_stats counts
 * its own clock reads into every run) in the same run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(empty_send_reset)
{
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(empty_receive_reset)
{
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(empty_kfree_skb)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(empty_send_length)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(empty_recv_length)
{
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(empty_set_state)
{
	return 0;
}

SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int empty_tc_egress(struct __sk_buff *skb)
{
	return -1; /* TCX_NEXT */
}

SEC("tc")
int empty_tc_ingress(struct __sk_buff *skb)
{
	return -1; /* TCX_NEXT */
}
