// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for the configuration file: any bytes, read through
 * config_parse() and opts_parse() as rstwatch serve would.  Either it parses,
 * or it fails with a one-line message; never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "rstwatch", "serve", NULL };
	char path[64], err[256];
	struct opts o;
	enum opts_result r;
	int fd = memfd_create("rstwatch-conf", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = config_parse(2, argv, path, &o, err, sizeof(err));
	if (r == OPTS_USAGE && (!err[0] || strchr(err, '\n')))
		abort(); /* an error is one line, and says something */
	config_release();
	close(fd);
	return 0;
}
