# SPDX-License-Identifier: GPL-2.0
#
# XTCP: a TCP-shaped transport as a loadable kernel module.
#
#   make                 build module/xtcp.ko for the running kernel (or, on a
#                        machine whose kernel has no headers, Debian's default)
#   make demo            install what is missing, boot a VM, show XTCP working
#   make bench           XTCP next to Linux TCP in the VM: stream, rr, crr;
#                        stream over 1% loss and 20 ms RTT, and a picture of
#                        one such run (build/bench/lossy.png)
#   make check           build and run every test in a VM, on each kernel
#   make check KVER=V    the same on kernel V only
#   make check-debug     every test in a VM booted from a debug kernel (KASAN,
#                        lockdep, kmemleak, UBSAN; built once, cached in
#                        /var/cache/xtcp); TESTS="PROG..." runs only those
#   make vm              a shell in the VM with xtcp.ko loaded
#   make lint            checkpatch --strict; W=1 and sparse run in check
#   make install         the module into /lib/modules/KVER/updates (then
#                        depmod), the uapi header, the tools and the man
#                        pages; DESTDIR and PREFIX (/usr/local) as usual
#   make uninstall       removes what make install put (same DESTDIR)
#   make dkms-install    the source into /usr/src/xtcp-VERSION, then dkms
#                        add, build and install for KVER: rebuilt by dkms
#                        at each kernel upgrade
#   make dkms-build      the same short of installing (DKMS_KVERS: kernels)
#   make dkms-uninstall  dkms remove, and the source in /usr/src goes
#   make clean

RUNNING	:= $(shell uname -r)
ifneq ($(wildcard /lib/modules/$(RUNNING)/build),)
KVER	?= $(RUNNING)
else
KVER	?= $(shell scripts/kernels default 2>/dev/null)
endif
KDIR	?= /lib/modules/$(KVER)/build

# The version is dkms.conf's PACKAGE_VERSION, and only there.
VERSION	:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)

# make install: the module where kmod looks first for a module that is not
# the kernel's own; header and tools where a local install puts them.
PREFIX	?= /usr/local
MANDIR	?= $(PREFIX)/share/man
MODDIR	:= /lib/modules/$(KVER)/updates
INSTALL	?= install
MANPAGES := $(wildcard man/*.[1-8])

# depmod indexes the module for modprobe and for socket(AF_XTCP, ...)'s
# autoload (its net-pf-22 alias).  Under DESTDIR only a tree that already
# has this kernel's index (an image being built) is indexed: a packaging
# root's postinst runs depmod on the target instead.
ifeq ($(DESTDIR),)
DEPMOD	= depmod -a $(KVER)
else
DEPMOD	= if [ -e $(DESTDIR)/lib/modules/$(KVER)/modules.dep ]; then \
		depmod -b $(DESTDIR) $(KVER); fi
endif

# make dkms-install: dkms rebuilds from a copy of the module's sources.
DKMS		?= dkms
DKMS_SRCDIR	?= /usr/src
DKMS_KVERS	?= $(KVER)
DKMS_FILES	:= dkms.conf LICENSE Kbuild module/Kbuild \
		   $(filter-out %.mod.c,$(wildcard module/*.[ch])) \
		   $(wildcard uapi/linux/*.h)
DKMS_TREE	:= $(DKMS_SRCDIR)/xtcp-$(VERSION)

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

check-debug: deps
	scripts/check-debug $(TESTS)

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

install: module
	$(INSTALL) -D -m 644 module/xtcp.ko $(DESTDIR)$(MODDIR)/xtcp.ko
	$(INSTALL) -D -m 644 module/xtcp_diag.ko $(DESTDIR)$(MODDIR)/xtcp_diag.ko
	$(INSTALL) -D -m 644 uapi/linux/xtcp.h $(DESTDIR)/usr/include/linux/xtcp.h
	$(MAKE) -C tools install
	$(foreach p,$(MANPAGES),$(INSTALL) -D -m 644 $(p) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)) &&) true
	$(DEPMOD)

uninstall:
	rm -f $(DESTDIR)$(MODDIR)/xtcp.ko $(DESTDIR)$(MODDIR)/xtcp_diag.ko \
	      $(DESTDIR)/usr/include/linux/xtcp.h
	$(MAKE) -C tools uninstall
	rm -f $(foreach p,$(MANPAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))
	$(DEPMOD)

# dkms-build: the source copied and built for DKMS_KVERS, not installed
# (what make check runs, with DKMS pointed at a scratch tree).
dkms-build:
	@[ -n "$(VERSION)" ] || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	-$(DKMS) remove -m xtcp -v $(VERSION) --all >/dev/null 2>&1
	rm -rf $(DKMS_TREE)
	mkdir -p $(DKMS_TREE)
	cp --parents $(DKMS_FILES) $(DKMS_TREE)/
	$(DKMS) add -m xtcp -v $(VERSION)
	$(foreach k,$(DKMS_KVERS),$(DKMS) build -m xtcp -v $(VERSION) -k $(k) &&) true

dkms-install: dkms-build
	$(foreach k,$(DKMS_KVERS),$(DKMS) install -m xtcp -v $(VERSION) -k $(k) &&) true

dkms-uninstall:
	$(DKMS) remove -m xtcp -v $(VERSION) --all
	rm -rf $(DKMS_TREE)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build

.PHONY: all module deps check check-debug demo bench vm lint clean install uninstall \
	dkms-build dkms-install dkms-uninstall
