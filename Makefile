# SPDX-License-Identifier: GPL-2.0
#
# Two makefiles in one:
# - inside the kernel tree (security/checmate/Makefile) kbuild reads only the
#   part between the kbuild markers; tools/sync-tree.sh copies just that part;
# - at the top of this repository it gives the developer targets below.

# kbuild-begin
obj-$(CONFIG_SECURITY_CHECMATE) += checmate.o
# kbuild-end

ifeq ($(KBUILD_EXTMOD)$(srctree),)

.PHONY: help setup kernel demo test bench series series-check refresh-patches selftests clean

help:
	@echo "make setup    install what the build needs (apt, rustup, bindgen, kernel source)"
	@echo "make kernel   build the Checmate kernel (build/out/arch/x86/boot/bzImage)"
	@echo "make demo     set up, build and boot it in QEMU, show Checmate at work"
	@echo "make test     set up, build, and run every test (host and in the VM)"
	@echo "make bench    hook overhead, Checmate against BPF LSM (deterministic, QEMU icount)"
	@echo "make series   write the kernel patch series to build/series/"
	@echo "make series-check  build the series one patch at a time (slow)"
	@echo "make refresh-patches  regenerate patches/ from edits in build/linux"

setup:
	@tools/setup.sh

kernel: setup
	@tools/kbuild.sh

selftests: kernel
	@tools/testing/build-selftests.sh

demo: selftests
	@tools/vm/run.sh --demo

test: selftests
	@tools/run-tests.sh

bench: selftests
	@tools/bench/run.sh

series: setup
	@tools/mkseries.sh

series-check: setup
	@tools/series-check.sh

refresh-patches:
	@tools/refresh-patches.sh

clean:
	rm -rf build/out build/selftests build/initramfs* build/series

endif
