# SPDX-License-Identifier: GPL-2.0
#
# make            build zctrace.ko, zcstat and the selftests
# make check      run every test in QEMU guests; ends with "N passed, N failed"
# make demo       boot a guest, load the module and show `zcstat verify`
# make install    install the module (KDIR's modules dir) and zcstat

VERSION := 0.1

# The running kernel's build tree if it has one, else Debian's 6.1 headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64))))

ifeq ($(KDIR),)
$(error no kernel build tree: install linux-headers-amd64 or set KDIR=)
endif

all: module zcstat selftests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

zcstat:
	$(MAKE) -C tools/zcstat

selftests:
	$(MAKE) -C selftests/zctrace

check: all
	tools/vm/check

demo: module zcstat
	tools/vm/demo

install: module zcstat
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(MAKE) -C tools/zcstat install

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C tools/zcstat clean
	$(MAKE) -C selftests/zctrace clean

.PHONY: all module zcstat selftests check demo install clean
