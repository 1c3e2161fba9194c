// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command line parsing (user/opts.c) and the event filter (user/filter.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "opts.h"
#include "filter.h"

static char err[256];

/*
 * opts_parse on a NULL-terminated list of arguments (argv[0] added).  The
 * strings live until the next call: opts may point into them (explain_cause).
 */
static char *argv_store[32];

static enum opts_result parse_v(struct opts *o, const char *const *args)
{
	int argc = 0;

	for (int i = 0; argv_store[i]; i++) {
		free(argv_store[i]);
		argv_store[i] = NULL;
	}
	argv_store[argc++] = strdup("rstwatch");
	for (; *args && argc < 31; args++)
		argv_store[argc++] = strdup(*args);
	argv_store[argc] = NULL;
	memset(err, 'x', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	return opts_parse(argc, argv_store, o, err, sizeof(err));
}

#define PARSE(o, ...) parse_v((o), (const char *const[]){ __VA_ARGS__, NULL })

/* Runs f with stdout captured into out (NUL-terminated). */
static enum opts_result parse_captured(struct opts *o, const char *const *args, char *out,
				       size_t outlen)
{
	FILE *tmp = tmpfile();
	int saved;
	enum opts_result r;
	size_t n;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(tmp), STDOUT_FILENO);
	r = parse_v(o, args);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return r;
}

static void check_defaults(const struct opts *o)
{
	CHECK_EQ_INT(o->cmd, CMD_WATCH);
	CHECK(!o->json);
	CHECK(!o->wide);
	CHECK_EQ_INT(o->verbose, 0);
	CHECK(!o->no_summary);
	CHECK_EQ_INT(o->pid, -1);
	CHECK_EQ_INT(o->port, -1);
	CHECK_EQ_INT(o->netns, -1);
	CHECK_EQ_INT(o->family, 0);
	CHECK_EQ_UINT(o->count, 0);
	CHECK(!o->cause_set);
	for (int i = 0; i < CAUSE__COUNT; i++)
		CHECK(!o->causes[i]);
	CHECK_EQ_UINT(o->ringbuf_bytes, 8u << 20);
	CHECK(o->explain_cause == NULL);
}

TEST(defaults)
{
	struct opts o;
	const char *const none[] = { NULL };

	memset(&o, 0x5a, sizeof(o));
	CHECK_EQ_INT(parse_v(&o, none), OPTS_RUN);
	check_defaults(&o);
	CHECK_EQ_STR(err, "");
}

TEST(flags)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "-j", "-w", "-4", "-c", "10", "-p", "1234", "--port", "443",
			   "--cause", "abort_on_close,linger_abort", "--netns", "4026531840",
			   "--ringbuf-size", "16M", "--no-summary", "-v", "-v"),
		     OPTS_RUN);
	CHECK(o.json);
	CHECK(o.wide);
	CHECK_EQ_INT(o.family, 4);
	CHECK_EQ_UINT(o.count, 10);
	CHECK_EQ_INT(o.pid, 1234);
	CHECK_EQ_INT(o.port, 443);
	CHECK(o.cause_set);
	for (int i = 0; i < CAUSE__COUNT; i++)
		if (!CHECK_EQ_INT(o.causes[i],
				  i == CAUSE_ABORT_ON_CLOSE || i == CAUSE_LINGER_ABORT))
			NOTE("cause %d", i);
	CHECK_EQ_INT(o.netns, 4026531840L);
	CHECK_EQ_UINT(o.ringbuf_bytes, 16u << 20);
	CHECK(o.no_summary);
	CHECK_EQ_INT(o.verbose, 2);
	CHECK_EQ_INT(o.cmd, CMD_WATCH);
	CHECK_EQ_STR(err, "");

	CHECK_EQ_INT(
		PARSE(&o, "--json", "--wide", "--ipv6", "--count", "1", "--pid", "1", "--verbose"),
		OPTS_RUN);
	CHECK(o.json && o.wide);
	CHECK_EQ_INT(o.family, 6);
	CHECK_EQ_UINT(o.count, 1);
	CHECK_EQ_INT(o.pid, 1);
	CHECK_EQ_INT(o.verbose, 1);

	/* clustered short options and attached values */
	CHECK_EQ_INT(PARSE(&o, "-jw6", "-c5", "-p77", "--port=8080", "--cause=closed_port"),
		     OPTS_RUN);
	CHECK(o.json && o.wide);
	CHECK_EQ_INT(o.family, 6);
	CHECK_EQ_UINT(o.count, 5);
	CHECK_EQ_INT(o.pid, 77);
	CHECK_EQ_INT(o.port, 8080);
	CHECK(o.causes[CAUSE_CLOSED_PORT]);

	/* the same family twice is fine */
	CHECK_EQ_INT(PARSE(&o, "-4", "--ipv4"), OPTS_RUN);
	CHECK_EQ_INT(o.family, 4);
}

