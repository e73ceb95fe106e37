#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the benchmark VM (tools/bench/run.sh):
#   guest.sh baseline|checmate|bpf|idle-checmate|idle-nochecmate
#
# baseline: the operations, and the macro benchmark with no LSM programs.
# checmate, bpf: the operations idle, with 1 and 8 allow-all programs and
# with 0..64 on file_open (checmate-bench); the egress allowlist sample
# (checmatectl) or its BPF LSM twin (bpftool) with 10 to 1,000,000 entries,
# and the same with the entries as networks in an LPM trie (egress_lpm);
# the macro benchmark idle, with the egress and the ingress policy alone,
# then with every sample policy applied from its policy file (checmate) or
# with the BPF LSM twins (bpf); last, the memory of programs attached to
# every hook. idle-*: the operations alone, no program loaded, and the
# list of active LSMs.
set -e
mode=$1
CTL=./checmatectl
# Every sample policy file (tools/testing/container/lib.sh applies the same).
POLICIES="egress_allowlist file_rate_limit hardchroot ingress_filter no_setid_exec
no_userns port_map umount_locked unix_allowlist yama_ptrace"
ENTRIES="10 1000 100000 1000000"

# A BPF LSM twin (tools/bench/*_lsm.bpf.c) loaded and attached with its
# links and maps pinned, or detached and unloaded.
twin_load() {
	mkdir -p /sys/fs/bpf/tw-$1
	./bpftool prog loadall bench/$1_lsm.bpf.o /sys/fs/bpf/tw-link-$1 \
		pinmaps /sys/fs/bpf/tw-$1 autoattach
}
twin_unload() {
	rm -rf /sys/fs/bpf/tw-link-$1 /sys/fs/bpf/tw-$1
}

case "$mode" in
idle-*)
	echo "LSM $mode $(cat /sys/kernel/security/lsm)"
	exec ./checmate-bench idle "$mode"
	;;
esac

./checmate-bench "$mode"
mkdir -p /sys/fs/cgroup/container
./checmate-bench macro-prep

case "$mode" in
baseline)
	./checmate-bench macro baseline
	;;
checmate)
	for n in $ENTRIES; do
		# The sample's own object while the entries fit its 4096.
		obj=samples/egress_allowlist.bpf.o
		[ "$n" -le 4096 ] || obj=bench/egress_allowlist_$n.bpf.o
		mkdir -p /sys/fs/bpf/egress-$n
		$CTL load --name egress "$obj" --pin-maps /sys/fs/bpf/egress-$n >/dev/null
		all=
		[ "$n" != 1000 ] || all=all
		./checmate-bench egress checmate-egress /sys/fs/bpf/egress-$n "$n" $all
		$CTL delete egress >/dev/null
		rm -rf /sys/fs/bpf/egress-$n
	done
	# The same curve with the allowlist as networks in an LPM trie.
	for n in $ENTRIES; do
		mkdir -p /sys/fs/bpf/lpm-$n
		$CTL load --name egress-lpm bench/egress_lpm.bpf.o --pin-maps /sys/fs/bpf/lpm-$n >/dev/null
		./checmate-bench egress checmate-egress-lpm /sys/fs/bpf/lpm-$n "$n"
		$CTL delete egress-lpm >/dev/null
		rm -rf /sys/fs/bpf/lpm-$n
	done
	./checmate-bench macro checmate-idle
	# The network policies one at a time, then every sample.
	for p in egress_allowlist ingress_filter; do
		$CTL apply -f samples/$p.toml >/dev/null
		./checmate-bench macro checmate-only-${p%%_*}
		$CTL delete ${p%%_*} >/dev/null
	done
	# file_rate_limit's 100 names a second would refuse the unpack (2,000
	# names in well under a guest second): its limit is raised, as
	# container_test.sh raises it, so that it counts and never refuses.
	for p in $POLICIES; do
		f=samples/$p.toml
		if [ "$p" = file_rate_limit ]; then
			sed 's/max = [0-9]*/max = 1000000/' "$f" >samples/$p.bench.toml
			f=samples/$p.bench.toml
		fi
		$CTL apply -f "$f" >/dev/null
	done
	./checmate-bench macro checmate-samples
	for p in egress file-rate hardchroot ingress no-setid-exec no-userns port-map \
		umount-locked unix-allow yama-ptrace; do
		$CTL delete "$p" >/dev/null
	done
	./checmate-bench memory checmate
	;;
bpf)
	for n in $ENTRIES; do
		obj=bench/egress_lsm.bpf.o
		[ "$n" -le 4096 ] || obj=bench/egress_lsm_$n.bpf.o
		mkdir -p /sys/fs/bpf/twin-$n
		./bpftool prog loadall "$obj" /sys/fs/bpf/twin-link-$n \
			pinmaps /sys/fs/bpf/twin-$n autoattach
		all=
		[ "$n" != 1000 ] || all=all
		./checmate-bench egress bpf-lsm-egress /sys/fs/bpf/twin-$n "$n" $all
		rm -rf /sys/fs/bpf/twin-link-$n /sys/fs/bpf/twin-$n
	done
	for n in $ENTRIES; do
		mkdir -p /sys/fs/bpf/twin-lpm-$n
		./bpftool prog loadall bench/egress_lpm_lsm.bpf.o /sys/fs/bpf/twin-lpm-link-$n \
			pinmaps /sys/fs/bpf/twin-lpm-$n autoattach
		./checmate-bench egress bpf-lsm-egress-lpm /sys/fs/bpf/twin-lpm-$n "$n"
		rm -rf /sys/fs/bpf/twin-lpm-link-$n /sys/fs/bpf/twin-lpm-$n
	done
	./checmate-bench macro bpf-lsm-idle
	# The network twins one at a time, then all of them.
	twin_load ingress
	./checmate-bench macro bpf-lsm-only-ingress maps - /sys/fs/bpf/tw-ingress
	twin_unload ingress
	twin_load egress
	./checmate-bench macro bpf-lsm-only-egress maps /sys/fs/bpf/tw-egress -
	twin_load ingress
	./checmate-bench macro bpf-lsm-twins twins /sys/fs/bpf/tw-egress /sys/fs/bpf/tw-ingress
	twin_unload egress
	twin_unload ingress
	./checmate-bench memory bpf
	;;
esac
