// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ring buffer records are validated before anything reads them: a record from
 * a different build, or a truncated one, is rejected and counted, never used.
 */
#include <string.h>

#include "decode.h"
#include "key.h"

enum decode_status decode_event(const void *data, size_t len, struct rstw_event *out)
{
	struct rstw_event e;

	if (!data || len < 4)
		return DECODE_SHORT;
	memcpy(&e, data, 4);
	if (e.abi != RSTW_ABI_VERSION)
		return DECODE_ABI;
	if (e.size != sizeof(e) || len < sizeof(e))
		return DECODE_SHORT;
	memcpy(&e, data, sizeof(e));
	if (e.family != 2 && e.family != 10 && e.family != 0)
		return DECODE_BAD;
	if (!key_valid(&e.key) || e.key.state != e.state)
		return DECODE_BAD;
	if (e.owner_src > RSTW_OWNER_LAST_LISTENER)
		return DECODE_BAD;
	/* comm from the kernel is NUL-terminated; never trust that */
	e.owner.comm[RSTW_COMM_LEN - 1] = '\0';
	e.cur.comm[RSTW_COMM_LEN - 1] = '\0';
	*out = e;
	return DECODE_OK;
}

const char *decode_status_str(enum decode_status s)
{
	switch (s) {
	case DECODE_OK:
		return "ok";
	case DECODE_SHORT:
		return "truncated record";
	case DECODE_ABI:
		return "unknown event ABI version";
	case DECODE_BAD:
		return "field out of range";
	}
	return "?";
}
