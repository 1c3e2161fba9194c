/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Cause attribution: a pure function of the kernel's facts.  The same function
 * attributes sampled events and the exact per-CPU counters.
 */
#ifndef RSTW_CAUSE_H
#define RSTW_CAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causes.h"
#include "rstwatch.h"

struct cause_input {
	struct rstw_key key; /* fact key (include/rstwatch.h) */
	/*
	 * The reason shown (user/key.c, key_reason_name()): for a reset, the
	 * kernel's name without prefix, NULL if none
	 */
	const char *reason;
	const char *syscall; /* syscall name of a sampled event in process context, else NULL
			      * (for the context shown; attribution reads the key's class) */
};

/* "keepalive_exhausted" etc. for an enum rstw_evidence value, NULL for none */
const char *cause_evidence_name(uint32_t evidence);
/* Facts (enum rstw_fact bits) as names ("segment", "syn", ...), comma-separated. */
void cause_facts_names(uint32_t facts, char *buf, size_t len);

enum rstw_cause cause_attribute(const struct cause_input *in);

/* The class of a syscall, as the fact key carries it (NULL: RSTW_SYSC_OTHER). */
enum rstw_sysclass cause_syscall_class(const char *name);

/*
 * Where the kernel was: "syscall:close", "process", "softirq", "timer", or
 * "unknown" when this kernel cannot tell process context (ctx_known false).
 */
void cause_context(const struct cause_input *in, bool ctx_known, char *buf, size_t len);

/* The owner of a reset may be the task on the CPU only in these cases. */
bool cause_current_is_actor(enum rstw_cause c, const struct cause_input *in);

#endif
