#!/bin/sh
# What `make demo` shows inside the VM: a crun container under every sample
# policy, then an egress allowlist policy, applied from a policy file with
# checmatectl, confining one cgroup, changed and locked.
set -e
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { echo "  # $*"; "$@"; }

say "Checmate is active:"
echo "  LSMs: $(cat /sys/kernel/security/lsm)"
dmesg | grep -i 'checmate:' | sed 's/^\[[ 0-9.]*\] /  kernel: /'

# A real OCI runtime (crun) starting a container under every sample policy;
# it removes what it applied, so the egress walk-through below starts clean.
sh ./container/demo-container.sh || echo "  (the container part of the demo failed)"

say "A container's cgroup, and the egress policy as a file (samples/egress_allowlist.toml):"
mkdir -p /sys/fs/cgroup/container
grep -v '^#' samples/egress_allowlist.toml | grep . | sed 's/^/  | /'
run ./checmatectl apply -f samples/egress_allowlist.toml
run ./checmatectl show socket_connect

say "Inside the container's cgroup: 4242 allowed, 4243 refused:"
sh -c 'echo $$ > /sys/fs/cgroup/container/cgroup.procs; exec ./checmate-demo 4242 4243' || true
say "Outside it, nothing changes:"
./checmate-demo 4242 4243

say "A root user in a user namespace cannot remove the policy:"
unshare -U ./checmatectl reset socket_connect 2>&1 | sed 's/^/  /' || true

say "The administrator adds 4243 to the policy file and applies it again: only that entry changes, no reload:"
cp samples/egress_allowlist.toml samples/egress_v2.toml
printf '\n[[maps.egress_allow]]\nkey = { family = 2, port = 4243, addr = "127.0.0.1" }\nvalue = 1\n' \
	>>samples/egress_v2.toml
run ./checmatectl apply -f samples/egress_v2.toml --dry-run
run ./checmatectl apply -f samples/egress_v2.toml
sh -c 'echo $$ > /sys/fs/cgroup/container/cgroup.procs; exec ./checmate-demo 4242 4243'

say "And locks the hook until reboot:"
run ./checmatectl lock socket_connect
./checmatectl reset socket_connect 2>&1 | sed 's/^/  /' || true
run ./checmatectl show socket_connect
say "Demo done."
