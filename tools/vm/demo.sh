#!/bin/sh
# What `make demo` shows inside the VM.
echo
echo "== Checmate demo =="
echo "active LSMs: $(cat /sys/kernel/security/lsm)"
dmesg | grep -i checmate | sed 's/^\[[ 0-9.]*\] /kernel: /'
./checmate-demo
