#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the benchmark VM (tools/bench/run.sh): guest.sh baseline|checmate|bpf
# Configurations 1-7 come from checmate-bench; configuration 8 loads the
# egress allowlist sample with checmatectl (checmate boot) or its BPF LSM
# twin with bpftool (bpf boot), then measures with a 1,000-entry allowlist.
set -e
mode=$1
./checmate-bench "$mode"
case "$mode" in
checmate)
	mkdir -p /sys/fs/bpf/egress
	./checmatectl load samples/egress_allowlist.bpf.o --pin-maps /sys/fs/bpf/egress >/dev/null
	./checmate-bench egress checmate-egress /sys/fs/bpf/egress
	;;
bpf)
	mkdir -p /sys/fs/bpf/twin
	./bpftool prog load bench/egress_lsm.bpf.o /sys/fs/bpf/twin-link \
		pinmaps /sys/fs/bpf/twin autoattach
	./checmate-bench egress bpf-lsm-egress /sys/fs/bpf/twin
	;;
esac
