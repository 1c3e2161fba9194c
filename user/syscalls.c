// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Syscall names, generated at build time from this architecture's <asm/unistd_64.h>. */
#include <stddef.h>

#include "syscalls.h"

static const char *const names[] = {
#include "syscall_names.h"
};

const char *syscall_name(long nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[nr];
}
