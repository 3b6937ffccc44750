# SPDX-License-Identifier: GPL-2.0
#
# make            build zctrace.ko, zcstat and the selftests (make module,
#                 make zcstat, make selftests: one of them)
# make modules    build the module for each kernel in ZC_KERNELS, into
#                 build/<release>/zctrace.ko
# make kmod KDIR=DIR   the same for the one kernel whose build tree is DIR
# make check      run every test in QEMU guests, one per kernel in ZC_KERNELS;
#                 ends with "N passed, N failed"
# make demo       boot a guest, load the module and show `zcstat verify`
# make bench      time every transfer mode with and without zctrace in one
#                 guest (tools/bench/run); results in build/bench/
# make install    install the module (KDIR's modules dir) and zcstat
# make dkms-install    copy the module's sources to /usr/src/zctrace-VERSION
#                 and have DKMS build and install it for KDIR's kernel
#                 (make dkms-src: only the copy, to DKMS_SRC)
# make clean      remove what the builds made

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)

# The running kernel's build tree if it has one, else that of the 6.1
# kernel the guests boot (the newest installed, as tools/vm/run picks it).
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(wildcard /lib/modules/$(shell tools/vm/run --release -k 6.1 2>/dev/null)/build))

# First in the recipes that build against KDIR; the others need none.
need-kdir = $(if $(KDIR),,$(error no kernel build tree: install linux-headers-amd64 or set KDIR=))

# The kernels `make check` boots, as tools/vm/run -k takes them.
ZC_KERNELS ?= 6.1 6.12
export ZC_KERNELS

all: module zcstat selftests

module:
	$(need-kdir)$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# kbuild writes an external module's objects beside its sources (MO= came
# only in 6.13), so each kernel builds in build/<release>/, a tree of links
# to the sources, and builds for several kernels do not collide.
# The release the module's vermagic names, as `uname -r` reports it.
KREL := $(shell awk -F'"' '/UTS_RELEASE/ { print $$2 }' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
KOUT := $(CURDIR)/build/$(KREL)

kmod:
	$(need-kdir)@test -n "$(KREL)" || { echo "$(KDIR): no UTS_RELEASE in include/generated/utsrelease.h" >&2; exit 1; }
	@mkdir -p $(KOUT)/module
	@ln -sfn $(CURDIR)/Kbuild $(CURDIR)/uapi $(KOUT)/
	@find $(KOUT)/module -maxdepth 1 -type l -delete
	@ln -sf $(addprefix $(CURDIR)/,$(wildcard module/*.[ch])) $(KOUT)/module/
	$(MAKE) -C $(KDIR) M=$(KOUT) modules

modules:
	@set -e; for k in $(ZC_KERNELS); do \
		rel=$$(tools/vm/run --release -k $$k); \
		$(MAKE) --no-print-directory kmod KDIR=/lib/modules/$$rel/build; \
	done

zcstat:
	$(MAKE) -C tools/zcstat

selftests:
	$(MAKE) -C selftests/zctrace

check: modules zcstat selftests
	tools/vm/check

demo: modules zcstat
	tools/vm/demo

bench: modules zcstat
	tools/bench/run

install: module zcstat
	$(need-kdir)$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(MAKE) -C tools/zcstat install

# What DKMS builds the module from, copied to DKMS_SRC by dkms-src.
DKMS_SRC ?= /usr/src/zctrace-$(VERSION)
DKMS_FILES := Kbuild dkms.conf $(wildcard module/*.[ch]) uapi/linux/zctrace.h

dkms-src:
	@mkdir -p $(DKMS_SRC)
	@rm -rf $(DKMS_SRC)/module $(DKMS_SRC)/uapi
	cp --parents $(DKMS_FILES) $(DKMS_SRC)/

dkms-install: dkms-src
	$(need-kdir)dkms install zctrace/$(VERSION) -k $(KREL)

clean:
	$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean)
	rm -rf $(patsubst %/Kbuild,%,$(wildcard build/*/Kbuild))
	$(MAKE) -C tools/zcstat clean
	$(MAKE) -C selftests/zctrace clean

.PHONY: all module kmod modules zcstat selftests check demo bench install \
	dkms-src dkms-install clean
