// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Exact counts live in the kernel's per-CPU maps; this sums them. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "loader.h"
#include "maps.h"

static uint64_t sum_percpu(const uint64_t *v, int ncpu)
{
	uint64_t s = 0;

	for (int i = 0; i < ncpu; i++)
		s += v[i];
	return s;
}

int counters_each(int fd, size_t key_size, counters_fn fn, void *arg)
{
	int ncpu = libbpf_num_possible_cpus(), n = 0;
	unsigned char key[64], next[64];
	uint64_t *vals;
	void *prev = NULL;

	if (ncpu <= 0 || key_size > sizeof(key))
		return -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue; /* deleted meanwhile: never happens, keys only grow */
		n++;
		if (fn(key, sum_percpu(vals, ncpu), arg))
			break;
	}
	free(vals);
	return n;
}

struct totals_walk {
	struct key_tally t;
	bool oom;
};

static int push_key(const void *key, uint64_t count, void *arg)
{
	struct totals_walk *w = arg;

	w->oom = !key_tally_push(&w->t, key, count);
	return w->oom;
}

static int push_service_key(const void *key, uint64_t count, void *arg)
{
	return push_key(&((const struct rstw_service_key *)key)->key, count, arg);
}

int counters_totals(const struct loader *l, const struct key_tally *retired, struct key_count **out)
{
	struct totals_walk w = {};
	int err;

	err = counters_each(loader_map_fd(l, RSTW_MAP_SERVICE_COUNTS),
			    sizeof(struct rstw_service_key), push_service_key, &w);
	if (err >= 0 && !w.oom)
		err = counters_each(loader_map_fd(l, RSTW_MAP_COUNTS), sizeof(struct rstw_key),
				    push_key, &w);
	for (size_t i = 0; err >= 0 && !w.oom && retired && i < retired->n; i++)
		push_key(&retired->v[i].key, retired->v[i].count, &w);
	*out = w.t.v;
	if (err < 0)
		return err;
	if (w.oom)
		return -ENOMEM;
	return (int)key_tally_merge(&w.t);
}

/* Keys in a map now (bounded: a map that changes meanwhile may repeat some). */
static uint64_t live_keys(int fd)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	unsigned char key[64], next[64];
	uint64_t n = 0;
	void *prev = NULL;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size > sizeof(key))
		return 0;
	while (n < 2ull * info.max_entries && bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, info.key_size);
		prev = key;
		n++;
	}
	return n;
}

void counters_map_losses(const struct loader *l, uint64_t lost[RSTW_MAP__COUNT])
{
	int fd = loader_map_stats_fd(l);

	for (int m = 0; m < RSTW_MAP__COUNT; m++) {
		uint64_t now = counters_stat(fd, m * RSTW_MS__COUNT + RSTW_MS_FULL);

		if (maps_is_lru(m)) {
			uint64_t gone = counters_stat(fd, m * RSTW_MS__COUNT + RSTW_MS_DELETED);
			uint64_t live = live_keys(loader_map_fd(l, m));
			/* read last: every key counted live was inserted before */
			uint64_t in = counters_stat(fd, m * RSTW_MS__COUNT + RSTW_MS_INSERTED);

			if (in > gone + live)
				now += in - gone - live;
		}
		if (now > lost[m])
			lost[m] = now;
	}
}

uint64_t counters_stat(int fd, uint32_t slot)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals, s = 0;

	if (ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (bpf_map_lookup_elem(fd, &slot, vals) == 0)
		s = sum_percpu(vals, ncpu);
	free(vals);
	return s;
}
