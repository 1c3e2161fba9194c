// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rstwatch serve's HTTP side.  libmicrohttpd (Debian's libmicrohttpd-dev)
 * rather than a hand-written server: it already bounds connections, header
 * sizes and idle time, and it runs its own thread.  Counts come straight from
 * the kernel's per-CPU maps on every scrape, so they are exact whatever the
 * event loop does.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attribute.h"
#include "counters.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "owner.h"
#include "resets.skel.h"
#include "serve.h"
#include "wire.h"

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

struct snap_ctx {
	struct serve *s;
	struct metrics_snapshot *m;
	char folded_names[64][128];
	int nfolded;
};

static int wire_one(const void *k, uint64_t count, void *arg)
{
	const struct rstw_wire_key *key = k;
	struct snap_ctx *c = arg;
	struct metrics_snapshot *m = c->m;

	m->wire[m->nwire].netns = key->netns;
	m->wire[m->nwire].dir = (int)key->dir;
	m->wire[m->nwire].count = count;
	wire_ifname(c->s->w, key->netns, (int)key->ifindex, m->wire[m->nwire].ifname,
		    sizeof(m->wire[m->nwire].ifname));
	return ++m->nwire >= METRICS_MAX_WIRE;
}

static void snapshot_wire(struct serve *s, struct metrics_snapshot *m)
{
	struct snap_ctx c = { .s = s, .m = m };

	wire_lock(s->w);
	m->attached += wire_links(s->w);
	counters_each(bpf_map__fd(s->l->skel->maps.wire_counts), sizeof(struct rstw_wire_key),
		      wire_one, &c);
	wire_unlock(s->w);
}

/*
 * Per-service series are admitted first come, first served, up to the cap, and
 * keep their place: a service never moves between its own series and "other",
 * so every counter stays monotonic.  Scrapes run on the one HTTP thread.
 */
static char admitted[METRICS_MAX_SERVICES][128];
static int nadmitted;

static int service_slot(const char *name, bool *folded)
{
	int i;

	*folded = false;
	for (i = 0; i < nadmitted; i++)
		if (strcmp(admitted[i], name) == 0)
			break;
	if (i == nadmitted) {
		if (nadmitted == METRICS_MAX_SERVICES) {
			*folded = true;
			i = METRICS_MAX_SERVICES; /* "other" */
		} else {
			snprintf(admitted[nadmitted++], sizeof(admitted[0]), "%s", name);
		}
	}
	return i;
}

static int service_one(const void *k, uint64_t count, void *arg)
{
	const struct rstw_service_key *key = k;
	struct snap_ctx *c = arg;
	struct metrics_snapshot *m = c->m;
	struct cause_input in;
	char name[128];
	bool folded;
	int i;

	if (attribute_key(&c->s->l->reasons, key->key, &in) == CAUSE_LISTEN_DROP)
		return 0; /* not a reset */
	owner_service_name(key->cgroup_id, name, sizeof(name));
	i = service_slot(name, &folded);
	if (folded) {
		int f;

		for (f = 0; f < c->nfolded; f++)
			if (strcmp(c->folded_names[f], name) == 0)
				break;
		if (f == c->nfolded && c->nfolded < 64)
			snprintf(c->folded_names[c->nfolded++], sizeof(c->folded_names[0]), "%s",
				 name);
	}
	if (rstw_key_dir(key->key) == RSTW_DIR_SENT)
		m->services[i].sent += count;
	else
		m->services[i].received += count;
	return 0;
}

static void snapshot_services(struct serve *s, struct metrics_snapshot *m)
{
	struct snap_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return;
	c->s = s;
	c->m = m;
	counters_each(bpf_map__fd(s->l->skel->maps.service_counts), sizeof(struct rstw_service_key),
		      service_one, c);
	for (int i = 0; i < nadmitted; i++)
		snprintf(m->services[i].name, sizeof(m->services[i].name), "%s", admitted[i]);
	m->nservices = nadmitted;
	if (nadmitted == METRICS_MAX_SERVICES) {
		snprintf(m->services[METRICS_MAX_SERVICES].name, sizeof(m->services[0].name),
			 "other");
		m->nservices++;
	}
	m->services_folded = c->nfolded;
	free(c);
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
	char *buf = NULL;
	FILE *f;
	int n;

	if (!m)
		return NULL;
	n = counters_read_all(loader_counts_fd(s->l), &keys);
	tally_by_cause(&s->l->reasons, keys, n < 0 ? 0 : n, m->by_cause);
	free(keys);
	m->events = counters_stat(stats, RSTW_STAT_EVENTS);
	m->events_lost = counters_stat(stats, RSTW_STAT_RB_LOST);
	m->not_received = counters_stat(stats, RSTW_STAT_NOT_RECEIVED);
	m->malformed = s->malformed;
	m->pending = m->events > s->consumed ? m->events - s->consumed : 0;
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

int serve_start(struct serve *s, const char *listen, bool bpf_stats, struct loader *l,
		struct wire *w)
{
	struct sockaddr_storage sa;
	unsigned int salen;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

	memset(s, 0, sizeof(*s));
	s->l = l;
	s->w = w;
	s->stats_fd = -1;
	if (serve_parse_listen(listen, &sa, &salen)) {
		log_err("--listen %s: expected ADDR:PORT or [V6ADDR]:PORT", listen);
		return -1;
	}
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
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
	s->http = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &sa,
		MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u,
		MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)32768, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_UNESCAPE_CALLBACK,
		no_unescape, NULL, MHD_OPTION_END);
	if (!s->http) {
		log_err("cannot listen on %s: %s", listen, strerror(errno ? errno : EADDRINUSE));
		return -1;
	}
	log_info("serving /metrics on http://%s/metrics", listen);
	return 0;
}

void serve_stop(struct serve *s)
{
	if (s->http)
		MHD_stop_daemon(s->http);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	s->http = NULL;
	s->stats_fd = -1;
}
