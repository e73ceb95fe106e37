#!/bin/sh
# /init of the test initramfs. Runs /run-cmd (written by run.sh), reports
# its exit status on the console, and ends the VM.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/checmate
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /tmp
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
cd /checmate
echo
sh /run-cmd
echo "CHECMATE-VM-EXIT $?"
reboot -f
