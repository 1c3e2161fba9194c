/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One ring buffer record through the pipeline: decode, attribute, resolve the
 * owner, filter.  What the sinks print comes out as a report.  The event loop
 * and bench/pipeline.c run exactly this.
 */
#ifndef RSTW_PIPELINE_H
#define RSTW_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "decode.h"
#include "opts.h"
#include "reasons.h"
#include "report.h"

struct pipeline {
	const struct opts *o;
	const struct reasons *reasons;
	bool ctx_known; /* the kernel side can tell process context */
	uint64_t boot_to_real_ns; /* realtime - boottime */
	const struct pcap_filter *pcap; /* --filter, NULL for none */
};

enum pipeline_result {
	PIPE_SHOW = 0, /* *r is ready for the sinks */
	PIPE_FILTERED, /* valid, but the user's filters leave it out */
	PIPE_MALFORMED, /* rejected by validation; *st says why */
};

/* r->e must point to e; both are filled. */
enum pipeline_result pipeline_run(const struct pipeline *p, const void *data, size_t len,
				  struct rstw_event *e, struct report *r, enum decode_status *st);

#endif