TEST(ranges_accepted)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "-p", "4194304"), OPTS_RUN);
	CHECK_EQ_INT(o.pid, 4194304);
	CHECK_EQ_INT(PARSE(&o, "--port", "1"), OPTS_RUN);
	CHECK_EQ_INT(o.port, 1);
	CHECK_EQ_INT(PARSE(&o, "--port", "65535"), OPTS_RUN);
	CHECK_EQ_INT(o.port, 65535);
	CHECK_EQ_INT(PARSE(&o, "--filter", "tcp port 443"), OPTS_RUN);
	CHECK_EQ_STR(o.pcap_filter, "tcp port 443");
	CHECK_EQ_INT(PARSE(&o, "-c", "18446744073709551615"), OPTS_RUN);
	CHECK_EQ_UINT(o.count, UINT64_MAX);
	CHECK_EQ_INT(PARSE(&o, "--netns", "4294967295"), OPTS_RUN);
	CHECK_EQ_INT(o.netns, 4294967295L);
	CHECK_EQ_INT(PARSE(&o, "--ringbuf-size", "4K"), OPTS_RUN);
	CHECK_EQ_UINT(o.ringbuf_bytes, 4096);
	CHECK_EQ_INT(PARSE(&o, "--ringbuf-size", "4096"), OPTS_RUN);
	CHECK_EQ_UINT(o.ringbuf_bytes, 4096);
	CHECK_EQ_INT(PARSE(&o, "--ringbuf-size", "1G"), OPTS_RUN);
	CHECK_EQ_UINT(o.ringbuf_bytes, 1u << 30);
	CHECK_EQ_INT(PARSE(&o, "--ringbuf-size", "64m"), OPTS_RUN);
	CHECK_EQ_UINT(o.ringbuf_bytes, 64u << 20);
	CHECK_EQ_INT(PARSE(&o, "--ringbuf-size", "16MiB"), OPTS_RUN);
	CHECK_EQ_UINT(o.ringbuf_bytes, 16u << 20);
	CHECK_EQ_INT(PARSE(&o, "--cause", "unknown"), OPTS_RUN);
	CHECK(o.causes[CAUSE_UNKNOWN]);
	/* every cause id is accepted */
	for (int i = 0; i < CAUSE__COUNT; i++) {
		const char *args[] = { "--cause", cause_info((enum rstw_cause)i)->id, NULL };

		if (!CHECK_EQ_INT(parse_v(&o, args), OPTS_RUN) || !CHECK(o.causes[i]))
			NOTE("cause %s", args[1]);
	}
}

