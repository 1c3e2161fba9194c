// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /metrics labels (user/metrics.c) and the per-service series
 * (user/services.c): valid UTF-8 whatever a name holds, a stable bounded set.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "metrics.h"
#include "services.h"

static const char *clean(const char *raw, size_t len)
{
	static char out[METRICS_LABEL_MAX];

	metrics_label_clean(raw, out, len);
	return out;
}

TEST(label_clean_keeps_valid_utf8)
{
	CHECK_EQ_STR(clean("nginx.service", 256), "nginx.service");
	CHECK_EQ_STR(clean("caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80", 256),
		     "caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80");
	/* systemd's own escapes are plain text */
	CHECK_EQ_STR(clean("dev-disk-by\\x2duuid.swap", 256), "dev-disk-by\\x2duuid.swap");
	CHECK_EQ_STR(clean("a\"b\\c", 256), "a\"b\\c"); /* the render escapes these */
}

TEST(label_clean_escapes_invalid_bytes_and_controls)
{
	CHECK_EQ_STR(clean("\xff.service", 256), "\\xff.service");
	CHECK_EQ_STR(clean("a\nb\tc\x1b]2;x\x07", 256), "a\\x0ab\\x09c\\x1b]2;x\\x07");
	CHECK_EQ_STR(clean("\x7f", 256), "\\x7f");
	CHECK_EQ_STR(clean("\xc0\xaf", 256), "\\xc0\\xaf"); /* overlong '/' */
	CHECK_EQ_STR(clean("\xe0\x80\xaf", 256), "\\xe0\\x80\\xaf"); /* overlong */
	CHECK_EQ_STR(clean("\xed\xa0\x80", 256), "\\xed\\xa0\\x80"); /* surrogate */
	CHECK_EQ_STR(clean("\xf4\x90\x80\x80", 256), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
	CHECK_EQ_STR(clean("\xe2\x82", 256), "\\xe2\\x82"); /* cut short */
	CHECK_EQ_STR(clean("\xc3", 256), "\\xc3");
}

TEST(label_clean_truncates_at_a_boundary)
{
	/* room for 5 bytes: "ab" and the 3-byte euro, never half of one */
	CHECK_EQ_STR(clean("ab\xe2\x82\xac\xe2\x82\xac", 6), "ab\xe2\x82\xac");
	CHECK_EQ_STR(clean("ab\xe2\x82\xac", 5), "ab");
	CHECK_EQ_STR(clean("a\xff", 5), "a"); /* an escape is never cut either */
	CHECK_EQ_STR(clean("a\xff", 6), "a\\xff");
}

static char *render(const struct metrics_snapshot *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	metrics_render(f, m);
	fclose(f);
	return buf;
}

TEST(render_escapes_label_values)
{
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	char *out;

	m->version = "1.0";
	m->revision = "r\"\\\n\xff";
	m->nservices = 1;
	snprintf(m->services[0].name, sizeof(m->services[0].name), "a\"b\\c\xfe");
	m->nwire = 1;
	snprintf(m->wire[0].ifname, sizeof(m->wire[0].ifname), "e\xff\"");
	out = render(m);
	CHECK(strstr(out, "rstwatch_service_resets_total{service=\"a\\\"b\\\\c\\\\xfe\","
			  "direction=\"sent\"} 0\n") != NULL);
	CHECK(strstr(out, "interface=\"e\\\\xff\\\"\"") != NULL);
	CHECK(strstr(out, "revision=\"r\\\"\\\\\\\\x0a\\\\xff\"") != NULL);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (!CHECK(*p < 0x80 && (*p >= 0x20 || *p == '\n')))
			break;
	free(out);
	free(m);
}

/* Every wire direction has its own label value: a forwarded RST is not a sent one. */
TEST(render_wire_directions)
{
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	static const char *const want[] = {
		"rstwatch_wire_resets_total{netns=\"7\",interface=\"eth0\",direction=\"sent\"} 10\n",
		"rstwatch_wire_resets_total{netns=\"7\",interface=\"eth0\",direction=\"received\"} 11\n",
		"rstwatch_wire_resets_total{netns=\"7\",interface=\"eth0\",direction=\"forwarded\"} 12\n",
		"rstwatch_wire_resets_total{netns=\"other\",interface=\"other\",direction=\"forwarded\"} 13\n",
	};
	char *out;

	m->version = m->revision = "x";
	for (int d = 0; d < RSTW_WIRE__DIRS; d++) {
		m->wire[d].netns = 7;
		snprintf(m->wire[d].ifname, sizeof(m->wire[d].ifname), "eth0");
		m->wire[d].dir = d;
		m->wire[d].count = 10 + (uint64_t)d;
	}
	m->wire[3].other = true;
	m->wire[3].dir = RSTW_WIRE_FORWARDED;
	m->wire[3].count = 13;
	m->nwire = 4;
	out = render(m);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!CHECK(strstr(out, want[i]) != NULL))
			NOTE("missing: %s", want[i]);
	free(out);
	free(m);
}

