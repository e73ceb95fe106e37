#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End to end: a real OCI runtime (crun) starts a busybox container, in its
# own pid, mount, network, ipc, uts and cgroup namespaces, in the cgroup
# /sys/fs/cgroup/container, after pivot_root into a rootfs with /proc, /dev,
# /dev/pts, /dev/shm, /dev/mqueue and /sys mounted; then the same with every
# sample policy applied from its policy file (samples/*.toml) and aimed at
# that cgroup.
#
#   (a) without policies: the container starts, runs a command, exits 0;
#       every operation the policies refuse succeeds in it;
#   (b) with every sample policy: the container still starts and runs, and
#       so does one with a user namespace too; Checmate's denial counters
#       and its kernel log reports show that no step of crun's setup was
#       refused;
#   (c) in the container each policy holds (egress, ingress, port mapping,
#       UNIX sockets, file creation rate, chroot, user namespaces, set-id
#       exec, ptrace), and the same operations from outside the container's
#       cgroup still succeed (the policies are aimed, not global; yama_ptrace
#       and hardchroot's mount rule are global by design);
#   (d) the container exits, crun delete removes it and its cgroup, and
#       deleting the policies leaves every hook as it was: the probes of (a)
#       succeed again.
#
# TAP on stdout; exit status 0 if every case passed. Runs in the test VM:
#   tools/vm/run.sh -- sh ./container/container_test.sh
# For showing that it can fail:
#   CONTAINER_TEST_NO_POLICY=1  apply no policy in (b): (c) fails;
#   CONTAINER_TEST_RATE_MAX=N   file_rate_limit allows N names a second
#                               instead of 100: with N=5, crun's own setup
#                               is refused and (b) fails.
. "$(dirname "$0")/lib.sh"

PLAN=112
T=/tmp/ctr-test
ID=ctr1
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed 's/^/# /' "$@"; }
# check DESC CMD...: CMD must succeed; its output is shown if it fails.
check() {
	c_desc=$1
	shift
	if "$@" >"$T/out" 2>&1; then
		ok "$c_desc"
	else
		not_ok "$c_desc"
		diag "$T/out"
	fi
}
# expect allowed|refused DESC CMD...: CMD succeeds iff the operation was
# allowed.
expect() {
	e_want=$1 e_desc=$2
	shift 2
	if "$@" >"$T/out" 2>&1; then e_got=allowed; else e_got=refused; fi
	if [ "$e_got" = "$e_want" ]; then
		ok "$e_desc: $e_got"
	else
		not_ok "$e_desc: $e_got, expected $e_want"
		diag "$T/out"
	fi
}
# Pad the plan when a step could not run, so that the count stays right.
finish() {
	while [ "$n" -lt "$PLAN" ]; do
		not_ok "not reached"
	done
	[ "$n" -eq "$PLAN" ] || echo "# the plan says $PLAN cases, $n ran"
	cleanup
	[ "$failed" -eq 0 ] && [ "$n" -eq "$PLAN" ]
	exit $?
}