static const struct bad_case {
	const char *args[6];
	const char *in_msg; /* a word the message must contain */
} bad_cases[] = {
	{ { "--map-entries", "0" }, "not a capacity" },
	{ { "--map-entries", "nosuch=4" }, "unknown map 'nosuch'" },
	{ { "--disable", "sk-storag" }, "sk-storage" },
	{ { "-p", "0" }, "0" },
	{ { "-p", "abc" }, "abc" },
	{ { "-p", "99999999999" }, "99999999999" },
	{ { "-p", "4194305" }, "4194305" },
	{ { "-p", "-1" }, "-1" },
	{ { "-p", "" }, "-p" },
	{ { "-p", "12x" }, "12x" },
	{ { "--pid", " 12" }, "12" },
	{ { "--port", "0" }, "port" },
	{ { "--port", "65536" }, "65536" },
	{ { "--port", "-1" }, "-1" },
	{ { "--port", "http" }, "http" },
	{ { "--filter", "" }, "empty" },
	{ { "-c", "0" }, "0" },
	{ { "-c", "" }, "-c" },
	{ { "-c", "-3" }, "-3" },
	{ { "-c", "18446744073709551616" }, "18446744073709551616" },
	{ { "--netns", "0" }, "netns" },
	{ { "--netns", "4294967296" }, "4294967296" },
	{ { "--cause", "nope" }, "nope" },
	{ { "--cause", "" }, "cause" },
	{ { "--cause", "closed_port,nope" }, "nope" },
	{ { "--cause", "Closed_Port" }, "Closed_Port" },
	{ { "-4", "-6" }, "-4" },
	{ { "--ipv6", "--ipv4" }, "-6" },
	{ { "--ringbuf-size", "3000" }, "3000" },
	{ { "--ringbuf-size", "12K" }, "12K" },
	{ { "--ringbuf-size", "2048" }, "2048" },
	{ { "--ringbuf-size", "0" }, "0" },
	{ { "--ringbuf-size", "2G" }, "2G" },
	{ { "--ringbuf-size", "1X" }, "1X" },
	{ { "--ringbuf-size", "16MBx" }, "16MBx" },
	{ { "--ringbuf-size", "" }, "ringbuf" },
	{ { "--ringbuf-size", "-4K" }, "-4K" },
	{ { "-p" }, "-p" },
	{ { "-j", "-c" }, "-c" },
	{ { "--port" }, "--port" },
	{ { "--cause" }, "--cause" },
	{ { "--frobnicate" }, "--frobnicate" },
	{ { "--frobnicate=1" }, "frobnicate" },
	{ { "-Z" }, "-Z" },
	{ { "-jZ" }, "-Z" },
	{ { "frob" }, "frob" },
	{ { "-j", "frob" }, "frob" },
	{ { "explain", "nope" }, "nope" },
	{ { "explain", "closed_port", "refused" }, "explain" },
};

TEST(map_entries_and_sk_storage)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "--map-entries", "owners=7,listeners=3", "--disable", "sk-storage"),
		     OPTS_RUN);
	CHECK_EQ_UINT(o.map_entries[RSTW_MAP_OWNERS], 7);
	CHECK_EQ_UINT(o.map_entries[RSTW_MAP_LISTENERS], 3);
	CHECK_EQ_UINT(o.map_entries[RSTW_MAP_COUNTS], 0);
	CHECK(o.disabled & DISABLE_SK_STORAGE);
	CHECK_EQ_INT(PARSE(&o, "serve"), OPTS_RUN);
	for (int m = 0; m < RSTW_MAP__COUNT; m++)
		CHECK_EQ_UINT(o.map_entries[m], 0);
}

TEST(bad_usage)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct opts o;
		enum opts_result r = parse_v(&o, b->args);
		bool ok = CHECK_EQ_INT(r, OPTS_USAGE);

		ok = CHECK(err[0] != '\0' && err[0] != 'x') && ok;
		ok = CHECK(strstr(err, b->in_msg) != NULL) && ok;
		if (!ok)
			NOTE("args: %s %s %s -> \"%s\"", b->args[0], b->args[1] ? b->args[1] : "",
			     b->args[1] && b->args[2] ? b->args[2] : "", err);
	}
}

TEST(flag_given_a_value)
{
	/*
	 * getopt_long reports "--json=yes" as '?' with optopt = 'j' (the
	 * option's val): the message must name what the user typed, not
	 * call "-j" unknown.
	 */
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "--json=yes"), OPTS_USAGE);
	if (!CHECK(strstr(err, "--json") != NULL))
		NOTE("message: \"%s\"", err);
	CHECK_EQ_INT(PARSE(&o, "--no-summary=1"), OPTS_USAGE);
	if (!CHECK(strstr(err, "--no-summary") != NULL))
		NOTE("message: \"%s\"", err);
}

