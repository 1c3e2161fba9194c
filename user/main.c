// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rstwatch: flags, subcommands, and the event loop. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attribute.h"
#include "caps.h"
#include "cause.h"
#include "check.h"
#include "config.h"
#include "counters.h"
#include "decode.h"
#include "json_writer.h"
#include "loader.h"
#include "metrics.h"
#include "log.h"
#include "maps.h"
#include "opts.h"
#include "pcap_filter.h"
#include "pipeline.h"
#include "report.h"
#include "notify.h"
#include "serve.h"
#include "summary.h"
#include "syscalls.h"
#include "top.h"
#include "wire.h"

#define OUT_BUFFER_BYTES (1u << 20)

static volatile sig_atomic_t exiting, reload;
/* the command line, kept to read the configuration again on SIGHUP */
static int g_argc;
static char **g_argv;

struct watch {
	struct opts *o;
	struct loader *l;
	struct pipeline pipe; /* decode, attribute, resolve, filter */
	uint64_t shown;
	uint64_t decode_errors;
	uint64_t lost_reported;
	uint64_t map_lost[RSTW_MAP__COUNT], map_lost_reported[RSTW_MAP__COUNT];
	FILE *out; /* events: stdout, or serve's --log file, or NULL */
	struct serve *serve; /* serve mode */
	void *top; /* top mode: the events go there */
	FILE *summary; /* --summary-json FILE, or NULL */
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		exiting = 1;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct watch *w = ctx;
	struct rstw_event e;
	struct report r;
	enum decode_status st;

	if (w->serve)
		atomic_fetch_add_explicit(&w->serve->consumed, 1, memory_order_relaxed);
	if (w->o->count && w->shown >= w->o->count)
		return 0;
	switch (pipeline_run(&w->pipe, data, len, &e, &r, &st)) {
	case PIPE_MALFORMED:
		if (w->serve)
			atomic_fetch_add_explicit(&w->serve->malformed, 1, memory_order_relaxed);
		if (w->decode_errors++ == 0)
			log_warn("dropping malformed event: %s (len %zu)", decode_status_str(st),
				 len);
		return 0;
	case PIPE_FILTERED:
		return 0;
	case PIPE_SHOW:
		break;
	}
	if (w->top) {
		top_event(w->top, &r);
		return 0;
	}
	if (!w->out)
		return 0; /* serve without --log: counting is the kernel's */
	if (w->o->json || w->serve)
		out_json_event(w->out, &r);
	else
		out_text_event(w->out, &r, w->o->wide);
	w->shown++;
	if (w->o->count && w->shown >= w->o->count) {
		exiting = 1;
		return 1; /* stop consuming: -c N means exactly N */
	}
	return 0;
}

static void report_losses(struct watch *w)
{
	uint64_t lost = counters_stat(loader_stats_fd(w->l), RSTW_STAT_RB_LOST);

	if (lost > w->lost_reported) {
		log_warn("%llu events lost (ring buffer full; counts stay exact), %llu in total",
			 (unsigned long long)(lost - w->lost_reported), (unsigned long long)lost);
		w->lost_reported = lost;
	}
	counters_map_losses(w->l, w->map_lost);
	for (int m = 0; m < RSTW_MAP__COUNT; m++) {
		if (w->map_lost[m] <= w->map_lost_reported[m])
			continue;
		log_warn("map %s full: %llu entries lost, %llu in total (capacity %u; "
			 "--map-entries %s=N)%s",
			 maps_name(m),
			 (unsigned long long)(w->map_lost[m] - w->map_lost_reported[m]),
			 (unsigned long long)w->map_lost[m], w->l->map_entries[m], maps_name(m),
			 m == RSTW_MAP_COUNTS ? ": counts are no longer exact" : "");
		w->map_lost_reported[m] = w->map_lost[m];
	}
}

/* The exit summary: text (unless --no-summary), and JSON with --summary-json. */
static void print_summary(struct watch *w)
{
	struct key_count *keys;
	struct run_summary s = {};
	FILE *f = w->o->json ? stderr : stdout;
	int n = counters_totals(w->l, NULL, &keys);

	if (n < 0) {
		log_warn("cannot read counters: %s", strerror(-n));
		free(keys);
		return;
	}
	tally_by_cause(&w->l->reasons, keys, n, s.by_cause);
	for (int i = 0; i < n; i++)
		s.total += keys[i].count;
	s.shown = w->shown;
	s.lost = counters_stat(loader_stats_fd(w->l), RSTW_STAT_RB_LOST);
	s.malformed = w->decode_errors;
	free(keys);
	counters_map_losses(w->l, s.map_lost);
	summary_write(&s, w->o->no_summary ? NULL : f, w->summary);
	if (w->summary && fflush(w->summary))
		log_err("--summary-json %s: %s", w->o->summary_json, strerror(errno));
}