bg_pids=
yama_was=
cleanup() {
	crun delete -f "$ID" >/dev/null 2>&1
	for p in $POLICIES; do
		"$CTL" delete "$(policy_name "$p")" >/dev/null 2>&1
	done
	for h in $(awk '/ audit=1 / { print $1 }' "$HOOKS"); do
		"$CTL" audit "$h" off >/dev/null 2>&1
	done
	[ -n "$bg_pids" ] && kill $bg_pids 2>/dev/null
	[ -n "$yama_was" ] && echo "$yama_was" >/proc/sys/kernel/yama/ptrace_scope
	rmdir "$CG" 2>/dev/null
	rm -rf "$B" "$BU" "$SAMPLES"/*.test.toml
}

in_ctr() { crun exec "$ID" "$@" </dev/null; }
in_ctr_as() { u=$1; shift; crun exec --user "$u" "$ID" "$@" </dev/null; }
# In the container's network namespace, from the host's cgroup.
in_ctr_net() { nsenter -t "$CPID" -n "$@" </dev/null; }
# The probe scripts of the rootfs (lib.sh), from the host.
connect() { sh "$ROOTFS/probe/connect.sh" "$@"; }
listening() { sh "$ROOTFS/probe/listening.sh" "$@"; }
# bound_in_ctr PORT OTHER: the container's listener is on PORT, not OTHER.
bound_in_ctr() { in_ctr_net sh "$ROOTFS/probe/listening.sh" "$1" &&
	! in_ctr_net sh "$ROOTFS/probe/listening.sh" "$2"; }
# logger_reaches ctr|host: a message logged through /dev/log reaches
# syslogd.
logger_reaches() {
	l_tag="probe-$n-$$"
	if [ "$1" = ctr ]; then in_ctr logger -t ctr "$l_tag"; else logger -t host "$l_tag"; fi
	wait_for 2 grep -q "$l_tag" "$T/syslog"
}
# jail CMD...: in a mount namespace of its own, chrooted into the rootfs
# (bind-mounted onto itself, so that the jail's root is a mount's root).
jail() {
	unshare -m sh -c 'mount --bind "$0" "$0" && exec chroot "$0" "$@"' "$ROOTFS" "$@"
}
no_state() { ! test -e "$STATE/$1" && ! test -e "$CG"; }
stop_and_gone() { stop_ctr "$ID" && ! test -e "$CG"; }
none_recorded() {
	for p in $POLICIES; do
		! test -e "/sys/fs/bpf/checmate/$(policy_name "$p")" || return 1
	done
}
allow_dev_log() {
	"$CTL" map update /sys/fs/bpf/checmate/unix-allow/map_unix_allow \
		"u32:$(stat -c %d /dev/log),u32:0,u64:$(stat -c %i /dev/log)" u8:1
}

# probes PHASE AIMED: every probe; AIMED is what the operations the
# policies refuse should give (allowed without them, refused with them).
probes() {
	p=$1 a=$2
	# egress_allowlist: the container may reach 127.0.0.1:4242 only.
	expect "$a" "$p egress: the container connects to 127.0.0.1:4243" in_ctr sh /probe/connect.sh 127.0.0.1 4243
	expect allowed "$p egress: the container connects to 127.0.0.1:4242 (allowed)" in_ctr sh /probe/connect.sh 127.0.0.1 4242
	expect allowed "$p egress: outside its cgroup, in its network namespace, to 4243" in_ctr_net sh "$ROOTFS/probe/connect.sh" 127.0.0.1 4243
	# ingress_filter: the container's listener on 4244 accepts no one.
	expect "$a" "$p ingress: a client reaches the container's listener on 4244" in_ctr_net sh "$ROOTFS/probe/connect.sh" 127.0.0.1 4244
	expect allowed "$p ingress: 127.0.0.1 reaches its listener on 4242 (allowed)" in_ctr_net sh "$ROOTFS/probe/connect.sh" 127.0.0.1 4242
	expect allowed "$p ingress: a listener on 4244 outside the cgroup is reached" connect 127.0.0.1 4244
	# port_map: the container's bind to 8080 lands on 18080.
	if [ "$a" = refused ]; then
		expect allowed "$p port_map: the container's listener on 8080 is bound to 18080" bound_in_ctr 18080 8080
	else
		expect allowed "$p port_map: the container's listener on 8080 is bound to 8080" bound_in_ctr 8080 18080
	fi
	expect allowed "$p port_map: a listener on 8080 outside the cgroup is bound to 8080" listening 8080
	# unix_allowlist: the host's /dev/log, bind-mounted in, is not reachable.
	expect "$a" "$p unix: the container's logger reaches the host's syslogd (/dev/log)" logger_reaches ctr
	expect allowed "$p unix: the host's logger reaches it" logger_reaches host
	# file_rate_limit: at most 100 new names a second in the cgroup.
	expect "$a" "$p file rate: the container makes 400 directories at once" in_ctr sh /probe/burst.sh
	expect allowed "$p file rate: outside its cgroup, 400 directories at once" sh "$ROOTFS/probe/burst.sh"
	# hardchroot: no chroot in the cgroup, no mount in a chroot anywhere.
	expect "$a" "$p hardchroot: chroot in the container" in_ctr chroot / true
	expect allowed "$p hardchroot: mount in the container (its root is no chroot)" in_ctr sh -c 'mount -t tmpfs none /mnt && umount /mnt'
	expect allowed "$p hardchroot: chroot outside its cgroup" chroot / true
	expect "$a" "$p hardchroot: a new mount by a chrooted process outside the cgroup" jail sh -c 'mount -t tmpfs none /mnt && umount /mnt'
	expect allowed "$p hardchroot: a chrooted process makes its root private (as crun's pivot_root)" jail mount --make-rprivate /
	# no_userns
	expect "$a" "$p no_userns: a user namespace in the container" in_ctr unshare -U true
	expect allowed "$p no_userns: a user namespace outside its cgroup" unshare -U true
	# no_setid_exec: no euid change or capability gain at exec.
	expect "$a" "$p no_setid_exec: uid 65534 in the container runs a set-user-ID root program" in_ctr_as 65534:65534 /suid-root/true
	expect "$a" "$p no_setid_exec: root in the container runs a set-user-ID nobody program" in_ctr /suid-nobody/true
	expect allowed "$p no_setid_exec: uid 65534 in the container runs a plain program" in_ctr_as 65534:65534 /bin/true
	expect allowed "$p no_setid_exec: nobody outside the cgroup runs the set-user-ID root program" su -s /bin/sh nobody -c "$ROOTFS/suid-root/true"
	# yama_ptrace (global): attach only to one's descendants.
	expect "$a" "$p yama_ptrace: a container process opens /proc/1/mem (its init's)" in_ctr sh -c 'exec 3</proc/1/mem'
	expect allowed "$p yama_ptrace: a container process opens its child's /proc/PID/mem" in_ctr sh -c 'sleep 5 & exec 3</proc/$!/mem; kill $!'
	expect "$a" "$p yama_ptrace: the host opens the container init's /proc/PID/mem (global rule)" sh -c "exec 3</proc/$CPID/mem"
}

# policy_file SAMPLE: its policy file (with CONTAINER_TEST_RATE_MAX, a
# copy with that max).
policy_file() {
	if [ -n "${CONTAINER_TEST_RATE_MAX:-}" ] && [ "$1" = file_rate_limit ]; then
		sed "s/max = [0-9]*/max = $CONTAINER_TEST_RATE_MAX/" "$SAMPLES/$1.toml" \
			>"$SAMPLES/$1.test.toml"
		echo "$SAMPLES/$1.test.toml"
	else
		echo "$SAMPLES/$1.toml"
	fi
}
apply_all() {
	[ -n "${CONTAINER_TEST_NO_POLICY:-}" ] && return 0
	for p in $POLICIES; do
		"$CTL" apply -f "$(policy_file "$p")" || return 1
	done
}

