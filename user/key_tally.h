/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Counts by fact key, kept in user space: sums of the kernel's per-key counters. */
#ifndef RSTW_KEY_TALLY_H
#define RSTW_KEY_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rstwatch.h"

struct key_count {
	struct rstw_key key;
	uint64_t count;
};

/*
 * A growable list of (key, count).  key_tally_add keeps it about as short as
 * the keys are few (it merges before it grows): for counts the kernel no
 * longer holds, such as the keys of gone cgroups that serve deleted.
 */
struct key_tally {
	struct key_count *v;
	size_t n, cap;
};

/* Append (KEY, COUNT), equal keys not merged; false if out of memory. */
bool key_tally_push(struct key_tally *t, const struct rstw_key *key, uint64_t count);
/* Add COUNT to KEY's entry; false if out of memory (the count is not added). */
bool key_tally_add(struct key_tally *t, const struct rstw_key *key, uint64_t count);
/* Sort by key_cmp and add up equal keys' entries: one per key.  Returns t->n. */
size_t key_tally_merge(struct key_tally *t);
void key_tally_free(struct key_tally *t);

#endif
