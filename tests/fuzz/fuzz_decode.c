// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target for what user space does with a ring buffer record:
 * decode_event(), then attribution and both sinks (JSON, text) on whatever
 * passed validation.  Any crash, sanitizer report or invalid JSON byte is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "decode.h"
#include "report.h"

static FILE *sink;

/* FUZZ_DECODE_SEED_DIR=DIR: write valid records (v4 and v6) as seeds and exit. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("FUZZ_DECODE_SEED_DIR");
	char path[512];

	(void)argc;
	(void)argv;
	if (!dir)
		return 0;
	for (int fam = 0; fam < 2; fam++) {
		struct rstw_event e = { 0 };
		FILE *f;

		e.abi = RSTW_ABI_VERSION;
		e.size = sizeof(e);
		e.family = fam ? 10 : 2;
		e.state = 1;
		e.reason = 11;
		e.key = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 1, RSTW_F_TASK, 3, 11,
				    RSTW_EVID_NONE, RSTW_SEEN_NONE);
		e.lport = 8080;
		e.rport = 40000;
		memcpy(e.owner.comm, "nginx\x01\"x", 8);
		e.owner_src = RSTW_OWNER_TRACKED;
		snprintf(path, sizeof(path), "%s/seed%d", dir, fam);
		f = fopen(path, "w");
		if (f) {
			fwrite(&e, sizeof(e), 1, f);
			fclose(f);
		}
	}
	exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rstw_event e;
	struct report r = { .e = &e };
	struct cause_input in = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (decode_event(data, size, &e) != DECODE_OK)
		return 0;
	in.key = e.key;
	in.reason = (e.key.facts & 1) ? "TCP_STATE" : NULL;
	in.syscall = (e.key.facts & 2) ? "close" : NULL;
	r.cause = cause_attribute(&in);
	if (cause_info(r.cause)->id == NULL)
		abort();
	cause_context(&in, true, r.context, sizeof(r.context));
	r.owner.pid = e.owner.tgid ? (long)e.owner.tgid : -1;
	memcpy(r.owner.comm, e.owner.comm, sizeof(r.owner.comm));
	r.owner.comm[sizeof(r.owner.comm) - 1] = '\0';
	r.realtime_ns = e.ts_boot_ns;
	f = open_memstream(&buf, &len);
	if (!f)
		return 0;
	out_json_event(f, &r);
	fclose(f);
	/* one line of JSON: no raw control byte may get through */
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)buf[i] < 0x20)
			abort();
	if (len == 0 || buf[len - 1] != '\n')
		abort();
	free(buf);
	out_text_event(sink, &r, 0);
	out_text_event(sink, &r, 1);
	return 0;
}
