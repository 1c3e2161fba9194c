// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rstwatch serve's HTTP side.  libmicrohttpd (Debian's libmicrohttpd-dev)
 * rather than a hand-written server: it already bounds header sizes and idle
 * time, and it runs its own thread.  What it does not bound is added here: the
 * time a request may take from its first byte to its last, and the slots a
 * crowd of slow clients may hold (a new client closes the oldest).  Counts come
 * straight from the kernel's per-CPU maps on every scrape, so they are exact
 * whatever the event loop does.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attribute.h"
#include "caps.h"
#include "counters.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "owner.h"
#include "resets.skel.h"
#include "serve.h"
#include "services.h"
#include "wire.h"

/* clients served at once; one more closes the oldest (there is room for it) */
#define HTTP_CLIENTS 64
#define HTTP_SLOTS (2 * HTTP_CLIENTS)
/* a request, from its first byte (or the previous answer) to its answer */
#define HTTP_REQUEST_NS (5 * 1000000000ull)
#define HTTP_IDLE_S 5u
#define HTTP_SWEEP_MS 250

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>rstwatch</title></head><body>\n"
	"<h1>rstwatch</h1>\n<p>TCP resets this host sends and receives, by cause.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

int serve_parse_listen(const char *listen, void *storage, unsigned int *len)
{
	char host[128];
	const char *colon;
	char *end;
	long port;

	if (!listen || !*listen)
		return -1;
	colon = strrchr(listen, ':');
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host))
		return -1;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || port < 1 || port > 65535)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[') {
		struct sockaddr_in6 *a = storage;
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return -1;
		host[n - 1] = '\0';
		memset(a, 0, sizeof(*a));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = storage;

		memset(a, 0, sizeof(*a));
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		*len = sizeof(*a);
	}
	return 0;
}

static void snapshot_progs(struct serve *s, struct metrics_snapshot *m)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, s->l->skel->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || m->nprogs >= METRICS_MAX_PROGS)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		m->progs[m->nprogs].name = bpf_program__name(prog);
		m->progs[m->nprogs].run_ns = info.run_time_ns;
		m->progs[m->nprogs].run_cnt = info.run_cnt;
		m->nprogs++;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING)
			m->attached++;
	}
}

/*
 * Wire series: the first METRICS_MAX_WIRE (netns, interface, direction) keys
 * seen keep a series while the kernel has their key (several new at one
 * scrape: in key order); the rest sum into interface="other", which never
 * decreases.  Scrapes run on the one HTTP thread.
 */
struct wire_slot {
	struct rstw_wire_key key;
	uint64_t count;
	bool seen;
};

static struct wire_table {
	struct wire_slot admitted[METRICS_MAX_WIRE];
	int nadmitted;
	struct wire_slot *folded; /* keys that found no slot, with their last count */
	size_t nfolded, folded_cap;
	uint64_t folded_retired
		[RSTW_WIRE__DIRS]; /* counts of folded keys the kernel no longer has */
	bool other_shown;
	struct wire_slot *fresh; /* this scrape's keys */
	size_t nfresh, fresh_cap;
} wire_table;

