/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_TOP_H
#define RSTW_TOP_H

#include <stdbool.h>

struct loader;
struct opts;
struct report;

/*
 * rstwatch top: resets per second and totals by cause (the kernel's exact
 * counts), and the busiest processes, local ports and remote peers (from the
 * events).  Full screen on a terminal (ncurses); plain text blocks otherwise.
 */
void *top_start(const struct opts *o);
void top_event(void *ctx, const struct report *r);
/* Redraw when due, read keys; false when the user quits. */
bool top_tick(void *ctx, struct loader *l);
void top_stop(void *ctx);

#endif
