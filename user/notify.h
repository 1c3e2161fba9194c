/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_NOTIFY_H
#define RSTW_NOTIFY_H

/*
 * systemd's notification protocol, written in-tree: one datagram to the
 * socket named by $NOTIFY_SOCKET ("@" = abstract).  Returns 1 if sent, 0 if
 * not under systemd, -errno on failure.
 */
int sd_notify_msg(const char *msg);

#endif