static const char *cause_dir_name(const struct cause_info *ci)
{
	return ci->dir == CDIR_SENT ? "sent" : ci->dir == CDIR_RECEIVED ? "received" : "either";
}

/* One cause's static text, the part events leave out: one JSON line. */
static void explain_json(const struct cause_info *ci, enum rstw_cause c)
{
	const char *code = cause_code_text(ci->code);
	struct jw w;

	jw_init(&w, stdout);
	jw_object_begin(&w);
	jw_kv_string(&w, "cause", ci->id);
	jw_kv_string(&w, "direction", cause_dir_name(ci));
	jw_kv_string(&w, "explain", ci->explain);
	jw_kv_string(&w, "hint", ci->hint);
	jw_kv_string(&w, "kernels", cause_kernels(c));
	if (code)
		jw_kv_int(&w, "code", ci->code);
	else
		jw_kv_null(&w, "code");
	jw_kv_string(&w, "code_text", code);
	jw_object_end(&w);
	putchar('\n');
}

static int cmd_explain(const struct opts *o)
{
	for (int c = 0; c < CAUSE__COUNT; c++) {
		const struct cause_info *ci = cause_info(c);
		const char *code = cause_code_text(ci->code);

		if (o->explain_cause && strcmp(o->explain_cause, ci->id) != 0)
			continue;
		if (o->json) {
			explain_json(ci, c);
			continue;
		}
		printf("%s (%s)\n  what:    %s\n  check:   %s\n  kernels: %s\n", ci->id,
		       ci->dir == CDIR_SENT	? "sent" :
		       ci->dir == CDIR_RECEIVED ? "received" :
						  "sent or received",
		       ci->explain, ci->hint, cause_kernels(c));
		if (code)
			printf("  code:    %d %s\n", ci->code, code);
		if (!o->explain_cause && c + 1 < CAUSE__COUNT)
			putchar('\n');
	}
	return 0;
}

/* Options with the configuration file folded in (--config, or serve's default). */
static enum opts_result parse_all(struct opts *o, char *err, size_t errlen)
{
	enum opts_result r = opts_parse(g_argc, g_argv, o, err, errlen);
	const char *path = o->config_path;

