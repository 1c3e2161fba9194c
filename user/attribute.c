// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "attribute.h"
#include "syscalls.h"

enum rstw_cause attribute_key(const struct reasons *r, uint32_t key, struct cause_input *in)
{
	uint32_t sysnr = rstw_key_syscall(key);

	in->key = key;
	/* the reason slot names an sk_rst_reason only for resets */
	in->reason = rstw_key_kind(key) == RSTW_KIND_RESET ? reasons_name(r, rstw_key_reason(key)) :
							     NULL;
	in->syscall = sysnr == RSTW_SYSCALL_NONE ? NULL : syscall_name(sysnr);
	in->evidence = cause_evidence_of(key, in->reason);
	return cause_attribute(in);
}

void tally_by_cause(const struct reasons *r, const struct key_count *keys, int n,
		    uint64_t by_cause[2][CAUSE__COUNT])
{
	memset(by_cause, 0, sizeof(uint64_t) * 2 * CAUSE__COUNT);
	for (int i = 0; i < n; i++) {
		struct cause_input in;
		enum rstw_cause c = attribute_key(r, keys[i].key, &in);

		by_cause[rstw_key_dir(keys[i].key)][c] += keys[i].count;
	}
}
