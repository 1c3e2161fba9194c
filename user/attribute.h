/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A fact key, with this kernel's names for its numbers, attributed to a cause. */
#ifndef RSTW_ATTRIBUTE_H
#define RSTW_ATTRIBUTE_H

#include <stdint.h>

#include "cause.h"
#include "counters.h"
#include "reasons.h"

/* Fills *in (names from BTF and the syscall table) and returns the cause. */
enum rstw_cause attribute_key(const struct reasons *r, const struct rstw_key *key,
			      struct cause_input *in);
/* The same for a sampled event: its syscall's name too (for the context shown). */
enum rstw_cause attribute_event(const struct reasons *r, const struct rstw_event *e,
				struct cause_input *in);

/* Exact totals by direction and cause from the kernel's per-key counts. */
void tally_by_cause(const struct reasons *r, const struct key_count *keys, int n,
		    uint64_t by_cause[2][CAUSE__COUNT]);

#endif
