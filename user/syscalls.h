/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_SYSCALLS_H
#define RSTW_SYSCALLS_H

/* Name of a syscall number of this architecture, or NULL. */
const char *syscall_name(long nr);

#endif
