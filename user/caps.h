/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_CAPS_H
#define RSTW_CAPS_H

#include <linux/capability.h>

/* Linux 5.8's capabilities, for headers that predate them */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * After everything is attached: keep only the capabilities the running service
 * still uses (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN to attach to new interfaces,
 * CAP_SYS_ADMIN to enter new namespaces, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
 * to find socket owners in /proc) and drop the rest from every set, the
 * bounding set included; no new privileges from then on.  Returns 0, or
 * -errno (then nothing may have been dropped).
 */
int caps_drop_unneeded(void);

#endif
