// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Who owns the socket that reset.  The task on the CPU is usually someone
 * else (softirq runs on the sender's CPU; timers run anywhere), so the order
 * is: owner tracked in process context by the kernel side; the task itself if
 * the reset happened inside its own syscall on the socket; the socket inode in
 * /proc/PID/fd; else none, said plainly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/*
 * cgroup v2 id -> path.  The id is the cgroup directory's kernfs node id, and
 * kernfs takes it back as a file handle (FILEID_KERNFS): open_by_handle_at()
 * on the cgroup2 mount opens the cgroup directly, /proc/self/fd names it.  A
 * removed cgroup answers ESTALE.  No tree walk, whatever the host's size.
 * Needs CAP_DAC_READ_SEARCH, which serve and the stream keep.
 */
#define FILEID_KERNFS 0xfe
#define CG_CACHE 4096 /* slots, direct-mapped by id */
#define CG_RECHECK_NS 10000000000ull /* a live cgroup is checked again after 10 s */
#define CG_UNKNOWN_RETRY_NS 10000000000ull

struct cg_slot {
	uint64_t id;
	enum cgroup_state state;
	uint64_t checked_ns;
	char path[256]; /* for a gone cgroup: its last known path */
};

static struct cg_slot cg_cache[CG_CACHE];
/* guards cg_cache only: lookups happen outside it, so no thread waits on I/O */
static pthread_mutex_t cg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cg_once = PTHREAD_ONCE_INIT;
static char cg_root[PATH_MAX];
static int cg_mount_fd = -1;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The cgroup2 mount: /sys/fs/cgroup on v2 hosts, /sys/fs/cgroup/unified on hybrid ones. */
static void cgroup2_open(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
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
	if (cg_root[0])
		cg_mount_fd = open(cg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Ask the kernel: CGROUP_ALIVE with the path relative to the mount, or GONE, or UNKNOWN. */
static enum cgroup_state cgroup_ask(uint64_t id, char *path, size_t len)
{
	union {
		struct file_handle fh;
		char bytes[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	char link[64], full[PATH_MAX];
	size_t root_len = strlen(cg_root);
	ssize_t n;
	int fd;

	pthread_once(&cg_once, cgroup2_open);
	if (cg_mount_fd < 0)
		return CGROUP_UNKNOWN;
	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cg_mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE || errno == ENOENT ? CGROUP_GONE : CGROUP_UNKNOWN;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	close(fd);
	if (n <= 0)
		return CGROUP_UNKNOWN;
	full[n] = '\0';
	if (n > 10 && strcmp(full + n - 10, " (deleted)") == 0)
		return CGROUP_GONE; /* removed between open and readlink */
	if (strncmp(full, cg_root, root_len) != 0)
		return CGROUP_UNKNOWN;
	snprintf(path, len, "%s", full[root_len] ? full + root_len : "/");
	return CGROUP_ALIVE;
}

enum cgroup_state owner_cgroup_lookup(uint64_t id, char *buf, size_t len)
{
	struct cg_slot *slot = &cg_cache[id % CG_CACHE], fresh;
	uint64_t now = mono_ns();
	bool cached = false;

	buf[0] = '\0';
	if (!id)
		return CGROUP_UNKNOWN;
	pthread_mutex_lock(&cg_lock);
	if (slot->id == id) {
		fresh = *slot;
		/* ids are never reused: gone stays gone */
		cached =
			fresh.state == CGROUP_GONE ||
			now - fresh.checked_ns <
				(fresh.state == CGROUP_ALIVE ? CG_RECHECK_NS : CG_UNKNOWN_RETRY_NS);
	} else {
		memset(&fresh, 0, sizeof(fresh));
	}
	pthread_mutex_unlock(&cg_lock);
	if (!cached) {
		char path[sizeof(fresh.path)];
		enum cgroup_state st = cgroup_ask(id, path, sizeof(path));

		if (st == CGROUP_ALIVE)
			memcpy(fresh.path, path, sizeof(path));
		else if (fresh.id != id || fresh.state == CGROUP_UNKNOWN)
			fresh.path[0] = '\0';
		fresh.id = id;
		fresh.state = st;
		fresh.checked_ns = now;
		pthread_mutex_lock(&cg_lock);
		*slot = fresh;
		pthread_mutex_unlock(&cg_lock);
	}
	snprintf(buf, len, "%s", fresh.path);
	return fresh.state;
}

enum cgroup_state owner_cgroup_cached(uint64_t id, char *buf, size_t len)
{
	const struct cg_slot *slot = &cg_cache[id % CG_CACHE];
	enum cgroup_state st = CGROUP_PENDING;

	buf[0] = '\0';
	if (!id)
		return CGROUP_UNKNOWN;
	pthread_mutex_lock(&cg_lock);
	if (slot->id == id) {
		st = slot->state;
		snprintf(buf, len, "%s", slot->path);
	}
	pthread_mutex_unlock(&cg_lock);
	return st;
}

static void cgroup_path(uint64_t id, char *buf, size_t len)
{
	if (owner_cgroup_lookup(id, buf, len) != CGROUP_ALIVE)
		buf[0] = '\0';
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