# The hooks' state without the counters: mode, lock, audit, programs.
hooks_state() { sed 's/ runs=[0-9]* denials=[0-9]*//' "$HOOKS"; }
events() { "$CTL" events --no-follow --since-boot 2>/dev/null; }
hook_runs() { awk '$NF !~ /^progs=$/ { sub(/^runs=/, "", $5); print $1, $5 }' "$HOOKS"; }
hook_denials() { awk -v h="$1" '$1 == h { for (i = 1; i <= NF; i++) if ($i ~ /^denials=/) { sub(/^denials=/, "", $i); print $i } }' "$HOOKS"; }

echo "TAP version 13"
echo "1..$PLAN"
rm -rf "$T" && mkdir -p "$T" || finish
trap 'finish' INT TERM
[ -x "$CRUN" ] && [ -x "$CTL" ] && [ -r "$HOOKS" ] || { echo "# crun, checmatectl or $HOOKS missing"; finish; }
# Yama's own ptrace_scope would refuse what yama_ptrace is tested on.
if [ -w /proc/sys/kernel/yama/ptrace_scope ]; then
	yama_was=$(cat /proc/sys/kernel/yama/ptrace_scope)
	echo 0 >/proc/sys/kernel/yama/ptrace_scope
fi
"$CRUN" --version | head -1 | diag
make_rootfs || { echo "# could not build the rootfs"; finish; }
syslogd -n -O "$T/syslog" &
bg_pids="$bg_pids $!"
for port in 4244 8080; do
	nc -ll -p $port -e /bin/true &
	bg_pids="$bg_pids $!"
done
wait_for 5 test -S /dev/log
wait_for 5 listening 4244
wait_for 5 listening 8080
hooks_before=$(hooks_state)

# (a) Without policies.
mkdir -p "$CG" "$STATE"
write_config '"/bin/sh", "/probe/hello.sh"'
check "(a) crun runs a busybox container without policies; its command exits 0" \
	crun run --bundle "$B" ctr0
cp "$T/out" "$T/hello"
ns_ok=1
for ns in pid mnt net ipc uts cgroup; do
	inside=$(sed -n "s/^ns $ns //p" "$T/hello")
	[ -n "$inside" ] && [ "$inside" != "$(readlink /proc/self/ns/$ns)" ] || ns_ok=0
done
grep -qx 'pid 1' "$T/hello" || ns_ok=0
check "(a) it ran as pid 1 in its own pid, mount, network, ipc, uts and cgroup namespaces" \
	test $ns_ok = 1
mounts_ok=1
for m in "/proc proc" "/dev tmpfs" "/dev/pts devpts" "/dev/shm tmpfs" \
	"/dev/mqueue mqueue" "/sys sysfs" "/sys/fs/cgroup cgroup2"; do
	grep -qx "mount $m" "$T/hello" || mounts_ok=0
done
check "(a) /proc /dev /dev/pts /dev/shm /dev/mqueue /sys /sys/fs/cgroup were mounted in it" \
	test $mounts_ok = 1
check "(a) crun removed it when it ended: no state, no cgroup" no_state ctr0
[ "$mounts_ok$ns_ok" = 11 ] || diag "$T/hello"

check "(a) a detached container starts" start_ctr "$ID" "$T/crun.log"
[ -n "${CPID:-}" ] || { diag "$T/crun.log"; finish; }
check "(a) its init runs in $CG" grep -qx "0::$CGPATH" "/proc/$CPID/cgroup"
probes "(a)" allowed
check "(a) its init exits; crun delete removes it" stop_ctr "$ID"

