// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>

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
