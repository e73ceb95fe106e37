#!/bin/sh
# /init of the test initramfs. Runs /run-cmd (written by run.sh), reports
# its exit status on the console, and ends the VM.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/checmate
# The initramfs is rootfs, which pivot_root(2) cannot leave (EINVAL: the root
# mount has no parent). Move to a tmpfs first, as a distribution's initramfs
# moves to the real root, so container runtimes and pivot_root tests see what
# they see in production.
if [ ! -e /.tmpfs-root ]; then
	mkdir -p /newroot
	mount -t tmpfs -o mode=755 tmpfs /newroot
	for e in /* /.[!.]*; do
		[ -e "$e" ] && [ "$e" != /newroot ] && cp -a "$e" /newroot/
	done
	: >/newroot/.tmpfs-root
	exec switch_root /newroot /init
fi
# From here on the run is ours: run.sh judges the kernel log after this line.
echo "CHECMATE-VM-START"
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
cd /checmate
echo
sh /run-cmd
rc=$?
# Debug kernels: report what kmemleak finds once the run's objects are old
# enough to count (5 s) and deferred frees (RCU work) have run.
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
echo "CHECMATE-VM-EXIT $rc"
reboot -f