static int wire_key_cmp(const void *a, const void *b)
{
	const struct rstw_wire_key *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static int wire_collect(const void *k, uint64_t count, void *arg)
{
	const struct rstw_wire_key *key = k;
	struct wire_table *t = arg;

	if (key->dir >= RSTW_WIRE__DIRS)
		return 0; /* not a key the wire programs make */
	if (t->nfresh == t->fresh_cap) {
		size_t cap = t->fresh_cap ? t->fresh_cap * 2 : 256;
		struct wire_slot *v = realloc(t->fresh, cap * sizeof(*v));

		if (!v)
			return 1;
		t->fresh = v;
		t->fresh_cap = cap;
	}
	memset(&t->fresh[t->nfresh], 0, sizeof(t->fresh[0]));
	memcpy(&t->fresh[t->nfresh].key, k, sizeof(struct rstw_wire_key));
	t->fresh[t->nfresh++].count = count;
	return 0;
}

static struct wire_slot *wire_find(struct wire_slot *v, size_t n, const struct rstw_wire_key *k)
{
	return bsearch(k, v, n, sizeof(*v), wire_key_cmp);
}

/* Keep the slots the kernel still has a key for; the others' counts go to "other". */
static void wire_forget(struct wire_table *t)
{
	size_t kept = 0;

	for (int i = 0; i < t->nadmitted; i++)
		if (wire_find(t->fresh, t->nfresh, &t->admitted[i].key))
			t->admitted[kept++] = t->admitted[i];
	t->nadmitted = (int)kept;
	kept = 0;
	for (size_t i = 0; i < t->nfolded; i++) {
		if (wire_find(t->fresh, t->nfresh, &t->folded[i].key))
			t->folded[kept++] = t->folded[i];
		else
			t->folded_retired[t->folded[i].key.dir] += t->folded[i].count;
	}
	t->nfolded = kept;
}

static void wire_fold(struct wire_table *t, const struct wire_slot *w)
{
	if (t->nfolded == t->folded_cap) {
		size_t cap = t->folded_cap ? t->folded_cap * 2 : 64;
		struct wire_slot *v = realloc(t->folded, cap * sizeof(*v));

		if (!v)
			return;
		t->folded = v;
		t->folded_cap = cap;
	}
	t->folded[t->nfolded++] = *w;
}

static int wire_row_cmp(const void *a, const void *b)
{
	const struct metrics_wire_row *x = a, *y = b;
	int c;

	if (x->other != y->other)
		return x->other ? 1 : -1;
	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	c = strcmp(x->ifname, y->ifname);
	return c ? c : x->dir - y->dir;
}

/* Rows whose labels came out equal (names cleaned alike, a rename) are one series. */
static int wire_merge_equal(struct metrics_wire_row *rows, int n)
{
	int kept = 0;

	for (int i = 0; i < n; i++) {
		if (kept && !wire_row_cmp(&rows[kept - 1], &rows[i]))
			rows[kept - 1].count += rows[i].count;
		else
			rows[kept++] = rows[i];
	}
	return kept;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void snapshot_wire(struct serve *s, struct metrics_snapshot *m)
{
	struct wire_table *t = &wire_table;
	char ifname[64];
	size_t nadm, nfold;
	uint64_t other[RSTW_WIRE__DIRS];
	int n = 0;

	t->nfresh = 0;
	wire_lock(s->w);
	m->attached += wire_links(s->w);
	/* vanished interfaces' keys go: their series end (or leave "other") */
	wire_expire_counts(s->w, bpf_map__fd(s->l->skel->maps.wire_counts), mono_ns(),
			   s->expire_after_ns);
	counters_each(bpf_map__fd(s->l->skel->maps.wire_counts), sizeof(struct rstw_wire_key),
		      wire_collect, t);
	qsort(t->fresh, t->nfresh, sizeof(*t->fresh), wire_key_cmp);
	wire_forget(t);
	/* old keys sorted for lookup; keys new this scrape are appended after them */
	nadm = (size_t)t->nadmitted;
	nfold = t->nfolded;
	qsort(t->admitted, nadm, sizeof(t->admitted[0]), wire_key_cmp);
	qsort(t->folded, nfold, sizeof(t->folded[0]), wire_key_cmp);
	memcpy(other, t->folded_retired, sizeof(other));
	for (size_t i = 0; i < t->nfresh; i++) {
		struct wire_slot *w = &t->fresh[i];
		struct wire_slot *a = wire_find(t->admitted, nadm, &w->key);
		struct wire_slot *f = a ? NULL : wire_find(t->folded, nfold, &w->key);

		if (!a && !f) {
			if (t->nadmitted < METRICS_MAX_WIRE)
				a = &t->admitted[t->nadmitted++];
			else
				wire_fold(t, w);
		}
		if (a)
			*a = *w;
		else if (f)
			f->count = w->count;
		if (!a) {
			other[w->key.dir] += w->count;
			continue;
		}
		m->wire[n].netns = w->key.netns;
		m->wire[n].dir = (int)w->key.dir;
		m->wire[n].count = w->count;
		wire_ifname(s->w, w->key.netns, (int)w->key.ifindex, ifname, sizeof(ifname));
		metrics_label_clean(ifname, m->wire[n].ifname, sizeof(m->wire[n].ifname));
		n++;
	}
	wire_unlock(s->w);
	m->wire_folded = (int)t->nfolded;
	for (int d = 0; d < RSTW_WIRE__DIRS; d++)
		if (t->nfolded || other[d])
			t->other_shown = true; /* and stays */
	for (int d = 0; d < RSTW_WIRE__DIRS && t->other_shown; d++) {
		m->wire[n].other = true;
		m->wire[n].dir = d;
		m->wire[n++].count = other[d];
	}
	qsort(m->wire, (size_t)n, sizeof(m->wire[0]), wire_row_cmp);
	m->nwire = wire_merge_equal(m->wire, n);
}

/* The HTTP thread may not open cgroups: it reads what the event loop found. */
static enum cgroup_state resolve_cgroup(uint64_t id, char *path, size_t len, void *arg)
{
	(void)arg;
	return owner_cgroup_cached(id, path, len);
}

static int name_one(const void *k, uint64_t count, void *arg)
{
	const struct rstw_service_key *key = k;
	uint64_t *last = arg;
	char path[8];

	(void)count;
	if (key->cgroup_id && key->cgroup_id != *last)
		owner_cgroup_lookup(key->cgroup_id, path, sizeof(path));
	*last = key->cgroup_id; /* a cgroup's keys often come in a row */
	return 0;
}

void serve_name_cgroups(struct serve *s)
{
	uint64_t last = 0;

	counters_each(bpf_map__fd(s->l->skel->maps.service_counts), sizeof(struct rstw_service_key),
		      name_one, &last);
}

struct service_walk {
	struct serve *s;
	struct services *t;
	struct expired_key {
		struct rstw_service_key key;
		uint64_t walked; /* its count in this walk */
	} * expired; /* keys of cgroups gone long enough: deleted after the walk */
	size_t nexpired, cap;
};

static int service_one(const void *k, uint64_t count, void *arg)
{
	const struct rstw_service_key *key = k;
	struct service_walk *w = arg;
	struct cause_input in;
	int dir = key->key.dir == RSTW_DIR_SENT ? 0 : 1;

	if (attribute_key(&w->s->l->reasons, &key->key, &in) == CAUSE_LISTEN_DROP)
		return 0; /* not a reset */
	if (!services_count(w->t, key->cgroup_id, dir, count))
		return 0;
	if (w->nexpired == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct expired_key *v = realloc(w->expired, cap * sizeof(*v));

		if (!v)
			return 0;
		w->expired = v;
		w->cap = cap;
	}
	w->expired[w->nexpired].key = *key;
	w->expired[w->nexpired++].walked = count;
	return 0;
}

/* A gone cgroup's key: deleted, and whatever it gained since the walk counted. */
static void service_expire(struct service_walk *w, const struct rstw_service_key *key,
			   uint64_t walked)
{
	int fd = bpf_map__fd(w->s->l->skel->maps.service_counts);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*vals)) : NULL, sum = 0;

	if (vals && bpf_map_lookup_and_delete_elem(fd, key, vals) == 0) {
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
		if (sum > walked)
			services_count(w->t, key->cgroup_id, key->key.dir == RSTW_DIR_SENT ? 0 : 1,
				       sum - walked);
	} else {
		/* before 5.14: no lookup-and-delete on per-CPU maps, so what the walk saw */
		sum = walked;
		bpf_map_delete_elem(fd, key);
	}
	/* the totals are summed from these keys: theirs stay in the totals */
	if (!key_tally_add(&w->s->retired, &key->key, sum))
		log_warn("out of memory: %llu resets left the totals", (unsigned long long)sum);
	free(vals);
}

