#!/usr/bin/env bash
# Hook overhead benchmark: Checmate against BPF LSM, same kernel image.
#
#   tools/bench/run.sh [--kernel IMG]
#
# Boots the kernel six times under QEMU with -icount shift=0,sleep=off and
# one vCPU (lsm=capability; lsm=capability,checmate; lsm=capability,bpf;
# the default LSM list, and twice the same without checmate), runs
# tools/bench/guest.sh in each, prints tables of instructions per
# operation and writes the figures as JSON, the rst includes and the plots
# (Documentation/security/checmate-bench*.inc, checmate-bench-*.svg); the
# last line names the JSON file. Needs make selftests first (make bench).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
kernel=()
case "${1:-}" in
--kernel) kernel=(--kernel "$2") ;;
"") ;;
*) echo "usage: $0 [--kernel IMG]" >&2; exit 2 ;;
esac
out="$top/build/bench"
hdr="$top/build/headers"
dest="$top/build/selftests"
[ -d "$dest" ] && [ -d "$hdr/include" ] || { echo "bench: make selftests first" >&2; exit 2; }
mkdir -p "$out" "$dest/bench"
# What the guest runs, from this tree's tools/bench: the benchmark, its
# script, the BPF LSM twins, and the egress sample with room for more
# entries (the sample's own object is built with the samples).
cp "$top/tools/bench/guest.sh" "$dest/bench-guest.sh"
gcc -O2 -Wall -static -isystem "$hdr/include" -o "$dest/checmate-bench" \
	"$top/tools/bench/checmate-bench.c"
bpfcc=(clang-19 -O2 -g -Wall -target bpf -I"$hdr/include" -idirafter /usr/include)
for t in egress ingress egress_lpm; do
	"${bpfcc[@]}" -c "$top/tools/bench/${t}_lsm.bpf.c" -o "$dest/bench/${t}_lsm.bpf.o"
done
"${bpfcc[@]}" -I"$top/samples" -c "$top/tools/bench/egress_lpm.bpf.c" \
	-o "$dest/bench/egress_lpm.bpf.o"
for n in 100000 1000000; do
	"${bpfcc[@]}" -DEGRESS_MAX_ENTRIES=$n -c "$top/tools/bench/egress_lsm.bpf.c" \
		-o "$dest/bench/egress_lsm_$n.bpf.o"
	"${bpfcc[@]}" -DEGRESS_MAX_ENTRIES=$n -I"$top/samples" \
		-c "$top/tools/bench/egress_sized.bpf.c" -o "$dest/bench/egress_allowlist_$n.bpf.o"
done

stamp=$(date +%Y%m%d-%H%M%S)
raw="$out/raw-$stamp.txt"
: >"$raw"
start=$(date +%s)
# One boot: boot MODE LSM_LIST (empty: the kernel's default list, CONFIG_LSM).
boot() {
	local append=()
	[ -z "$2" ] || append=(--append "lsm=$2")
	echo "# bench: booting with ${2:+lsm=}${2:-the default LSM list} ($1)" >&2
	# 1 GiB of guest memory (tools/vm/run.sh): the 1,000,000-entry
	# allowlist takes about 100 MB of it.
	# The guest's own complaints ("checmate-bench: ...") are kept too.
	if ! "$top/tools/vm/run.sh" "${kernel[@]}" --cpus 1 --icount --timeout 1800 \
		"${append[@]}" -- sh ./bench-guest.sh "$1" |
		grep -oE '((BENCH|CURVE|LAT|EGRESS|MEM|MACRO|INFO|OPHOOKS|CROSS|LSM|IDLE) |checmate-bench: ).*' |
		tee -a "$raw" >&2; then
		echo "bench: the $1 boot failed (raw figures so far in $raw)" >&2
		exit 1
	fi
}
# BENCH_MODES="checmate" boots only that configuration and makes no report
# (for working on the benchmark).
for m in ${BENCH_MODES:-baseline checmate bpf idle}; do
	case "$m" in
	baseline) boot baseline capability ;;
	checmate) boot checmate capability,checmate ;;
	bpf) boot bpf capability,bpf ;;
	idle)
		# Idle stays +0: the kernel's whole default LSM list (what
		# /sys/kernel/security/lsm shows), then the same list without
		# checmate; no program loaded in either.
		boot idle-checmate ""
		lsms=$(sed -n 's/^LSM idle-checmate //p' "$raw" | tail -1)
		case ",$lsms," in
		*,checmate,*) ;;
		*) echo "bench: checmate is not in the default LSM list ($lsms)" >&2; exit 1 ;;
		esac
		lsms=$(echo ",$lsms," | sed 's/,checmate,/,/; s/^,//; s/,$//')
		boot idle-nochecmate "$lsms"
		# The same boot again: what an operation moves between two
		# boots of the same configuration, for the differences above.
		boot idle-nochecmate-again "$lsms"
		;;
	*) echo "bench: unknown mode $m" >&2; exit 2 ;;
	esac
done
echo "INFO bench_wall_seconds $(($(date +%s) - start))" >>"$raw"
[ -z "${BENCH_MODES:-}" ] || { echo "bench: raw figures in $raw" >&2; exit 0; }
doc="$top/Documentation/security"
# Debian's python3, which python3-matplotlib (tools/setup.sh) is installed for.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" "$top/tools/bench/report.py" "$raw" "$out/results-$stamp.json" \
	"$doc/checmate-bench.inc" "$doc/checmate-bench-curves.inc" "$doc"