	if (r != OPTS_RUN)
		return r;
	if (!path && o->cmd == CMD_SERVE && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		path = CONFIG_DEFAULT_PATH;
	if (!path)
		return r;
	return config_parse(g_argc, g_argv, path, o, err, errlen);
}

/* --filter, compiled again when a reload changed it; a bad one keeps the old. */
static void refilter(struct watch *w, const char **compiled)
{
	const char *want = w->o->pcap_filter;
	struct pcap_filter *f = NULL;
	char err[320];

	if (want == *compiled || (want && *compiled && !strcmp(want, *compiled)))
		return;
	if (want && !(f = pcap_filter_new(want, err, sizeof(err)))) {
		log_err("reload: %s: keeping the previous filter", err);
		return;
	}
	pcap_filter_free((struct pcap_filter *)w->pipe.pcap);
	w->pipe.pcap = f;
	*compiled = want;
}

/* SIGHUP: what can change while running does; the rest is named. */
static void reload_config(struct opts *o)
{
	char err[256];
	struct opts n;

	if (parse_all(&n, err, sizeof(err)) != OPTS_RUN) {
		log_err("reload: %s: keeping the previous configuration", err);
		return;
	}
	if ((n.listen && (!o->listen || strcmp(n.listen, o->listen))) || (!n.listen && o->listen) ||
	    n.disabled != o->disabled || n.xdp_mode != o->xdp_mode ||
	    n.ringbuf_bytes != o->ringbuf_bytes || n.expire_after != o->expire_after ||
	    memcmp(n.map_entries, o->map_entries, sizeof(n.map_entries)) ||
	    (n.ifaces ? !o->ifaces || strcmp(n.ifaces, o->ifaces) : o->ifaces != NULL))
		log_warn("reload: listen, interface, xdp-mode, disable, ringbuf-size, "
			 "map-entries and expire-after apply after a restart");
	o->pid = n.pid;
	o->port = n.port;
	o->netns = n.netns;
	o->pcap_filter = n.pcap_filter;
	o->family = n.family;
	o->cause_set = n.cause_set;
	memcpy(o->causes, n.causes, sizeof(o->causes));
	o->log_path = n.log_path;
	o->verbose = log_verbose = n.verbose;
	log_info("reload: configuration read again");
}

static void drop_capabilities(void)
{
	int err = caps_drop_unneeded();

	if (err)
		log_warn("could not drop unneeded capabilities: %s", strerror(-err));
	else
		log_info("capabilities: kept only CAP_BPF CAP_PERFMON CAP_NET_ADMIN "
			 "CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH");
}

/*
 * A flood writes megabytes a second: few large writes, flushed once per
 * batch.  One stream at a time has the buffer (close the old one first);
 * glibc ignores the size unless it is given the buffer too.
 */
static void use_out_buffer(FILE *f)
{
	static char out_buf[OUT_BUFFER_BYTES];

	setvbuf(f, out_buf, _IOFBF, sizeof(out_buf));
}

static int cmd_watch(struct opts *o)
{
	struct loader l;
	struct serve serve;
	struct watch w = { .o = o, .l = &l, .out = stdout };
	struct ring_buffer *rb = NULL;
	struct wire wire = { .self_netns = -1 };
	uint64_t last_check = 0, last_scan = 0, last_watchdog = 0, watchdog_ns = 0, last_flush = 0;
	bool serving = o->cmd == CMD_SERVE, topping = o->cmd == CMD_TOP;
	struct pcap_filter *filter = NULL;
	const char *filter_expr;
	int err = 0, ret = 1;
	char ferr[320];

	/* a bad expression is bad usage: said before anything is loaded */
	if (o->pcap_filter && !(filter = pcap_filter_new(o->pcap_filter, ferr, sizeof(ferr)))) {
		log_err("%s", ferr);
		return 2;
	}
	filter_expr = o->pcap_filter;
	memset(&serve, 0, sizeof(serve));
	serve.stats_fd = -1;
	serve.expire_after_ns =
		(o->expire_after ? o->expire_after : METRICS_SERVICE_EXPIRY_S) * 1000000000ull;
	if (serving) {
		w.serve = &serve;
		w.out = NULL;
		/* flushed per batch; reopened on SIGHUP for logrotate */
		if (o->log_path && !(w.out = log_open_file(o->log_path)))
			return 1;
		/* a taken address is one line, before anything is loaded */
		if (serve_listen(o->listen ? o->listen : SERVE_DEFAULT_LISTEN)) {
			if (w.out)
				fclose(w.out);
			return 1;
		}
	}
	if (o->summary_json && !(w.summary = summary_open(o->summary_json))) {
		log_err("--summary-json %s: %s", o->summary_json, strerror(errno));
		return 1;
	}
	if (loader_start(&l, o))
		goto out;
	if (wire_start(&wire, &l, o))
		goto out;
	if (serving && serve_start(&serve, o->listen ? o->listen : SERVE_DEFAULT_LISTEN,
				   o->bpf_stats, &l, &wire))
		goto out;
	/* everything attached; the HTTP threads started with less than this */
	drop_capabilities();
	last_scan = clock_ns(CLOCK_MONOTONIC);
	rb = ring_buffer__new(loader_events_fd(&l), handle_event, &w, NULL);
	if (!rb) {
		log_err("cannot open the ring buffer: %s", strerror(errno));
		goto out;
	}
	w.pipe = (struct pipeline){
		.o = o, .reasons = &l.reasons, .ctx_known = l.ctx_known, .pcap = filter
	};
	w.pipe.boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	out_json_set_details(o->details);
	if (w.out)
		use_out_buffer(w.out);
	if (topping) {
		w.top = top_start(o);
		if (!w.top) {
			log_err("out of memory");
			goto out;
		}
	} else if (!o->json && !serving) {
		const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

		out_text_set_color(o->color == COLOR_ALWAYS ||
				   (o->color == COLOR_AUTO && isatty(STDOUT_FILENO) &&
				    !(nc && *nc) && !(term && !strcmp(term, "dumb"))));
		out_text_header(stdout, o->wide);
		fflush(stdout);
	}
	if (serving) {
		const char *wd = getenv("WATCHDOG_USEC"), *wpid = getenv("WATCHDOG_PID");

		/* systemd's watchdog: ping at half the interval, from the event loop */
		if (wd && (!wpid || atol(wpid) == (long)getpid()))
			watchdog_ns = strtoull(wd, NULL, 10) * 1000ull / 2;
		sd_notify_msg("READY=1\nSTATUS=watching TCP resets");
	}
	log_info("watching: Ctrl-C to stop");
	while (!exiting) {
		uint64_t now;

		if (reload) {
			reload = 0;
			if (serving) {
				sd_notify_msg("RELOADING=1");
				reload_config(o);
				refilter(&w, &filter_expr);
				if (!o->log_path && w.out) {
					fclose(w.out);
					w.out = NULL;
				}
				if (o->log_path && !l.sample)
					log_warn(
						"--log %s: not started with --log, this instance only "
						"counts; restart it to log events",
						o->log_path);
				else if (o->log_path) {
					FILE *f = log_open_file(o->log_path);

					/* keep the old file if the new one cannot be opened */
					if (f) {
						if (w.out)
							fclose(w.out);
						w.out = f;
						use_out_buffer(f);
					}
				}
				sd_notify_msg("READY=1");
			}
		}
		/* a namespace or interface appearing is attached to at once */
		if (wire_wait(&wire, ring_buffer__epoll_fd(rb), 100))
			last_scan = clock_ns(CLOCK_MONOTONIC);
		/* the kernel side wakes us only when the ring fills: read what waits */
		err = exiting ? 0 : ring_buffer__consume(rb);
		/* one write per batch, not per event: readers see lines within 100 ms */
		if (w.out)
			fflush(w.out);
		if (err < 0 && err != -EINTR) {
			log_err("ring buffer poll failed: %s", strerror(-err));
			goto out;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		/* one BPF_PROG_TEST_RUN per CPU: an IPI each, so every 100 ms, not per poll */
		if (now - last_flush >= 100000000ull) {
			loader_flush_pending(&l);
			last_flush = now;
		}
		if (w.top && !top_tick(w.top, &l))
			break;
		if (watchdog_ns && now - last_watchdog >= watchdog_ns) {
			sd_notify_msg("WATCHDOG=1");
			last_watchdog = now;
		}
		if (now - last_scan > 2000000000ull) {
			/* new namespaces and interfaces get the wire programs too */
			wire_scan(&wire);
			last_scan = now;
		}
		if (now - last_check > 1000000000ull) {
			/* the wall clock may be stepped: keep the offset fresh */
			w.pipe.boot_to_real_ns =
				clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
			report_losses(&w);
			if (serving)
				serve_name_cgroups(&serve);
			last_check = now;
		}
	}
	/* a receive held in the kernel is released once it is 20 ms old */
	usleep(25000);
	loader_flush_pending(&l);
	ring_buffer__consume(rb);
	if (w.out)
		fflush(w.out);
	if (w.top) {
		top_stop(w.top);
		w.top = NULL;
	}
	report_losses(&w);
	if (!serving && !topping)
		print_summary(&w);
	ret = 0;
out:
	top_stop(w.top);
	if (serving)
		sd_notify_msg("STOPPING=1");
	serve_stop(&serve);
	ring_buffer__free(rb);
	wire_stop(&wire);
	loader_stop(&l);
	if (serving && w.out)
		fclose(w.out);
	if (w.summary)
		fclose(w.summary);
	/* the pipeline's is the newest, once it has one */
	pcap_filter_free(w.pipe.pcap ? (struct pcap_filter *)w.pipe.pcap : filter);
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char err[256];
	struct opts o;
	int ret;

	g_argc = argc;
	g_argv = argv;
	switch (parse_all(&o, err, sizeof(err))) {
	case OPTS_EXIT_OK:
		return 0;
	case OPTS_USAGE:
		log_err("%s", err);
		fprintf(stderr, "Try 'rstwatch --help' for more information.\n");
		return 2;
	case OPTS_RUN:
		break;
	}
	log_verbose = o.verbose;
	if (o.cmd == CMD_EXPLAIN) {
		ret = cmd_explain(&o);
	} else if (o.cmd == CMD_CHECK) {
		ret = cmd_check(&o);
	} else {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		ret = cmd_watch(&o);
	}
	config_release();
	return ret;
}
