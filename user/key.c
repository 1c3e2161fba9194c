// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One decoder for the fact key: attribution and the sinks ask it, never the fields' kinds. */
#include <stddef.h>

#include "key.h"

/* What each enum rstw_seen value is: the kind it belongs to, its cause and reason. */
static const struct {
	enum rstw_kind kind;
	enum rstw_cause cause;
	const char *reason; /* the kfree_skb reason a drop was selected by; NULL: none */
} seen_info[RSTW_SEEN__COUNT] = {
	[RSTW_SEEN_NONE] = { RSTW_KIND_RESET, CAUSE_UNKNOWN, NULL },
	[RSTW_SEEN_LISTEN_OVERFLOW] = { RSTW_KIND_LISTEN_DROP, CAUSE_LISTEN_DROP,
					"TCP_LISTEN_OVERFLOW" },
	[RSTW_SEEN_CHALLENGED] = { RSTW_KIND_RST_DROPPED, CAUSE_RST_CHALLENGED, "TCP_RESET" },
	[RSTW_SEEN_OUT_OF_WINDOW] = { RSTW_KIND_RST_DROPPED, CAUSE_RST_OUT_OF_WINDOW,
				      "TCP_INVALID_SEQUENCE" },
	[RSTW_SEEN_NO_SOCKET] = { RSTW_KIND_RST_DROPPED, CAUSE_RST_NO_SOCKET, "NO_SOCKET" },
	/* seen on the wire: the kernel gave no reason */
	[RSTW_SEEN_FOREIGN_RST] = { RSTW_KIND_WIRE, CAUSE_FIREWALL_REJECT, NULL },
	[RSTW_SEEN_TW_KILLED] = { RSTW_KIND_WIRE, CAUSE_RST_TIMEWAIT, NULL },
	[RSTW_SEEN_TW_KEPT] = { RSTW_KIND_WIRE, CAUSE_RST_TIMEWAIT, NULL },
};

/* K's seen entry, if it belongs to K's kind; NULL otherwise. */
static const __typeof__(seen_info[0]) *seen_of(const struct rstw_key *k)
{
	if (k->seen >= RSTW_SEEN__COUNT || seen_info[k->seen].kind != k->kind)
		return NULL;
	return &seen_info[k->seen];
}

bool key_valid(const struct rstw_key *k)
{
	if (k->kind > RSTW_KIND_WIRE || k->dir > RSTW_DIR_RECEIVED || k->state > 15 ||
	    k->sysclass >= RSTW_SYSC__COUNT || k->evidence >= RSTW_EVID__COUNT || !seen_of(k))
		return false;
	/* evidence stands in for a reason the kernel did not give; only resets have either */
	if (k->kind != RSTW_KIND_RESET && k->reason != RSTW_REASON_NONE)
		return false;
	return k->evidence == RSTW_EVID_NONE ||
	       (k->kind == RSTW_KIND_RESET && k->reason == RSTW_REASON_NONE);
}

enum rstw_cause key_seen_cause(const struct rstw_key *k)
{
	return seen_of(k) ? seen_of(k)->cause : CAUSE_UNKNOWN;
}

const char *key_reason_name(const struct reasons *r, const struct rstw_key *k)
{
	if (k->kind == RSTW_KIND_RESET)
		return reasons_name(r, k->reason);
	return seen_of(k) ? seen_of(k)->reason : NULL;
}

const char *key_kind_name(const struct rstw_key *k)
{
	switch (k->kind) {
	case RSTW_KIND_LISTEN_DROP:
		return "listen_drop";
	case RSTW_KIND_RST_DROPPED:
		return "reset_dropped";
	case RSTW_KIND_WIRE:
		return "wire";
	}
	return "reset";
}

int key_cmp(const struct rstw_key *a, const struct rstw_key *b)
{
	const __u8 fa[] = { a->kind,	 a->dir,    a->state,	 a->facts,
			    a->sysclass, a->reason, a->evidence, a->seen };
	const __u8 fb[] = { b->kind,	 b->dir,    b->state,	 b->facts,
			    b->sysclass, b->reason, b->evidence, b->seen };

	for (unsigned int i = 0; i < sizeof(fa); i++)
		if (fa[i] != fb[i])
			return fa[i] < fb[i] ? -1 : 1;
	return 0;
}
