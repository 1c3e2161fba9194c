// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counts by fact key in user space (user/key_tally.c): merged, never lost. */
#include <stdlib.h>

#include "unit.h"

#include "key.h"
#include "key_tally.h"

static struct rstw_key key_n(unsigned int n)
{
	return rstw_key_of(RSTW_KIND_RESET, n % 2 ? RSTW_DIR_RECEIVED : RSTW_DIR_SENT, n % 12, 0,
			   RSTW_SYSC_NONE, RSTW_REASON_NONE, RSTW_EVID_NONE, RSTW_SEEN_NONE);
}

/* Many adds over few keys: the tally stays as short as the keys, sums exact. */
TEST(key_tally_add_merges_before_growing)
{
	struct key_tally t = {};
	uint64_t want[5] = { 0 }, got[5] = { 0 };

	for (unsigned int i = 0; i < 10000; i++) {
		struct rstw_key k = key_n(i % 5);

		CHECK(key_tally_add(&t, &k, i));
		want[i % 5] += i;
	}
	CHECK(t.cap <= 64);
	CHECK_EQ_UINT(key_tally_merge(&t), 5);
	for (size_t i = 0; i < t.n; i++)
		for (unsigned int k = 0; k < 5; k++) {
			struct rstw_key kk = key_n(k);

			if (key_cmp(&t.v[i].key, &kk) == 0)
				got[k] += t.v[i].count;
		}
	for (unsigned int k = 0; k < 5; k++)
		CHECK_EQ_UINT(got[k], want[k]);
	key_tally_free(&t);
	CHECK_EQ_UINT(t.n, 0);
}

/* Distinct keys are all kept: growing past the first capacity loses none. */
TEST(key_tally_keeps_distinct_keys)
{
	struct key_tally t = {};
	uint64_t sum = 0;

	for (unsigned int i = 0; i < 200; i++) {
		struct rstw_key k =
			rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, i % 12, i / 12, RSTW_SYSC_NONE,
				    RSTW_REASON_NONE, RSTW_EVID_NONE, RSTW_SEEN_NONE);

		CHECK(key_tally_add(&t, &k, 1));
	}
	CHECK_EQ_UINT(key_tally_merge(&t), 200);
	for (size_t i = 0; i < t.n; i++)
		sum += t.v[i].count;
	CHECK_EQ_UINT(sum, 200);
	for (size_t i = 1; i < t.n; i++)
		CHECK(key_cmp(&t.v[i - 1].key, &t.v[i].key) < 0);
	key_tally_free(&t);
}
