# SPDX-License-Identifier: GPL-2.0
# Out-of-tree build into build/. Quiet unless V=1.

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
ARCH_INC := /usr/include/$(shell $(CC) -print-multiarch)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wimplicit-fallthrough -Wno-unused-parameter
CFLAGS    ?= -O2 -g
CFLAGS    += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iloader -I$(BUILD) -MD -MP
LDLIBS    := -lbpf -lelf -lz -linih -lmnl
BPF_CFLAGS := -target bpf -O2 -g -D__BPF__ $(BPF_EXTRA) -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wshadow -Iinclude -Ibpf -I$(ARCH_INC) -MD -MP

# make SAN=1: the loader and its tools built by clang with AddressSanitizer
# and UndefinedBehaviorSanitizer, into build/san (tests/ns/sanitizers.sh).
ifeq ($(SAN),1)
BUILD    := build/san
CC       := clang
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif

LOADER_SRC := $(wildcard loader/*.c)
LOADER_OBJ := $(LOADER_SRC:%.c=$(BUILD)/%.o)
BPF_OBJ    := $(BUILD)/xvnet.bpf.o
SKEL       := $(BUILD)/xvnet.skel.h

TEST_TOOLS := $(BUILD)/tests/unit_test $(BUILD)/tests/config_test \
	$(BUILD)/tests/nl_test $(BUILD)/tests/tapio

# The benchmark's tools: the XDP live-frames generator, the per-packet cost
# under BPF_PROG_TEST_RUN (the xvnet skeleton, unpinned), the session filler
# (built by all: tests/ns/bench_smoke.sh runs them).
BENCH_TOOLS := $(BUILD)/bench/xdpgen $(BUILD)/bench/cost $(BUILD)/bench/natfill \
	$(BUILD)/bench/sink.bpf.o $(BUILD)/bench/bare.bpf.o

DEPS := clang llvm libbpf-dev bpftool libinih-dev libmnl-dev libelf-dev \
	zlib1g-dev pkg-config make gcc iproute2 iputils-ping iperf3 netsniff-ng \
	ethtool tcpdump curl python3 jq bc nftables busybox procps kmod util-linux \
	iputils-tracepath dnsmasq-base gnuplot-nox sockperf qemu-system-x86 cpio

.PHONY: all clean install deps test demo unit bench
all: $(BUILD)/xvnet $(TEST_TOOLS) $(BENCH_TOOLS)

$(BPF_OBJ): bpf/xvnet.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xvnet > $@.tmp && mv $@.tmp $@

$(BUILD)/loader/%.o: loader/%.c $(SKEL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/xvnet: $(LOADER_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# BPF_PROG_TEST_RUN fixtures: links the loader's objects except main, and
# tests/lib/test_nl.c, the netlink requests it shares with packet_fuzz.
$(BUILD)/tests/%.o: tests/unit/%.c $(SKEL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

$(BUILD)/tests/lib/%.o: tests/lib/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/unit_test: $(BUILD)/tests/unit_test.o $(BUILD)/tests/lib/test_nl.o \
		$(filter-out $(BUILD)/loader/main.o,$(LOADER_OBJ))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# $(filter): the .d files add headers to the prerequisites.
$(BUILD)/tests/config_test: tests/config/config_test.c loader/config.c loader/log.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(filter %.c,$^) -o $@ -linih -lbpf

$(BUILD)/tests/nl_test: tests/nl/nl_test.c loader/nl.c loader/log.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(filter %.c,$^) -o $@ -lmnl -lbpf

$(BUILD)/tests/tapio: tests/tools/tapio.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# make install [DESTDIR=DIR] [PREFIX=/usr/local]: the loader; the systemd
# unit, its paths rewritten to follow PREFIX; the README and the examples
# (sample config, libvirt hook, QEMU script) in DOCDIR; the sample config as
# /etc/xvnet.conf only if there is none: a user's config is never replaced.
# uninstall removes what install put there, never /etc/xvnet.conf.
SBINDIR    ?= $(PREFIX)/sbin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(PREFIX)/share/doc/xvnet
SYSCONFDIR ?= /etc
# systemd-analyze, for tests/ns/install.sh
DEPS       += systemd
XV_PATHS   := -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	-e 's|/usr/local/share/doc/xvnet/|$(DOCDIR)/|g'

.PHONY: uninstall
install: $(BUILD)/xvnet
	install -D -m 0755 $(BUILD)/xvnet $(DESTDIR)$(SBINDIR)/xvnet
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	sed $(XV_PATHS) contrib/xvnet.service >$(DESTDIR)$(UNITDIR)/xvnet.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/xvnet.service
	sed $(XV_PATHS) contrib/libvirt-qemu-hook >$(DESTDIR)$(DOCDIR)/libvirt-qemu-hook
	sed $(XV_PATHS) contrib/qemu-xvnet.sh >$(DESTDIR)$(DOCDIR)/qemu-xvnet.sh
	chmod 0755 $(DESTDIR)$(DOCDIR)/libvirt-qemu-hook $(DESTDIR)$(DOCDIR)/qemu-xvnet.sh
	install -m 0644 README.md contrib/xvnet.conf.example $(DESTDIR)$(DOCDIR)/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/xvnet.conf ] || [ -L $(DESTDIR)$(SYSCONFDIR)/xvnet.conf ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/xvnet.conf (the sample is $(DOCDIR)/xvnet.conf.example)"; \
	else \
		echo install -D -m 0644 contrib/xvnet.conf.example $(DESTDIR)$(SYSCONFDIR)/xvnet.conf; \
		install -D -m 0644 contrib/xvnet.conf.example $(DESTDIR)$(SYSCONFDIR)/xvnet.conf; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo systemctl daemon-reload; systemctl daemon-reload; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xvnet $(DESTDIR)$(UNITDIR)/xvnet.service
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,README.md xvnet.conf.example \
		libvirt-qemu-hook qemu-xvnet.sh)
	-rmdir $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/xvnet.conf"

# Idempotent: installs only what is missing.
deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test: deps
	$(MAKE) all
	./tests/run.sh

demo: deps
	$(MAKE) $(BUILD)/xvnet
	./tests/demo.sh

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

$(BUILD)/bench/gen.skel.h: $(BUILD)/bench/gen.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name gen > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/xdpgen: bench/xdpgen.c $(BUILD)/bench/gen.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/bench $< -o $@ -lbpf -lpthread

$(BUILD)/bench/cost: bench/cost.c $(SKEL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lbpf

$(BUILD)/bench/natfill: bench/natfill.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lbpf

# Everything in namespaces it builds, about 9 minutes: see README, Benchmark.
bench: deps
	$(MAKE) $(BUILD)/xvnet $(BENCH_TOOLS)
	./bench/run.sh

# ---- Fuzzing (tests/fuzz) -------------------------------------------------
# make fuzz: the config fuzzer for FUZZ_SECS seconds, the packet fuzzer for
# FUZZ_FRAMES frames; tests/ns/fuzz_*.sh run short bounded passes.
DEPS        += valgrind libclang-rt-14-dev
FUZZ_SECS   ?= 60
FUZZ_FRAMES ?= 1000000
FUZZ_CC     := clang
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer $(WARN) -std=gnu11 -D_GNU_SOURCE \
	-Iinclude -Iloader -Itests/fuzz -Itests/lib -I$(BUILD) -I$(BUILD)/fuzz
FUZZ_TOOLS  := $(BUILD)/tests/config_fuzz $(BUILD)/tests/packet_fuzz
FUZZ_HDRS   := $(wildcard tests/fuzz/*.h) $(wildcard tests/lib/*.h) \
	$(wildcard loader/*.h) include/xvnet.h
PF_SRC      := tests/fuzz/packet_fuzz.c tests/fuzz/pf_topo.c tests/fuzz/pf_gen.c \
	tests/fuzz/pf_check.c tests/fuzz/pf_nl.c tests/fuzz/pf_regress.c \
	tests/lib/test_nl.c loader/nl.c loader/log.c

.PHONY: fuzz san
all: $(FUZZ_TOOLS) san

# libFuzzer + ASan + UBSan around the parser; its log goes to a buffer.
$(BUILD)/tests/config_fuzz: tests/fuzz/config_fuzz.c tests/fuzz/config_check.c \
		tests/fuzz/log_capture.c loader/config.c $(FUZZ_HDRS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(filter %.c,$^) -o $@ -linih

# The datapath again, its redirect helpers wrapped to record their targets.
$(BUILD)/fuzz/xvnet_traced.bpf.o: tests/fuzz/xvnet_traced.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Itests/fuzz -MF $(@:.o=.d) -c $< -o $@

$(BUILD)/fuzz/xvnet_traced.skel.h: $(BUILD)/fuzz/xvnet_traced.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xvnet_traced > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/packet_fuzz: $(PF_SRC) $(FUZZ_HDRS) $(BUILD)/fuzz/xvnet_traced.skel.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=address,undefined \
		-fno-sanitize-recover=all $(filter %.c,$^) -o $@ -lbpf -lmnl

# The loader with ASan + UBSan (build/san/xvnet), for tests/ns/sanitizers.sh.
san:
	$(MAKE) SAN=1 build/san/xvnet

fuzz: deps
	$(MAKE) $(FUZZ_TOOLS)
	./tests/fuzz/run.sh $(FUZZ_SECS) $(FUZZ_FRAMES)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
