/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_LOG_H
#define RSTW_LOG_H

extern int log_verbose;

/* One line on stderr, prefixed "rstwatch: " (errors), "rstwatch: warning: " (warnings). */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include <stdio.h>

/*
 * serve --log FILE, opened for appending as a root daemon should: created
 * 0600; a symlink is followed only if it is ours or root's (each link of a
 * chain), and the file itself must be a regular file of ours or root's.
 * NULL after one error line naming the path.
 */
FILE *log_open_file(const char *path);

#endif