TEST(cause_list_of_only_commas_is_bad)
{
	/* like --cause '': an empty list must not silently filter out every reset */
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "--cause", ","), OPTS_USAGE);
	CHECK(err[0] != '\0');
	CHECK_EQ_INT(PARSE(&o, "--cause", ",,"), OPTS_USAGE);
}

TEST(cause_list_with_empty_items)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "--cause", "closed_port,,refused"), OPTS_RUN);
	CHECK(o.causes[CAUSE_CLOSED_PORT] && o.causes[CAUSE_REFUSED]);
	CHECK(!o.causes[CAUSE_NO_SOCKET]);
	/* --cause twice adds up */
	CHECK_EQ_INT(PARSE(&o, "--cause", "closed_port", "--cause", "refused"), OPTS_RUN);
	CHECK(o.causes[CAUSE_CLOSED_PORT] && o.causes[CAUSE_REFUSED]);
}

TEST(error_message_is_bounded)
{
	/* a huge argument: the message is truncated, err never overflows */
	struct opts o;
	char big[4096];
	const char *args[] = { "-p", big, NULL };
	char small[16];
	char *argv[] = { (char *)"rstwatch", (char *)"-p", big, NULL };

	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(parse_v(&o, args), OPTS_USAGE);
	CHECK(strlen(err) < sizeof(err));
	memset(small, 'x', sizeof(small));
	CHECK_EQ_INT(opts_parse(3, argv, &o, small, 8), OPTS_USAGE);
	CHECK_EQ_UINT(strlen(small), 7);
	CHECK_EQ_INT(small[8], 'x');
}

TEST(explain)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "explain"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_EXPLAIN);
	CHECK(o.explain_cause == NULL);
	CHECK_EQ_INT(PARSE(&o, "explain", "keepalive_timeout"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_EXPLAIN);
	CHECK_EQ_STR(o.explain_cause, "keepalive_timeout");
	CHECK_EQ_INT(PARSE(&o, "-j", "explain", "refused"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_EXPLAIN);
	CHECK(o.json);
}

TEST(help_and_version)
{
	struct opts o;
	char out[8192];
	const char *help[] = { "--help", NULL }, *h[] = { "-h", NULL };
	const char *version[] = { "--version", NULL }, *v[] = { "-V", NULL };
	char want[128];

	CHECK_EQ_INT(parse_captured(&o, help, out, sizeof(out)), OPTS_EXIT_OK);
	CHECK(strncmp(out, "Usage: rstwatch", 15) == 0);
	CHECK(strstr(out, "--json") && strstr(out, "--ringbuf-size") && strstr(out, "explain"));
	CHECK_EQ_INT(parse_captured(&o, h, out, sizeof(out)), OPTS_EXIT_OK);
	CHECK(strncmp(out, "Usage: rstwatch", 15) == 0);

	snprintf(want, sizeof(want), "rstwatch %s (%s)\n", RSTW_VERSION, RSTW_GIT_REV);
	CHECK_EQ_INT(parse_captured(&o, version, out, sizeof(out)), OPTS_EXIT_OK);
	CHECK_EQ_STR(out, want);
	CHECK_EQ_INT(parse_captured(&o, v, out, sizeof(out)), OPTS_EXIT_OK);
	CHECK_EQ_STR(out, want);
}

TEST(usage_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	opts_usage(f);
	fclose(f);
	CHECK(len > 100);
	CHECK(strncmp(buf, "Usage: rstwatch", 15) == 0);
	/* every long option is documented */
	static const char *const longs[] = {
		"--json",    "--wide",	       "--pid",	       "--port",
		"--cause",   "--netns",	       "--ipv4",       "--ipv6",
		"--count",   "--ringbuf-size", "--no-summary", "--summary-json",
		"--verbose", "--version",      "--help",       NULL
	};
	for (int i = 0; longs[i]; i++)
		if (!CHECK(strstr(buf, longs[i]) != NULL))
			NOTE("%s", longs[i]);
	free(buf);
}

TEST(parse_twice_starts_afresh)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "-j", "--cause", "refused", "-6", "-p", "5"), OPTS_RUN);
	CHECK_EQ_INT(PARSE(&o, "-p", "abc"), OPTS_USAGE);
	const char *const none[] = { NULL };
	CHECK_EQ_INT(parse_v(&o, none), OPTS_RUN);
	check_defaults(&o);
	/* getopt state is reset: the same option parses again */
	CHECK_EQ_INT(PARSE(&o, "-p", "9"), OPTS_RUN);
	CHECK_EQ_INT(o.pid, 9);
	CHECK_EQ_INT(PARSE(&o, "-p", "10"), OPTS_RUN);
	CHECK_EQ_INT(o.pid, 10);
}