static void snapshot_services(struct serve *s, struct metrics_snapshot *m)
{
	static struct services *table; /* the HTTP thread's */
	struct service_walk w = { .s = s };

	if (!table) {
		table = services_new(resolve_cgroup, NULL);
		if (table)
			services_set_expiry(table, s->expire_after_ns);
	}
	if (!table)
		return;
	w.t = table;
	services_begin(table, mono_ns());
	counters_each(bpf_map__fd(s->l->skel->maps.service_counts), sizeof(struct rstw_service_key),
		      service_one, &w);
	for (size_t i = 0; i < w.nexpired; i++)
		service_expire(&w, &w.expired[i].key, w.expired[i].walked);
	services_snapshot(table, m);
	free(w.expired);
}

/* Map losses only grow (user/counters.c); scrapes run on the one HTTP thread. */
static uint64_t map_lost[RSTW_MAP__COUNT];

static void snapshot_maps(struct serve *s, struct metrics_snapshot *m)
{
	counters_map_losses(s->l, map_lost);
	memcpy(m->map_lost, map_lost, sizeof(m->map_lost));
	memcpy(m->map_entries, s->l->map_entries, sizeof(m->map_entries));
}

static char *render(struct serve *s, size_t *len)
{
	struct key_count *keys = NULL;
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	int stats = loader_stats_fd(s->l);
	uint64_t consumed;
	char *buf = NULL;
	FILE *f;
	int n;

	if (!m)
		return NULL;
	n = counters_totals(s->l, &s->retired, &keys);
	tally_by_cause(&s->l->reasons, keys, n < 0 ? 0 : n, m->by_cause);
	free(keys);
	m->events = counters_stat(stats, RSTW_STAT_EVENTS);
	m->events_lost = counters_stat(stats, RSTW_STAT_RB_LOST);
	m->not_received = counters_stat(stats, RSTW_STAT_NOT_RECEIVED);
	m->malformed = atomic_load_explicit(&s->malformed, memory_order_relaxed);
	consumed = atomic_load_explicit(&s->consumed, memory_order_relaxed);
	m->pending = m->events > consumed ? m->events - consumed : 0;
	m->version = RSTW_VERSION;
	m->revision = RSTW_GIT_REV;
	snapshot_progs(s, m);
	snapshot_wire(s, m);
	snapshot_services(s, m);
	snapshot_maps(s, m);
	f = open_memstream(&buf, len);
	if (f) {
		metrics_render(f, m);
		fclose(f);
	}
	free(m);
	return buf;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	static char not_found[] = "not found: try /metrics\n";
	static char bad_method[] = "method not allowed: GET or HEAD\n";
	struct serve *s = cls;
	char *body;
	size_t len = 0;

	(void)version;
	(void)upload;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     bad_method, strlen(bad_method), MHD_RESPMEM_PERSISTENT);
	if (!*req) {
		/* first call for this request: headers only */
		*req = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a body on a GET: ignored */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0) {
		body = render(s, &len);
		if (!body)
			return MHD_NO;
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
			     MHD_RESPMEM_MUST_FREE);
	}
	if (strcmp(url, "/") == 0)
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)landing,
			     sizeof(landing) - 1, MHD_RESPMEM_PERSISTENT);
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", not_found,
		     strlen(not_found), MHD_RESPMEM_PERSISTENT);
}

