// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command line: strict parsing, one clear message per mistake. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "opts.h"

#define RINGBUF_DEFAULT (8u << 20)
#define RINGBUF_MAX (1u << 30)

bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_size(const char *s, uint64_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K':
			mult = 1ull << 10;
			break;
		case 'M':
			mult = 1ull << 20;
			break;
		case 'G':
			mult = 1ull << 30;
			break;
		default:
			return false;
		}
		if (end[1] && !(toupper((unsigned char)end[1]) == 'B' && !end[2]) &&
		    !(toupper((unsigned char)end[1]) == 'I' &&
		      toupper((unsigned char)end[2]) == 'B' && !end[3]))
			return false;
	}
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

/* In the order of their enums in opts.h. */
static const char *const xdp_modes[] = { "auto", "generic", "native", NULL };
static const char *const tc_modes[] = { "auto", "tcx", "clsact", NULL };
static const char *const fallbacks[] = { "auto", "fentry", "kprobe", NULL };
static const char *const colors[] = { "auto", "always", "never", NULL };

/*
 * ARG must be one of NAMES (NULL-terminated, in enum order): its index in
 * *OUT.  Else "OPTION: 'ARG' is not a, b or c" in ERR.
 */
static bool parse_choice(const char *option, const char *arg, const char *const *names, int *out,
			 char *err, size_t errlen)
{
	size_t off;
	int n = 0;

	for (; names[n]; n++) {
		if (strcmp(arg, names[n]) == 0) {
			*out = n;
			return true;
		}
	}
	off = (size_t)snprintf(err, errlen, "%s: '%.64s' is not ", option, arg);
	for (int i = 0; i < n && off < errlen; i++)
		off += (size_t)snprintf(err + off, errlen - off, "%s%s", names[i],
					i + 2 < n  ? ", " :
					i + 2 == n ? " or " :
						     "");
	return false;
}

