// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "attribute.h"
#include "key.h"
#include "syscalls.h"

enum rstw_cause attribute_key(const struct reasons *r, const struct rstw_key *key,
			      struct cause_input *in)
{
	in->key = *key;
	in->reason = key_reason_name(r, key);
	in->syscall = NULL; /* counts know the syscall's class only */
	return cause_attribute(in);
}

enum rstw_cause attribute_event(const struct reasons *r, const struct rstw_event *e,
				struct cause_input *in)
{
	enum rstw_cause c = attribute_key(r, &e->key, in);

	if (e->key.facts & RSTW_F_TASK)
		in->syscall = syscall_name(e->syscall_nr);
	return c;
}

void tally_by_cause(const struct reasons *r, const struct key_count *keys, int n,
		    uint64_t by_cause[2][CAUSE__COUNT])
{
	memset(by_cause, 0, sizeof(uint64_t) * 2 * CAUSE__COUNT);
	for (int i = 0; i < n; i++) {
		struct cause_input in;
		enum rstw_cause c = attribute_key(r, &keys[i].key, &in);

		by_cause[keys[i].key.dir & 1][c] += keys[i].count;
	}
}