TEST(parse_u64_edges)
{
	uint64_t v;

	v = 7;
	CHECK(parse_u64("0", 0, 10, &v) && v == 0);
	CHECK(parse_u64("10", 0, 10, &v) && v == 10);
	CHECK(parse_u64("007", 0, 10, &v) && v == 7);
	CHECK(parse_u64("18446744073709551615", 0, UINT64_MAX, &v) && v == UINT64_MAX);
	v = 123;
	CHECK(!parse_u64("18446744073709551616", 0, UINT64_MAX, &v));
	CHECK(!parse_u64("99999999999999999999999", 0, UINT64_MAX, &v));
	CHECK(!parse_u64("11", 0, 10, &v));
	CHECK(!parse_u64("4", 5, 10, &v));
	CHECK(!parse_u64("+5", 0, 10, &v));
	CHECK(!parse_u64("-5", 0, 10, &v));
	CHECK(!parse_u64("-0", 0, 10, &v));
	CHECK(!parse_u64(" 5", 0, 10, &v));
	CHECK(!parse_u64("5 ", 0, 10, &v));
	CHECK(!parse_u64("5\n", 0, 10, &v));
	CHECK(!parse_u64("0x5", 0, 10, &v));
	CHECK(!parse_u64("5k", 0, 10000, &v));
	CHECK(!parse_u64("", 0, 10, &v));
	CHECK(!parse_u64(NULL, 0, 10, &v));
	CHECK(!parse_u64("1e3", 0, 10000, &v));
	/* a failure leaves the output alone */
	CHECK_EQ_UINT(v, 123);
}

TEST(parse_size_edges)
{
	uint64_t v;

	CHECK(parse_size("0", &v) && v == 0);
	CHECK(parse_size("4096", &v) && v == 4096);
	CHECK(parse_size("4K", &v) && v == 4096);
	CHECK(parse_size("4k", &v) && v == 4096);
	CHECK(parse_size("4KB", &v) && v == 4096);
	CHECK(parse_size("4KiB", &v) && v == 4096);
	CHECK(parse_size("4kib", &v) && v == 4096);
	CHECK(parse_size("16M", &v) && v == 16ull << 20);
	CHECK(parse_size("3G", &v) && v == 3ull << 30);
	CHECK(parse_size("18446744073709551615", &v) && v == UINT64_MAX);
	CHECK(parse_size("17179869183G", &v) && v == 17179869183ull << 30);
	v = 99;
	CHECK(!parse_size("17179869184G", &v)); /* 2^64: overflow */
	CHECK(!parse_size("18446744073709551616", &v));
	CHECK(!parse_size("", &v));
	CHECK(!parse_size(NULL, &v));
	CHECK(!parse_size("K", &v));
	CHECK(!parse_size("+4K", &v));
	CHECK(!parse_size("-4K", &v));
	CHECK(!parse_size(" 4K", &v));
	CHECK(!parse_size("4 K", &v));
	CHECK(!parse_size("4K ", &v));
	CHECK(!parse_size("4T", &v));
	CHECK(!parse_size("4X", &v));
	CHECK(!parse_size("4Ki", &v));
	CHECK(!parse_size("4KBB", &v));
	CHECK(!parse_size("4KiBx", &v));
	CHECK(!parse_size("4.5M", &v));
	CHECK_EQ_UINT(v, 99);
}

static struct rstw_event ev(int family, uint16_t lport, uint16_t rport, uint32_t netns)
{
	struct rstw_event e;

	memset(&e, 0, sizeof(e));
	e.family = (uint8_t)family;
	e.lport = lport;
	e.rport = rport;
	e.netns = netns;
	return e;
}

