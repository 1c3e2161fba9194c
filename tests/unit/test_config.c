// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration file: keys are long options; errors name file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static char path[] = "/tmp/rstw-config-XXXXXX";
static char err[256];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static enum opts_result parse(const char *text, struct opts *o, int argc, char **argv)
{
	write_file(text);
	err[0] = '\0';
	return config_parse(argc, argv, path, o, err, sizeof(err));
}

TEST(config_setup)
{
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
}

TEST(keys_are_long_options)
{
	char *argv[] = { "rstwatch", "serve", NULL };
	struct opts o;

	CHECK_EQ_INT(parse("# comment\n\nlisten = 127.0.0.1:9999   # trailing\n"
			   "  port=443\njson = yes\nwide = no\ncause = closed_port,refused\n",
			   &o, 2, argv),
		     OPTS_RUN);
	CHECK_EQ_INT(o.cmd, CMD_SERVE);
	CHECK_EQ_STR(o.listen, "127.0.0.1:9999");
	CHECK_EQ_INT(o.port, 443);
	CHECK(o.json);
	CHECK(!o.wide);
	CHECK(o.causes[CAUSE_CLOSED_PORT] && o.causes[CAUSE_REFUSED] && !o.causes[CAUSE_TIMEWAIT]);
}

TEST(command_line_wins)
{
	char *argv[] = { "rstwatch", "serve", "--port", "22", NULL };
	struct opts o;

	CHECK_EQ_INT(parse("port = 443\n", &o, 4, argv), OPTS_RUN);
	CHECK_EQ_INT(o.port, 22);
}

TEST(errors_name_file_and_line)
{
	char *argv[] = { "rstwatch", NULL };
	char want[300];
	struct opts o;

	CHECK_EQ_INT(parse("json = yes\nfrobnicate = 1\n", &o, 1, argv), OPTS_USAGE);
	snprintf(want, sizeof(want), "%s:2: unknown option 'frobnicate'", path);
	CHECK_EQ_STR(err, want);
	CHECK_EQ_INT(parse("just words\n", &o, 1, argv), OPTS_USAGE);
	snprintf(want, sizeof(want), "%s:1: expected 'option = value'", path);
	CHECK_EQ_STR(err, want);
	CHECK_EQ_INT(parse("json = maybe\n", &o, 1, argv), OPTS_USAGE);
	CHECK(strstr(err, ":1: json takes yes or no, not 'maybe'") != NULL);
	CHECK_EQ_INT(parse("port =\n", &o, 1, argv), OPTS_USAGE);
	CHECK(strstr(err, ":1: port needs a value") != NULL);
	/* help, version and config itself are not settable from a file */
	CHECK_EQ_INT(parse("help = yes\n", &o, 1, argv), OPTS_USAGE);
	CHECK_EQ_INT(parse("config = /etc/x\n", &o, 1, argv), OPTS_USAGE);
	/* a bad value is reported by the option parser, naming the file */
	CHECK_EQ_INT(parse("port = 70000\n", &o, 1, argv), OPTS_USAGE);
	CHECK(strstr(err, "--port") != NULL && strstr(err, path) != NULL);
}

TEST(long_lines_are_refused)
{
	char *argv[] = { "rstwatch", NULL };
	char *big = malloc(3000);
	struct opts o;

	memset(big, 'a', 2998);
	big[2998] = '\n';
	big[2999] = '\0';
	CHECK_EQ_INT(parse(big, &o, 1, argv), OPTS_USAGE);
	CHECK(strstr(err, ":1: line too long") != NULL);
	free(big);
}

/* SIGHUP reads the file again, as often as logrotate sends it: never "too many times". */
TEST(reloads_never_run_out)
{
	char *argv[] = { "rstwatch", "serve", NULL };
	char text[128], want[32];
	struct opts first, o;
	int failed = 0;

	config_release(); /* the reads above are not this daemon's */
	CHECK_EQ_INT(parse("listen = 127.0.0.1:9999\nlog = /tmp/start.jsonl\n", &first, 2, argv),
		     OPTS_RUN);
	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text),
			 "listen = 127.0.0.1:9999\nlog = /tmp/%d.jsonl\nport = %d\n", i, 1000 + i);
		if (parse(text, &o, 2, argv) != OPTS_RUN && failed++ == 0)
			NOTE("reload %d: %s", i + 1, err);
		/* what the daemon keeps from the start is still there (ASan: no use after free) */
		if (strcmp(first.listen, "127.0.0.1:9999") != 0 && failed++ == 0)
			NOTE("reload %d: the first parse's strings were freed", i + 1);
	}
	CHECK_EQ_INT(failed, 0);
	snprintf(want, sizeof(want), "/tmp/%d.jsonl", 199);
	CHECK_EQ_STR(o.log_path, want);
	CHECK_EQ_INT(o.port, 1199);
	config_release();
}

TEST(missing_file)
{
	char *argv[] = { "rstwatch", NULL };
	struct opts o;

	CHECK_EQ_INT(config_parse(1, argv, "/nonexistent/rstwatch.conf", &o, err, sizeof(err)),
		     OPTS_USAGE);
	CHECK_EQ_STR(err, "/nonexistent/rstwatch.conf: No such file or directory");
	unlink(path);
	config_release();
}