# (b) Every sample policy, aimed at the container's cgroup.
mkdir -p "$CG"
for p in $POLICIES; do
	if [ -n "${CONTAINER_TEST_NO_POLICY:-}" ]; then
		ok "(b) checmatectl apply -f samples/$p.toml # SKIP CONTAINER_TEST_NO_POLICY"
	else
		check "(b) checmatectl apply -f samples/$p.toml" "$CTL" apply -f "$(policy_file "$p")"
	fi
done
for h in $(hooks_with_progs); do
	"$CTL" audit "$h" on >/dev/null || echo "# audit $h on failed"
done
# A container with a user namespace: crun makes the namespace from outside
# the cgroup (clone3 with CLONE_NEWUSER | CLONE_INTO_CGROUP), so no_userns
# lets it start. crun deletes the cgroup when it ends, and the policies
# then hold a cgroup that is gone: the policy files are applied again once
# the cgroup is made again.
d0=$(denials_total)
if make_userns_bundle >"$T/out" 2>&1; then
	check "(b) a container with a user namespace too runs a command under every policy" \
		crun run --bundle "$BU" ctr-userns
	cp "$T/out" "$T/userns"
else
	not_ok "(b) could not make the user namespace bundle"
	diag "$T/out"
fi
check "(b) its root was uid 100000 outside (uid_map 0 100000 65536)" \
	grep -qx 'uid_map 0 100000 65536' "$T/userns"
d1=$(denials_total)
check "(b) no Checmate denial while it ran (denials: $d0 before, $d1 after)" test "$d0" = "$d1"
mkdir -p "$CG"
check "(b) the policy files, applied again, follow the new $CG" apply_all
d0=$(denials_total)
e0=$(events | wc -l)
hook_runs >"$T/runs0"
check "(b) the container starts under every sample policy" start_ctr "$ID" "$T/crun.log"
[ -s "$T/crun.log" ] && diag "$T/crun.log"
d1=$(denials_total)
hook_runs >"$T/runs1"
echo "# hooks crossed with programs during crun's setup (hook, runs):"
awk 'NR == FNR { r[$1] = $2; next } $2 > r[$1] { printf "#   %s %d\n", $1, $2 - r[$1] }' \
	"$T/runs0" "$T/runs1"
check "(b) no Checmate denial during crun's setup (denials: $d0 before, $d1 after)" test "$d0" = "$d1"
events | tail -n +$((e0 + 1)) >"$T/events"
check "(b) no Checmate denial report in the kernel log during the setup" test ! -s "$T/events"
diag "$T/events"
[ -n "${CPID:-}" ] || finish
check "(b) its init runs in $CG" grep -qx "0::$CGPATH" "/proc/$CPID/cgroup"

# (c) Each policy holds inside, not outside.
probes "(c)" refused
missing=
for h in socket_connect inet_conn_request unix_may_send path_mkdir path_chroot \
	sb_mount userns_create bprm_creds_from_file ptrace_access_check; do
	[ "$(hook_denials "$h")" -gt 0 ] 2>/dev/null || missing="$missing $h"
done
check "(c) the refusals are Checmate's: denials counted on each hook probed${missing:+ (none on$missing)}" \
	test -z "$missing"
events | tail -n +$((e0 + 1)) >"$T/events"
check "(c) they were reported in the kernel log (checmatectl events: $(wc -l <"$T/events") reports)" \
	test -s "$T/events"
# unix_allowlist: a socket file listed in unix_allow is reachable.
allow_dev_log >"$T/out" 2>&1 || diag "$T/out"
expect allowed "(c) unix: once /dev/log is in unix_allow, the container's logger reaches it" \
	logger_reaches ctr

# (d) The container exits and goes; the policies go.
check "(d) the container's init exits; crun delete removes its state" stop_ctr "$ID"
check "(d) crun delete removed its cgroup" test ! -e "$CG"
for p in $POLICIES; do
	"$CTL" delete "$(policy_name "$p")" >"$T/out" 2>&1 || diag "$T/out"
done
for h in $(awk '/ audit=1 / { print $1 }' "$HOOKS"); do
	"$CTL" audit "$h" off >/dev/null
done
check "(d) checmatectl delete of every policy leaves none recorded" none_recorded
hooks_state >"$T/hooks-after"
echo "$hooks_before" >"$T/hooks-before"
check "(d) every hook's mode, lock, audit and programs are as before the policies" \
	diff "$T/hooks-before" "$T/hooks-after"
check "(d) the container starts again" start_ctr "$ID" "$T/crun.log"
[ -n "${CPID:-}" ] || finish
probes "(d)" allowed
check "(d) it exits; crun delete removes it and its cgroup" stop_and_gone
finish