/* Paths are matched as sent: "/metrics%00x" is not "/metrics". */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* A connection libmicrohttpd holds, as the guard below sees it. */
struct http_slot {
	int fd; /* -1: free */
	bool closing; /* shut down here: libmicrohttpd sees the end and closes it */
	uint64_t since_ns; /* accepted, or its previous request answered */
};

/*
 * The guard: one thread that starts libmicrohttpd with the HTTP privileges
 * (its thread is born with them) and then closes requests that take too long.
 * libmicrohttpd reports a closed connection before it closes the fd, under the
 * same lock, so a slot's fd is always still libmicrohttpd's when shut down.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct http_slot slot[HTTP_SLOTS];
	pthread_t thread;
	bool running, started, stop;
	int drop_err, start_errno; /* the guard thread's: errno is per thread */
	int listen_fd;
	unsigned int flags;
} guard = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void slot_close(struct http_slot *h)
{
	shutdown(h->fd, SHUT_RDWR);
	h->closing = true;
}

/* A new client always gets in: past HTTP_CLIENTS, the oldest one goes. */
static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct http_slot *h, *free_slot = NULL, *oldest = NULL;
	int open = 0;

	(void)cls;
	pthread_mutex_lock(&guard.lock);
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		h = *ctx;
		if (h)
			h->fd = -1;
		pthread_mutex_unlock(&guard.lock);
		return;
	}
	for (int i = 0; i < HTTP_SLOTS; i++) {
		h = &guard.slot[i];
		if (h->fd < 0) {
			if (!free_slot)
				free_slot = h;
		} else if (!h->closing) {
			open++;
			if (!oldest || h->since_ns < oldest->since_ns)
				oldest = h;
		}
	}
	if (open >= HTTP_CLIENTS)
		slot_close(oldest);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (free_slot && ci) {
		free_slot->fd = ci->connect_fd;
		free_slot->closing = false;
		free_slot->since_ns = now_ns();
	} else if (ci) {
		shutdown(ci->connect_fd, SHUT_RDWR); /* untracked: not served */
	}
	*ctx = free_slot;
	pthread_mutex_unlock(&guard.lock);
}

/* An answer sent: the next request on the connection gets its own time. */
static void on_answered(void *cls, struct MHD_Connection *c, void **req,
			enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct http_slot *h = ci ? ci->socket_context : NULL;

	(void)cls;
	(void)req;
	(void)toe;
	if (!h)
		return;
	pthread_mutex_lock(&guard.lock);
	h->since_ns = now_ns();
	pthread_mutex_unlock(&guard.lock);
}