void opts_usage(FILE *f)
{
	fputs("Usage: rstwatch [OPTIONS]\n"
	      "       rstwatch explain [CAUSE]\n"
	      "       rstwatch check [OPTIONS]\n"
	      "       rstwatch serve [--listen ADDR:PORT] [--log FILE] [OPTIONS]\n"
	      "       rstwatch top [--interval SECS] [OPTIONS]\n"
	      "\n"
	      "Show every TCP reset this host sends or receives, in every network namespace,\n"
	      "with its cause, the process that owns the socket, and what to check.\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json            JSON Lines on stdout, one object per reset\n"
	      "  -w, --wide            one wide line per reset (state, netns, context, explanation)\n"
	      "      --details         JSON: every optional key, and each cause's hint and code\n"
	      "                        (otherwise in 'rstwatch explain --json')\n"
	      "  -p, --pid PID         only resets of sockets owned by process PID\n"
	      "      --port PORT       only resets with local or remote port PORT\n"
	      "      --cause ID[,ID]   only these causes (see 'rstwatch explain')\n"
	      "      --netns INODE     only this network namespace (ls -L -i /proc/PID/ns/net)\n"
	      "      --filter EXPR     only resets whose packet matches EXPR (pcap-filter(7),\n"
	      "                        as tcpdump: 'host 10.0.0.5 and tcp port 443')\n"
	      "  -4, --ipv4            only IPv4\n"
	      "  -6, --ipv6            only IPv6\n"
	      "  -c, --count N         exit after N resets have been shown\n"
	      "      --ringbuf-size SZ ring buffer size, power of two (default 8M)\n"
	      "      --btf FILE        kernel BTF to use (default /sys/kernel/btf/vmlinux)\n"
	      "  -i, --interface IFS   wire view (TC, XDP) only on these interfaces (default all)\n"
	      "      --xdp-mode MODE   ingress: auto (default: TC ingress), generic or native\n"
	      "                        XDP (some NIC drivers reset the link; veth copies every\n"
	      "                        packet)\n"
	      "      --tc-mode MODE    TC egress: auto (default: tcx where the kernel has it,\n"
	      "                        else a clsact filter), tcx, clsact\n"
	      "      --fallback MODE   kernels before 6.10: how to see the resets their\n"
	      "                        tracepoint misses: auto (default), fentry, kprobe\n"
	      "      --disable HOOKS   turn off optional hooks: receive, owner-io, drops, wire,\n"
	      "                        sk-storage (owners in a keyed map, not on the socket)\n"
	      "      --map-entries N|MAP=N[,MAP=N]  capacity of the kernel's keyed maps: all,\n"
	      "                        or counts, service_counts, wire_counts, owners, listeners\n"
	      "                        (default: chosen from this host's CPUs and memory)\n"
	      "      --no-summary      no per-cause summary at exit\n"
	      "      --summary-json FILE  write the exit summary to FILE as one JSON object\n"
	      "      --interval SECS   top: seconds between refreshes (default 1)\n"
	      "      --color WHEN      auto (default: on a terminal, unless NO_COLOR is set),\n"
	      "                        always, never\n"
	      "      --listen ADDR:PORT  serve: where /metrics listens (default 127.0.0.1:9864)\n"
	      "      --log FILE        serve: JSON Lines event log, reopened on SIGHUP\n"
	      "                        (without it, serve only counts: no per-event samples)\n"
	      "      --expire-after SECS  serve: series of cgroups and interfaces that are gone\n"
	      "                        end this long after (default 300), their kernel keys freed\n"
	      "      --bpf-stats       serve: turn on the kernel's BPF run-time statistics\n"
	      "                        (host-wide, costs ~20 ns per program run)\n"
	      "      --config FILE     options from FILE, one 'option = value' per line\n"
	      "                        (serve reads /etc/rstwatch/rstwatch.conf if it exists,\n"
	      "                        and again on SIGHUP)\n"
	      "  -v, --verbose         libbpf and loader diagnostics on stderr\n"
	      "  -V, --version         print the version and exit\n"
	      "  -h, --help            this help\n"
	      "\n"
	      "Examples:\n"
	      "  sudo rstwatch                         # stream resets; Ctrl-C prints a summary\n"
	      "  sudo rstwatch --json -c 10            # ten resets as JSON Lines\n"
	      "  sudo rstwatch --port 443 -w           # resets on port 443, wide output\n"
	      "  sudo rstwatch --cause abort_on_close,linger_abort\n"
	      "  rstwatch explain keepalive_timeout    # what a cause means, what to check\n"
	      "  sudo rstwatch check                   # what this kernel offers; attach, report, exit\n"
	      "  sudo rstwatch serve --log /var/log/rstwatch.jsonl   # Prometheus /metrics\n"
	      "  sudo rstwatch top                     # live view; q quits, s changes the sort\n"
	      "\n"
	      "Exit status: 0 ok, 1 runtime error (privileges, BTF, load), 2 bad usage.\n",
	      f);
}

enum {
	OPT_PORT = 256,
	OPT_CAUSE,
	OPT_NETNS,
	OPT_RINGBUF,
	OPT_NO_SUMMARY,
	OPT_BTF,
	OPT_DISABLE,
	OPT_XDP_MODE,
	OPT_LISTEN,
	OPT_LOG,
	OPT_CONFIG,
	OPT_COLOR,
	OPT_INTERVAL,
	OPT_FALLBACK,
	OPT_BPF_STATS,
	OPT_TC_MODE,
	OPT_SUMMARY_JSON,
	OPT_DETAILS,
	OPT_MAP_ENTRIES,
	OPT_EXPIRE_AFTER,
	OPT_FILTER,
};

