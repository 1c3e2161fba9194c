// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel reset reasons are named from BTF at run time, never from numbers. */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rstwatch.h"
#include "reasons.h"

#define PREFIX "SK_RST_REASON_"

int reasons_load(struct reasons *r, const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_enum *en;
	int id, i, n;

	memset(r, 0, sizeof(*r));
	/* a value this kernel's BTF does not name keeps its number visible */
	for (i = 0; i < REASONS_MAX; i++)
		snprintf(r->unnamed[i], sizeof(r->unnamed[i]), "REASON_%d", i);
	id = btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM);
	if (id < 0)
		return 0; /* older kernel: no reasons, attribution infers from facts */
	t = btf__type_by_id(btf, id);
	en = btf_enum(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++) {
		const char *name = btf__name_by_offset(btf, en[i].name_off);
		uint32_t v = (uint32_t)en[i].val;

		if (!name || v >= REASONS_MAX || v == RSTW_REASON_NONE)
			continue;
		if (strncmp(name, PREFIX, strlen(PREFIX)) == 0)
			name += strlen(PREFIX);
		free(r->names[v]);
		r->names[v] = strdup(name);
		if (!r->names[v])
			return -1;
	}
	r->have_enum = true;
	return 0;
}

void reasons_free(struct reasons *r)
{
	for (int i = 0; i < REASONS_MAX; i++)
		free(r->names[i]);
	memset(r, 0, sizeof(*r));
}
