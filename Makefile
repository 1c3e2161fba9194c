# rstwatch: build, test, install.  `make V=1` shows full commands.
OUTPUT ?= .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PKG_CONFIG ?= pkg-config
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
UNISTD_H ?= $(firstword $(wildcard /usr/include/$(shell uname -m)-linux-gnu/asm/unistd_64.h \
				    /usr/include/asm/unistd_64.h))

PREFIX ?= /usr/local
DESTDIR ?=

WARN := -Wall -Wextra -Werror
# snprintf truncation is intended wherever it is used
USER_WARN := -Wno-format-truncation
CFLAGS ?= -O2 -g
CFLAGS += $(WARN) $(USER_WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(OUTPUT) \
	  -DRSTW_VERSION='"$(VERSION)"' -DRSTW_GIT_REV='"$(GIT_REV)"'
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf)
LDLIBS += $(LIBBPF_LIBS) -lelf -lz -lmicrohttpd -lncursesw -lpcap -lpthread

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
	      -Wno-unused-function -I$(OUTPUT) -Iinclude -Ibpf

# The BPF side, one unit per concern (bpf/*.bpf.c), linked into one object by
# `bpftool gen object`: maps.bpf.c defines the shared maps, the others declare them.
BPF_UNITS := maps send receive drops wire
BPF_OBJS := $(OUTPUT)/resets.bpf.o $(OUTPUT)/resets_compat.bpf.o
UNIT_OBJS := $(patsubst %,$(OUTPUT)/bpf/%.bpf.o,$(BPF_UNITS))
COMPAT_UNIT_OBJS := $(patsubst %,$(OUTPUT)/bpf/%.compat.bpf.o,$(BPF_UNITS))
SKELS := $(OUTPUT)/resets.skel.h
# The same programs without the bpf_cast_to_kern_ctx kfunc (Linux 6.2+): where the
# kernel lacks it, libbpf 1.1 would walk module BTF looking for it, which needs
# CAP_SYS_ADMIN.  The loader opens this object's bytes with the same skeleton.
SKELS += $(OUTPUT)/resets_compat.skel.h

# Pure code that unit tests link without BPF or root.
CORE_SRCS := user/causes.c user/cause.c user/decode.c user/key.c user/key_tally.c user/json_writer.c user/opts.c \
	     user/format.c user/syscalls.c user/filter.c user/config.c user/summary.c user/metrics.c \
	     user/services.c user/maps.c user/utf8.c
APP_SRCS := $(CORE_SRCS) user/main.c user/loader.c user/reasons.c user/owner.c user/procfs.c \
	    user/out_text.c user/out_json.c user/counters.c user/log.c user/netwatch.c user/wire.c user/check.c \
	    user/attribute.c user/pipeline.c user/pcap_filter.c user/serve.c user/notify.c user/top.c user/caps.c
CORE_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(CORE_SRCS))
APP_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(APP_SRCS))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(filter-out tests/unit/unit.c,\
	      $(wildcard tests/unit/test_*.c)))
TOOLS := $(OUTPUT)/rstgen

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-9s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean test test-unit test-e2e check-format lint install run deb

all: $(OUTPUT)/rstwatch $(TOOLS)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)test -r $(VMLINUX_BTF) || { echo "rstwatch build: $(VMLINUX_BTF) missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF)" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/syscall_names.h: $(UNISTD_H) | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)awk '$$1 == "#define" && $$2 ~ /^__NR_/ { n = substr($$2, 6); \
		printf "\t[%d] = \"%s\",\n", $$3, n }' $< > $@

