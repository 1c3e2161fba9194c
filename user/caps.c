// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

#define CAP_LAST 63

static const int keep[] = { CAP_BPF,	   CAP_PERFMON,	   CAP_NET_ADMIN,
			    CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH };

static int kept(int cap)
{
	for (unsigned int i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (keep[i] == cap)
			return 1;
	return 0;
}

int caps_drop_unneeded(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t mask = 0;

	for (unsigned int i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		mask |= 1ull << keep[i];
	/* the bounding set first, while CAP_SETPCAP is still ours */
	for (int cap = 0; cap <= CAP_LAST; cap++) {
		if (kept(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(mask >> (32 * i));

		d[i].effective &= m;
		d[i].permitted &= m;
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	/* no ambient capabilities, and nothing gained through exec */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
