/*
 * runcaps - run a program as another user with only some capabilities.
 *
 *   runcaps UID[:GID] CAPLIST -- PROG [ARGS...]
 *
 * Switches to UID and GID (GID defaults to UID), with no supplementary
 * groups, keeping exactly the capabilities in CAPLIST as permitted,
 * effective, inheritable and ambient, then execs PROG (searched in PATH).
 * The ambient set is what carries the capabilities across exec for a
 * program that has no file capabilities.  CAPLIST is a comma-separated list
 * of names, with or without the "cap_" prefix, in any case (bpf,perfmon,
 * net_admin or CAP_BPF), or capability numbers; "none" or "" keeps none.
 *
 * Must start as root (or with CAP_SETUID, CAP_SETGID, CAP_SETPCAP and the
 * capabilities asked for).  Errors: one line on stderr, exit status 127 when
 * PROG could not be run, 2 for bad usage, 1 for any other failure.  Used by
 * the kernel guest tests, whose busybox has no setpriv with ambient support.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Capability names by number, as in linux/capability.h (lower case, no prefix). */
static const char *const cap_names[] = {
	"chown",
	"dac_override",
	"dac_read_search",
	"fowner",
	"fsetid",
	"kill",
	"setgid",
	"setuid",
	"setpcap",
	"linux_immutable",
	"net_bind_service",
	"net_broadcast",
	"net_admin",
	"net_raw",
	"ipc_lock",
	"ipc_owner",
	"sys_module",
	"sys_rawio",
	"sys_chroot",
	"sys_ptrace",
	"sys_pacct",
	"sys_admin",
	"sys_boot",
	"sys_nice",
	"sys_resource",
	"sys_time",
	"sys_tty_config",
	"mknod",
	"lease",
	"audit_write",
	"audit_control",
	"setfcap",
	"mac_override",
	"mac_admin",
	"syslog",
	"wake_alarm",
	"block_suspend",
	"audit_read",
	"perfmon",
	"bpf",
	"checkpoint_restore",
};

#define N_CAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("runcaps: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(const char *why)
{
	fprintf(stderr, "runcaps: %s (usage: runcaps UID[:GID] CAPLIST -- PROG [ARGS...])\n", why);
	exit(2);
}

static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *out >= UINT32_MAX ? -1 : 0;
}

/* One capability name or number; -1 if unknown. */
static int cap_from_name(const char *s)
{
	unsigned long n;
	int i;

	if (!parse_id(s, &n))
		return n < 64 ? (int)n : -1;
	if (!strncasecmp(s, "cap_", 4))
		s += 4;
	for (i = 0; i < N_CAPS; i++) {
		if (!strcasecmp(s, cap_names[i]))
			return i;
	}
	return -1;
}

static uint64_t parse_caps(const char *list)
{
	char buf[1024], *tok, *save = NULL;
	uint64_t mask = 0;
	int cap;

	if (!*list || !strcasecmp(list, "none"))
		return 0;
	if (strlen(list) >= sizeof(buf))
		usage("capability list too long");
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		cap = cap_from_name(tok);
		if (cap < 0) {
			fprintf(stderr, "runcaps: unknown capability '%s'\n", tok);
			exit(2);
		}
		mask |= 1ull << cap;
	}
	return mask;
}

static void set_caps(uint64_t mask)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int i;

	for (i = 0; i < 2; i++) {
		data[i].permitted = (uint32_t)(mask >> (32 * i));
		data[i].effective = data[i].permitted;
		data[i].inheritable = data[i].permitted;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset: %s", strerror(errno));
	for (i = 0; i < 64; i++) {
		if (!(mask & (1ull << i)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			die("raising ambient capability %d (%s): %s", i,
			    i < N_CAPS ? cap_names[i] : "?", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	unsigned long uid, gid;
	char *colon;
	uint64_t mask;

	if (argc < 5 || strcmp(argv[3], "--"))
		usage("missing arguments");
	colon = strchr(argv[1], ':');
	if (colon)
		*colon = '\0';
	if (parse_id(argv[1], &uid))
		usage("invalid UID");
	gid = uid;
	if (colon && parse_id(colon + 1, &gid))
		usage("invalid GID");
	mask = parse_caps(argv[2]);

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die("PR_SET_KEEPCAPS: %s", strerror(errno));
	if (setgroups(0, NULL) < 0)
		die("setgroups: %s", strerror(errno));
	if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0)
		die("setgid %lu: %s", gid, strerror(errno));
	if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
		die("setuid %lu: %s", uid, strerror(errno));
	set_caps(mask);

	execvp(argv[4], argv + 4);
	fprintf(stderr, "runcaps: cannot run %s: %s\n", argv[4], strerror(errno));
	return 127;
}
