// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The exit summary, in text and in JSON (--summary-json): one function per
 * fact, each writing both forms.  JSON keys (README, rstwatch(8)):
 *   {"resets": {"total": N, "sent": {CAUSE: N, ...}, "received": {...}},
 *    "events": {"shown": N, "lost": N, "malformed": N}}
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "facts.h"
#include "maps.h"
#include "summary.h"

static const char *const direction_name[2] = { "sent", "received" };

static void print_total(const struct facts *f, uint64_t total)
{
	if (f->plain)
		fprintf(f->plain, "\nResets by cause (all namespaces, exact kernel counts): %llu\n",
			(unsigned long long)total);
	if (f->json)
		jw_kv_uint(f->json, "total", total);
}

/* The causes of one direction with a non-zero count, in taxonomy order. */
static void print_direction(const struct facts *f, int d, const uint64_t *by_cause)
{
	if (f->json) {
		jw_key(f->json, direction_name[d]);
		jw_object_begin(f->json);
	}
	for (int c = 0; c < CAUSE__COUNT; c++) {
		if (!by_cause[c])
			continue;
		if (f->plain)
			fprintf(f->plain, "  %-9s %-18s %12llu\n", direction_name[d],
				cause_info(c)->id, (unsigned long long)by_cause[c]);
		if (f->json)
			jw_kv_uint(f->json, cause_info(c)->id, by_cause[c]);
	}
	if (f->json)
		jw_object_end(f->json);
}

static void print_events(const struct facts *f, const struct run_summary *s)
{
	if (f->plain)
		fprintf(f->plain,
			"Events shown: %llu, lost (ring buffer full): %llu, malformed: %llu\n",
			(unsigned long long)s->shown, (unsigned long long)s->lost,
			(unsigned long long)s->malformed);
	if (f->json) {
		jw_key(f->json, "events");
		jw_object_begin(f->json);
		jw_kv_uint(f->json, "shown", s->shown);
		jw_kv_uint(f->json, "lost", s->lost);
		jw_kv_uint(f->json, "malformed", s->malformed);
		jw_object_end(f->json);
	}
}

/* Entries a full kernel map could not take: where counts stop being exact. */
static void print_map_losses(const struct facts *f, const struct run_summary *s)
{
	uint64_t any = 0;

	for (int m = 0; m < RSTW_MAP__COUNT; m++)
		any += s->map_lost[m];
	if (f->plain && any) {
		fprintf(f->plain, "Map entries lost (map full):");
		for (int m = 0; m < RSTW_MAP__COUNT; m++)
			if (s->map_lost[m])
				fprintf(f->plain, " %s %llu", maps_name(m),
					(unsigned long long)s->map_lost[m]);
		fprintf(f->plain, "%s\n",
			s->map_lost[RSTW_MAP_COUNTS] ? " (the counts above are not exact)" : "");
	}
	if (f->json) {
		jw_key(f->json, "map_lost");
		jw_object_begin(f->json);
		for (int m = 0; m < RSTW_MAP__COUNT; m++)
			jw_kv_uint(f->json, maps_name(m), s->map_lost[m]);
		jw_object_end(f->json);
	}
}

void summary_write(const struct run_summary *s, FILE *plain, FILE *json)
{
	struct jw jw;
	struct facts f = { .plain = plain, .json = json ? &jw : NULL };

	if (json) {
		jw_init(&jw, json);
		jw_object_begin(&jw);
		jw_key(&jw, "resets");
		jw_object_begin(&jw);
	}
	print_total(&f, s->total);
	for (int d = 0; d < 2; d++)
		print_direction(&f, d, s->by_cause[d]);
	if (json)
		jw_object_end(&jw);
	print_events(&f, s);
	print_map_losses(&f, s);
	if (json) {
		jw_object_end(&jw);
		fputc('\n', json);
	}
}

FILE *summary_open(const char *path)
{
	/* O_NOFOLLOW: a symlink planted at PATH must not aim a root write elsewhere */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f;

	int saved;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}
