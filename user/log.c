// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"
#include "log.h"

int log_verbose;

/* Messages name interfaces, paths and processes that anyone may name: escaped, one line each. */
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char raw[1024], safe[4096];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	fprintf(stderr, "rstwatch: %s%s\n", prefix, format_safe(raw, safe, sizeof(safe)));
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/*
 * Follow path's own symlinks into out, refusing one owned by another user:
 * in a shared directory it could point us at any file root may write.
 */
static int resolve_trusted(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	struct stat st;

	snprintf(out, len, "%s", path);
	for (int hops = 0; lstat(out, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		ssize_t n;
		const char *slash;

		if (hops == 8) {
			log_err("--log %s: too many symlinks", path);
			return -1;
		}
		if (!trusted_owner(st.st_uid)) {
			log_err("--log %s: %s is a symlink owned by uid %u: not following it", path,
				out, (unsigned int)st.st_uid);
			return -1;
		}
		n = readlink(out, target, sizeof(target) - 1);
		if (n < 0) {
			log_err("--log %s: %s: %s", path, out, strerror(errno));
			return -1;
		}
		target[n] = '\0';
		slash = strrchr(out, '/');
		if (target[0] != '/' && slash) {
			char dir[PATH_MAX];

			/* relative to the link's own directory */
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - out), out);
			snprintf(out, len, "%s/%s", dir, target);
		} else {
			snprintf(out, len, "%s", target);
		}
	}
	return 0;
}

FILE *log_open_file(const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	FILE *f;
	int fd;

	if (resolve_trusted(path, real, sizeof(real)))
		return NULL;
	/* the last name must not become a symlink meanwhile; a FIFO must not block us */
	fd = open(real,
		  O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		log_err("--log %s: %s", path,
			errno == ELOOP ? "became a symlink while opening it" : strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st)) {
		log_err("--log %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || !trusted_owner(st.st_uid)) {
		log_err("--log %s: %s", path,
			!S_ISREG(st.st_mode) ? "not a regular file" :
					       "owned by another user: not writing into it");
		close(fd);
		return NULL;
	}
	if (st.st_mode & S_IROTH)
		log_warn("--log %s is readable by everyone (mode %04o): it names processes and "
			 "addresses; chmod o-r it",
			 path, (unsigned int)(st.st_mode & 07777));
	fcntl(fd, F_SETFL, O_APPEND);
	f = fdopen(fd, "a");
	if (!f) {
		log_err("--log %s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}
