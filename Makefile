# SPDX-License-Identifier: GPL-2.0
#
# XTCP: a TCP-shaped transport as a loadable kernel module.
#
#   make                 build module/xtcp.ko for the running kernel (or, on a
#                        machine whose kernel has no headers, Debian's default)
#   make demo            install what is missing, boot a VM, show XTCP working
#   make bench           XTCP next to Linux TCP in the VM: stream, rr, crr;
#                        stream over 1% loss and 20 ms RTT
#   make check           build and run every test in a VM, on each kernel
#   make check KVER=V    the same on kernel V only
#   make vm              a shell in the VM with xtcp.ko loaded
#   make lint            checkpatch --strict; W=1 and sparse run in check
#   make clean

RUNNING	:= $(shell uname -r)
ifneq ($(wildcard /lib/modules/$(RUNNING)/build),)
KVER	?= $(RUNNING)
else
KVER	?= $(shell scripts/kernels default 2>/dev/null)
endif
KDIR	?= /lib/modules/$(KVER)/build

# make check covers every kernel XTCP targets unless KVER names one.
ifeq ($(origin KVER),command line)
CHECK_KVERS := $(KVER)
endif

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

deps:
	scripts/install-deps

check: deps
	scripts/check $(CHECK_KVERS)

demo: deps
	scripts/demo $(CHECK_KVERS)

bench: deps
	scripts/bench $(CHECK_KVERS)

vm: deps
	scripts/build-modules $(if $(CHECK_KVERS),$(KVER),$$(scripts/kernels default))
	scripts/vm-run --interactive --kernel $(if $(CHECK_KVERS),$(KVER),$$(scripts/kernels default)) -- \
		sh -c 'insmod build/$$KVER/module/xtcp.ko && echo "xtcp loaded; poweroff with exit" && exec bash -i'

lint:
	scripts/lint

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

.PHONY: all module deps check demo bench vm lint clean
