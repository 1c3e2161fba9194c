// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-service series.  What an operator needs from them: a local user cannot
 * push system services out or pose as one, the set of series is the same from
 * one scrape to the next, and every series is monotonic while it exists.
 *
 * - Naming: a cgroup is named once, when first seen, by its outermost systemd
 *   unit; everything a user starts sits below their user@UID.service, so it
 *   all counts as that one name.
 * - Slots: 20 for system services, 10 for users' (below /user.slice/), so
 *   users never take a system slot.  At each scrape the services waiting for
 *   a slot are admitted largest count first (then by name) while slots are
 *   free; an admitted service keeps its slot as long as it exists.  The rest
 *   sum into service="other".
 * - Expiry: a cgroup gone for METRICS_SERVICE_EXPIRY_S has its kernel keys
 *   deleted; once none of a service's cgroups has keys left, its series ends
 *   and its slot is free.  A promoted service starts from 0, its past having
 *   been counted in "other", so the series always sum to every reset.
 */
#include <stdlib.h>
#include <string.h>

#include "services.h"

#define NS_PER_S 1000000000ull

struct svc_cgroup {
	uint64_t id;
	int entry; /* index in t->entries */
	bool gone, touched;
	uint64_t gone_since_ns;
	uint64_t live[2]; /* its keys' counts at the last scrape that saw them */
};

struct svc_entry {
	char name[METRICS_LABEL_MAX];
	bool user, admitted, was_folded;
	int ncgroups;
	uint64_t retired[2]; /* counts of its cgroups whose keys are gone */
	uint64_t base[2]; /* counted in "other" before it was admitted */
	uint64_t total[2]; /* retired + its cgroups' live counts */
};

struct services {
	services_resolve_fn resolve;
	void *arg;
	uint64_t now_ns;
	struct svc_cgroup *cg;
	size_t ncg, cg_cap;
	int *cg_index; /* open addressing over cg[], -1 empty */
	size_t cg_index_cap;
	struct svc_entry *e;
	size_t ne, e_cap;
	uint64_t expiry_ns; /* a gone cgroup's keys go after this long */
	uint64_t other_retired[2]; /* "other"'s share of services gone or promoted */
	bool other_shown; /* once shown, "other" stays */
};

struct services *services_new(services_resolve_fn resolve, void *arg)
{
	struct services *t = calloc(1, sizeof(*t));

	if (t) {
		t->resolve = resolve;
		t->arg = arg;
		t->expiry_ns = METRICS_SERVICE_EXPIRY_S * NS_PER_S;
	}
	return t;
}

void services_set_expiry(struct services *t, uint64_t ns)
{
	t->expiry_ns = ns;
}

void services_free(struct services *t)
{
	if (!t)
		return;
	free(t->cg);
	free(t->cg_index);
	free(t->e);
	free(t);
}

static bool is_unit(const char *p, size_t n)
{
	return (n > 8 && memcmp(p + n - 8, ".service", 8) == 0) ||
	       (n > 6 && memcmp(p + n - 6, ".scope", 6) == 0);
}

