// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Who owns the socket that reset.  The task on the CPU is usually someone
 * else (softirq runs on the sender's CPU; timers run anywhere), so the order
 * is: owner tracked in process context by the kernel side; the task itself if
 * the reset happened inside its own syscall on the socket; the socket inode in
 * /proc/PID/fd; else none, said plainly.
 */
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "owner.h"
#include "procfs.h"

const char *owner_source_name(enum owner_source s)
{
	switch (s) {
	case OWNER_TRACKED:
		return "tracked";
	case OWNER_CURRENT:
		return "syscall";
	case OWNER_PROCFS:
		return "procfs";
	case OWNER_LISTENER:
		return "listener";
	case OWNER_NONE:
		break;
	}
	return NULL;
}

void owner_unit_from_cgroup(const char *path, char *unit, size_t len)
{
	const char *best = NULL, *p = path;
	size_t best_len = 0;

	unit[0] = '\0';
	while (p && *p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if ((n > 8 && memcmp(p + n - 8, ".service", 8) == 0) ||
		    (n > 6 && memcmp(p + n - 6, ".scope", 6) == 0)) {
			best = p;
			best_len = n;
		}
		p = slash ? slash + 1 : NULL;
	}
	if (best)
		snprintf(unit, len, "%.*s", (int)best_len, best);
}

/* cgroup v2 id -> path, by walking the cgroup2 mount; results cached. */
#define CG_CACHE 256
static struct {
	uint64_t id;
	char path[256];
} cg_cache[CG_CACHE];
static uint64_t cg_want;
static char cg_found[256];
static char cg_root[PATH_MAX];

static const char *cgroup2_root(void)
{
	char line[1024];
	FILE *f;

	if (cg_root[0])
		return cg_root;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), mnt[PATH_MAX];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(cg_root, sizeof(cg_root), "%s", mnt);
			break;
		}
	}
	fclose(f);
	return cg_root[0] ? cg_root : NULL;
}

static int cg_visit(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && (uint64_t)sb->st_ino == cg_want) {
		const char *rel = fpath + strlen(cg_root);

		snprintf(cg_found, sizeof(cg_found), "%s", *rel ? rel : "/");
		return 1;
	}
	return 0;
}

/* the cache and nftw's globals are shared with the metrics thread */
static pthread_mutex_t cg_lock = PTHREAD_MUTEX_INITIALIZER;

static void cgroup_path_locked(uint64_t id, char *buf, size_t len);

static void cgroup_path(uint64_t id, char *buf, size_t len)
{
	pthread_mutex_lock(&cg_lock);
	cgroup_path_locked(id, buf, len);
	pthread_mutex_unlock(&cg_lock);
}

void owner_service_name(uint64_t cgroup_id, char *buf, size_t len)
{
	char path[256], unit[128];

	if (!cgroup_id) {
		snprintf(buf, len, "none");
		return;
	}
	cgroup_path(cgroup_id, path, sizeof(path));
	if (!path[0]) {
		snprintf(buf, len, "cgroup-%llu", (unsigned long long)cgroup_id);
		return;
	}
	owner_unit_from_cgroup(path, unit, sizeof(unit));
	snprintf(buf, len, "%s", unit[0] ? unit : path);
}

static void cgroup_path_locked(uint64_t id, char *buf, size_t len)
{
	unsigned int slot = (unsigned int)(id % CG_CACHE);
	const char *root;

	buf[0] = '\0';
	if (!id)
		return;
	if (cg_cache[slot].id == id) {
		snprintf(buf, len, "%s", cg_cache[slot].path);
		return;
	}
	root = cgroup2_root();
	if (!root)
		return;
	cg_want = id;
	cg_found[0] = '\0';
	nftw(root, cg_visit, 16, FTW_PHYS | FTW_MOUNT);
	if (!cg_found[0])
		return;
	cg_cache[slot].id = id;
	snprintf(cg_cache[slot].path, sizeof(cg_cache[slot].path), "%s", cg_found);
	snprintf(buf, len, "%s", cg_found);
}

static void from_task(const struct rstw_task *t, struct owner *out)
{
	out->pid = t->tgid;
	snprintf(out->comm, sizeof(out->comm), "%.*s", RSTW_COMM_LEN - 1, t->comm);
	cgroup_path(t->cgroup_id, out->cgroup, sizeof(out->cgroup));
}

void owner_resolve(const struct rstw_event *e, enum rstw_cause cause, const struct cause_input *in,
		   struct owner *out)
{
	memset(out, 0, sizeof(*out));
	out->pid = -1;

	if (e->state == 0) {
		/* no socket, so no owner: never name whoever was on the CPU */
	} else if (e->owner_src == RSTW_OWNER_TRACKED) {
		out->source = OWNER_TRACKED;
		from_task(&e->owner, out);
	} else if (cause_current_is_actor(cause, in)) {
		out->source = OWNER_CURRENT;
		from_task(&e->cur, out);
	} else {
		long pid = e->sk_ino ? procfs_socket_pid(e->sk_ino) : -1;

		if (pid > 0 && procfs_comm(pid, out->comm, sizeof(out->comm))) {
			out->source = OWNER_PROCFS;
			out->pid = pid;
			procfs_cgroup(pid, out->cgroup, sizeof(out->cgroup));
		} else if (e->owner_src == RSTW_OWNER_LISTENER) {
			out->source = OWNER_LISTENER;
			from_task(&e->owner, out);
		}
	}
	owner_unit_from_cgroup(out->cgroup, out->unit, sizeof(out->unit));
}

void owner_last_listener_text(const struct rstw_event *e, char *buf, size_t len)
{
	char comm[RSTW_COMM_LEN];

	buf[0] = '\0';
	if (e->owner_src != RSTW_OWNER_LAST_LISTENER)
		return;
	snprintf(comm, sizeof(comm), "%.*s", RSTW_COMM_LEN - 1, e->owner.comm);
	if (!e->last_listener_closed_ns)
		snprintf(buf, len, "%s[%u] listens on port %u, but not on this address", comm,
			 e->owner.tgid, e->lport);
	else if (e->ts_boot_ns >= e->last_listener_closed_ns)
		snprintf(buf, len, "last listener %s[%u] stopped %.1f s before", comm,
			 e->owner.tgid, (double)(e->ts_boot_ns - e->last_listener_closed_ns) / 1e9);
}
