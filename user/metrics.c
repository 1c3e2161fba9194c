// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus exposition.  Every cause of a direction is exported, zero or not,
 * so rate() works from the first scrape; labels stay low-cardinality (cause,
 * interface): no addresses, ports or pids.
 */
#include <string.h>

#include "utf8.h"
#include "maps.h"
#include "metrics.h"

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric without labels: its family header and its one value. */
static void scalar(FILE *f, const char *name, const char *type, const char *help,
		   unsigned long long v)
{
	family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, v);
}

size_t metrics_label_clean(const char *raw, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)raw;
	size_t o = 0;

	if (!len)
		return 0;
	while (*p) {
		size_t n = utf8_seq_len(p, strnlen((const char *)p, 4));
		char esc[5];
		const char *piece = (const char *)p;
		size_t plen = n;

		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			piece = esc;
			plen = 4;
			n = 1;
		}
		if (o + plen >= len)
			break; /* never cut a character or an escape in two */
		memcpy(out + o, piece, plen);
		o += plen;
		p += n;
	}
	out[o] = '\0';
	return o;
}

/* A label value, made valid UTF-8 and escaped as the text format requires. */
static void label_value(FILE *f, const char *v)
{
	char clean[METRICS_LABEL_MAX];

	metrics_label_clean(v, clean, sizeof(clean));
	for (const char *c = clean; *c; c++) {
		if (*c == '\\' || *c == '"')
			fputc('\\', f);
		fputc(*c, f);
	}
}

/* A wire series' direction label: enum rstw_dir, or RSTW_WIRE_FORWARDED. */
static const char *wire_dir_name(int dir)
{
	static const char *const names[RSTW_WIRE__DIRS] = {
		[RSTW_DIR_SENT] = "sent",
		[RSTW_DIR_RECEIVED] = "received",
		[RSTW_WIRE_FORWARDED] = "forwarded",
	};

	return dir >= 0 && dir < RSTW_WIRE__DIRS ? names[dir] : "sent";
}

static void by_cause(FILE *f, const struct metrics_snapshot *s, const char *name, int dir,
		     enum cause_dir want, const char *help)
{
	family(f, name, "counter", help);
	for (int c = 0; c < CAUSE__COUNT; c++) {
		const struct cause_info *ci = cause_info(c);

		if (c == CAUSE_LISTEN_DROP || !(ci->dir & want))
			continue;
		fprintf(f, "%s{cause=\"", name);
		label_value(f, ci->id);
		fprintf(f, "\"} %llu\n", (unsigned long long)s->by_cause[dir][c]);
	}
}

/*
 * Per map: what it lost for want of room (a count lost in counts or
 * service_counts means those totals are no longer exact), and its capacity.
 */
static void map_families(FILE *f, const struct metrics_snapshot *s)
{
	family(f, "rstwatch_map_full_total", "counter",
	       "Entries an in-kernel map lost because it was full: failed inserts, and for LRU maps "
	       "(owners, listeners) the entries evicted to make room. Should stay 0.");
	for (int m = 0; m < RSTW_MAP__COUNT; m++)
		fprintf(f, "rstwatch_map_full_total{map=\"%s\"} %llu\n", maps_name(m),
			(unsigned long long)s->map_lost[m]);
	family(f, "rstwatch_map_entries_max", "gauge",
	       "Capacity of each in-kernel keyed map, as the loader chose it (--map-entries).");
	for (int m = 0; m < RSTW_MAP__COUNT; m++)
		if (s->map_entries[m])
			fprintf(f, "rstwatch_map_entries_max{map=\"%s\"} %u\n", maps_name(m),
				s->map_entries[m]);
}

