// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * User-space cost of one event, without the kernel: ring buffer records as
 * the BPF side writes them, through the event loop's own pipeline (decode,
 * attribute, resolve, filter) into the JSON sink, written to a file.
 *
 *   pipeline [-n EVENTS] [-o FILE] [--keep] [--details]
 *
 * Prints one JSON line: CPU ns per event (getrusage: user + system, so the
 * writes count too) and bytes per event.  The mix is a closed-port flood's
 * (a sent closed_port and a received rst_no_socket per reset) plus one reset
 * in eight of an established socket with a tracked owner in this process's
 * own cgroup, so the owner and cgroup lookups are exercised.  make bench runs
 * it; callgrind on it counts instructions where wall clocks are too noisy.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opts.h"
#include "pipeline.h"

#define DEFAULT_EVENTS 1000000ull

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static uint32_t reason_value(const struct reasons *r, const char *name)
{
	for (uint32_t v = 0; v < REASONS_MAX; v++)
		if (r->names[v] && !strcmp(r->names[v], name))
			return v;
	return RSTW_REASON_NONE;
}

/* This process's cgroup v2 id: the inode of its directory in the v2 hierarchy. */
static uint64_t own_cgroup_id(void)
{
	/* hybrid hosts (this VM) mount v2 at unified/, v2-only hosts at the top */
	const char *root = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0 ?
				   "/sys/fs/cgroup/unified" :
				   "/sys/fs/cgroup";
	char line[512], dir[1100];
	FILE *f = fopen("/proc/self/cgroup", "re");
	struct stat st;

	if (!f)
		return 0;
	dir[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(dir, sizeof(dir), "%s%s", root, line + 3);
			break;
		}
	}
	fclose(f);
	return dir[0] && stat(dir, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static void fill_v4(struct rstw_event *e, uint32_t i)
{
	uint8_t l[4] = { 10, 0, 0, 2 }, r[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };

	e->family = 2;
	memcpy(e->laddr, l, 4);
	memcpy(e->raddr, r, 4);
	e->lport = 8080;
	e->rport = (uint16_t)(32768 + i % 28000);
}

int main(int argc, char **argv)
{
	const char *path = "/var/tmp/rstwatch-pipeline.jsonl";
	uint64_t n = DEFAULT_EVENTS, cg = own_cgroup_id(), t0, t1, shown = 0;
	struct reasons reasons;
	struct opts o = { .pid = -1, .port = -1, .netns = -1 };
	struct btf *btf;
	struct stat st;
	uint32_t no_socket;
	bool keep = false; /* --keep: leave the output for a look */
	FILE *out;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			if (!parse_u64(argv[++i], 1, 1ull << 32, &n))
				goto usage;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--keep")) {
			keep = true;
		} else if (!strcmp(argv[i], "--details")) {
			o.details = true;
		} else {
			goto usage;
		}
	}
	btf = btf__load_vmlinux_btf();
	if (!btf || reasons_load(&reasons, btf)) {
		fprintf(stderr, "pipeline: cannot read the kernel's BTF: %s\n", strerror(errno));
		return 1;
	}
	no_socket = reason_value(&reasons, "NO_SOCKET");
	out = fopen(path, "we");
	if (!out) {
		fprintf(stderr, "pipeline: %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* as the event loop: glibc ignores the size unless it is given the buffer */
	static char outbuf[1u << 20];

	setvbuf(out, outbuf, _IOFBF, sizeof(outbuf));
	out_json_set_details(o.details);

	struct pipeline p = { .o = &o,
			      .reasons = &reasons,
			      .ctx_known = true,
			      .boot_to_real_ns = 1790000000000000000ull };
	struct rstw_event rec[8];

	memset(rec, 0, sizeof(rec));
	for (int k = 0; k < 8; k++) {
		struct rstw_event *e = &rec[k];

		e->abi = RSTW_ABI_VERSION;
		e->size = sizeof(*e);
		e->netns = 4026531840u;
		e->syscall_nr = -1;
		e->cur.tgid = e->cur.pid = 4242;
		memcpy(e->cur.comm, "flood", 6);
		fill_v4(e, (uint32_t)k);
		if (k == 7) { /* an established socket with a tracked owner */
			e->state = 1;
			e->cookie = 77;
			e->owner_src = RSTW_OWNER_TRACKED;
			e->owner.tgid = e->owner.pid = (uint32_t)getpid();
			e->owner.cgroup_id = cg;
			memcpy(e->owner.comm, "server", 7);
			e->key = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_RECEIVED, 1, 0,
					     RSTW_SYSC_NONE, RSTW_REASON_NONE, RSTW_EVID_NONE,
					     RSTW_SEEN_NONE);
		} else if (k % 2 == 0) { /* a SYN to a closed port */
			e->reason = no_socket;
			e->tcp_flags = RSTW_TCP_SYN;
			e->key = rstw_key_of(RSTW_KIND_RESET, RSTW_DIR_SENT, 0,
					     RSTW_F_SEGMENT | RSTW_F_SYN, RSTW_SYSC_NONE, no_socket,
					     RSTW_EVID_NONE, RSTW_SEEN_NONE);
		} else { /* its RST, refused by a host with no socket */
			e->tcp_flags = RSTW_TCP_RST | RSTW_TCP_ACK;
			e->key = rstw_key_of(RSTW_KIND_RST_DROPPED, RSTW_DIR_RECEIVED, 0,
					     RSTW_F_SEGMENT, RSTW_SYSC_NONE, RSTW_REASON_NONE,
					     RSTW_EVID_NONE, RSTW_SEEN_NO_SOCKET);
		}
	}

	t0 = cpu_ns();
	for (uint64_t i = 0; i < n; i++) {
		struct rstw_event *src = &rec[i % 8], e;
		struct report r;
		enum decode_status ds;

		src->ts_boot_ns = 1000000000ull + i * 3000ull; /* ~330k events/s */
		if (pipeline_run(&p, src, sizeof(*src), &e, &r, &ds) != PIPE_SHOW)
			continue;
		out_json_event(out, &r);
		shown++;
		if ((i & 16383) == 16383)
			fflush(out); /* as the event loop does once per batch */
	}
	if (fclose(out)) {
		fprintf(stderr, "pipeline: %s: %s\n", path, strerror(errno));
		return 1;
	}
	t1 = cpu_ns();
	if (stat(path, &st) || shown != n) {
		fprintf(stderr, "pipeline: %llu of %llu events written\n",
			(unsigned long long)shown, (unsigned long long)n);
		return 1;
	}
	printf("{\"events\":%llu,\"cpu_ns_per_event\":%.1f,\"bytes_per_event\":%.1f,"
	       "\"details\":%s}\n",
	       (unsigned long long)n, (double)(t1 - t0) / (double)n, (double)st.st_size / (double)n,
	       o.details ? "true" : "false");
	if (!keep)
		unlink(path);
	reasons_free(&reasons);
	btf__free(btf);
	return 0;
usage:
	fprintf(stderr, "usage: pipeline [-n EVENTS] [-o FILE] [--keep] [--details]\n");
	return 2;
}
