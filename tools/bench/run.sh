#!/usr/bin/env bash
# Hook overhead benchmark: Checmate against BPF LSM, same kernel image.
# Boots the kernel three times under QEMU with -icount shift=0,sleep=off and
# one vCPU (lsm=capability; lsm=capability,checmate; lsm=capability,bpf),
# runs tools/bench/guest.sh in each, prints a table of instructions per
# operation and writes the figures as JSON; the last line names the JSON file.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
out="$top/build/bench"
mkdir -p "$out"
raw="$out/raw-$(date +%Y%m%d-%H%M%S).txt"
: >"$raw"
for mode in baseline:capability checmate:capability,checmate bpf:capability,bpf; do
	echo "# bench: booting with lsm=${mode#*:}" >&2
	"$top/tools/vm/run.sh" --cpus 1 --icount --timeout 900 \
		--append "lsm=${mode#*:}" -- sh ./bench-guest.sh "${mode%%:*}" |
		grep -oE '(BENCH|INFO) .*' | tee -a "$raw" >&2
done
python3 "$top/tools/bench/report.py" "$raw" "$out/results-$(date +%Y%m%d-%H%M%S).json" \
	"$top/Documentation/security/checmate-bench.inc"