void metrics_render(FILE *f, const struct metrics_snapshot *s)
{
	by_cause(f, s, "rstwatch_resets_sent_total", 0, CDIR_SENT,
		 "TCP resets this host sent, by cause (exact, from in-kernel counters).");
	by_cause(f, s, "rstwatch_resets_received_total", 1, CDIR_RECEIVED,
		 "TCP resets that reached this host, by cause: accepted or refused by the kernel.");
	scalar(f, "rstwatch_listen_drops_total", "counter",
	       "Segments dropped because an accept queue was full (tcp_abort_on_overflow=0).",
	       s->by_cause[0][CAUSE_LISTEN_DROP] + s->by_cause[1][CAUSE_LISTEN_DROP]);

	family(f, "rstwatch_service_resets_total", "counter",
	       "TCP resets by the service owning the socket: the outermost systemd unit of its "
	       "cgroup (a user's own units count as their user@UID.service), else the cgroup "
	       "path. Up to 20 system and 10 user series, admitted largest first and kept while "
	       "the service exists; the rest count as service=\"other\".");
	for (int i = 0; i < s->nservices; i++) {
		fprintf(f, "rstwatch_service_resets_total{service=\"");
		label_value(f, s->services[i].name);
		fprintf(f, "\",direction=\"sent\"} %llu\n",
			(unsigned long long)s->services[i].sent);
		fprintf(f, "rstwatch_service_resets_total{service=\"");
		label_value(f, s->services[i].name);
		fprintf(f, "\",direction=\"received\"} %llu\n",
			(unsigned long long)s->services[i].received);
	}
	scalar(f, "rstwatch_services_folded", "gauge",
	       "Services whose resets are counted under service=\"other\".",
	       (unsigned long long)s->services_folded);

	family(f, "rstwatch_wire_resets_total", "counter",
	       "RST segments seen on an interface: arriving (received), leaving from this host "
	       "(sent), leaving after coming in on another interface, routed or bridged "
	       "(forwarded); up to 256 interfaces, first seen first, the rest under "
	       "interface=\"other\".");
	for (int i = 0; i < s->nwire; i++) {
		if (s->wire[i].other)
			fprintf(f,
				"rstwatch_wire_resets_total{netns=\"other\",interface=\"other\"");
		else {
			fprintf(f, "rstwatch_wire_resets_total{netns=\"%u\",interface=\"",
				s->wire[i].netns);
			label_value(f, s->wire[i].ifname);
			fputc('"', f);
		}
		fprintf(f, ",direction=\"%s\"} %llu\n", wire_dir_name(s->wire[i].dir),
			(unsigned long long)s->wire[i].count);
	}
	scalar(f, "rstwatch_wire_interfaces_folded", "gauge",
	       "Interfaces whose RSTs are counted under interface=\"other\".",
	       (unsigned long long)s->wire_folded);

	scalar(f, "rstwatch_events_total", "counter",
	       "Events sampled to user space through the ring buffer (serve samples only with --log).",
	       s->events);
	scalar(f, "rstwatch_events_lost_total", "counter",
	       "Events lost because the ring buffer was full (counts stay exact).", s->events_lost);
	scalar(f, "rstwatch_ringbuf_pending_events", "gauge",
	       "Events in the ring buffer, submitted by the kernel and not yet read.", s->pending);
	scalar(f, "rstwatch_events_malformed_total", "counter",
	       "Ring buffer records rejected by validation.", s->malformed);
	map_families(f, s);
	scalar(f, "rstwatch_receive_not_rst_total", "counter",
	       "tcp_receive_reset firings discarded: the kernel aborting on data, no RST arrived.",
	       s->not_received);

	family(f, "rstwatch_bpf_program_run_seconds_total", "counter",
	       "Time spent in each BPF program (kernel bpf_stats).");
	for (int i = 0; i < s->nprogs; i++)
		fprintf(f, "rstwatch_bpf_program_run_seconds_total{program=\"%s\"} %.9f\n",
			s->progs[i].name, (double)s->progs[i].run_ns / 1e9);
	family(f, "rstwatch_bpf_program_runs_total", "counter",
	       "Runs of each BPF program (kernel bpf_stats).");
	for (int i = 0; i < s->nprogs; i++)
		fprintf(f, "rstwatch_bpf_program_runs_total{program=\"%s\"} %llu\n",
			s->progs[i].name, (unsigned long long)s->progs[i].run_cnt);
	scalar(f, "rstwatch_bpf_programs_attached", "gauge",
	       "BPF attachments in place (tracepoints, and XDP/TC links on interfaces).",
	       (unsigned long long)s->attached);

	family(f, "rstwatch_build_info", "gauge", "rstwatch's version; the value is always 1.");
	fprintf(f, "rstwatch_build_info{version=\"");
	label_value(f, s->version);
	fprintf(f, "\",revision=\"");
	label_value(f, s->revision);
	fprintf(f, "\"} 1\n");
}
