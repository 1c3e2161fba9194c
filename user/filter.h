/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_FILTER_H
#define RSTW_FILTER_H

#include <stdbool.h>

#include "opts.h"
#include "rstwatch.h"

/* Does an attributed event pass the user's filters?  owner_pid is -1 if none. */
bool filter_match(const struct opts *o, const struct rstw_event *e, enum rstw_cause cause,
		  long owner_pid);

#endif