/* A host of cgroups for the service table: id -> path, alive or gone. */
#define FAKE_MAX 64
static struct {
	uint64_t id;
	const char *path;
	enum cgroup_state state;
} fake[FAKE_MAX];
static int nfake, lookups;

static enum cgroup_state fake_resolve(uint64_t id, char *path, size_t len, void *arg)
{
	(void)arg;
	lookups++;
	for (int i = 0; i < nfake; i++) {
		if (fake[i].id == id) {
			snprintf(path, len, "%s", fake[i].path);
			return fake[i].state;
		}
	}
	path[0] = '\0';
	return CGROUP_GONE;
}

static void fake_set(uint64_t id, const char *path, enum cgroup_state st)
{
	for (int i = 0; i < nfake; i++) {
		if (fake[i].id == id) {
			fake[i].path = path;
			fake[i].state = st;
			return;
		}
	}
	fake[nfake].id = id;
	fake[nfake].path = path;
	fake[nfake++].state = st;
}

static const struct metrics_snapshot *m_last;

static int64_t series(const char *name, int dir)
{
	for (int i = 0; i < m_last->nservices; i++)
		if (strcmp(m_last->services[i].name, name) == 0)
			return (int64_t)(dir ? m_last->services[i].received :
					       m_last->services[i].sent);
	return -1;
}

struct key {
	uint64_t id;
	int dir;
	uint64_t count;
	bool deleted;
};

/* One scrape over keys[]; keys of expired cgroups are deleted as serve does. */
static void scrape(struct services *t, struct metrics_snapshot *m, struct key *keys, int n,
		   uint64_t now_s)
{
	memset(m, 0, sizeof(*m));
	services_begin(t, now_s * 1000000000ull);
	for (int i = 0; i < n; i++)
		if (!keys[i].deleted && services_count(t, keys[i].id, keys[i].dir, keys[i].count))
			keys[i].deleted = true;
	services_snapshot(t, m);
	m_last = m;
}

TEST(service_names_cannot_pose_as_system_units)
{
	char name[METRICS_LABEL_MAX];

	CHECK(!services_name("/system.slice/nginx.service", name, sizeof(name)));
	CHECK_EQ_STR(name, "nginx.service");
	CHECK(services_name("/user.slice/user-1000.slice/user@1000.service/app.slice/nginx.service",
			    name, sizeof(name)));
	CHECK_EQ_STR(name, "user@1000.service");
	CHECK(services_name("/user.slice/user-1000.slice/session-4.scope", name, sizeof(name)));
	CHECK_EQ_STR(name, "session-4.scope");
	/* a delegated subtree below a system unit counts as that unit */
	CHECK(!services_name("/system.slice/docker-ab.scope/x/nginx.service", name, sizeof(name)));
	CHECK_EQ_STR(name, "docker-ab.scope");
	CHECK(!services_name("/rstw-x/\xff.service", name, sizeof(name)));
	CHECK_EQ_STR(name, "\\xff.service");
	CHECK(!services_name("/rstw-plain", name, sizeof(name)));
	CHECK_EQ_STR(name, "/rstw-plain");
}

TEST(service_slots_users_never_take_system_ones)
{
	static char paths[40][96];
	struct services *t = services_new(fake_resolve, NULL);
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	struct key keys[40];
	int users = 0, other = -1;

	nfake = 0;
	/* 25 user units resetting a lot, 15 system services a little */
	for (int i = 0; i < 40; i++) {
		if (i < 25)
			snprintf(paths[i], sizeof(paths[i]),
				 "/user.slice/user-%d.slice/user@%d.service", 1000 + i, 1000 + i);
		else
			snprintf(paths[i], sizeof(paths[i]), "/system.slice/s%02d.service", i);
		fake_set(100 + i, paths[i], CGROUP_ALIVE);
		keys[i] = (struct key){ .id = 100 + i, .count = i < 25 ? 1000 : 1 };
	}
	scrape(t, m, keys, 40, 1);
	for (int i = 0; i < m->nservices; i++) {
		if (strncmp(m->services[i].name, "user@", 5) == 0)
			users++;
		if (strcmp(m->services[i].name, "other") == 0)
			other = i;
	}
	CHECK_EQ_INT(users, METRICS_MAX_USER_SERVICES);
	for (int i = 25; i < 40; i++)
		if (!CHECK(series(paths[i] + strlen("/system.slice/"), 0) == 1))
			NOTE("system service %d", i);
	CHECK_EQ_INT(other, m->nservices - 1); /* "other" last, the rest by name */
	CHECK(series("other", 0) == 15 * 1000);
	CHECK_EQ_INT(m->services_folded, 15);
	for (int i = 1; i < other; i++)
		CHECK(strcmp(m->services[i - 1].name, m->services[i].name) < 0);
	services_free(t);
	free(m);
}

