// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "attribute.h"
#include "filter.h"
#include "pcap_filter.h"
#include "pipeline.h"

enum pipeline_result pipeline_run(const struct pipeline *p, const void *data, size_t len,
				  struct rstw_event *e, struct report *r, enum decode_status *st)
{
	struct cause_input in;

	*st = decode_event(data, len, e);
	if (*st != DECODE_OK)
		return PIPE_MALFORMED;
	r->e = e;
	r->cause = attribute_event(p->reasons, e, &in);
	r->reason = in.reason;
	cause_context(&in, p->ctx_known, r->context, sizeof(r->context));
	owner_resolve(e, r->cause, &in, &r->owner);
	if (!filter_match(p->o, e, r->cause, r->owner.pid) || !pcap_filter_match(p->pcap, e))
		return PIPE_FILTERED;
	r->realtime_ns = e->ts_boot_ns + p->boot_to_real_ns;
	return PIPE_SHOW;
}
