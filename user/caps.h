/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef RSTW_CAPS_H
#define RSTW_CAPS_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>

/* Linux 5.8's capabilities, for headers that predate them */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * The calling thread only: keep the capabilities the running service still
 * uses (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN to attach to new interfaces,
 * CAP_SYS_ADMIN to enter new namespaces, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
 * to find socket owners in /proc) and drop the rest from every set, the
 * bounding set included (when CAP_SETPCAP allows); no new privileges from then
 * on.  The uid stays: reopening the log on SIGHUP needs root's files.  Returns
 * 0, or -errno (then nothing may have been dropped).
 */
int caps_drop_unneeded(void);

/*
 * The calling thread, and the threads it creates from then on, keep only the
 * capabilities in KEEP (a mask of 1 << CAP_*) in every set, bounding set
 * included, with no new privileges; a thread of root also becomes
 * nobody:nogroup with no supplementary groups.  Returns 0 or -errno.
 */
int caps_drop_thread(uint64_t keep);

/*
 * What the HTTP threads keep: CAP_BPF only, to read the maps on a scrape
 * (before Linux 6.5, kernel.unprivileged_bpf_disabled refuses every bpf(2)
 * command, map reads by fd included, to a thread without it).
 */
#define CAPS_HTTP (1ull << CAP_BPF)

#endif
