#!/bin/sh
# What `make demo` shows inside the VM.
echo "== Checmate demo =="
echo "LSMs active: $(cat /sys/kernel/security/lsm)"
dmesg | grep -i checmate | sed 's/^/kernel: /'
./base_test 2>&1 | grep -E '^(ok|not ok)'
