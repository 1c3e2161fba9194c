// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The exit summary (user/summary.c): the text people read, and the same facts as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "summary.h"

static const struct run_summary sample = {
	.by_cause = { [0] = { [CAUSE_CLOSED_PORT] = 300, [CAUSE_ABORT_ON_CLOSE] = 2 },
		      [1] = { [CAUSE_REFUSED] = 299 } },
	.total = 601,
	.shown = 30,
	.lost = 571,
	.malformed = 1,
	.map_lost = { [RSTW_MAP_COUNTS] = 2, [RSTW_MAP_OWNERS] = 5 },
};

/* summary_write into memory; which of the two forms is asked for */
static char *write_form(const struct run_summary *s, bool plain)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	summary_write(s, plain ? f : NULL, plain ? NULL : f);
	fclose(f);
	return buf;
}

TEST(summary_text)
{
	char *t = write_form(&sample, true);

	CHECK_EQ_STR(t, "\nResets by cause (all namespaces, exact kernel counts): 601\n"
			"  sent      closed_port                 300\n"
			"  sent      abort_on_close                2\n"
			"  received  refused                     299\n"
			"Events shown: 30, lost (ring buffer full): 571, malformed: 1\n"
			"Map entries lost (map full): counts 2 owners 5 (the counts above are not "
			"exact)\n");
	free(t);
}

TEST(summary_json_has_the_same_facts)
{
	char *j = write_form(&sample, false);

	CHECK_EQ_STR(j, "{\"resets\":{\"total\":601,\"sent\":{\"closed_port\":300,"
			"\"abort_on_close\":2},\"received\":{\"refused\":299}},"
			"\"events\":{\"shown\":30,\"lost\":571,\"malformed\":1},"
			"\"map_lost\":{\"counts\":2,\"service_counts\":0,\"wire_counts\":0,"
			"\"owners\":5,\"sk_owners\":0,\"listeners\":0}}\n");
	free(j);
}

TEST(summary_json_of_nothing_is_complete)
{
	/* no resets: empty objects and zeros, every key still there */
	struct run_summary none = {};
	char *j = write_form(&none, false);

	CHECK_EQ_STR(j, "{\"resets\":{\"total\":0,\"sent\":{},\"received\":{}},"
			"\"events\":{\"shown\":0,\"lost\":0,\"malformed\":0},"
			"\"map_lost\":{\"counts\":0,\"service_counts\":0,\"wire_counts\":0,"
			"\"owners\":0,\"sk_owners\":0,\"listeners\":0}}\n");
	free(j);
}

TEST(summary_open_refuses_a_symlink)
{
	char dir[] = "/tmp/rstw-summary-XXXXXX", link[64], target[64];
	FILE *f;

	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	CHECK_EQ_INT(symlink(target, link), 0);
	f = summary_open(link);
	if (!CHECK(f == NULL))
		fclose(f);
	CHECK(access(target, F_OK) != 0);
	f = summary_open(target);
	if (CHECK(f != NULL))
		fclose(f);
	unlink(link);
	unlink(target);
	rmdir(dir);
}
