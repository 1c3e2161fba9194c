// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Dropping privileges, one thread at a time.  Linux keeps credentials per
 * thread: capset(2), PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS and the raw
 * set*id(2) system calls change only the calling thread, and a thread starts
 * with a copy of its creator's.  So every call here is the raw system call
 * (glibc's setresuid() would change every thread at once).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

#define CAP_LAST 63
/* the kernel's overflow ids: nobody and nogroup on Debian */
#define NOBODY_UID 65534
#define NOGROUP_GID 65534

static const int service_caps[] = { CAP_BPF,	   CAP_PERFMON,	   CAP_NET_ADMIN,
				    CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH };

static uint64_t mask_of(const int *caps, unsigned int n)
{
	uint64_t mask = 0;

	for (unsigned int i = 0; i < n; i++)
		mask |= 1ull << caps[i];
	return mask;
}

static int cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &hdr, d) ? -errno : 0;
}

static bool cap_in(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* The bounding set needs CAP_SETPCAP; without it (an unprivileged user with
 * file or ambient capabilities), no-new-privileges stands in for it. */
static int drop_bounding(uint64_t keep)
{
	struct __user_cap_data_struct d[2];
	int err = cap_get(d);

	if (err)
		return err;
	if (!cap_in(d, CAP_SETPCAP))
		return 0;
	for (int cap = 0; cap <= CAP_LAST; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* Effective and permitted become what they were, masked; no inheritable. */
static int set_caps(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int err = cap_get(d);

	if (err)
		return err;
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(keep >> (32 * i));

		d[i].permitted &= m;
		d[i].effective = d[i].permitted;
		d[i].inheritable = 0;
	}
	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}

/* root's uid owns most of the system's files: a thread that needs none of
 * them becomes nobody, keeping (through PR_SET_KEEPCAPS) its permitted set. */
static int leave_root(void)
{
	struct __user_cap_data_struct d[2];
	int err = cap_get(d);

	if (err)
		return err;
	if (geteuid() != 0 || !cap_in(d, CAP_SETUID) || !cap_in(d, CAP_SETGID))
		return 0; /* not root, or a root that cannot change: nothing to leave */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || syscall(SYS_setgroups, 0, NULL) ||
	    syscall(SYS_setresgid, NOGROUP_GID, NOGROUP_GID, NOGROUP_GID) ||
	    syscall(SYS_setresuid, NOBODY_UID, NOBODY_UID, NOBODY_UID))
		err = -errno;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return err;
}

static int drop_to(uint64_t keep, bool as_nobody)
{
	int err = drop_bounding(keep);

	if (!err && as_nobody)
		err = leave_root();
	if (!err)
		err = set_caps(keep);
	if (err)
		return err;
	/* no ambient capabilities, and nothing gained through exec */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0;
}

int caps_drop_unneeded(void)
{
	return drop_to(mask_of(service_caps, sizeof(service_caps) / sizeof(service_caps[0])),
		       false);
}

int caps_drop_thread(uint64_t keep)
{
	return drop_to(keep, true);
}
