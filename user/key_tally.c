// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counts by fact key in user space (see key_tally.h). */
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "key_tally.h"

static int by_key(const void *a, const void *b)
{
	return key_cmp(&((const struct key_count *)a)->key, &((const struct key_count *)b)->key);
}

size_t key_tally_merge(struct key_tally *t)
{
	struct key_count *v = t->v;
	size_t out = 0;

	if (!t->n)
		return 0;
	qsort(v, t->n, sizeof(*v), by_key);
	for (size_t i = 1; i < t->n; i++) {
		if (key_cmp(&v[out].key, &v[i].key) == 0)
			v[out].count += v[i].count;
		else
			v[++out] = v[i];
	}
	t->n = out + 1;
	return t->n;
}

bool key_tally_push(struct key_tally *t, const struct rstw_key *key, uint64_t count)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct key_count *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return false;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].key = *key;
	t->v[t->n++].count = count;
	return true;
}

bool key_tally_add(struct key_tally *t, const struct rstw_key *key, uint64_t count)
{
	/* fact keys are few: merging before growing keeps the tally that small */
	if (t->n == t->cap)
		key_tally_merge(t);
	return key_tally_push(t, key, count);
}

void key_tally_free(struct key_tally *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
