/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One attributed reset: what every sink prints. */
#ifndef RSTW_REPORT_H
#define RSTW_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "causes.h"
#include "owner.h"
#include "rstwatch.h"

struct report {
	const struct rstw_event *e;
	enum rstw_cause cause;
	const char *reason; /* the reason shown (user/key.c), NULL if none */
	char context[48];
	struct owner owner;
	uint64_t realtime_ns;
};

void out_json_event(FILE *f, const struct report *r);
/* JSON: also the per-cause static text (hint, code) and every optional key, null or not. */
void out_json_set_details(bool on);
void out_text_header(FILE *f, int wide);
void out_text_event(FILE *f, const struct report *r, int wide);
/* Colour the cause column: sent red, received cyan, not-a-reset yellow. */
void out_text_set_color(int on);

#endif
