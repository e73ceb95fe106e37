# SPDX-License-Identifier: GPL-2.0
# Shared by container_test.sh and demo-container.sh (sourced, POSIX sh):
# a busybox OCI bundle built in the guest, crun started and stopped, the
# sample policies applied and removed, Checmate's counters read.
#
# Paths: this file's directory holds crun; its parent (/checmate in the VM)
# holds checmatectl and samples/ (the objects and their .toml files).

ctr_dir=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$ctr_dir")
CRUN="$ctr_dir/crun"
CTL="$top/checmatectl"
SAMPLES="$top/samples"
STATE=/run/crun			# crun --root
CG=/sys/fs/cgroup/container	# what the sample policy files aim at
CGPATH=/container		# linux.cgroupsPath: crun (cgroupfs, v2) puts
				# the container in /sys/fs/cgroup$CGPATH
B=/tmp/ctr-bundle		# the OCI bundle
ROOTFS=$B/rootfs
HOOKS=/sys/kernel/security/checmate/hooks
# Every sample policy file, in the order they are applied.
POLICIES="egress_allowlist file_rate_limit hardchroot ingress_filter no_setid_exec
no_userns port_map umount_locked unix_allowlist yama_ptrace"

crun() { "$CRUN" --root "$STATE" "$@"; }

