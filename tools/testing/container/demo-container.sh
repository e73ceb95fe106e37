#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The container part of `make demo`, in the VM: crun starts a busybox
# container under every sample policy (samples/*.toml, aimed at
# /sys/fs/cgroup/container); what the policies refuse inside it, what they
# leave alone outside it. Leaves no policy, container or cgroup behind.
#   tools/vm/run.sh -- sh ./container/demo-container.sh
# (tools/vm/demo.sh can call it as `sh ./container/demo-container.sh`
# before it locks any hook.)
. "$(dirname "$0")/lib.sh"

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# try DESC CMD...: run CMD, say whether it was allowed, show its last line.
try() {
	t_desc=$1
	shift
	if t_out=$("$@" 2>&1 </dev/null); then t_res="allowed"; else t_res="REFUSED"; fi
	printf '  %-58s %s\n' "$t_desc" "$t_res"
	[ "$t_res" = REFUSED ] && [ -n "$t_out" ] &&
		printf '  %-58s   (%s)\n' "" "$(echo "$t_out" | tail -n 1)"
	return 0
}
in_ctr() { crun exec ctr-demo "$@"; }
logger_reaches() { in_ctr logger demo-ctr && sleep 1 && grep -q demo-ctr /tmp/demo-syslog; }

make_rootfs || exit 1
mkdir -p "$CG"
syslogd -n -O /tmp/demo-syslog &
slog=$!

say "Every sample policy, applied from its file and aimed at $CG:"
for p in $POLICIES; do
	if "$CTL" apply -f "$SAMPLES/$p.toml" >/tmp/demo-apply 2>&1; then
		echo "  checmatectl apply -f samples/$p.toml"
	else
		echo "  checmatectl apply -f samples/$p.toml FAILED:"
		sed 's/^/    /' /tmp/demo-apply
	fi
done
d0=$(denials_total)

say "crun (a real OCI runtime: namespaces, cgroup, pivot_root, /proc /dev /sys mounts) starts a busybox container in it:"
if start_ctr ctr-demo /tmp/demo-crun.log; then
	echo "  crun run -d ctr-demo: running, init pid $CPID, cgroup $(cat /proc/"$CPID"/cgroup)"
else
	echo "  crun run failed:"
	sed 's/^/    /' /tmp/demo-crun.log
fi
echo "  Checmate denials during crun's setup: $(($(denials_total) - d0))"

say "Inside the container:"
try "connect to 127.0.0.1:4242 (egress allowlist)" in_ctr sh /probe/connect.sh 127.0.0.1 4242
try "connect to 127.0.0.1:4243" in_ctr sh /probe/connect.sh 127.0.0.1 4243
try "chroot (hardchroot)" in_ctr chroot / true
try "mount a tmpfs (not chrooted: hardchroot allows it)" in_ctr sh -c 'mount -t tmpfs none /mnt && umount /mnt'
try "unshare -U (no_userns)" in_ctr unshare -U true
try "uid 65534 runs a set-user-ID root program (no_setid_exec)" crun exec --user 65534:65534 ctr-demo /suid-root/true
try "400 mkdirs at once, 100 a second allowed (file_rate_limit)" in_ctr sh /probe/burst.sh
try "open its init's /proc/1/mem (yama_ptrace)" in_ctr sh -c 'exec 3</proc/1/mem'
try "logger to the host's /dev/log, bind-mounted in (unix_allowlist)" logger_reaches
echo "  its listener asked for port 8080 (port_map): $(nsenter -t "$CPID" -n netstat -ltn | grep -oE ':(8080|18080) ' | head -n 1)"

say "Outside the container's cgroup, the same operations:"
try "connect to 127.0.0.1:4243 in the container's network namespace" nsenter -t "$CPID" -n sh "$ROOTFS/probe/connect.sh" 127.0.0.1 4243
try "chroot" chroot / true
try "unshare -U" unshare -U true
try "nobody runs the set-user-ID root program" su -s /bin/sh nobody -c "$ROOTFS/suid-root/true"
try "400 mkdirs at once" sh "$ROOTFS/probe/burst.sh"

say "What Checmate reported (checmatectl events, the last few):"
for h in $(hooks_with_progs); do "$CTL" audit "$h" on >/dev/null; done
in_ctr chroot / true 2>/dev/null
in_ctr unshare -U true 2>/dev/null
in_ctr sh /probe/connect.sh 127.0.0.1 4243 >/dev/null 2>&1
"$CTL" events --no-follow --since-boot 2>/dev/null | tail -n 3 | cut -c 1-150 | sed 's/^/  /'

say "The container exits, crun deletes it, the policies are deleted:"
stop_ctr ctr-demo && echo "  crun delete ctr-demo: done; $CG $( [ -e "$CG" ] && echo still there || echo removed)"
for h in $(awk '/ audit=1 / { print $1 }' "$HOOKS"); do "$CTL" audit "$h" off >/dev/null; done
for p in $POLICIES; do "$CTL" delete "$(policy_name "$p")" >/dev/null 2>&1; done
echo "  hooks with programs left: $(hooks_with_progs | wc -l)"
kill "$slog" 2>/dev/null
rm -rf "$B"
exit 0