static void *http_guard(void *arg)
{
	struct serve *s = arg;
	int err = caps_drop_thread(CAPS_HTTP);
	struct MHD_Daemon *d;

	/* libmicrohttpd's thread is created here, with this thread's credentials */
	d = MHD_start_daemon(guard.flags, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET,
			     guard.listen_fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_SLOTS,
			     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_S,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_answered, NULL,
			     MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_END);
	guard.start_errno = errno;
	/* the sweeper itself needs no capability */
	if (!err && d)
		err = caps_drop_thread(0);
	pthread_mutex_lock(&guard.lock);
	s->http = d;
	guard.drop_err = err;
	guard.started = true;
	pthread_cond_broadcast(&guard.cond);
	while (d && !guard.stop) {
		struct timespec until;
		uint64_t now;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += HTTP_SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&guard.cond, &guard.lock, &until);
		now = now_ns();
		for (int i = 0; i < HTTP_SLOTS; i++) {
			struct http_slot *h = &guard.slot[i];

			if (h->fd >= 0 && !h->closing && now - h->since_ns > HTTP_REQUEST_NS)
				slot_close(h);
		}
	}
	pthread_mutex_unlock(&guard.lock);
	return NULL;
}

/*
 * Bound here, with the caller's privileges (a port below 1024 needs them).
 * SO_REUSEADDR lets a restart bind past TIME_WAIT, and still refuses a second
 * listener; SO_REUSEPORT would let a second instance share the address.
 */
static int listen_socket(const struct sockaddr_storage *sa, unsigned int len, const char *where)
{
	int one = 1, fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && !setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) &&
	    (sa->ss_family != AF_INET6 ||
	     !setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) &&
	    !bind(fd, (const struct sockaddr *)sa, len) && !listen(fd, SOMAXCONN))
		return fd;
	log_err("cannot listen on %s: %s%s", where, strerror(errno),
		errno == EADDRINUSE ? " (another rstwatch serve?)" : "");
	if (fd >= 0)
		close(fd);
	return -1;
}

int serve_listen(const char *listen)
{
	struct sockaddr_storage sa;
	unsigned int salen;

	if (guard.listen_fd >= 0)
		return 0;
	if (serve_parse_listen(listen, &sa, &salen)) {
		log_err("--listen %s: expected ADDR:PORT or [V6ADDR]:PORT", listen);
		return -1;
	}
	guard.listen_fd = listen_socket(&sa, salen, listen);
	if (guard.listen_fd < 0)
		return -1;
	guard.flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	if (sa.ss_family == AF_INET6)
		guard.flags |= MHD_USE_IPv6;
	return 0;
}

int serve_start(struct serve *s, const char *listen, bool bpf_stats, struct loader *l,
		struct wire *w)
{
	pthread_condattr_t ca;
	int err;

	memset(s, 0, sizeof(*s));
	s->l = l;
	s->w = w;
	s->stats_fd = -1;
	if (serve_listen(listen))
		return -1;
	/*
	 * Run time and count per program, host-wide, while this fd is open.
	 * Opt-in: every BPF program on the host pays two clock reads per run.
	 */
	if (bpf_stats) {
		s->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (s->stats_fd < 0)
			log_warn("cannot enable bpf_stats (%s): program run time reads 0",
				 strerror(errno));
	}
	for (int i = 0; i < HTTP_SLOTS; i++)
		guard.slot[i].fd = -1;
	guard.started = guard.stop = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&guard.cond, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&guard.thread, NULL, http_guard, s);
	if (err) {
		log_err("cannot start the HTTP thread: %s", strerror(err));
		return -1;
	}
	guard.running = true;
	pthread_mutex_lock(&guard.lock);
	while (!guard.started)
		pthread_cond_wait(&guard.cond, &guard.lock);
	pthread_mutex_unlock(&guard.lock);
	if (!s->http) {
		log_err("cannot serve on %s: %s", listen,
			strerror(guard.start_errno ? guard.start_errno : EINVAL));
		return -1;
	}
	if (guard.drop_err)
		log_warn("HTTP threads: could not drop privileges: %s", strerror(-guard.drop_err));
	log_info("serving /metrics on http://%s/metrics", listen);
	return 0;
}

void serve_stop(struct serve *s)
{
	if (guard.running) {
		pthread_mutex_lock(&guard.lock);
		guard.stop = true;
		pthread_cond_broadcast(&guard.cond);
		pthread_mutex_unlock(&guard.lock);
		pthread_join(guard.thread, NULL);
		guard.running = false;
	}
	if (s->http)
		MHD_stop_daemon(s->http); /* closes the listening socket too */
	else if (guard.listen_fd >= 0)
		close(guard.listen_fd);
	guard.listen_fd = -1;
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	s->http = NULL;
	s->stats_fd = -1;
	key_tally_free(&s->retired);
}
