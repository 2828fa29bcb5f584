# vmnet — CNI plugin, IPAM plugin and helper daemon for container VMs.
# `make help` lists the targets.

SHELL      := /bin/bash
PKG_CONFIG ?= pkg-config
PREFIX     ?= /usr/local
CNI_BINDIR ?= /opt/cni/bin
SBINDIR    ?= $(PREFIX)/sbin
DESTDIR    ?=
B          ?= build
CC         ?= cc
CLANG      ?= clang

PKGS := libnl-3.0 libnl-route-3.0 libmnl libnftnl jansson
# netd alone talks to firewalld over D-Bus (sd-bus): the plugins never link it.
NETD_PKGS := libsystemd

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wmissing-declarations -Wold-style-definition -Wformat=2 -Wpointer-arith \
        -Wsign-compare -Wvla -Wno-unused-parameter
CFLAGS  ?= -O2 -g
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
NETD_LIBS  = $(shell $(PKG_CONFIG) --libs $(NETD_PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Iinclude $(WARN) -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)

# How the two plugins link (issue 15, decision 4). vmnet and vmnet-ipam are
# exec'd once per CNI call, so the dynamic loader's work is paid at every
# call: resolving and mapping libnl-3, libnl-route-3, libnftnl and jansson
# cost a median 0.32 ms of a 1.5 ms start on the quiet machine (start 1.53
# -> 1.27 ms, ADD 3.34 -> 3.03 ms with those four static), and libc and
# ld.so static too take a call's start to /bin/true's and its max RSS
# (VmHWM) from ~2.5 MB to ~1.6 MB, under issue 15's 2 MB: the difference is
# libc.so's and ld.so's pages (the kernel maps 64 KiB of a library around
# each page touched). Static plugins need nothing on the host: copying
# build/vmnet and build/vmnet-ipam into /opt/cni/bin is the whole install.
#   STATIC=full  (the default) everything static, libc too: no dynamic
#                loader at all. Debian ships libmnl only shared, so the
#                plugins link vmnet's own implementation of the libmnl API
#                (mnl/, from the header and the netlink format) that
#                libnftnl.a and lib/ call. The link warns that libnl-3's
#                nl_addr_info (getaddrinfo) and its protocol-name helpers
#                (getprotobyname/-number) would load glibc's NSS modules at
#                run time: those serve libnl's dump and text helpers, which
#                vmnet never calls; nothing else in the plugins needs NSS,
#                iconv or dlopen (tests/bench/README.md says how that was
#                checked).
#                gcc leaves out the unwind table's index (.eh_frame_hdr)
#                of a static link; --eh-frame-hdr keeps it, so `perf record
#                --call-graph dwarf` unwinds the plugins (it is read only
#                by unwinders: a call touches none of it).
#   STATIC=1     libnl-3, libnl-route-3, libnftnl and jansson static;
#                Debian's libmnl and libc shared.
#   STATIC=0     every library shared: the alternative `make bench` measures.
# Only the plugins: netd is one long-lived process per host (it starts once,
# and it links libsystemd, which Debian ships only shared), and the unit
# tests, tools and fuzz targets link the same libraries shared (Debian's
# libmnl; tests/unit/test_mnl.c links mnl/ and checks it against the
# same expectations). SANITIZE=1 builds link everything shared (ASan and
# UBSan need the dynamic loader).
STATIC ?= full
ifeq ($(SANITIZE),1)
override STATIC := 0
endif
MNL_A := $(B)/libvmnet-mnl.a
ifeq ($(STATIC),0)
PLUGIN_LIBS = $(PKG_LIBS)
else ifeq ($(STATIC),1)
PLUGIN_LIBS = -Wl,-Bstatic -lnl-route-3 -lnl-3 -lnftnl -ljansson -Wl,-Bdynamic -lmnl -lpthread -lm
else ifeq ($(STATIC),full)
PLUGIN_LIBS = -static -Wl,--eh-frame-hdr -lnl-route-3 -lnl-3 -lnftnl -ljansson $(MNL_A) -lpthread -lm
PLUGIN_DEPS = $(MNL_A)
else
$(error STATIC=$(STATIC): say full (the default), 1 or 0)
endif

ifeq ($(SANITIZE),1)
ALL_CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ALL_LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif

ifneq ($(V),1)
Q = @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

LIB_SRCS  := $(sort $(wildcard lib/*.c))
CNI_SRCS  := $(sort $(wildcard cni/*.c))
IPAM_SRCS := $(sort $(wildcard ipam/*.c))
NETD_SRCS := $(sort $(wildcard netd/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIB_OBJS  := $(call obj,$(LIB_SRCS))
CNI_OBJS  := $(call obj,$(CNI_SRCS))
IPAM_OBJS := $(call obj,$(IPAM_SRCS))
NETD_OBJS := $(call obj,$(NETD_SRCS))
# Everything but main.o, so unit tests and fuzz targets can link the logic.
CNI_LIB_OBJS  := $(filter-out %/main.o,$(CNI_OBJS))
IPAM_LIB_OBJS := $(filter-out %/main.o,$(IPAM_OBJS))
NETD_LIB_OBJS := $(filter-out %/main.o,$(NETD_OBJS))

BINS := $(B)/vmnet $(B)/vmnet-ipam $(if $(NETD_SRCS),$(B)/netd)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS)) $(B)/tests/test_mnl_ref
TOOL_BINS := $(patsubst tests/tools/%.c,$(B)/tools/%,$(TOOL_SRCS))

.PHONY: all help deps print-deps install uninstall test unit check integ demo bench fuzz fuzz-smoke \
        sanitize clean format format-check analyze
.DEFAULT_GOAL := all
# Keep intermediate objects (the fuzz library objects are shared by targets).
.SECONDARY:

all: $(BINS) $(TOOL_BINS)

help:
	@echo 'make              build build/vmnet, build/vmnet-ipam, build/netd and test tools'
	@echo 'make deps         install the Debian packages for building, tests and the demo (root)'
	@echo 'make test         unit tests (no root needed)'
	@echo 'make check        deps + every test: unit, sanitizers, fuzz smoke, integration (root)'
	@echo 'make demo         deps + a guided run in throwaway namespaces (root)'
	@echo 'make bench        latency and throughput against the reference plugins (root)'
	@echo 'make install      install into $$(DESTDIR)$$(CNI_BINDIR) and $$(DESTDIR)$$(SBINDIR)'
	@echo 'make fuzz         build the libFuzzer targets with clang'
	@echo 'make SANITIZE=1   build with ASan+UBSan; V=1 shows commands; WERROR=1 for -Werror'
	@echo 'make STATIC=1     plugins with libc and libmnl shared (default: full, all static); STATIC=0 all shared'

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libvmnet.a: $(LIB_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

# The allocator as a library: vmnet-ipam's main, and vmnet and netd, which
# run it in-process (vmnet/ipam.h).
$(B)/libvmnet-ipam.a: $(IPAM_LIB_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

# The plugins relink when STATIC changes: $(B)/obj/link-mode holds the mode
# they were last linked with, rewritten (so newer) when it differs.
LINK_MODE := $(B)/obj/link-mode
ifneq ($(shell cat $(LINK_MODE) 2>/dev/null),$(STATIC))
$(shell mkdir -p $(B)/obj && echo $(STATIC) >$(LINK_MODE))
endif

$(B)/vmnet: $(CNI_OBJS) $(B)/libvmnet-ipam.a $(B)/libvmnet.a $(LINK_MODE) $(PLUGIN_DEPS)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(filter-out $(PLUGIN_DEPS),$(filter %.o %.a,$^)) $(PLUGIN_LIBS)

$(B)/vmnet-ipam: $(B)/obj/ipam/main.o $(B)/libvmnet-ipam.a $(B)/libvmnet.a $(LINK_MODE) $(PLUGIN_DEPS)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $(filter-out $(PLUGIN_DEPS),$(filter %.o %.a,$^)) $(PLUGIN_LIBS)

$(MNL_A): $(call obj,mnl/mnl_msg.c mnl/mnl_sock.c)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(B)/netd: $(NETD_OBJS) $(B)/libvmnet-ipam.a $(B)/libvmnet.a
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(NETD_LIBS)

# tests/unit/test_cni_*.c link the plugin's logic, test_ipam_*.c the
# allocator's, test_netd_*.c the daemon's (with the allocator, as netd);
# every test links the core.
$(B)/tests/test_cni_%: $(B)/obj/tests/unit/test_cni_%.o $(CNI_LIB_OBJS) $(B)/libvmnet.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_ipam_%: $(B)/obj/tests/unit/test_ipam_%.o $(IPAM_LIB_OBJS) $(B)/libvmnet.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(B)/tests/test_netd_%: $(B)/obj/tests/unit/test_netd_%.o $(NETD_LIB_OBJS) $(B)/libvmnet-ipam.a \
                         $(B)/libvmnet.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(NETD_LIBS)
# tests/unit/test_mnl.c checks mnl/, the libmnl the static plugins carry;
# test_mnl_ref is the same test against Debian's libmnl.
$(B)/tests/test_mnl: $(B)/obj/tests/unit/test_mnl.o $(MNL_A)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^
$(B)/tests/test_mnl_ref: tests/unit/test_mnl.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -DMNL_REF $(ALL_LDFLAGS) -o $@ $< -lmnl
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/libvmnet.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tools/%: $(B)/obj/tests/tools/%.o $(B)/libvmnet.a
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

unit: $(UNIT_BINS)

# Unit tests need no root.
test: all unit
	tests/run.sh --unit $(B)

# Everything, as CI runs it: `make check` as root on a fresh Debian 12 machine.
check: deps
	$(MAKE) all unit
	$(MAKE) B=$(B)/asan SANITIZE=1 unit $(B)/asan/vmnet $(B)/asan/vmnet-ipam
	$(MAKE) fuzz
	tests/run.sh --all $(B)

integ: all
	tests/run.sh --integ $(B)

demo: deps
	$(MAKE) all
	tests/demo.sh $(B)

# Beside the default build the bench measures the plugins linked dynamically
# ($(B)/dynamic) and with only libc and libmnl shared (STATIC=1, $(B)/static1).
bench: deps
	$(MAKE) all
	$(MAKE) B=$(B)/dynamic STATIC=0 $(B)/dynamic/vmnet $(B)/dynamic/vmnet-ipam
	$(MAKE) B=$(B)/static1 STATIC=1 $(B)/static1/vmnet $(B)/static1/vmnet-ipam
	tests/bench/run.sh $(B)

# Debian packages for building, testing, the demo and the benchmarks. Every
# program a script runs is listed in tests/commands.txt with its package;
# tests/integ/t_deps.sh checks the two lists against each other.
DEB_PKGS := build-essential pkg-config libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
            libjansson-dev clang libclang-rt-14-dev iproute2 nftables util-linux procps \
            busybox-static iputils-ping iputils-arping socat conntrack jq python3 \
            containernetworking-plugins iptables netavark gnuplot-nox iperf3 \
            podman containerd crun runc firewalld dbus libsystemd-dev coreutils docker.io \
            qemu-system-x86 linux-image-amd64 kmod cpio gzip xz-utils zstd strace
# IPv6 guests: the guest image's DHCPv6 client; RA and DHCPv6 server fixtures (t_guest6)
DEB_PKGS += dhcpcd-base radvd dnsmasq-base
# Several hosts (t_cluster): the BGP daemons of contrib/routing/
DEB_PKGS += bird2 frr
print-deps:
	@echo $(DEB_PKGS)
# Installing packages never starts their services (docker.io, containerd,
# firewalld, dnsmasq, radvd would otherwise change this machine's own
# firewall and network): a policy-rc.d that says no, only while apt runs and
# only if the machine has none of its own. The tests run the daemons in
# their own namespaces.
deps:
	@missing=$$(dpkg-query -W -f='$${Package} $${db:Status-Abbrev}\n' $(DEB_PKGS) 2>/dev/null | \
		awk '$$2 != "ii" {print $$1}'; for p in $(DEB_PKGS); do \
		dpkg-query -W $$p >/dev/null 2>&1 || echo $$p; done); \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -n "$${missing// /}" ]; then \
		echo "deps: installing $$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "deps: run as root (make deps in a root shell, or sudo make deps)"; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		rcd=; if [ ! -e /usr/sbin/policy-rc.d ]; then rcd=/usr/sbin/policy-rc.d; \
			printf '#!/bin/sh\nexit 101\n' >$$rcd && chmod 755 $$rcd; fi; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
		rc=$$?; [ -z "$$rcd" ] || rm -f $$rcd; exit $$rc; \
	else echo "deps: all Debian packages present"; fi

# netd's RA and DHCPv6 against real clients (t_netd6): rdisc6, dhcpcd, and mount for
# dhcpcd's private state directory.
DEB_PKGS += ndisc6 mount

FUZZ_FLAGS = -std=gnu11 -D_GNU_SOURCE -Iinclude -MMD -MP $(PKG_CFLAGS) -g -O1 \
             -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIB_SRCS := $(LIB_SRCS) $(filter-out %/main.c,$(CNI_SRCS) $(IPAM_SRCS) $(NETD_SRCS))
FUZZ_LIB_OBJS := $(patsubst %.c,$(B)/fuzzobj/%.o,$(FUZZ_LIB_SRCS))

fuzz: $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))

$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CLANG,$<)$(CLANG) $(FUZZ_FLAGS) -c -o $@ $<

# fuzz_mnl reads through mnl/ alone (not Debian's libmnl).
$(B)/fuzz/fuzz_mnl: $(B)/fuzzobj/tests/fuzz/fuzz_mnl.o $(B)/fuzzobj/mnl/mnl_msg.o \
                    $(B)/fuzzobj/mnl/mnl_sock.o
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^
$(B)/fuzz/%: $(B)/fuzzobj/tests/fuzz/%.o $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) $(NETD_LIBS)

install: all
	install -d $(DESTDIR)$(CNI_BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(B)/vmnet $(B)/vmnet-ipam $(DESTDIR)$(CNI_BINDIR)/
	$(if $(NETD_SRCS),install -m 0755 $(B)/netd $(DESTDIR)$(SBINDIR)/)
	install -d $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/vmnet
	install -m 0644 netd/netd.service $(DESTDIR)/etc/systemd/system/netd.service
	sed -i 's|/usr/local/sbin/netd|$(SBINDIR)/netd|' $(DESTDIR)/etc/systemd/system/netd.service
	install -m 0644 netd/netd.conf.example $(DESTDIR)/etc/vmnet/netd.conf.example
	test -e $(DESTDIR)/etc/vmnet/netd.conf || install -m 0644 netd/netd.conf.example $(DESTDIR)/etc/vmnet/netd.conf

uninstall:
	rm -f $(DESTDIR)$(CNI_BINDIR)/vmnet $(DESTDIR)$(CNI_BINDIR)/vmnet-ipam $(DESTDIR)$(SBINDIR)/netd

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

analyze:
	$(MAKE) B=$(B)/analyze CFLAGS='-O1 -g -fanalyzer' all

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
