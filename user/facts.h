/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where a report goes: plain text for people, JSON for programs, or both.
 * Each fact of a report is printed by one function that writes it to every
 * sink given (bpftool's print_bool_feature() is the model), so the two
 * forms cannot drift apart.
 */
#ifndef RSTW_FACTS_H
#define RSTW_FACTS_H

#include <stdio.h>

#include "json_writer.h"

struct facts {
	FILE *plain; /* NULL: no text */
	struct jw *json; /* NULL: no JSON */
};

#endif
