// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe -> choose programs (set_autoload) -> load -> attach.  Hooks are chosen
 * by what the running kernel's BTF offers, never by its version number.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cause.h"
#include "loader.h"
#include "maps.h"
#include "opts.h"
#include "log.h"
#include "resets.skel.h"
#include "resets_compat.skel.h"
#include "syscalls.h"

/* the smallest ring buffer: one page */
#define RINGBUF_COUNT_ONLY_BYTES 4096

static int verbose_level;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && verbose_level < 2)
		return 0;
	if (level == LIBBPF_INFO && verbose_level < 1)
		return 0;
	if (level == LIBBPF_WARN && verbose_level < 1)
		return 0; /* our own one-line messages say what failed */
	return vfprintf(stderr, fmt, ap);
}

static bool cap_effective(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

bool loader_has_capability(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	return syscall(SYS_capget, &hdr, d) == 0 && cap_effective(d, cap);
}

const char *loader_missing_capability(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &hdr, d))
		return "CAP_BPF";
	if (cap_effective(d, CAP_SYS_ADMIN))
		return NULL;
	if (!cap_effective(d, CAP_BPF))
		return "CAP_BPF";
	if (!cap_effective(d, CAP_PERFMON))
		return "CAP_PERFMON";
	return NULL;
}

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf__find_by_name_kind(btf, name, kind) > 0;
}

static bool has_tracepoint(const struct btf *btf, const char *tp)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf_has(btf, name, BTF_KIND_TYPEDEF);
}

/* Value of an enumerator, or -1. */
long long loader_btf_enum_value(const struct btf *btf, const char *enum_name, const char *value)
{
	int id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, e[i].name_off), value) == 0)
			return (uint32_t)e[i].val;
	return -1;
}

/* Number of arguments of a tracepoint as tp_btf sees it, or -1. */
static int tracepoint_nargs(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type); /* pointer */
	if (!btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1; /* the first is the tracepoint's own data pointer */
}

/* The task-stack test of bpf/core_fixes.bpf.h: x86-64 and bpf_task_pt_regs. */
static bool task_ctx_supported(const struct btf *btf)
{
#if defined(__x86_64__)
	return loader_btf_enum_value(btf, "bpf_func_id", "BPF_FUNC_task_pt_regs") >= 0;
#else
	(void)btf;
	return false;
#endif
}

const char *loader_rung_name(enum send_rung r)
{
	static const char *const names[] = { "tracepoint", "fentry", "kprobe", "partial" };

	return r <= RUNG_PARTIAL ? names[r] : "?";
}

/*
 * Do BPF trampolines work here?  Load and attach an empty fentry program on
 * FUNC.  Some kernels lack them (no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS
 * on that arch), others refuse them (lockdown, hypervisor policy: EPERM).
 */
static int fentry_works(const struct btf *btf, const char *func)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, popts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC), fd, link, err;

	if (id < 0)
		return -ENOENT;
	popts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "rstwatch_probe", "GPL", insns, 2, &popts);
	if (fd < 0)
		return -errno;
	link = bpf_raw_tracepoint_open(NULL, fd);
	err = link < 0 ? -errno : 0;
	if (link >= 0)
		close(link);
	close(fd);
	return err;
}

bool loader_wire_knows_netns(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) >= 0;
}

/*
 * The skeleton, opened on the object that suits this kernel: the compat
 * object (same programs, maps and .rodata, no kfunc extern) where the kernel
 * lacks bpf_cast_to_kern_ctx.  Both are bound to the skeleton by name.
 */
static struct resets_bpf *open_object(const struct btf *btf, const struct bpf_object_open_opts *o)
{
	struct resets_bpf *skel;
	int err;

