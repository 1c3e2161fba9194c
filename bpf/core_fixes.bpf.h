/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One accessor per kernel difference, decided by CO-RE at load time, never by
 * kernel version numbers.
 */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/*
 * tcp_send_reset gained `enum sk_rst_reason reason` as a third argument, and
 * its own event class `trace_event_raw_tcp_send_reset`, in Linux 6.10 (the
 * "rstreason" series).  Before that the tp_btf arguments are (sk, skb) only
 * and the third slot must not be read: the branch is dead code there.
 */
static __always_inline bool send_reset_has_reason(void)
{
	return bpf_core_field_exists(struct trace_event_raw_tcp_send_reset, reason);
}

/*
 * Process context, without preempt_count(): that variable moved between
 * kernels (per-CPU `__preempt_count`, then `struct pcpu_hot`, then back) and
 * its address is not resolvable where kallsyms lacks data symbols.  Instead:
 * a user task inside a syscall, running on its own task stack, is in process
 * context.  Interrupts taken in kernel mode run on the per-CPU IRQ stack
 * (x86-64, including softirqs from irq_exit and local_bh_enable); interrupts
 * taken in user mode stay on the task stack, but then the user pt_regs hold
 * ~vector, not a syscall number.  Kernel threads (ksoftirqd runs softirqs on
 * its task stack) never count.  The stack position is that of the
 * tracepoint's argument array (ctx), which the kernel builds on the running
 * stack; r10 may point to a per-CPU private BPF stack (Linux 6.13+).
 * Returns the syscall number, or -1 outside process context.
 */
#define RSTW_PF_KTHREAD 0x00200000

static __always_inline long task_syscall_nr(const void *ctx)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned long lo, hi, sp = (unsigned long)ctx;
	struct pt_regs *regs;
	long nr;

	if (task->flags & RSTW_PF_KTHREAD)
		return -1;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	lo = (unsigned long)task->stack;
	hi = (unsigned long)regs;
	if (!(sp > lo && sp < hi))
		return -1;
	nr = (long)BPF_CORE_READ(regs, orig_ax);
	return nr >= 0 ? nr : -1;
#else
	return -1;
#endif
}

/*
 * sk_protocol and sk_type were bitfields before 5.6, u16 since: the bitfield
 * relocations read either form, with a plain load (BTF-typed sk only).
 */
static __always_inline __u16 sk_protocol_of(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD(sk, sk_protocol);
}

static __always_inline __u16 sk_type_of(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD(sk, sk_type);
}

#endif /* CORE_FIXES_BPF_H */
