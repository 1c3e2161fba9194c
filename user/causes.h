/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The cause taxonomy (DESIGN.md section 3).  Ids are stable: append new
 * causes at the end, never rename or reorder.
 */
#ifndef RSTW_CAUSES_H
#define RSTW_CAUSES_H

#include <stdbool.h>

enum rstw_cause {
	CAUSE_CLOSED_PORT,
	CAUSE_NO_SOCKET,
	CAUSE_ABORT_ON_CLOSE,
	CAUSE_LINGER_ABORT,
	CAUSE_LINGER2_ABORT,
	CAUSE_ABORT_ON_DATA,
	CAUSE_TIMEWAIT,
	CAUSE_KEEPALIVE_TIMEOUT,
	CAUSE_LISTEN_OVERFLOW,
	CAUSE_INVALID_SYN,
	CAUSE_INVALID_ACK,
	CAUSE_BAD_FLAGS,
	CAUSE_PAWS,
	CAUSE_ABORT_ON_MEMORY,
	CAUSE_ADMIN_KILL,
	CAUSE_DISCONNECT,
	CAUSE_MPTCP,
	CAUSE_FIREWALL_REJECT,
	CAUSE_UNKNOWN,
	CAUSE_REFUSED,
	CAUSE_PEER_RESET,
	CAUSE_RST_CHALLENGED,
	CAUSE_RST_OUT_OF_WINDOW,
	CAUSE_RST_TIMEWAIT,
	CAUSE_RST_NO_SOCKET,
	CAUSE_LISTEN_DROP, /* not a reset: accept queue full, segment dropped */
	CAUSE_LISTENER_CLOSED,
	CAUSE__COUNT,
};

enum cause_dir {
	CDIR_SENT = 1,
	CDIR_RECEIVED = 2,
	CDIR_EITHER = 3,
};

struct cause_info {
	const char *id; /* stable identifier, used in JSON and metrics */
	enum cause_dir dir;
	int code; /* seed 002 diagnostic code, -1 where none fits */
	const char *explain; /* one line: what happened */
	const char *hint; /* one line: what to check */
};

const struct cause_info *cause_info(enum rstw_cause c);
/* Returns the cause for an id, or -1. */
int cause_from_id(const char *id);
/* Which kernels report a cause, and through which hook. */
const char *cause_kernels(enum rstw_cause c);
/* Seed 002 diagnostic table: text for a code, or NULL. */
const char *cause_code_text(int code);

#endif
