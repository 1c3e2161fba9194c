// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Exact counts live in the kernel's per-CPU maps; this sums them. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>

#include "counters.h"

static uint64_t sum_percpu(const uint64_t *v, int ncpu)
{
	uint64_t s = 0;

	for (int i = 0; i < ncpu; i++)
		s += v[i];
	return s;
}

int counters_read(int fd, struct key_count *out, size_t max)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t key, next, *prev = NULL;
	uint64_t *vals;
	size_t n = 0;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue; /* deleted meanwhile: never happens, keys only grow */
		out[n].key = key;
		out[n].count = sum_percpu(vals, ncpu);
		n++;
	}
	free(vals);
	return (int)n;
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
