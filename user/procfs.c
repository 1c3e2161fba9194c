// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What /proc says about a process, and which process holds a socket. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

void procfs_cgroup(long pid, char *buf, size_t len)
{
	char path[64], line[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 3);
			break;
		}
	}
	fclose(f);
}

bool procfs_comm(long pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/*
 * Socket inode -> pid, from one walk over /proc/PID/fd that indexes every
 * socket at once.  A miss rebuilds the index at most once a second, so a burst
 * of resets on unknown sockets costs one walk, not one per reset.
 */
#define SOCK_INDEX_SIZE (1u << 17) /* slots; power of two */
#define SOCK_INDEX_MAX_AGE_NS 1000000000ull

struct sock_slot {
	uint32_t ino;
	int32_t pid;
};

static struct sock_slot *sock_index;
static uint64_t sock_index_built_ns;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sock_slot *sock_slot_of(uint32_t ino)
{
	uint32_t h = (ino * 2654435761u) & (SOCK_INDEX_SIZE - 1);

	/* linear probing; the table is never more than half full */
	while (sock_index[h].ino && sock_index[h].ino != ino)
		h = (h + 1) & (SOCK_INDEX_SIZE - 1);
	return &sock_index[h];
}

static void sock_index_build(void)
{
	char path[300], link[64];
	struct dirent *pd, *fd;
	unsigned int used = 0;
	DIR *proc, *fds;

	memset(sock_index, 0, SOCK_INDEX_SIZE * sizeof(*sock_index));
	sock_index_built_ns = mono_ns();
	proc = opendir("/proc");
	if (!proc)
		return;
	while ((pd = readdir(proc)) && used < SOCK_INDEX_SIZE / 2) {
		char *end;
		long pid = strtol(pd->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fd = readdir(fds)) && used < SOCK_INDEX_SIZE / 2) {
			unsigned int ino;
			ssize_t n;

			if (fd->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%ld/fd/%s", pid, fd->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (sscanf(link, "socket:[%u]", &ino) == 1 && ino) {
				struct sock_slot *s = sock_slot_of(ino);

				if (!s->ino)
					used++;
				s->ino = ino;
				s->pid = (int32_t)pid;
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

long procfs_socket_pid(uint32_t ino)
{
	struct sock_slot *s;

	if (!sock_index) {
		sock_index = calloc(SOCK_INDEX_SIZE, sizeof(*sock_index));
		if (!sock_index)
			return -1;
	}
	s = sock_slot_of(ino);
	if (s->ino == ino)
		return s->pid;
	if (mono_ns() - sock_index_built_ns < SOCK_INDEX_MAX_AGE_NS && sock_index_built_ns)
		return -1;
	sock_index_build();
	s = sock_slot_of(ino);
	return s->ino == ino ? s->pid : -1;
}