	if (loader_wire_knows_netns(btf))
		return resets_bpf__open_opts(o);
	skel = calloc(1, sizeof(*skel));
	if (!skel)
		return NULL;
	err = resets_bpf__create_skeleton(skel);
	if (!err) {
		skel->skeleton->data =
			(void *)resets_compat_bpf__elf_bytes(&skel->skeleton->data_sz);
		err = bpf_object__open_skeleton(skel->skeleton, o);
	}
	if (err) {
		resets_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	log_info("no bpf_cast_to_kern_ctx kfunc in this kernel: wire counts are labelled "
		 "netns 0");
	return skel;
}

/*
 * May tracing programs call bpf_get_socket_cookie (Linux 5.12+)?  Load one
 * that does.  Only a verifier refusal (EINVAL) says no; anything else (no
 * privilege, no such tracepoint) is left for the real load to report.
 */
static bool cookie_helper_works(const struct btf *btf)
{
	const struct bpf_insn insns[] = {
		/* r1 = the tracepoint's first argument, the socket */
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_1 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_socket_cookie },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, popts, .expected_attach_type = BPF_TRACE_RAW_TP);
	int id = btf__find_by_name_kind(btf, "btf_trace_tcp_receive_reset", BTF_KIND_TYPEDEF);
	int fd;

	if (id < 0)
		return true;
	popts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "rstwatch_probe", "GPL", insns, 4, &popts);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != EINVAL;
}

/*
 * May tracing programs keep state on a socket (bpf_sk_storage_get, 5.11+)?
 * Load one that does, on the owner-tracking tracepoint, with a socket-local
 * storage map of its own.  *why says why not.
 */
static bool sk_storage_works(const struct btf *vmlinux, char *why, size_t len)
{
	int id = btf__find_by_name_kind(vmlinux, "btf_trace_inet_sock_set_state", BTF_KIND_TYPEDEF);
	int map_fd = -1, fd = -1, int_id;
	struct btf *btf = NULL;
	bool ok = false;

	if (id < 0) {
		snprintf(why, len, "no inet_sock_set_state tracepoint");
		return false;
	}
	btf = btf__new_empty();
	int_id = btf ? btf__add_int(btf, "int", 4, BTF_INT_SIGNED) : -ENOMEM;
	if (int_id < 0 || btf__load_into_kernel(btf)) {
		snprintf(why, len, "cannot load BTF: %s", strerror(errno));
		goto out;
	}
	{
		LIBBPF_OPTS(bpf_map_create_opts, mopts, .btf_fd = btf__fd(btf),
			    .btf_key_type_id = int_id, .btf_value_type_id = int_id,
			    .map_flags = BPF_F_NO_PREALLOC);

		map_fd = bpf_map_create(BPF_MAP_TYPE_SK_STORAGE, "rstw_probe", 4, 4, 0, &mopts);
	}
	if (map_fd < 0) {
		snprintf(why, len, "no socket-local storage maps: %s", strerror(errno));
		goto out;
	}
	{
		const struct bpf_insn insns[] = {
			/* bpf_sk_storage_get(map, the tracepoint's first argument, NULL, 0) */
			{ .code = BPF_LDX | BPF_MEM | BPF_DW,
			  .dst_reg = BPF_REG_2,
			  .src_reg = BPF_REG_1 },
			{ .code = BPF_LD | BPF_DW | BPF_IMM,
			  .dst_reg = BPF_REG_1,
			  .src_reg = BPF_PSEUDO_MAP_FD,
			  .imm = map_fd },
			{ 0 },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = 0 },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_4, .imm = 0 },
			{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_sk_storage_get },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		LIBBPF_OPTS(bpf_prog_load_opts, popts, .expected_attach_type = BPF_TRACE_RAW_TP,
			    .attach_btf_id = id);

		char vlog[1024] = "";

		popts.log_buf = vlog;
		popts.log_size = sizeof(vlog);
		popts.log_level = verbose_level >= 1;
		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "rstwatch_probe", "GPL", insns,
				   sizeof(insns) / sizeof(insns[0]), &popts);
		if (fd < 0 && vlog[0])
			log_info("socket storage probe: %s", vlog);
	}
	ok = fd >= 0;
	if (!ok)
		snprintf(why, len, "not from tracing programs (Linux 5.11+): %s", strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (map_fd >= 0)
		close(map_fd);
	btf__free(btf);
	return ok;
}

