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

LOADER_SRC := $(wildcard loader/*.c)
LOADER_OBJ := $(LOADER_SRC:%.c=$(BUILD)/%.o)
BPF_OBJ    := $(BUILD)/xvnet.bpf.o
SKEL       := $(BUILD)/xvnet.skel.h

TEST_TOOLS := $(BUILD)/tests/unit_test $(BUILD)/tests/config_test \
	$(BUILD)/tests/nl_test $(BUILD)/tests/tapio

DEPS := clang llvm libbpf-dev bpftool libinih-dev libmnl-dev libelf-dev \
	zlib1g-dev pkg-config make gcc iproute2 iputils-ping iperf3 netsniff-ng \
	ethtool tcpdump curl python3 jq bc nftables busybox procps kmod util-linux \
	iputils-tracepath dnsmasq-base gnuplot-nox sockperf qemu-system-x86 cpio

.PHONY: all clean install deps test demo unit bench
all: $(BUILD)/xvnet $(TEST_TOOLS)

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

# BPF_PROG_TEST_RUN fixtures: links the loader's objects except main.
$(BUILD)/tests/%.o: tests/unit/%.c $(SKEL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/unit_test: $(BUILD)/tests/unit_test.o $(filter-out $(BUILD)/loader/main.o,$(LOADER_OBJ))
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

install: $(BUILD)/xvnet
	install -D -m 0755 $(BUILD)/xvnet $(DESTDIR)$(PREFIX)/sbin/xvnet

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

# The benchmark's tools: the XDP live-frames generator, the per-packet cost
# under BPF_PROG_TEST_RUN (the xvnet skeleton, unpinned), the session filler.
BENCH_TOOLS := $(BUILD)/bench/xdpgen $(BUILD)/bench/cost $(BUILD)/bench/natfill \
	$(BUILD)/bench/sink.bpf.o $(BUILD)/bench/bare.bpf.o

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

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