# The rootfs: a static busybox with its applet links, the container's
# init script, and two set-user-ID copies of busybox for no_setid_exec.
make_rootfs() {
	rm -rf "$B"
	mkdir -p "$ROOTFS" && (
		cd "$ROOTFS" || exit 1
		mkdir -p bin proc sys dev tmp mnt etc run probe suid-root suid-nobody
		cp /bin/busybox bin/busybox || exit 1
		for a in $(bin/busybox --list); do
			[ -e "bin/$a" ] || ln -s busybox "bin/$a"
		done
		printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >etc/passwd
		printf 'root:x:0:\nnogroup:x:65534:\n' >etc/group
		# set-user-ID root, and set-user-ID nobody ("true" is the applet)
		cp /bin/busybox suid-root/true && chmod 4755 suid-root/true &&
		cp /bin/busybox suid-nobody/true && chown 65534:65534 suid-nobody/true &&
		chmod 4755 suid-nobody/true || exit 1
		# The container's main process: TCP listeners for the network
		# policies, then wait for /tmp/stop.
		cat >probe/init.sh <<-'EOF'
		#!/bin/sh
		pids=
		for p in 4242 4243 4244 8080; do
			nc -ll -p $p -e /bin/true &
			pids="$pids $!"
		done
		i=0
		while [ "$(netstat -ltn | grep -c LISTEN)" -lt 4 ] && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		: >/tmp/ready
		while [ ! -e /tmp/stop ]; do sleep 0.1; done
		kill $pids 2>/dev/null
		exit 0
		EOF
		# A one-shot command: what the container sees.
		cat >probe/hello.sh <<-'EOF'
		#!/bin/sh
		echo "hello from $(hostname)"
		for n in pid mnt net ipc uts cgroup; do
			echo "ns $n $(readlink /proc/self/ns/$n)"
		done
		echo "pid $$"
		sed 's/^/cgroup /' /proc/self/cgroup
		awk '{ print "mount " $2 " " $3 }' /proc/mounts
		awk '{ print "uid_map " $1 " " $2 " " $3 }' /proc/self/uid_map
		EOF
		# Probes, run in the container and on the host (as
		# $ROOTFS/probe/...). connect.sh ADDR PORT: a TCP connection
		# is made (the listener closes it).
		cat >probe/connect.sh <<-'EOF'
		#!/bin/sh
		exec timeout 10 nc -w 3 "$1" "$2" </dev/null
		EOF
		# listening.sh PORT: a TCP listener is bound to PORT.
		cat >probe/listening.sh <<-'EOF'
		#!/bin/sh
		netstat -ltn | grep -q ":$1 "
		EOF
		# burst.sh: 400 directories by one process, well within a second.
		cat >probe/burst.sh <<-'EOF'
		#!/bin/sh
		mkdir /tmp/rl && cd /tmp/rl || exit 2
		mkdir $(seq 1 400) 2>/tmp/rl.err
		r=$?
		echo "created $(ls | wc -l) of 400"
		sed 's/.*: //' /tmp/rl.err | sort | uniq -c
		cd / && rm -rf /tmp/rl /tmp/rl.err
		exit $r
		EOF
		chmod 755 probe/*.sh
	)
}

# A second bundle, for a container with a user namespace: the same rootfs,
# owned by the uid and gid its root is mapped to.
BU=/tmp/ctr-bundle-userns
make_userns_bundle() {
	rm -rf "$BU" && mkdir -p "$BU" && cp -a "$ROOTFS" "$BU/rootfs" &&
		chown -R 100000:100000 "$BU/rootfs" &&
		write_config '"/bin/sh", "/probe/hello.sh"' "$BU" userns
}

# config.json, as `crun spec` writes it, with: the given args (JSON list
# items), no terminal, more capabilities (Docker's default set plus
# CAP_SYS_ADMIN, so that chroot and mount are the policies' to refuse),
# no no_new_privs (so set-user-ID programs work), a cgroup namespace, the
# cgroup /sys/fs/cgroup/container with memory and pids limits, and
# the host's /dev/log bind-mounted in (as `-v /dev/log:/dev/log`).
# write_config ARGS [BUNDLE [userns]]: with userns, the container also
# has a user namespace, its uids and gids 0-65535 being 100000-165535.
write_config() {
	w_bundle=${2:-$B}
	ns='{ "type": "pid" }, { "type": "network" }, { "type": "ipc" },
	      { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" }'
	idmaps=
	if [ "${3:-}" = userns ]; then
		ns="$ns, { \"type\": \"user\" }"
		idmaps='"uidMappings": [ { "containerID": 0, "hostID": 100000, "size": 65536 } ],
	    "gidMappings": [ { "containerID": 0, "hostID": 100000, "size": 65536 } ],'
	fi
	caps='"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
			"CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
			"CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
			"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_SYS_ADMIN"'
	devlog=
	[ -S /dev/log ] && devlog='{ "destination": "/dev/log", "type": "bind",
		  "source": "/dev/log", "options": ["bind"] },'
	cat >"$w_bundle/config.json" <<-EOF
	{
	  "ociVersion": "1.0.0",
	  "process": {
	    "terminal": false,
	    "user": { "uid": 0, "gid": 0 },
	    "args": [ $1 ],
	    "env": [ "PATH=/bin", "TERM=dumb" ],
	    "cwd": "/",
	    "capabilities": {
	      "bounding": [ $caps ],
	      "effective": [ $caps ],
	      "permitted": [ $caps ]
	    },
	    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
	    "noNewPrivileges": false
	  },
	  "root": { "path": "rootfs", "readonly": false },
	  "hostname": "checmate-ctr",
	  "mounts": [
	    { "destination": "/proc", "type": "proc", "source": "proc" },
	    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
	      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
	    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
	      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
	    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
	      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
	    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
	      "options": ["nosuid", "noexec", "nodev"] },
	    $devlog
	    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
	      "options": ["nosuid", "noexec", "nodev", "ro"] },
	    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
	      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] }
	  ],
	  "linux": {
	    "cgroupsPath": "$CGPATH",
	    "resources": {
	      "devices": [ { "allow": false, "access": "rwm" } ],
	      "memory": { "limit": 268435456 },
	      "pids": { "limit": 512 }
	    },
	    "namespaces": [ $ns ],
	    $idmaps
	    "maskedPaths": [ "/proc/acpi", "/proc/kcore", "/proc/keys",
	      "/proc/latency_stats", "/proc/timer_list", "/proc/sched_debug",
	      "/sys/firmware", "/proc/scsi" ],
	    "readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	      "/proc/sysrq-trigger" ]
	  }
	}
	EOF
}

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	w_left=$(($1 * 10))
	shift
	until "$@"; do
		[ "$w_left" -gt 0 ] || return 1
		sleep 0.1
		w_left=$((w_left - 1))
	done
}

ctr_status() { crun state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
ctr_pid() { crun state "$1" 2>/dev/null | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'; }
is_stopped() { [ "$(ctr_status "$1")" = stopped ]; }

# start_ctr ID LOG: run the bundle's init.sh detached; wait until its
# listeners are up. Sets CPID (the container's init, as the host sees it).
start_ctr() {
	CPID=
	mkdir -p "$CG" "$STATE"
	rm -f "$ROOTFS/tmp/ready" "$ROOTFS/tmp/stop"
	write_config '"/bin/sh", "/probe/init.sh"'
	crun run -d --bundle "$B" "$1" </dev/null >"$2" 2>&1 || return 1
	wait_for 30 test -e "$ROOTFS/tmp/ready" || return 1
	CPID=$(ctr_pid "$1")
	[ -n "$CPID" ]
}

# stop_ctr ID: its init exits by itself; then crun delete.
stop_ctr() {
	: >"$ROOTFS/tmp/stop"
	wait_for 30 is_stopped "$1" || return 1
	crun delete "$1"
}

# policy_name SAMPLE: the name its .toml file gives it.
policy_name() { sed -n 's/^name *= *"\(.*\)".*/\1/p' "$SAMPLES/$1.toml"; }

# The denials of every hook, summed, and each hook's line.
denials_total() {
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^denials=/) { sub(/^denials=/, "", $i); s += $i } }
	     END { print s + 0 }' "$HOOKS"
}
hooks_with_progs() { awk '$NF !~ /^progs=$/ { print $1 }' "$HOOKS"; }
