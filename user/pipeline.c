// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "attribute.h"
#include "filter.h"
#include "pipeline.h"

/* The kfree_skb reason behind each class of refused RST. */
static const char *drop_class_name(uint32_t cls)
{
	switch (cls) {
	case RSTW_RST_CHALLENGED:
		return "TCP_RESET";
	case RSTW_RST_OUT_OF_WINDOW:
		return "TCP_INVALID_SEQUENCE";
	case RSTW_RST_NO_SOCKET:
		return "NO_SOCKET";
	}
	return NULL;
}

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
	r->evidence = in.evidence;
	if (rstw_key_kind(e->key) == RSTW_KIND_LISTEN_DROP)
		r->reason = "TCP_LISTEN_OVERFLOW"; /* the drop reason it was selected by */
	else if (rstw_key_kind(e->key) == RSTW_KIND_RST_DROPPED)
		r->reason = drop_class_name(rstw_key_reason(e->key));
	else if (rstw_key_kind(e->key) == RSTW_KIND_WIRE)
		r->reason = NULL; /* seen on the wire: the kernel gave no reason */
	cause_context(&in, p->ctx_known, r->context, sizeof(r->context));
	owner_resolve(e, r->cause, &in, &r->owner);
	if (!filter_match(p->o, e, r->cause, r->owner.pid))
		return PIPE_FILTERED;
	r->realtime_ns = e->ts_boot_ns + p->boot_to_real_ns;
	return PIPE_SHOW;
}
