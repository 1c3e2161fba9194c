// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Exact counts live in the kernel's per-CPU maps; this sums them. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"

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

struct read_ctx {
	struct key_count *out;
	size_t n, max;
};

static int read_one(const void *key, uint64_t count, void *arg)
{
	struct read_ctx *c = arg;

	memcpy(&c->out[c->n].key, key, sizeof(c->out[c->n].key));
	c->out[c->n++].count = count;
	return c->n >= c->max;
}

int counters_read(int fd, struct key_count *out, size_t max)
{
	struct read_ctx c = { .out = out, .max = max };
	int err;

	if (!max)
		return 0;
	err = counters_each(fd, sizeof(uint32_t), read_one, &c);
	return err < 0 ? err : (int)c.n;
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
