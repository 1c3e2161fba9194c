// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The configuration file: every key is a long option, so the file and the
 * flags can never disagree on names or meaning.  "option = value", '#'
 * comments, blank lines; flags take yes/no/true/false.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Append s (NULL: strdup failed); *args stays valid for free_args() on failure. */
static int push(char ***args, int *n, char *s)
{
	char **v;

	if (!s)
		return -1;
	v = realloc(*args, (size_t)(*n + 2) * sizeof(**args));
	if (!v) {
		free(s);
		return -1;
	}
	*args = v;
	v[(*n)++] = s;
	v[*n] = NULL;
	return 0;
}

int config_read(const char *path, char ***args, int *nargs, char *err, size_t errlen)
{
	char line[1024];
	int lineno = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *key, *val, *eq, *hash, arg[1100];
		int kind;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			goto fail;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'option = value'", path, lineno);
			goto fail;
		}
		*eq = '\0';
		val = trim(eq + 1);
		key = trim(key);
		kind = opts_option_kind(key);
		if (kind < 0) {
			snprintf(err, errlen, "%s:%d: unknown option '%.64s'", path, lineno, key);
			goto fail;
		}
		if (kind == 0) {
			if (!strcmp(val, "yes") || !strcmp(val, "true")) {
				snprintf(arg, sizeof(arg), "--%s", key);
			} else if (!strcmp(val, "no") || !strcmp(val, "false")) {
				continue;
			} else {
				snprintf(err, errlen, "%s:%d: %s takes yes or no, not '%.64s'",
					 path, lineno, key, val);
				goto fail;
			}
		} else {
			if (!*val) {
				snprintf(err, errlen, "%s:%d: %s needs a value", path, lineno, key);
				goto fail;
			}
			snprintf(arg, sizeof(arg), "--%s=%s", key, val);
		}
		if (push(args, nargs, strdup(arg))) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

/*
 * The strings opts point into: the first successful parse's (what a reload
 * leaves alone keeps pointing there) and the latest one's.  A generation in
 * between is freed when a newer one is kept: reloads never run out.
 */
static char **kept_first, **kept_latest;

static void free_args(char **args, int n)
{
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(args);
}

static void free_kept(char **args)
{
	for (char **a = args; a && *a; a++)
		free(*a);
	free(args);
}

static void keep(char **args)
{
	if (!kept_first) {
		kept_first = args;
		return;
	}
	free_kept(kept_latest);
	kept_latest = args;
}

void config_release(void)
{
	free_kept(kept_first);
	free_kept(kept_latest);
	kept_first = kept_latest = NULL;
}

enum opts_result config_parse(int argc, char **argv, const char *path, struct opts *o, char *err,
			      size_t errlen)
{
	char **args = NULL;
	int n = 0, i, first = 1;
	enum opts_result r;

	if (push(&args, &n, strdup(argv[0])))
		goto oom;
	/* the command stays first, so that its options may follow it */
	if (argc > 1 && (!strcmp(argv[1], "serve") || !strcmp(argv[1], "check") ||
			 !strcmp(argv[1], "explain") || !strcmp(argv[1], "top"))) {
		if (push(&args, &n, strdup(argv[1])))
			goto oom;
		first = 2;
	}
	if (config_read(path, &args, &n, err, errlen)) {
		free_args(args, n);
		return OPTS_USAGE;
	}
	for (i = first; i < argc; i++)
		if (push(&args, &n, strdup(argv[i])))
			goto oom;
	r = opts_parse(n, args, o, err, errlen);
	if (r == OPTS_USAGE && err[0] && strncmp(err, path, strlen(path)) != 0) {
		char msg[256];

		/* say where a bad value came from when the file may be to blame */
		snprintf(msg, sizeof(msg), "%s (options from %s and the command line)", err, path);
		snprintf(err, errlen, "%s", msg);
	}
	if (r != OPTS_RUN) {
		free_args(args, n); /* nothing points into them */
		return r;
	}
	keep(args);
	return r;
oom:
	free_args(args, n);
	snprintf(err, errlen, "out of memory");
	return OPTS_USAGE;
}