TEST(service_slots_largest_first_then_kept)
{
	static char paths[30][64];
	struct services *t = services_new(fake_resolve, NULL);
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	struct key keys[30];

	nfake = 0;
	for (int i = 0; i < 30; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/system.slice/s%02d.service", i);
		fake_set(200 + i, paths[i], CGROUP_ALIVE);
		keys[i] = (struct key){ .id = 200 + (uint64_t)i, .count = (uint64_t)i + 1 };
	}
	scrape(t, m, keys, 30, 1);
	/* the 20 largest: s10..s29 */
	CHECK(series("s09.service", 0) == -1);
	CHECK(series("s10.service", 0) == 11);
	CHECK(series("other", 0) == 55);
	/* s00 grows past everyone: admitted services keep their slots */
	keys[0].count = 100000;
	scrape(t, m, keys, 30, 2);
	CHECK(series("s00.service", 0) == -1);
	CHECK(series("s10.service", 0) == 11);
	CHECK(series("other", 0) == 100000 + 54);
	services_free(t);
	free(m);
}

/* The HTTP thread names only what the event loop found: a cgroup not yet
 * named waits for a later scrape, then shows with all its counts. */
TEST(service_pending_cgroup_waits_for_its_name)
{
	struct services *t = services_new(fake_resolve, NULL);
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	struct key keys[1] = { { .id = 500, .count = 7 } };

	nfake = 0;
	fake_set(500, "", CGROUP_PENDING);
	scrape(t, m, keys, 1, 1);
	CHECK(series("unknown", 0) == -1);
	CHECK(series("pend.service", 0) == -1);
	fake_set(500, "/system.slice/pend.service", CGROUP_ALIVE);
	keys[0].count = 9;
	scrape(t, m, keys, 1, 2);
	CHECK(series("pend.service", 0) == 9);
	CHECK(series("unknown", 0) == -1);
	services_free(t);
	free(m);
}

TEST(service_series_expire_after_their_cgroups_are_gone)
{
	static char paths[21][64];
	struct services *t = services_new(fake_resolve, NULL);
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	struct key keys[22];
	uint64_t now = 10, other;

	nfake = 0;
	for (int i = 0; i < 21; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/system.slice/g%02d.service", i);
		fake_set(300 + i, paths[i], CGROUP_ALIVE);
		keys[i] = (struct key){ .id = 300 + (uint64_t)i, .count = 100 - (uint64_t)i };
	}
	/* g20 is the smallest: folded */
	scrape(t, m, keys, 21, now);
	CHECK(series("g20.service", 0) == -1);
	CHECK(series("other", 0) == 80);
	/* g00 restarts: its old cgroup goes, a new one with the same name resets */
	fake_set(300, paths[0], CGROUP_GONE);
	fake_set(399, paths[0], CGROUP_ALIVE);
	keys[21] = (struct key){ .id = 399, .count = 5 };
	scrape(t, m, keys, 22, ++now);
	CHECK(series("g00.service", 0) == 105);
	/* within the expiry the gone cgroup's keys stay and the series stays monotonic */
	scrape(t, m, keys, 22, now + METRICS_SERVICE_EXPIRY_S - 1);
	CHECK(!keys[0].deleted);
	CHECK(series("g00.service", 0) == 105);
	now += METRICS_SERVICE_EXPIRY_S;
	scrape(t, m, keys, 22, now);
	CHECK(keys[0].deleted); /* its key is deleted from the kernel map */
	CHECK(series("g00.service", 0) == 105);
	scrape(t, m, keys, 22, ++now);
	CHECK(series("g00.service", 0) == 105); /* counted once, kept by the live cgroup */
	/* g01 goes for good: its series ends after the expiry, g20 gets the slot */
	fake_set(301, paths[1], CGROUP_GONE);
	scrape(t, m, keys, 22, ++now);
	CHECK(series("g01.service", 0) == 99);
	other = (uint64_t)series("other", 0);
	now += METRICS_SERVICE_EXPIRY_S;
	scrape(t, m, keys, 22, now);
	scrape(t, m, keys, 22, ++now);
	CHECK(series("g01.service", 0) == -1);
	/* promoted from "other": it starts from 0 and "other" never goes down */
	CHECK(series("g20.service", 0) == 0);
	CHECK((uint64_t)series("other", 0) == other);
	CHECK_EQ_INT(m->services_folded, 0);
	keys[20].count += 7;
	scrape(t, m, keys, 22, ++now);
	CHECK(series("g20.service", 0) == 7);
	services_free(t);
	free(m);
}

TEST(service_gone_cgroups_are_asked_once)
{
	struct services *t = services_new(fake_resolve, NULL);
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	struct key keys[200];

	nfake = 0;
	for (int i = 0; i < 200; i++)
		keys[i] = (struct key){ .id = 1000 + (uint64_t)i, .dir = 1, .count = 1 };
	lookups = 0;
	scrape(t, m, keys, 200, 1);
	CHECK(series("unknown", 1) == 200);
	CHECK_EQ_INT(lookups, 200);
	scrape(t, m, keys, 200, 2);
	CHECK_EQ_INT(lookups, 200); /* gone stays gone: no more lookups */
	services_free(t);
	free(m);
}
