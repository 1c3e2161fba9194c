/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_CHECK_H
#define RSTW_CHECK_H

struct opts;

int cmd_check(const struct opts *o);

#endif