/* A number from the first line of FILE, or 0. */
static uint64_t file_u64(const char *path, const char *prefix)
{
	char line[256];
	uint64_t v = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			v = strtoull(line + strlen(prefix), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Every keyed map's capacity: the host's default, or --map-entries. */
static void size_maps(struct loader *l, const struct opts *o)
{
	struct maps_host h = {
		.ncpu = libbpf_num_possible_cpus(),
		.mem_kib = file_u64("/proc/meminfo", "MemTotal:"),
		.tw_buckets = file_u64("/proc/sys/net/ipv4/tcp_max_tw_buckets", ""),
		.owners_on_socket = l->owners_on_socket,
	};
	struct bpf_map *maps[RSTW_MAP__COUNT] = {
		[RSTW_MAP_COUNTS] = l->skel->maps.counts,
		[RSTW_MAP_SERVICE_COUNTS] = l->skel->maps.service_counts,
		[RSTW_MAP_WIRE_COUNTS] = l->skel->maps.wire_counts,
		[RSTW_MAP_OWNERS] = l->skel->maps.owners,
		[RSTW_MAP_LISTENERS] = l->skel->maps.listeners,
	};

	maps_default_entries(&h, l->map_entries);
	for (int m = 0; m < RSTW_MAP__COUNT; m++) {
		if (!maps_sized(m))
			continue;
		if (o->map_entries[m])
			l->map_entries[m] = o->map_entries[m];
		bpf_map__set_max_entries(maps[m], l->map_entries[m]);
	}
}

/* The BPF side's syscall number -> class table, from user/cause.c's sets. */
static void fill_syscall_classes(struct loader *l)
{
	for (int nr = 0; nr < RSTW_SYSCALL_TABLE; nr++)
		l->skel->rodata->syscall_class[nr] = (uint8_t)cause_syscall_class(syscall_name(nr));
}

/* Choose how resets without a full socket are seen; sets autoload. */
static int choose_rung(struct loader *l, int fallback)
{
	struct resets_bpf *sk = l->skel;
	bool v6 = btf__find_by_name_kind(l->vmlinux, "tcp_v6_send_reset", BTF_KIND_FUNC) >= 0;
	int err;

	l->rung = RUNG_TRACEPOINT;
	/* the tracepoint got its own event class when it began to fire for every reset */
	if (btf__find_by_name_kind(l->vmlinux, "trace_event_raw_tcp_send_reset", BTF_KIND_STRUCT) <
	    0) {
		if (fallback != FALLBACK_KPROBE) {
			err = fentry_works(l->vmlinux, "tcp_v4_send_reset");
			if (!err) {
				l->rung = RUNG_FENTRY;
			} else if (fallback == FALLBACK_FENTRY) {
				log_err("--fallback fentry: BPF trampolines do not work here "
					"(tcp_v4_send_reset: %s)",
					strerror(-err));
				return -1;
			} else {
				snprintf(l->rung_why, sizeof(l->rung_why), "%s", strerror(-err));
			}
		}
		if (l->rung == RUNG_TRACEPOINT)
			l->rung = RUNG_KPROBE;
	}
	bpf_program__set_autoload(sk->progs.send_reset_v4_fentry, l->rung == RUNG_FENTRY);
	bpf_program__set_autoload(sk->progs.send_reset_v6_fentry, l->rung == RUNG_FENTRY && v6);
	bpf_program__set_autoload(sk->progs.send_reset_v4_kprobe, l->rung == RUNG_KPROBE);
	bpf_program__set_autoload(sk->progs.send_reset_v6_kprobe, l->rung == RUNG_KPROBE && v6);
	/* kprobes may be missing or refused: attached by hand, see attach_rung() */
	bpf_program__set_autoattach(sk->progs.send_reset_v4_kprobe, false);
	bpf_program__set_autoattach(sk->progs.send_reset_v6_kprobe, false);
	if (l->rung != RUNG_TRACEPOINT && !v6)
		log_info("no tcp_v6_send_reset in this kernel: IPv4 fallback only");
	return 0;
}

static int attach_rung(struct loader *l, int fallback)
{
	struct resets_bpf *sk = l->skel;
	int err = 0;

	if (l->rung != RUNG_KPROBE)
		return 0;
	sk->links.send_reset_v4_kprobe = bpf_program__attach(sk->progs.send_reset_v4_kprobe);
	if (!sk->links.send_reset_v4_kprobe)
		err = -errno;
	if (!err && bpf_program__autoload(sk->progs.send_reset_v6_kprobe)) {
		sk->links.send_reset_v6_kprobe =
			bpf_program__attach(sk->progs.send_reset_v6_kprobe);
		if (!sk->links.send_reset_v6_kprobe)
			err = -errno;
	}
	if (!err)
		return 0;
	if (fallback == FALLBACK_KPROBE) {
		log_err("--fallback kprobe: cannot attach a kprobe to tcp_v4_send_reset: %s%s",
			strerror(-err),
			err == -EACCES || err == -EPERM ?
				" (perf_event_paranoid or missing CAP_SYS_ADMIN?)" :
				"");
		return -1;
	}
	bpf_link__destroy(sk->links.send_reset_v4_kprobe);
	sk->links.send_reset_v4_kprobe = NULL;
	l->rung = RUNG_PARTIAL;
	log_warn("degraded: this kernel's tcp_send_reset misses resets without a full socket "
		 "(closed ports, TIME_WAIT) and neither fentry (%s) nor kprobe (%s) works here",
		 l->rung_why[0] ? l->rung_why : "not tried", strerror(-err));
	return 0;
}

int loader_start(struct loader *l, const struct opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	uint64_t ringbuf_bytes = o->ringbuf_bytes;
	const char *btf_path = o->btf_path, *cap;
	unsigned int disabled = o->disabled;
	int err, verbose = o->verbose;

	memset(l, 0, sizeof(*l));
	/* serve without --log only counts: the kernel keeps the counts, no samples */
	l->sample = !(o->cmd == CMD_SERVE && !o->log_path);
	verbose_level = verbose;
	libbpf_set_print(libbpf_print);

	if (!btf_path)
		btf_path = VMLINUX_BTF_PATH;
	/* libbpf then never walks module BTF, which needs CAP_SYS_ADMIN */
	oopts.btf_custom_path = btf_path;
	if (access(btf_path, R_OK)) {
		if (strcmp(btf_path, VMLINUX_BTF_PATH) == 0)
			log_err("%s not found: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y "
				"is needed, or give one with --btf FILE)",
				btf_path);
		else
			log_err("--btf %s: %s", btf_path, strerror(errno));
		return -1;
	}
	cap = loader_missing_capability();
	if (cap) {
		log_err("missing capability %s: run as root, or grant CAP_BPF and CAP_PERFMON",
			cap);
		return -1;
	}
	l->vmlinux = btf__parse(btf_path, NULL);
	if (!l->vmlinux) {
		char msg[128];

		libbpf_strerror(errno, msg, sizeof(msg));
		log_err("cannot read BTF from %s: %s", btf_path, msg);
		return -1;
	}
	if (reasons_load(&l->reasons, l->vmlinux)) {
		log_err("out of memory reading reset reasons");
		return -1;
	}
	if (!has_tracepoint(l->vmlinux, "tcp_send_reset")) {
		log_err("this kernel has no tcp_send_reset tracepoint (Linux 4.15 or later needed)");
		return -1;
	}

	l->skel = open_object(l->vmlinux, &oopts);
	if (!l->skel) {
		log_err("cannot open BPF object: %s", strerror(errno));
		return -1;
	}

	if (choose_rung(l, o->fallback))
		return -1;
	l->cookies = cookie_helper_works(l->vmlinux);
	l->skel->rodata->have_cookie_helper = l->cookies;
	if (!l->cookies)
		log_info("no socket cookies in tracing programs (Linux 5.12+): owners are keyed by "
			 "socket address, TIME_WAIT sockets have none, sock_cookie is mostly null");

	/* the TIME_WAIT handoff is by cookie: socket storage only with cookies */
	if (disabled & DISABLE_SK_STORAGE)
		snprintf(l->owners_why, sizeof(l->owners_why), "--disable sk-storage");
	else if (!l->cookies)
		snprintf(l->owners_why, sizeof(l->owners_why), "no socket cookies (Linux 5.12+)");
	else
		l->owners_on_socket =
			sk_storage_works(l->vmlinux, l->owners_why, sizeof(l->owners_why));
	l->skel->rodata->owners_on_socket = l->owners_on_socket;
	if (!l->owners_on_socket)
		log_info("owners in a keyed LRU map, not on the socket: %s", l->owners_why);
	size_maps(l, o);
	fill_syscall_classes(l);

	l->ctx_known = task_ctx_supported(l->vmlinux);
	l->skel->rodata->have_task_ctx = l->ctx_known;
	if (!l->ctx_known)
		log_warn(
			"degraded: no bpf_task_pt_regs helper (or not x86-64): process and softirq "
			"context cannot be told apart (context reported as unknown)");

	l->have_receive = has_tracepoint(l->vmlinux, "tcp_receive_reset");
	if (!l->have_receive)
		log_warn("degraded: no tcp_receive_reset tracepoint: received resets not shown");
	else if (disabled & DISABLE_RECEIVE)
		log_warn("degraded: tcp_receive_reset disabled (--disable receive): received "
			 "resets not shown");
	l->have_receive = l->have_receive && !(disabled & DISABLE_RECEIVE);
	bpf_program__set_autoload(l->skel->progs.receive_reset, l->have_receive);

	l->owner_io = has_tracepoint(l->vmlinux, "sock_recv_length") &&
		      has_tracepoint(l->vmlinux, "sock_send_length") &&
		      !(disabled & DISABLE_OWNER_IO);
	bpf_program__set_autoload(l->skel->progs.track_recv, l->owner_io);
	bpf_program__set_autoload(l->skel->progs.track_send, l->owner_io);
	if (!l->owner_io)
		log_info("no sock_recv_length/sock_send_length tracepoints: owners of accepted "
			 "sockets resolved from /proc");
	bpf_program__set_autoload(l->skel->progs.track_state,
				  has_tracepoint(l->vmlinux, "inet_sock_set_state"));

	{
		const struct btf *b = l->vmlinux;
		long long ovf = loader_btf_enum_value(b, "skb_drop_reason",
						      "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW");
		long long rst =
			loader_btf_enum_value(b, "skb_drop_reason", "SKB_DROP_REASON_TCP_RESET");
		long long seq = loader_btf_enum_value(b, "skb_drop_reason",
						      "SKB_DROP_REASON_TCP_INVALID_SEQUENCE");
		long long nos =
			loader_btf_enum_value(b, "skb_drop_reason", "SKB_DROP_REASON_NO_SOCKET");
		int nargs = tracepoint_nargs(b, "kfree_skb");
		bool drops = nargs >= 3 && (ovf >= 0 || rst >= 0 || seq >= 0 || nos >= 0) &&
			     !(disabled & DISABLE_DROPS);

		l->have_listen_drop = drops && ovf >= 0;
		l->have_rst_drops = drops && rst >= 0 && seq >= 0 && nos >= 0;
		l->skel->rodata->drop_listen_overflow = ovf >= 0 ? (uint32_t)ovf : ~0U;
		l->skel->rodata->drop_tcp_reset = rst >= 0 ? (uint32_t)rst : ~0U;
		l->skel->rodata->drop_invalid_sequence = seq >= 0 ? (uint32_t)seq : ~0U;
		l->skel->rodata->drop_no_socket = nos >= 0 ? (uint32_t)nos : ~0U;
		l->skel->rodata->kfree_has_rx_sk = nargs >= 4;
		bpf_program__set_autoload(l->skel->progs.skb_dropped, drops);
		/* no drop reason for it: fexit on the function that finds the queue full */
		l->listen_drop_fexit = false;
		if (!(disabled & DISABLE_DROPS) && ovf < 0) {
			int ferr = -ENOENT;

			if (loader_btf_enum_value(b, "bpf_func_id", "BPF_FUNC_get_func_ret") >= 0)
				ferr = fentry_works(b, "tcp_check_req");
			l->listen_drop_fexit = ferr == 0;
			if (ferr)
				log_info("listen drops: no fexit on tcp_check_req: %s",
					 strerror(-ferr));
		}
		bpf_program__set_autoload(l->skel->progs.listen_drop_ack, l->listen_drop_fexit);
		bpf_program__set_autoload(
			l->skel->progs.listen_drop_syn,
			l->listen_drop_fexit &&
				btf__find_by_name_kind(b, "tcp_conn_request", BTF_KIND_FUNC) >= 0);
		l->have_listen_drop = l->have_listen_drop || l->listen_drop_fexit;
		if (disabled & DISABLE_DROPS) {
			log_warn("degraded: kfree_skb disabled (--disable drops): refused RSTs and "
				 "accept-queue drops not shown");
		} else {
			if (!l->have_listen_drop)
				log_warn(
					"degraded: no kfree_skb drop reason TCP_LISTEN_OVERFLOW and no "
					"fexit: accept queue drops (listen_drop) not shown");
			else if (l->listen_drop_fexit)
				log_info(
					"no kfree_skb drop reason TCP_LISTEN_OVERFLOW: accept queue "
					"drops from fexit on tcp_check_req, fentry on tcp_conn_request");
			if (!l->have_rst_drops)
				log_warn(
					"degraded: no kfree_skb drop reasons for TCP resets: RSTs the "
					"kernel refused (challenged, out of window, no socket) not "
					"shown");
		}
	}

	/* ingress: TC by default, XDP when --xdp-mode asks for it (user/wire.c) */
	bpf_program__set_autoload(l->skel->progs.xdp_rst_in,
				  !(disabled & DISABLE_WIRE) && o->xdp_mode != XDP_MODE_AUTO);
	bpf_program__set_autoload(l->skel->progs.tc_rst_in,
				  !(disabled & DISABLE_WIRE) && o->xdp_mode == XDP_MODE_AUTO);
	bpf_program__set_autoload(l->skel->progs.tc_rst_out, !(disabled & DISABLE_WIRE));
	/* the same for devices without a link-layer header (bpf/wire.bpf.c) */
	bpf_program__set_autoload(l->skel->progs.xdp_rst_in_l3,
				  bpf_program__autoload(l->skel->progs.xdp_rst_in));
	bpf_program__set_autoload(l->skel->progs.tc_rst_in_l3,
				  bpf_program__autoload(l->skel->progs.tc_rst_in));
	bpf_program__set_autoload(l->skel->progs.tc_rst_out_l3,
				  bpf_program__autoload(l->skel->progs.tc_rst_out));
	/* without the wire view nobody reads the stack's mark of its own resets */
	l->skel->rodata->wire_view = !(disabled & DISABLE_WIRE);

	l->skel->rodata->sample_events = l->sample;
	if (!l->sample)
		ringbuf_bytes = RINGBUF_COUNT_ONLY_BYTES; /* nothing is written to it */
	bpf_map__set_max_entries(l->skel->maps.events, (uint32_t)ringbuf_bytes);
	l->skel->rodata->wakeup_bytes = ringbuf_bytes / 4;

	/* the maps' keys are the header's structs: a build that disagrees stops here */
	if (bpf_map__key_size(l->skel->maps.counts) != sizeof(struct rstw_key) ||
	    bpf_map__key_size(l->skel->maps.service_counts) != sizeof(struct rstw_service_key) ||
	    bpf_map__key_size(l->skel->maps.wire_counts) != sizeof(struct rstw_wire_key)) {
		log_err("the BPF object's counter keys do not match include/rstwatch.h: a broken "
			"build");
		return -1;
	}
	err = resets_bpf__load(l->skel);
	if (err) {
		struct rlimit rl;
		char memlock[160] = "";

		/* kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK */
		if (err == -EPERM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			snprintf(memlock, sizeof(memlock),
				 " -- RLIMIT_MEMLOCK is %llu KiB: kernels before 5.11 count BPF "
				 "maps against it (ulimit -l unlimited, or LimitMEMLOCK=infinity)",
				 (unsigned long long)rl.rlim_cur / 1024);
		log_err("cannot load BPF programs: %s%s", strerror(-err),
			memlock[0] ? memlock :
			verbose	   ? "" :
				     " (run with -v for the verifier log)");
		return -1;
	}
	err = resets_bpf__attach(l->skel);
	if (err) {
		log_err("cannot attach BPF programs: %s%s", strerror(-err),
			err == -EPERM || err == -EACCES ? " -- missing CAP_PERFMON?" : "");
		return -1;
	}
	if (attach_rung(l, o->fallback))
		return -1;
	if (l->rung == RUNG_FENTRY || l->rung == RUNG_KPROBE)
		log_info("this kernel's tcp_send_reset fires only with a full socket: %s on "
			 "tcp_v4_send_reset/tcp_v6_send_reset sees the other resets%s%s%s",
			 loader_rung_name(l->rung), l->rung_why[0] ? " (fentry: " : "", l->rung_why,
			 l->rung_why[0] ? ")" : "");
	log_info("attached: tp_btf/tcp_send_reset%s%s%s%s%s",
		 l->have_receive ? ", tp_btf/tcp_receive_reset" : "",
		 ", tp_btf/inet_sock_set_state",
		 l->owner_io ? ", tp_btf/sock_recv_length, tp_btf/sock_send_length" : "",
		 l->have_listen_drop || l->have_rst_drops ? ", tp_btf/kfree_skb (drops)" : "",
		 l->listen_drop_fexit ?
			 ", fexit/tcp_check_req, fentry/tcp_conn_request (listen drops)" :
			 "");
	return 0;
}

void loader_flush_pending(const struct loader *l)
{
	int fd = bpf_program__fd(l->skel->progs.flush_pending);
	int ncpu = libbpf_num_possible_cpus();

	for (int cpu = 0; cpu < ncpu; cpu++) {
		LIBBPF_OPTS(bpf_test_run_opts, topts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);

		/* fails for an offline CPU: nothing can be waiting there */
		bpf_prog_test_run_opts(fd, &topts);
	}
}

void loader_stop(struct loader *l)
{
	resets_bpf__destroy(l->skel);
	btf__free(l->vmlinux);
	reasons_free(&l->reasons);
	memset(l, 0, sizeof(*l));
}

int loader_events_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader_stats_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.stats);
}

int loader_map_stats_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.map_stats);
}

int loader_map_fd(const struct loader *l, enum rstw_map_id id)
{
	switch (id) {
	case RSTW_MAP_COUNTS:
		return bpf_map__fd(l->skel->maps.counts);
	case RSTW_MAP_SERVICE_COUNTS:
		return bpf_map__fd(l->skel->maps.service_counts);
	case RSTW_MAP_WIRE_COUNTS:
		return bpf_map__fd(l->skel->maps.wire_counts);
	case RSTW_MAP_OWNERS:
		return bpf_map__fd(l->skel->maps.owners);
	case RSTW_MAP_SK_OWNERS:
		return bpf_map__fd(l->skel->maps.sk_owners);
	case RSTW_MAP_LISTENERS:
		return bpf_map__fd(l->skel->maps.listeners);
	case RSTW_MAP__COUNT:
		break;
	}
	return -1;
}
