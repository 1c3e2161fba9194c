// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "filter.h"

bool filter_match(const struct opts *o, const struct rstw_event *e, enum rstw_cause cause,
		  long owner_pid)
{
	if (o->pid >= 0 && owner_pid != o->pid)
		return false;
	if (o->port >= 0 && e->lport != o->port && e->rport != o->port)
		return false;
	if (o->netns >= 0 && e->netns != (unsigned long)o->netns)
		return false;
	if (o->family == 4 && e->family != 2)
		return false;
	if (o->family == 6 && e->family != 10)
		return false;
	if (o->cause_set && !o->causes[cause])
		return false;
	return true;
}