$(OUTPUT)/bpf:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h include/rstwatch.h include/parse.h \
		       $(OUTPUT)/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bpf/%.compat.bpf.o: bpf/%.bpf.c bpf/*.h include/rstwatch.h include/parse.h \
			      $(OUTPUT)/vmlinux.h | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DRSTW_NO_KFUNC -c $< -o $@

$(OUTPUT)/resets.bpf.o: $(UNIT_OBJS)
	$(call msg,BPF-LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/resets_compat.bpf.o: $(COMPAT_UNIT_OBJS)
	$(call msg,BPF-LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/user/%.o: user/%.c user/*.h include/rstwatch.h $(SKELS) $(OUTPUT)/syscall_names.h | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUTPUT)/rstwatch: $(APP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

$(OUTPUT)/rstgen: tests/tools/rstgen.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) -std=gnu11 $< -o $@

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/unit.h $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -fsanitize=address,undefined $< $(CORE_SRCS) -o $@

test-unit: $(UNIT_TESTS)
	$(Q)tests/run-unit.sh $(UNIT_TESTS)

test-e2e: all
	$(Q)tests/run-e2e.sh

# The whole suite: unit tests (no root), then end-to-end tests (root).
# the bench's own tools are built too, so that a change that breaks them is red
BENCH_TOOLS := $(OUTPUT)/bench/flood $(OUTPUT)/bench/pipeline $(OUTPUT)/bench/baseline
test: all $(UNIT_TESTS) $(BENCH_TOOLS)
	$(Q)tests/run-all.sh $(UNIT_TESTS)

check-format:
	$(Q)clang-format --dry-run --Werror user/*.c user/*.h include/*.h bpf/*.c bpf/*.h \
		tests/unit/*.c tests/unit/*.h tests/tools/*.c

lint:
	$(Q)shellcheck scripts/*.sh tests/*.sh tests/lib/*.sh tests/e2e/*.sh .ci/run

run: all
	$(Q)$(OUTPUT)/rstwatch $(ARGS)

SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc

$(OUTPUT)/rstwatch.service: dist/rstwatch.service.in | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@

install: $(OUTPUT)/rstwatch $(OUTPUT)/rstwatch.service
	install -D -m 0755 $(OUTPUT)/rstwatch $(DESTDIR)$(SBINDIR)/rstwatch
	install -D -m 0644 $(OUTPUT)/rstwatch.service $(DESTDIR)$(UNITDIR)/rstwatch.service
	install -D -m 0644 dist/rstwatch.8 $(DESTDIR)$(MANDIR)/man8/rstwatch.8
	install -D -m 0644 dist/rstwatch.bash-completion $(DESTDIR)$(COMPLETIONDIR)/rstwatch
	@# never overwrite a configuration the operator edited
	test -e $(DESTDIR)$(SYSCONFDIR)/rstwatch/rstwatch.conf || \
		install -D -m 0644 dist/rstwatch.conf $(DESTDIR)$(SYSCONFDIR)/rstwatch/rstwatch.conf

# deb: the Debian package (debian/), built by dpkg-buildpackage from a copy of
# the tree, into $(OUTPUT)/deb/rstwatch_$(VERSION)_<arch>.deb
deb:
	$(Q)scripts/deps.sh deb
	$(Q)scripts/build-deb.sh $(OUTPUT)/deb

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

# --- BPF program tests and fuzzing ---
# test-bpf: the wire programs run by the kernel on crafted frames
# (BPF_PROG_TEST_RUN); root only, exits 77 otherwise.
# fuzz: parse_tcp_packet() under libFuzzer with ASan and UBSan, bounded by
# FUZZ_TIME seconds and FUZZ_RUNS inputs; the corpus grows in $(OUTPUT)/fuzz.
FUZZ_TIME ?= 10
FUZZ_RUNS ?= 2000000
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARN) \
	      -Iinclude

.PHONY: test-bpf fuzz

$(OUTPUT)/tests/test_wire_progs: tests/bpf/test_wire_progs.c tests/unit/unit.h include/rstwatch.h \
				 $(SKELS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LDFLAGS) $(LIBBPF_LIBS) -lelf -lz -o $@

$(OUTPUT)/fuzz_parse: tests/fuzz/fuzz_parse.c include/parse.h | $(OUTPUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $< -o $@

test-bpf: $(OUTPUT)/tests/test_wire_progs
	$(Q)$(OUTPUT)/tests/test_wire_progs

FUZZ_DECODE_SRCS := user/decode.c user/key.c user/cause.c user/causes.c user/json_writer.c user/format.c user/utf8.c \
		     user/out_json.c user/out_text.c user/owner.c user/procfs.c user/syscalls.c
FUZZ_CONFIG_SRCS := user/config.c user/opts.c user/causes.c user/maps.c

$(OUTPUT)/fuzz_decode: tests/fuzz/fuzz_decode.c $(FUZZ_DECODE_SRCS) user/*.h include/rstwatch.h \
		       $(OUTPUT)/syscall_names.h | $(OUTPUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -D_GNU_SOURCE -Iuser -I$(OUTPUT) \
		-DRSTW_VERSION='"$(VERSION)"' -DRSTW_GIT_REV='"$(GIT_REV)"' $< $(FUZZ_DECODE_SRCS) -o $@

$(OUTPUT)/fuzz_config: tests/fuzz/fuzz_config.c $(FUZZ_CONFIG_SRCS) user/*.h | $(OUTPUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -D_GNU_SOURCE -Iuser -I$(OUTPUT) \
		-DRSTW_VERSION='"$(VERSION)"' -DRSTW_GIT_REV='"$(GIT_REV)"' $< $(FUZZ_CONFIG_SRCS) -o $@

# Each target bounded by FUZZ_TIME seconds (the parser gets twice that).
fuzz: $(OUTPUT)/fuzz_parse $(OUTPUT)/fuzz_decode $(OUTPUT)/fuzz_config
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus $(OUTPUT)/fuzz/decode $(OUTPUT)/fuzz/config
	$(Q)FUZZ_PARSE_SEED_DIR=$(OUTPUT)/fuzz/corpus $(OUTPUT)/fuzz_parse
	$(Q)FUZZ_DECODE_SEED_DIR=$(OUTPUT)/fuzz/decode $(OUTPUT)/fuzz_decode
	$(Q)printf 'listen = 127.0.0.1:9864\nlog = /tmp/x\njson = yes\ncause = closed_port\n' \
		>$(OUTPUT)/fuzz/config/seed
	$(Q)p=0; f=0; \
	for t in "parse corpus $$(($(FUZZ_TIME) * 2))" "decode decode $(FUZZ_TIME)" \
		 "config config $(FUZZ_TIME)"; do \
		set -- $$t; \
		if $(OUTPUT)/fuzz_$$1 -max_total_time=$$3 -runs=$(FUZZ_RUNS) -timeout=5 -rss_limit_mb=2048 \
			-artifact_prefix=$(OUTPUT)/fuzz/ $(OUTPUT)/fuzz/$$2 >$(OUTPUT)/fuzz/$$1.log 2>&1; then \
			echo "ok   fuzz_$$1: $$(tail -n 1 $(OUTPUT)/fuzz/$$1.log)"; p=$$((p + 1)); \
		else \
			tail -n 40 $(OUTPUT)/fuzz/$$1.log; echo "FAIL fuzz_$$1"; f=$$((f + 1)); \
		fi; \
	done; \
	echo "fuzz: $$p passed, $$f failed"; [ $$f -eq 0 ]

# --- benchmarks ---
# bench: what rstwatch costs (beside bpftrace, tcpdump and empty programs)
# under a TCP reset flood and under ordinary traffic (iperf3, sockperf) in a
# private namespace pair; root only, ~10 minutes; writes bench/results.md
# with issue 11's targets on top.  Installs its peers (scripts/deps.sh bench).
# Not part of `make test`.
.PHONY: bench

$(OUTPUT)/bench/flood: bench/flood.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 $(WARN) $< -o $@

# the event loop's pipeline and JSON sink on synthetic records (no BPF)
$(OUTPUT)/bench/pipeline: bench/pipeline.c $(filter-out $(OUTPUT)/user/main.o,$(APP_OBJS))
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

# empty programs on rstwatch's hooks: the floor of a run, beside rstwatch's own
$(OUTPUT)/bench/empty.bpf.o: bench/empty.bpf.c $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/empty.skel.h: $(OUTPUT)/bench/empty.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name empty_bpf > $@

$(OUTPUT)/bench/baseline: bench/baseline.c $(OUTPUT)/bench/empty.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/bench $< $(LDFLAGS) $(LIBBPF_LIBS) -lelf -lz -o $@

bench: $(OUTPUT)/rstwatch $(OUTPUT)/bench/flood $(OUTPUT)/bench/pipeline $(OUTPUT)/bench/baseline
	$(Q)scripts/deps.sh bench
	$(Q)bash bench/run.sh

# --- static binaries, for the old-kernel guest tests (tests/kernel) ---
# static: $(OUTPUT)/static/{rstwatch,rstgen,runcaps,attachprobe}, linked with
# -static from the same objects and sources as the dynamic build, for an
# initramfs with no libc.
# One dependency cannot be static as Debian ships it: libmicrohttpd.a is built
# with HTTPS and refers to GnuTLS, and libgnutls.a needs libp11-kit, of which
# Debian ships no static library (p11-kit loads PKCS#11 modules with dlopen).
# rstwatch never enables TLS (serve's /metrics is plain HTTP), so in the static
# binary tests/tools/mhd_no_tls.c stands in for GnuTLS: the library init is a
# no-op and every TLS entry point fails with GNUTLS_E_UNIMPLEMENTED_FEATURE.
# Everything else (libbpf, libelf, zlib, libmicrohttpd, ncursesw) is the real
# Debian static library.  kernel-test boots Debian's 6.1 and 5.10 kernels under qemu.
STATIC_DIR := $(OUTPUT)/static
STATIC_LDLIBS := $(shell $(PKG_CONFIG) --static --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) \
		 -lmicrohttpd $(shell $(PKG_CONFIG) --static --libs ncursesw 2>/dev/null || \
				echo -lncursesw -ltinfo) -lpthread
STATIC_TOOLS := $(STATIC_DIR)/rstwatch $(STATIC_DIR)/rstgen $(STATIC_DIR)/runcaps \
		$(STATIC_DIR)/attachprobe

.PHONY: static kernel-test

static: $(STATIC_TOOLS)

$(STATIC_DIR):
	$(Q)mkdir -p $@

$(STATIC_DIR)/mhd_no_tls.o: tests/tools/mhd_no_tls.c | $(STATIC_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Nor libpcap.a, which needs libsystemd.a: the static binary has no --filter.
$(STATIC_DIR)/pcap_filter.o: user/pcap_filter.c user/pcap_filter.h | $(STATIC_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DRSTW_NO_PCAP -c $< -o $@

$(STATIC_DIR)/rstwatch: $(filter-out $(OUTPUT)/user/pcap_filter.o,$(APP_OBJS)) \
			$(STATIC_DIR)/pcap_filter.o $(STATIC_DIR)/mhd_no_tls.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -static $^ $(LDFLAGS) $(STATIC_LDLIBS) -o $@

$(STATIC_DIR)/attachprobe: tests/tools/attachprobe.c | $(STATIC_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) -std=gnu11 -static $< \
		$(shell $(PKG_CONFIG) --static --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) -o $@

$(STATIC_DIR)/%: tests/tools/%.c | $(STATIC_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g $(WARN) -std=gnu11 -static $< -o $@

kernel-test: $(STATIC_TOOLS)
	$(Q)tests/kernel/test_old_kernel.sh
