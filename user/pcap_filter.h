/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --filter EXPR: a pcap-filter(7) expression, compiled by libpcap, applied
 * to each reset's packet as rstwatch rebuilds it from the event.
 */
#ifndef RSTW_PCAP_FILTER_H
#define RSTW_PCAP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "rstwatch.h"

struct pcap_filter;

/* Compile EXPR; NULL with a one-line reason in ERR if it does not compile. */
struct pcap_filter *pcap_filter_new(const char *expr, char *err, size_t errlen);
/*
 * Does the reset pass?  Its packet is rebuilt from E: the IPv4 or IPv6 and
 * TCP headers, source and destination as the RST travelled (from this host
 * for a sent one), the RST flag (with ACK where the kernel sets it), nothing
 * the event does not carry (TTL, window, options and payload are zero).
 */
bool pcap_filter_match(const struct pcap_filter *f, const struct rstw_event *e);
void pcap_filter_free(struct pcap_filter *f);

#endif
