#!/bin/sh
# What `make demo` shows inside the VM: an egress allowlist policy, loaded
# with checmatectl, confining one cgroup.
set -e
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { echo "  # $*"; "$@"; }

say "Checmate is active:"
echo "  LSMs: $(cat /sys/kernel/security/lsm)"
dmesg | grep -i 'checmate:' | sed 's/^\[[ 0-9.]*\] /  kernel: /'

say "A container's cgroup, and the egress policy (samples/egress_allowlist.bpf.c):"
mkdir -p /sys/fs/cgroup/container /sys/fs/bpf/egress
run ./checmatectl load samples/egress_allowlist.bpf.o --pin-maps /sys/fs/bpf/egress
run ./checmatectl map update /sys/fs/bpf/egress/egress_cgroup u32:0 cgroup:/sys/fs/cgroup/container
echo "  # allow 127.0.0.1:4242 only (family 2 = AF_INET, port, address):"
run ./checmatectl map update /sys/fs/bpf/egress/egress_allow \
	u32:2,u32:4242,ip4:127.0.0.1,u32:0,u32:0,u32:0 u8:1
run ./checmatectl show socket_connect

say "Inside the container's cgroup: 4242 allowed, 4243 refused:"
sh -c 'echo $$ > /sys/fs/cgroup/container/cgroup.procs; exec ./checmate-demo 4242 4243' || true
say "Outside it, nothing changes:"
./checmate-demo 4242 4243

say "A root user in a user namespace cannot remove the policy:"
unshare -U ./checmatectl reset socket_connect 2>&1 | sed 's/^/  /' || true

say "The administrator adds 4243 to the running policy, no reload:"
run ./checmatectl map update /sys/fs/bpf/egress/egress_allow \
	u32:2,u32:4243,ip4:127.0.0.1,u32:0,u32:0,u32:0 u8:1
sh -c 'echo $$ > /sys/fs/cgroup/container/cgroup.procs; exec ./checmate-demo 4242 4243'

say "And locks the hook until reboot:"
run ./checmatectl lock socket_connect
./checmatectl reset socket_connect 2>&1 | sed 's/^/  /' || true
run ./checmatectl show socket_connect
say "Demo done."
