/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What /proc says about a process, and which process holds a socket. */
#ifndef RSTW_PROCFS_H
#define RSTW_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The process's cgroup v2 path ("" if unknown). */
void procfs_cgroup(long pid, char *buf, size_t len);
/* The process's name; false if it is gone. */
bool procfs_comm(long pid, char *buf, size_t len);
/*
 * A process holding the socket with this inode, or -1.  One walk over
 * /proc/PID/fd indexes every socket; a miss rebuilds it at most once a second.
 */
long procfs_socket_pid(uint32_t ino);

#endif
