/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared formatting: the text and JSON sinks print the same names and numbers. */
#ifndef RSTW_FORMAT_H
#define RSTW_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define ADDR_STR_LEN 48

/* TCP state name as ss(8) and the kernel print it, e.g. "ESTABLISHED"; NULL for 0. */
const char *tcp_state_name(unsigned int state);
/* Address literal for family 2 or 10; "" for anything else. */
void format_addr(int family, const uint8_t addr[16], char *buf, size_t len);
/* "addr:port", or "[v6]:port" */
void format_endpoint(int family, const uint8_t addr[16], uint16_t port, char *buf, size_t len);
/* RFC 3339 UTC with nanoseconds: 2026-11-22T03:48:22.123456789Z */
void format_rfc3339(uint64_t realtime_ns, char *buf, size_t len);
/* Local wall clock HH:MM:SS */
void format_hms(uint64_t realtime_ns, char *buf, size_t len);
/*
 * s made safe for a terminal (names come from anyone: comm, cgroups,
 * interfaces): control bytes (C0, DEL, C1 in UTF-8), backslash and bytes that
 * are not valid UTF-8 become \xNN, valid UTF-8 stays.  Cut at a whole
 * character or escape to fit len; returns buf.
 */
const char *format_safe(const char *s, char *buf, size_t len);

#endif