TEST(filter_none)
{
	struct opts o;
	const char *const none[] = { NULL };
	struct rstw_event e = ev(2, 80, 5555, 1);

	parse_v(&o, none);
	CHECK(filter_match(&o, &e, CAUSE_CLOSED_PORT, -1));
	CHECK(filter_match(&o, &e, CAUSE_PEER_RESET, 1234));
	e = ev(10, 0, 0, 0);
	CHECK(filter_match(&o, &e, CAUSE_UNKNOWN, -1));
	e = ev(0, 0, 0, 0);
	CHECK(filter_match(&o, &e, CAUSE_UNKNOWN, -1));
}

TEST(filter_pid)
{
	struct opts o;
	struct rstw_event e = ev(2, 80, 5555, 1);

	CHECK_EQ_INT(PARSE(&o, "-p", "1234"), OPTS_RUN);
	CHECK(filter_match(&o, &e, CAUSE_NO_SOCKET, 1234));
	CHECK(!filter_match(&o, &e, CAUSE_NO_SOCKET, 1235));
	CHECK(!filter_match(&o, &e, CAUSE_NO_SOCKET, -1)); /* owner unknown */
}

TEST(filter_port)
{
	struct opts o;
	struct rstw_event e;

	CHECK_EQ_INT(PARSE(&o, "--port", "443"), OPTS_RUN);
	e = ev(2, 443, 5555, 1);
	CHECK(filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
	e = ev(2, 5555, 443, 1);
	CHECK(filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
	e = ev(2, 80, 5555, 1);
	CHECK(!filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
	e = ev(10, 0, 0, 1);
	CHECK(!filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
	CHECK_EQ_INT(PARSE(&o, "--port", "65535"), OPTS_RUN);
	e = ev(2, 65535, 1, 1);
	CHECK(filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
}

TEST(filter_netns)
{
	struct opts o;
	struct rstw_event e;

	CHECK_EQ_INT(PARSE(&o, "--netns", "4026531840"), OPTS_RUN);
	e = ev(2, 1, 2, 4026531840u);
	CHECK(filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
	e = ev(2, 1, 2, 4026531841u);
	CHECK(!filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
	e = ev(2, 1, 2, 0);
	CHECK(!filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
	CHECK_EQ_INT(PARSE(&o, "--netns", "4294967295"), OPTS_RUN);
	e = ev(2, 1, 2, 4294967295u);
	CHECK(filter_match(&o, &e, CAUSE_NO_SOCKET, -1));
}

TEST(filter_family)
{
	struct opts o;
	struct rstw_event v4 = ev(2, 1, 2, 1), v6 = ev(10, 1, 2, 1), none = ev(0, 1, 2, 1);

	CHECK_EQ_INT(PARSE(&o, "-4"), OPTS_RUN);
	CHECK(filter_match(&o, &v4, CAUSE_NO_SOCKET, -1));
	CHECK(!filter_match(&o, &v6, CAUSE_NO_SOCKET, -1));
	CHECK(!filter_match(&o, &none, CAUSE_NO_SOCKET, -1));
	CHECK_EQ_INT(PARSE(&o, "-6"), OPTS_RUN);
	CHECK(!filter_match(&o, &v4, CAUSE_NO_SOCKET, -1));
	CHECK(filter_match(&o, &v6, CAUSE_NO_SOCKET, -1));
	CHECK(!filter_match(&o, &none, CAUSE_NO_SOCKET, -1));
}

TEST(filter_cause)
{
	struct opts o;
	struct rstw_event e = ev(2, 1, 2, 1);

	CHECK_EQ_INT(PARSE(&o, "--cause", "abort_on_close,refused"), OPTS_RUN);
	for (int i = 0; i < CAUSE__COUNT; i++)
		if (!CHECK_EQ_INT(filter_match(&o, &e, (enum rstw_cause)i, -1),
				  i == CAUSE_ABORT_ON_CLOSE || i == CAUSE_REFUSED))
			NOTE("cause %s", cause_info((enum rstw_cause)i)->id);
}

TEST(filter_all_together)
{
	struct opts o;
	struct rstw_event e = ev(10, 8443, 40000, 4026532000u);

	CHECK_EQ_INT(PARSE(&o, "-6", "-p", "42", "--port", "8443", "--netns", "4026532000",
			   "--cause", "peer_reset"),
		     OPTS_RUN);
	CHECK(filter_match(&o, &e, CAUSE_PEER_RESET, 42));
	/* each filter alone can reject */
	CHECK(!filter_match(&o, &e, CAUSE_REFUSED, 42));
	CHECK(!filter_match(&o, &e, CAUSE_PEER_RESET, 43));
	e.family = 2;
	CHECK(!filter_match(&o, &e, CAUSE_PEER_RESET, 42));
	e.family = 10;
	e.lport = 8444;
	CHECK(!filter_match(&o, &e, CAUSE_PEER_RESET, 42));
	e.lport = 8443;
	e.netns = 4026532001u;
	CHECK(!filter_match(&o, &e, CAUSE_PEER_RESET, 42));
}

TEST(disable_hooks)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "-j"), OPTS_RUN);
	CHECK_EQ_UINT(o.disabled, 0);
	CHECK_EQ_INT(PARSE(&o, "--disable", "receive"), OPTS_RUN);
	CHECK_EQ_UINT(o.disabled, DISABLE_RECEIVE);
	CHECK_EQ_INT(PARSE(&o, "--disable", "drops,owner-io"), OPTS_RUN);
	CHECK_EQ_UINT(o.disabled, DISABLE_DROPS | DISABLE_OWNER_IO);
	CHECK_EQ_INT(PARSE(&o, "--disable", "receive", "--disable", "drops"), OPTS_RUN);
	CHECK_EQ_UINT(o.disabled, DISABLE_RECEIVE | DISABLE_DROPS);
	CHECK_EQ_INT(PARSE(&o, "--disable", "receive,wire"), OPTS_RUN);
	CHECK_EQ_UINT(o.disabled, DISABLE_RECEIVE | DISABLE_WIRE);
	CHECK_EQ_INT(PARSE(&o, "--disable", "receive,xdp"), OPTS_USAGE);
	CHECK(strstr(err, "'xdp'") != NULL);
	CHECK_EQ_INT(PARSE(&o, "--disable", ","), OPTS_USAGE);
	CHECK_EQ_INT(PARSE(&o, "--disable", ""), OPTS_USAGE);
}

TEST(wire_flags)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "-j"), OPTS_RUN);
	CHECK(o.ifaces == NULL);
	CHECK_EQ_INT(o.xdp_mode, XDP_MODE_AUTO);
	CHECK_EQ_INT(PARSE(&o, "-i", "eth0,veth1", "--xdp-mode", "native"), OPTS_RUN);
	CHECK_EQ_STR(o.ifaces, "eth0,veth1");
	CHECK_EQ_INT(o.xdp_mode, XDP_MODE_NATIVE);
	CHECK_EQ_INT(PARSE(&o, "--xdp-mode", "generic"), OPTS_RUN);
	CHECK_EQ_INT(o.xdp_mode, XDP_MODE_GENERIC);
	CHECK_EQ_INT(PARSE(&o, "--xdp-mode", "auto"), OPTS_RUN);
	CHECK_EQ_INT(o.xdp_mode, XDP_MODE_AUTO);
	CHECK_EQ_INT(PARSE(&o, "--xdp-mode", "offload"), OPTS_USAGE);
	CHECK_EQ_INT(o.fallback, FALLBACK_AUTO);
	CHECK_EQ_INT(PARSE(&o, "--fallback", "kprobe"), OPTS_RUN);
	CHECK_EQ_INT(o.fallback, FALLBACK_KPROBE);
	CHECK_EQ_INT(PARSE(&o, "--fallback", "fentry"), OPTS_RUN);
	CHECK_EQ_INT(o.fallback, FALLBACK_FENTRY);
	CHECK_EQ_INT(PARSE(&o, "--fallback", "auto"), OPTS_RUN);
	CHECK_EQ_INT(o.fallback, FALLBACK_AUTO);
	CHECK_EQ_INT(PARSE(&o, "--fallback", "uprobe"), OPTS_USAGE);
	CHECK(strstr(err, "--fallback: 'uprobe' is not auto, fentry or kprobe") != NULL);
	CHECK_EQ_INT(o.tc_mode, TC_MODE_AUTO);
	CHECK_EQ_INT(PARSE(&o, "--tc-mode", "clsact"), OPTS_RUN);
	CHECK_EQ_INT(o.tc_mode, TC_MODE_CLSACT);
	CHECK_EQ_INT(PARSE(&o, "--tc-mode", "tcx"), OPTS_RUN);
	CHECK_EQ_INT(o.tc_mode, TC_MODE_TCX);
	CHECK_EQ_INT(PARSE(&o, "--tc-mode", "ingress"), OPTS_USAGE);
	CHECK(strstr(err, "--tc-mode: 'ingress' is not auto, tcx or clsact") != NULL);
	CHECK(!o.bpf_stats);
	CHECK_EQ_INT(PARSE(&o, "serve", "--bpf-stats"), OPTS_RUN);
	CHECK(o.bpf_stats);
	CHECK_EQ_INT(PARSE(&o, "-i", ""), OPTS_USAGE);
	CHECK_EQ_INT(PARSE(&o, "-i", ",eth0"), OPTS_USAGE);
	CHECK_EQ_INT(PARSE(&o, "-i", "eth0,,eth1"), OPTS_USAGE);
	CHECK_EQ_INT(PARSE(&o, "-i", "../etc"), OPTS_USAGE);
	CHECK_EQ_INT(PARSE(&o, "-i"), OPTS_USAGE);
}

TEST(commands_and_their_options)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "check"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_CHECK);
	CHECK_EQ_INT(PARSE(&o, "check", "-v", "--disable", "wire"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_CHECK);
	CHECK_EQ_INT(o.verbose, 1);
	CHECK_EQ_UINT(o.disabled, DISABLE_WIRE);
	CHECK_EQ_INT(PARSE(&o, "-v", "check"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_CHECK);
	/* options on both sides of the command */
	CHECK_EQ_INT(PARSE(&o, "-v", "serve", "--listen", "127.0.0.1:1", "-j"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_SERVE);
	CHECK_EQ_INT(o.verbose, 1);
	CHECK(o.json);
	CHECK_EQ_STR(o.listen, "127.0.0.1:1");
	CHECK_EQ_INT(PARSE(&o, "-v", "serve", "--frob"), OPTS_USAGE);
	CHECK_EQ_INT(PARSE(&o, "check", "extra"), OPTS_USAGE);
	CHECK(strstr(err, "'extra'") != NULL);
	CHECK_EQ_INT(PARSE(&o, "explain", "closed_port"), OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_EXPLAIN);
	CHECK_EQ_STR(o.explain_cause, "closed_port");
	CHECK_EQ_INT(PARSE(&o, "-j", "explain", "refused"), OPTS_RUN);
	CHECK_EQ_STR(o.explain_cause, "refused");
	CHECK_EQ_INT(PARSE(&o, "explain", "refused", "peer_reset"), OPTS_USAGE);
	CHECK_EQ_INT(PARSE(&o, "-j", "frob"), OPTS_USAGE);
	CHECK(strstr(err, "'frob'") != NULL);
}

TEST(summary_json_is_for_the_stream_only)
{
	struct opts o;

	CHECK_EQ_INT(PARSE(&o, "--json", "--summary-json", "/tmp/s.json"), OPTS_RUN);
	CHECK_EQ_STR(o.summary_json, "/tmp/s.json");
	CHECK_EQ_INT(PARSE(&o, "--summary-json", ""), OPTS_USAGE);
	if (!CHECK(strstr(err, "--summary-json") != NULL))
		NOTE("message: \"%s\"", err);
	/* the commands without an exit summary refuse it, not ignore it */
	static const char *const cmds[] = { "serve", "top", "check", "explain" };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!CHECK_EQ_INT(PARSE(&o, cmds[i], "--summary-json", "x"), OPTS_USAGE))
			NOTE("%s", cmds[i]);
		else if (!CHECK(strstr(err, "--summary-json") != NULL))
			NOTE("%s: \"%s\"", cmds[i], err);
	}
}
