#!/usr/bin/env bash
# Boot the Checmate kernel under QEMU (TCG) with a generated initramfs and run
# a command inside; exit with the guest command's status.
#
#   tools/vm/run.sh [--kernel IMG] [--cpus N] [--append ARGS] [--timeout S]
#                   [--icount] [--log FILE] (--demo | -- CMD...)
#
# CMD runs in /checmate of the guest, which holds the selftests, the sample
# programs and checmatectl. A guest that does not finish within the timeout
# is killed and the run fails. The console log is kept in build/vm-logs/.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

kernel="$top/build/out/arch/x86/boot/bzImage"
cpus=2 timeout=600 append="" icount="" log="" demo=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--icount) icount="-icount shift=0,sleep=off"; shift ;;
	--log) log=$2; shift 2 ;;
	--demo) demo=1; shift ;;
	--) shift; break ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -f "$kernel" ] || { echo "run.sh: no kernel at $kernel (make kernel)" >&2; exit 2; }
if [ "$demo" = 1 ]; then
	set -- sh ./demo.sh
fi
[ $# -gt 0 ] || { echo "run.sh: nothing to run" >&2; exit 2; }

payload="$top/build/selftests"
[ -d "$payload" ] || { echo "run.sh: no $payload (make selftests)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,checmate}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$root/etc/passwd"
cp -r "$payload/." "$root/checmate/"
# Shared libraries of dynamic programs (checmatectl, crun, the peer LSM
# suites), at their host paths.
find "$root/checmate" -type f -perm -u+x | while read -r f; do
	{ ldd "$f" 2>/dev/null || true; } | { grep -oE '/[^ ]+' || true; } | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
install -m 755 "$top/tools/vm/init.sh" "$root/init"
# The guest command, with the host's choice of kselftests (run_all.sh).
{
	[ -z "${CHECMATE_TESTS:-}" ] || printf 'export CHECMATE_TESTS=%q\n' "$CHECMATE_TESTS"
	printf '%q ' "$@"
} >"$root/run-cmd"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

mkdir -p "$top/build/vm-logs"
[ -n "$log" ] || log="$top/build/vm-logs/$(date +%Y%m%d-%H%M%S)-$$.log"
# What fails a run even when the guest command passed: any BUG, WARNING,
# oops, KASAN report, lockdep or RCU splat, or kmemleak report, from the
# moment the guest's /init starts. Reports from the kernel's own early boot,
# before any Checmate program can exist, are shown but do not fail the run
# (seen once: a KASAN wild-memory-access in rcu_is_watching() from an
# interrupt during identify_cpu() under TCG).
splat='BUG:|WARNING:|Oops|Kernel panic|KASAN:|unreferenced object|INFO: (possible|suspicious|task .* blocked)|=====.*(DEADLOCK|LOCKING|RCU)'
status=0
# No -enable-kvm: nested KVM hangs on these machines; TCG boots in ~1 s.
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 \
	-M pc -cpu max -smp "$cpus" -m 1024 $icount \
	-nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 $append" \
	</dev/null >"$log" 2>&1 || status=$?
# The guest's own output, without the console's carriage returns.
tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' |
	grep -vE '^CHECMATE-VM-(EXIT|START)|^SeaBIOS|^Booting from|^$' || true
rc=$(tr -d '\r' <"$log" | sed -n 's/^CHECMATE-VM-EXIT \([0-9]*\)$/\1/p' | tail -n1)
if [ -z "$rc" ]; then
	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		echo "run.sh: guest did not finish in ${timeout}s; killed. Console log: $log" >&2
	else
		echo "run.sh: guest ended without a result (qemu status $status). Console log: $log" >&2
	fi
	exit 1
fi
if [ "$rc" != 0 ]; then
	echo "run.sh: guest command failed ($rc). Console log: $log" >&2
elif sed -n '/CHECMATE-VM-START/,$p' "$log" | grep -qE "$splat"; then
	echo "run.sh: the kernel reported a problem; console log: $log" >&2
	sed -n '/CHECMATE-VM-START/,$p' "$log" | grep -nE -A20 "$splat" | head -80 >&2
	exit 1
else
	if grep -qE "$splat" "$log"; then
		echo "run.sh: early-boot report before /init (not failing): $log" >&2
		grep -nE -A5 "$splat" "$log" | head -20 >&2
	else
		rm -f "$log"
	fi
fi
exit "$rc"
