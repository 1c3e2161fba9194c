/*
 * attachprobe - can this kernel, with these privileges, attach a BPF program
 * to a kernel function by fentry, by kprobe and by classic tracepoint, and
 * does it then run?  For the old-kernel guest tests (no bpftool in there).
 *
 *   attachprobe [FUNC [TRACEPOINT]]
 *
 * FUNC defaults to tcp_v4_send_reset, TRACEPOINT to tcp/tcp_send_reset.  Each
 * way loads a tiny program that counts its runs in an array map, attaches it,
 * sends one SYN to a closed port on 127.0.0.1 (which makes the kernel send a
 * reset through FUNC) and reads the count back.  One line per way:
 *
 *   fentry tcp_v4_send_reset: ok, ran 1 time(s)
 *   kprobe tcp_v4_send_reset: attach: Permission denied
 *
 * A failed load prints the first lines of the verifier log.  Exit status: 0
 * if every way attached, 1 otherwise, 2 for bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define CLOSED_PORT 9 /* nobody listens on discard in the guest */

static char vlog[64 * 1024];

/* r0 = map[0]; if found, map[0] += 1 (atomic); return 0 */
static int count_prog(int map_fd, struct bpf_insn *insn)
{
	int n = 0;

	/* *(u32 *)(r10 - 4) = 0 */
	insn[n++] = (struct bpf_insn){
		.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .off = -4, .imm = 0
	};
	/* r1 = map (two-slot ld_imm64 with a map fd) */
	insn[n++] = (struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM,
				       .dst_reg = BPF_REG_1,
				       .src_reg = BPF_PSEUDO_MAP_FD,
				       .imm = map_fd };
	insn[n++] = (struct bpf_insn){ 0 };
	/* r2 = r10 - 4 */
	insn[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X,
				       .dst_reg = BPF_REG_2,
				       .src_reg = BPF_REG_10 };
	insn[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K,
				       .dst_reg = BPF_REG_2,
				       .imm = -4 };
	insn[n++] =
		(struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem };
	/* if r0 == 0 goto exit */
	insn[n++] = (struct bpf_insn){
		.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 2, .imm = 0
	};
	insn[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
				       .dst_reg = BPF_REG_1,
				       .imm = 1 };
	/* lock *(u64 *)(r0 + 0) += r1 */
	insn[n++] = (struct bpf_insn){ .code = BPF_STX | BPF_ATOMIC | BPF_DW,
				       .dst_reg = BPF_REG_0,
				       .src_reg = BPF_REG_1,
				       .imm = BPF_ADD };
	insn[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
				       .dst_reg = BPF_REG_0,
				       .imm = 0 };
	insn[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	return n;
}

static int load(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 btf_id, int map_fd)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = eat, .attach_btf_id = btf_id,
		    .log_buf = vlog, .log_size = sizeof(vlog), .log_level = 1);
	struct bpf_insn insn[16];
	int n = count_prog(map_fd, insn);

	vlog[0] = '\0';
	return bpf_prog_load(type, "attachprobe", "GPL", insn, (size_t)n, &o);
}

static void print_log(void)
{
	char *p = vlog;
	int i;

	for (i = 0; i < 8 && p && *p; i++) {
		char *nl = strchr(p, '\n');

		printf("    | %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		p = nl ? nl + 1 : NULL;
	}
}

/* One SYN to a closed port on loopback: the kernel answers it with a reset. */
static void make_reset(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(CLOSED_PORT) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		fprintf(stderr, "attachprobe: something listens on port %d\n", CLOSED_PORT);
	close(fd);
}

static int perf_open(__u32 type, __u64 config, __u64 config1)
{
	struct perf_event_attr attr = { .type = type,
					.size = sizeof(attr),
					.config = config,
					.config1 = config1,
					.sample_period = 1,
					.wakeup_events = 1 };

	return (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
}

static long read_num(const char *path)
{
	char buf[32];
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

/* Load, attach, trigger, count: prints one line; true if it attached. */
static bool try_way(const char *way, const char *what, const char *func, const char *tp)
{
	int map_fd, prog_fd = -1, link_fd = -1, pfd = -1, err = 0;
	__u64 runs = 0;
	__u32 key = 0;
	const char *step = "map";
	char path[256];
	long type;

	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "attachprobe", 4, 8, 1, NULL);
	if (map_fd < 0) {
		err = errno;
		goto out;
	}
	step = "load";
	if (!strcmp(way, "fentry")) {
		struct btf *btf = btf__load_vmlinux_btf();
		int id = btf ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -ENOENT;

		btf__free(btf);
		if (id < 0) {
			step = "BTF lookup";
			err = -id;
			goto out;
		}
		prog_fd = load(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, (__u32)id, map_fd);
		if (prog_fd < 0) {
			err = errno;
			goto out;
		}
		step = "attach";
		link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_FENTRY, NULL);
		if (link_fd < 0) {
			err = errno;
			goto out;
		}
	} else {
		bool kprobe = !strcmp(way, "kprobe");

		prog_fd = load(kprobe ? BPF_PROG_TYPE_KPROBE : BPF_PROG_TYPE_TRACEPOINT,
			       (enum bpf_attach_type)0, 0, map_fd);
		if (prog_fd < 0) {
			err = errno;
			goto out;
		}
		step = "perf event";
		if (kprobe) {
			type = read_num("/sys/bus/event_source/devices/kprobe/type");
			snprintf(path, sizeof(path), "kprobe PMU");
		} else {
			snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", tp);
			type = read_num(path);
		}
		if (type < 0) {
			err = errno ? errno : ENOENT;
			step = path;
			goto out;
		}
		pfd = kprobe ? perf_open((__u32)type, 0, (__u64)(uintptr_t)func) :
			       perf_open(PERF_TYPE_TRACEPOINT, (__u64)type, 0);
		if (pfd < 0) {
			err = errno;
			goto out;
		}
		step = "attach";
		if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0 ||
		    ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
			err = errno;
			goto out;
		}
	}
	make_reset();
	usleep(100000);
	bpf_map_lookup_elem(map_fd, &key, &runs);
out:
	if (err)
		printf("%s %s: %s: %s\n", way, what, step, strerror(err));
	else
		printf("%s %s: ok, ran %llu time(s)\n", way, what, (unsigned long long)runs);
	if (err && !strcmp(step, "load"))
		print_log();
	if (pfd >= 0)
		close(pfd);
	if (link_fd >= 0)
		close(link_fd);
	if (prog_fd >= 0)
		close(prog_fd);
	if (map_fd >= 0)
		close(map_fd);
	return !err;
}

int main(int argc, char **argv)
{
	const char *func = argc > 1 ? argv[1] : "tcp_v4_send_reset";
	const char *tp = argc > 2 ? argv[2] : "tcp/tcp_send_reset";
	bool all = true;

	if (argc > 3) {
		fprintf(stderr,
			"attachprobe: too many arguments (usage: attachprobe [FUNC [TP]])\n");
		return 2;
	}
	libbpf_set_print(NULL);
	all &= try_way("fentry", func, func, tp);
	all &= try_way("kprobe", func, func, tp);
	all &= try_way("tracepoint", tp, func, tp);
	return all ? 0 : 1;
}