static const struct option longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "wide", no_argument, NULL, 'w' },
	{ "details", no_argument, NULL, OPT_DETAILS },
	{ "pid", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "cause", required_argument, NULL, OPT_CAUSE },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "count", required_argument, NULL, 'c' },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "no-summary", no_argument, NULL, OPT_NO_SUMMARY },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "disable", required_argument, NULL, OPT_DISABLE },
	{ "map-entries", required_argument, NULL, OPT_MAP_ENTRIES },
	{ "interface", required_argument, NULL, 'i' },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "fallback", required_argument, NULL, OPT_FALLBACK },
	{ "tc-mode", required_argument, NULL, OPT_TC_MODE },
	{ "bpf-stats", no_argument, NULL, OPT_BPF_STATS },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "expire-after", required_argument, NULL, OPT_EXPIRE_AFTER },
	{ "summary-json", required_argument, NULL, OPT_SUMMARY_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int opts_option_kind(const char *name)
{
	for (const struct option *lo = longopts; lo->name; lo++) {
		if (strcmp(lo->name, name) != 0)
			continue;
		/* not settable from a file */
		if (!strcmp(name, "help") || !strcmp(name, "version") || !strcmp(name, "config"))
			return -1;
		return lo->has_arg == required_argument ? 1 : 0;
	}
	return -1;
}

static bool add_cause(const char *item, struct opts *o)
{
	int c = cause_from_id(item);

	if (c < 0)
		return false;
	o->causes[c] = true;
	o->cause_set = true;
	return true;
}

static bool add_disabled_hook(const char *item, struct opts *o)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} hooks[] = {
		{ "receive", DISABLE_RECEIVE },	      { "owner-io", DISABLE_OWNER_IO },
		{ "drops", DISABLE_DROPS },	      { "wire", DISABLE_WIRE },
		{ "sk-storage", DISABLE_SK_STORAGE },
	};

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		if (strcmp(item, hooks[i].name) == 0) {
			o->disabled |= hooks[i].bit;
			return true;
		}
	}
	return false;
}

/*
 * A comma-separated list for option opt: add() each item; one message if an
 * item is unknown (a NOUN, with HINT) or the list names none.
 */
static bool parse_list(const char *opt, const char *noun, const char *hint, const char *list,
		       bool (*add)(const char *item, struct opts *o), struct opts *o, char *err,
		       size_t errlen)
{
	char buf[512], *save = NULL, *tok;
	bool any = false;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: list too long", opt);
		return false;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!add(tok, o)) {
			snprintf(err, errlen, "%s: unknown %s '%.64s' %s", opt, noun, tok, hint);
			return false;
		}
		any = true;
	}
	if (!any) {
		snprintf(err, errlen, "%s: expected a comma-separated list %s", opt, hint);
		return false;
	}
	return true;
}

enum opts_result opts_parse(int argc, char **argv, struct opts *o, char *err, size_t errlen)
{
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->pid = o->port = o->netns = -1;
	o->ringbuf_bytes = RINGBUF_DEFAULT;
	err[0] = '\0';
	optind = 0; /* full reset: opts_parse may run more than once (tests) */
	opterr = 0;
	/* a command first: its options may follow it (rstwatch check -v) */
	if (argc > 1 && strcmp(argv[1], "explain") == 0) {
		o->cmd = CMD_EXPLAIN;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "check") == 0) {
		o->cmd = CMD_CHECK;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "serve") == 0) {
		o->cmd = CMD_SERVE;
		argc--;
		argv++;
	} else if (argc > 1 && strcmp(argv[1], "top") == 0) {
		o->cmd = CMD_TOP;
		argc--;
		argv++;
	}

