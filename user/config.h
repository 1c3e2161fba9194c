/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_CONFIG_H
#define RSTW_CONFIG_H

#include <stddef.h>

#include "opts.h"

#define CONFIG_DEFAULT_PATH "/etc/rstwatch/rstwatch.conf"

/*
 * Options from a file and the command line, the command line winning: the
 * file's "option = value" lines become --option=value arguments placed before
 * the command line's own.  Returns what opts_parse returns; on a file error,
 * OPTS_USAGE with "FILE:LINE: ..." in err.  The strings *o points to stay
 * allocated until config_release() for the first successful parse, and until
 * the next successful parse for any later one: a reload overwrites what it
 * took from the previous reload, and reads none of it once the file is read.
 */
enum opts_result config_parse(int argc, char **argv, const char *path, struct opts *o, char *err,
			      size_t errlen);

/* Free what every config_parse kept (at exit, when no opts are in use). */
void config_release(void);

/* Read FILE into argument strings; 0, or -1 with err "FILE:LINE: ...". */
int config_read(const char *path, char ***args, int *nargs, char *err, size_t errlen);

#endif