bool services_name(const char *path, char *name, size_t len)
{
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char unit[METRICS_LABEL_MAX];

		if (is_unit(p, n)) {
			snprintf(unit, sizeof(unit), "%.*s", (int)n, p);
			metrics_label_clean(unit, name, len);
			goto out;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	metrics_label_clean(path, name, len);
out:
	return strncmp(path, "/user.slice/", 12) == 0;
}

static size_t hash_id(uint64_t id, size_t cap)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static int index_rebuild(struct services *t, size_t want)
{
	size_t cap = 64;
	int *idx;

	while (cap < want * 2)
		cap *= 2;
	idx = malloc(cap * sizeof(*idx));
	if (!idx)
		return -1;
	memset(idx, 0xff, cap * sizeof(*idx));
	for (size_t i = 0; i < t->ncg; i++) {
		size_t h = hash_id(t->cg[i].id, cap);

		while (idx[h] >= 0)
			h = (h + 1) & (cap - 1);
		idx[h] = (int)i;
	}
	free(t->cg_index);
	t->cg_index = idx;
	t->cg_index_cap = cap;
	return 0;
}

static struct svc_cgroup *cgroup_find(struct services *t, uint64_t id)
{
	size_t h;

	if (!t->cg_index)
		return NULL;
	for (h = hash_id(id, t->cg_index_cap); t->cg_index[h] >= 0;
	     h = (h + 1) & (t->cg_index_cap - 1))
		if (t->cg[t->cg_index[h]].id == id)
			return &t->cg[t->cg_index[h]];
	return NULL;
}

static int entry_of(struct services *t, const char *name, bool user)
{
	struct svc_entry *e;

	/* one entry per name; found through the cgroups, so this runs once per cgroup */
	for (size_t i = 0; i < t->ne; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return (int)i;
	if (t->ne == t->e_cap) {
		size_t cap = t->e_cap ? t->e_cap * 2 : 64;

		e = realloc(t->e, cap * sizeof(*e));
		if (!e)
			return -1;
		t->e = e;
		t->e_cap = cap;
	}
	e = &t->e[t->ne];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->user = user;
	return (int)t->ne++;
}

static struct svc_cgroup *cgroup_add(struct services *t, uint64_t id)
{
	char path[METRICS_LABEL_MAX], name[METRICS_LABEL_MAX];
	enum cgroup_state st = CGROUP_UNKNOWN;
	struct svc_cgroup *c;
	bool user = false;
	int entry;

	path[0] = '\0';
	if (id)
		st = t->resolve(id, path, sizeof(path), t->arg);
	if (st == CGROUP_PENDING)
		return NULL; /* named by a later scrape, with all its counts */
	if (!id)
		snprintf(name, sizeof(name), "none");
	else if (path[0])
		user = services_name(path, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "unknown"); /* gone before seen, or unreadable */
	entry = entry_of(t, name, user);
	if (entry < 0)
		return NULL;
	if (t->ncg == t->cg_cap) {
		size_t cap = t->cg_cap ? t->cg_cap * 2 : 64;

		c = realloc(t->cg, cap * sizeof(*c));
		if (!c)
			return NULL;
		t->cg = c;
		t->cg_cap = cap;
	}
	c = &t->cg[t->ncg++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->entry = entry;
	c->gone = st == CGROUP_GONE;
	c->gone_since_ns = t->now_ns;
	t->e[entry].ncgroups++;
	if (t->ncg * 2 > t->cg_index_cap) {
		if (index_rebuild(t, t->ncg)) { /* it indexes the new one too */
			t->ncg--;
			t->e[entry].ncgroups--;
			return NULL;
		}
	} else {
		size_t h = hash_id(id, t->cg_index_cap);

		while (t->cg_index[h] >= 0)
			h = (h + 1) & (t->cg_index_cap - 1);
		t->cg_index[h] = (int)(t->ncg - 1);
	}
	return c;
}

void services_begin(struct services *t, uint64_t now_ns)
{
	t->now_ns = now_ns;
	for (size_t i = 0; i < t->ncg; i++)
		t->cg[i].touched = false;
}

bool services_count(struct services *t, uint64_t cgroup_id, int dir, uint64_t count)
{
	struct svc_cgroup *c = cgroup_find(t, cgroup_id);
	char path[8];

	if (!c)
		c = cgroup_add(t, cgroup_id);
	if (!c)
		return false; /* not named yet, or out of memory: this scrape misses it */
	if (!c->touched) {
		c->touched = true;
		c->live[0] = c->live[1] = 0;
		if (!c->gone && cgroup_id &&
		    t->resolve(cgroup_id, path, sizeof(path), t->arg) == CGROUP_GONE) {
			c->gone = true;
			c->gone_since_ns = t->now_ns;
		}
	}
	c->live[dir ? 1 : 0] += count;
	return c->gone && t->now_ns - c->gone_since_ns >= t->expiry_ns;
}

/* Cgroups whose keys are gone leave their counts to their service. */
static void drop_untouched(struct services *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->ncg; i++) {
		struct svc_cgroup *c = &t->cg[i];

		if (!c->touched) {
			t->e[c->entry].retired[0] += c->live[0];
			t->e[c->entry].retired[1] += c->live[1];
			t->e[c->entry].ncgroups--;
			continue;
		}
		t->cg[kept++] = *c;
	}
	if (kept != t->ncg) {
		t->ncg = kept;
		index_rebuild(t, kept);
	}
}

/* Services with no cgroup left end; a folded one leaves its counts to "other". */
static void drop_empty(struct services *t)
{
	size_t kept = 0;
	int *remap = malloc((t->ne ? t->ne : 1) * sizeof(*remap));

	if (!remap)
		return;
	for (size_t i = 0; i < t->ne; i++) {
		struct svc_entry *e = &t->e[i];

		remap[i] = -1;
		if (e->ncgroups == 0) {
			if (!e->admitted) {
				t->other_retired[0] += e->retired[0];
				t->other_retired[1] += e->retired[1];
			}
			continue;
		}
		remap[i] = (int)kept;
		t->e[kept++] = *e;
	}
	t->ne = kept;
	for (size_t i = 0; i < t->ncg; i++)
		t->cg[i].entry = remap[t->cg[i].entry];
	free(remap);
}

static int by_total_desc(const void *a, const void *b)
{
	const struct svc_entry *x = *(struct svc_entry *const *)a,
			       *y = *(struct svc_entry *const *)b;
	uint64_t tx = x->total[0] + x->total[1], ty = y->total[0] + y->total[1];

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
	const struct svc_entry *x = *(struct svc_entry *const *)a,
			       *y = *(struct svc_entry *const *)b;

	return strcmp(x->name, y->name);
}

static void admit(struct services *t, struct svc_entry **v)
{
	int used[2] = { 0, 0 }, cap[2] = { METRICS_MAX_SYSTEM_SERVICES, METRICS_MAX_USER_SERVICES };
	size_t n = 0;

	for (size_t i = 0; i < t->ne; i++) {
		if (t->e[i].admitted)
			used[t->e[i].user]++;
		else
			v[n++] = &t->e[i];
	}
	qsort(v, n, sizeof(*v), by_total_desc);
	for (size_t i = 0; i < n; i++) {
		struct svc_entry *e = v[i];

		if (used[e->user] >= cap[e->user])
			continue;
		used[e->user]++;
		e->admitted = true;
		if (e->was_folded) {
			/* what "other" showed of it stays there */
			for (int d = 0; d < 2; d++) {
				e->base[d] = e->total[d];
				t->other_retired[d] += e->total[d];
			}
		}
	}
}

void services_snapshot(struct services *t, struct metrics_snapshot *m)
{
	struct svc_entry **v;
	uint64_t other[2];
	size_t n = 0;

	drop_untouched(t);
	drop_empty(t);
	for (size_t i = 0; i < t->ne; i++) {
		t->e[i].total[0] = t->e[i].retired[0];
		t->e[i].total[1] = t->e[i].retired[1];
	}
	for (size_t i = 0; i < t->ncg; i++) {
		t->e[t->cg[i].entry].total[0] += t->cg[i].live[0];
		t->e[t->cg[i].entry].total[1] += t->cg[i].live[1];
	}
	m->nservices = 0;
	m->services_folded = 0;
	v = malloc((t->ne ? t->ne : 1) * sizeof(*v));
	if (!v)
		return;
	admit(t, v);
	other[0] = t->other_retired[0];
	other[1] = t->other_retired[1];
	for (size_t i = 0; i < t->ne; i++) {
		struct svc_entry *e = &t->e[i];

		if (e->admitted) {
			v[n++] = e;
			continue;
		}
		e->was_folded = true;
		m->services_folded++;
		other[0] += e->total[0];
		other[1] += e->total[1];
	}
	qsort(v, n, sizeof(*v), by_name);
	for (size_t i = 0; i < n && i < METRICS_MAX_SERVICES; i++) {
		snprintf(m->services[i].name, sizeof(m->services[i].name), "%s", v[i]->name);
		m->services[i].sent = v[i]->total[0] - v[i]->base[0];
		m->services[i].received = v[i]->total[1] - v[i]->base[1];
		m->nservices++;
	}
	if (m->services_folded || t->other_shown) {
		t->other_shown = true;
		snprintf(m->services[m->nservices].name, sizeof(m->services[0].name), "other");
		m->services[m->nservices].sent = other[0];
		m->services[m->nservices].received = other[1];
		m->nservices++;
	}
	free(v);
}
