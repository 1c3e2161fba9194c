/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The fact key (include/rstwatch.h) read in user space: the one place that
 * knows what each field means for each kind of record.
 */
#ifndef RSTW_KEY_H
#define RSTW_KEY_H

#include <stdbool.h>

#include "causes.h"
#include "reasons.h"
#include "rstwatch.h"

/* Every field in range and consistent with the kind (a record from this build). */
bool key_valid(const struct rstw_key *k);
/* The cause of a record that is not a reset the kernel made; CAUSE_UNKNOWN otherwise. */
enum rstw_cause key_seen_cause(const struct rstw_key *k);
/*
 * The reason shown: the kernel's sk_rst_reason name for a reset (NULL where it
 * gave none), the kfree_skb reason a drop was selected by, NULL for the wire.
 */
const char *key_reason_name(const struct reasons *r, const struct rstw_key *k);
/* "reset", "listen_drop", "reset_dropped", "wire" */
const char *key_kind_name(const struct rstw_key *k);
/* A total order on keys, field by field: for sorting and equality. */
int key_cmp(const struct rstw_key *a, const struct rstw_key *b);

#endif