again:
	while ((c = getopt_long(argc, argv, "+:jwp:46c:i:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'w':
			o->wide = true;
			break;
		case OPT_DETAILS:
			o->details = true;
			break;
		case 'p':
			if (!parse_u64(optarg, 1, 4194304, &v)) {
				snprintf(err, errlen, "-p: '%.64s' is not a process id", optarg);
				return OPTS_USAGE;
			}
			o->pid = (long)v;
			break;
		case OPT_PORT:
			if (!parse_u64(optarg, 1, 65535, &v)) {
				snprintf(err, errlen, "--port: '%.64s' is not a port (1-65535)",
					 optarg);
				return OPTS_USAGE;
			}
			o->port = (long)v;
			break;
		case OPT_FILTER:
			if (!*optarg) {
				snprintf(err, errlen, "--filter: an empty expression");
				return OPTS_USAGE;
			}
			o->pcap_filter = optarg;
			break;
		case OPT_CAUSE:
			if (!parse_list("--cause", "cause", "(see 'rstwatch explain')", optarg,
					add_cause, o, err, errlen))
				return OPTS_USAGE;
			break;
		case OPT_NETNS:
			if (!parse_u64(optarg, 1, UINT32_MAX, &v)) {
				snprintf(err, errlen,
					 "--netns: '%.64s' is not a namespace inode number",
					 optarg);
				return OPTS_USAGE;
			}
			o->netns = (long)v;
			break;
		case '4':
		case '6':
			if (o->family && o->family != c - '0') {
				snprintf(err, errlen, "-4 and -6 exclude each other");
				return OPTS_USAGE;
			}
			o->family = c - '0';
			break;
		case 'c':
			if (!parse_u64(optarg, 1, UINT64_MAX, &v)) {
				snprintf(err, errlen, "-c: '%.64s' is not a positive count",
					 optarg);
				return OPTS_USAGE;
			}
			o->count = v;
			break;
		case OPT_RINGBUF:
			if (!parse_size(optarg, &v) || v < 4096 || v > RINGBUF_MAX ||
			    (v & (v - 1))) {
				snprintf(
					err, errlen,
					"--ringbuf-size: '%.64s' must be a power of two from 4K to 1G",
					optarg);
				return OPTS_USAGE;
			}
			o->ringbuf_bytes = v;
			break;
		case 'i':
			if (!*optarg || strlen(optarg) > 255 || strchr(optarg, '/') ||
			    strstr(optarg, ",,") || optarg[0] == ',') {
				snprintf(err, errlen,
					 "-i: '%.64s' is not a list of interface names", optarg);
				return OPTS_USAGE;
			}
			o->ifaces = optarg;
			break;
		case OPT_XDP_MODE:
			if (!parse_choice("--xdp-mode", optarg, xdp_modes, &o->xdp_mode, err,
					  errlen))
				return OPTS_USAGE;
			break;
		case OPT_FALLBACK:
			if (!parse_choice("--fallback", optarg, fallbacks, &o->fallback, err,
					  errlen))
				return OPTS_USAGE;
			break;
		case OPT_TC_MODE:
			if (!parse_choice("--tc-mode", optarg, tc_modes, &o->tc_mode, err, errlen))
				return OPTS_USAGE;
			break;
		case OPT_BPF_STATS:
			o->bpf_stats = true;
			break;
		case OPT_LISTEN:
			if (!*optarg || !strchr(optarg, ':')) {
				snprintf(err, errlen,
					 "--listen: '%.64s' is not ADDR:PORT or [V6ADDR]:PORT",
					 optarg);
				return OPTS_USAGE;
			}
			o->listen = optarg;
			break;
		case OPT_LOG:
			if (!*optarg) {
				snprintf(err, errlen, "--log: expected a file name");
				return OPTS_USAGE;
			}
			o->log_path = optarg;
			break;
		case OPT_EXPIRE_AFTER:
			if (!parse_u64(optarg, 1, 86400, &v)) {
				snprintf(err, errlen,
					 "--expire-after: '%.64s' is not 1-86400 seconds", optarg);
				return OPTS_USAGE;
			}
			o->expire_after = (unsigned int)v;
			break;
		case OPT_INTERVAL:
			if (!parse_u64(optarg, 1, 3600, &v)) {
				snprintf(err, errlen, "--interval: '%.64s' is not 1-3600 seconds",
					 optarg);
				return OPTS_USAGE;
			}
			o->interval = (unsigned int)v;
			break;
		case OPT_COLOR:
			if (!parse_choice("--color", optarg, colors, &o->color, err, errlen))
				return OPTS_USAGE;
			break;
		case OPT_CONFIG:
			if (!*optarg) {
				snprintf(err, errlen, "--config: expected a file name");
				return OPTS_USAGE;
			}
			o->config_path = optarg;
			break;
		case OPT_DISABLE:
			if (!parse_list("--disable", "hook",
					"(receive, owner-io, drops, wire, sk-storage)", optarg,
					add_disabled_hook, o, err, errlen))
				return OPTS_USAGE;
			break;
		case OPT_MAP_ENTRIES:
			if (!maps_parse_entries(optarg, o->map_entries, err, errlen))
				return OPTS_USAGE;
			break;
		case OPT_BTF:
			if (!*optarg) {
				snprintf(err, errlen, "--btf: expected a file name");
				return OPTS_USAGE;
			}
			o->btf_path = optarg;
			break;
		case OPT_NO_SUMMARY:
			o->no_summary = true;
			break;
		case OPT_SUMMARY_JSON:
			if (!*optarg) {
				snprintf(err, errlen, "--summary-json: expected a file name");
				return OPTS_USAGE;
			}
			o->summary_json = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("rstwatch %s (%s)\n", RSTW_VERSION, RSTW_GIT_REV);
			return OPTS_EXIT_OK;
		case 'h':
			opts_usage(stdout);
			return OPTS_EXIT_OK;
		case ':':
			snprintf(err, errlen, "option '%.64s' needs a value", argv[optind - 1]);
			return OPTS_USAGE;
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0 && optopt)
				snprintf(err, errlen, "option '%.64s' takes no value",
					 argv[optind - 1]);
			else if (strncmp(argv[optind - 1], "--", 2) == 0)
				snprintf(err, errlen, "unknown option '%.64s'", argv[optind - 1]);
			else if (optopt && optopt < 256)
				snprintf(err, errlen, "unknown option '-%c'", optopt);
			else
				snprintf(err, errlen, "unknown option '%.64s'", argv[optind - 1]);
			return OPTS_USAGE;
		}
	}

	if (optind < argc && o->cmd == CMD_WATCH) {
		/* the command after the options: rstwatch -v check */
		if (strcmp(argv[optind], "explain") == 0)
			o->cmd = CMD_EXPLAIN;
		else if (strcmp(argv[optind], "check") == 0)
			o->cmd = CMD_CHECK;
		else if (strcmp(argv[optind], "serve") == 0)
			o->cmd = CMD_SERVE;
		else if (strcmp(argv[optind], "top") == 0)
			o->cmd = CMD_TOP;
		else {
			snprintf(err, errlen, "unknown command '%.64s'", argv[optind]);
			return OPTS_USAGE;
		}
		/* options may follow the command as well: rstwatch -v serve --listen X */
		if (o->cmd != CMD_EXPLAIN && optind + 1 < argc) {
			argv += optind;
			argc -= optind;
			optind = 0;
			goto again;
		}
		optind++;
	}
	if (o->cmd == CMD_EXPLAIN && optind < argc) {
		o->explain_cause = argv[optind++];
		if (cause_from_id(o->explain_cause) < 0) {
			snprintf(
				err, errlen,
				"explain: unknown cause '%.64s' (run 'rstwatch explain' for the list)",
				o->explain_cause);
			return OPTS_USAGE;
		}
		if (optind < argc) {
			snprintf(err, errlen, "explain: takes at most one cause");
			return OPTS_USAGE;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%.64s'", argv[optind]);
		return OPTS_USAGE;
	}
	if (o->summary_json && o->cmd != CMD_WATCH) {
		snprintf(err, errlen,
			 "--summary-json: only the event stream has an exit summary "
			 "(not serve, top, check or explain)");
		return OPTS_USAGE;
	}
	return OPTS_RUN;
}
