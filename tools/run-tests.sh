#!/usr/bin/env bash
# Every Checmate test: host unit tests (cargo), then the kselftests in the
# VM. The last line counts TAP results: "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

if compgen -G "$top/tools/*/Cargo.toml" >/dev/null; then
	for m in "$top"/tools/*/Cargo.toml; do
		echo "# host: cargo test ($(dirname "${m#"$top"/}"))"
		if cargo test --quiet --manifest-path "$m" 2>&1 | tee -a "$log.cargo"; then :; else status=1; fi
	done
fi
host_pass=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log.cargo" 2>/dev/null | awk '{s+=$4} END {print s+0}')
host_fail=$(grep -oE '[0-9]+ failed' "$log.cargo" 2>/dev/null | awk '{s+=$1} END {print s+0}')
rm -f "$log.cargo"

echo "# lint"
"$top/tools/lint.sh" | tee "$log.lint" || status=1

# The kselftests in the VM: on the Checmate kernel, then (unless
# CHECMATE_DEBUG=0) on the debug kernel (KASAN, lockdep, PROVE_RCU, kmemleak),
# where any splat fails the run.
vm_pass=0 vm_fail=0
run_vm() { # label, kernel image, timeout (s), guest command...
	local label=$1 kernel=$2 tmo=$3 st p f
	shift 3
	echo "# vm: $label"
	"$top/tools/vm/run.sh" --kernel "$kernel" --cpus 4 \
		--timeout "${CHECMATE_VM_TIMEOUT:-$tmo}" -- "$@" | tee "$log"
	st=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+ ' "$log")
	f=$(grep -cE '^not ok [0-9]+ ' "$log")
	# A guest that died or splatted counts as a failure, even if TAP passed.
	if [ "$st" != 0 ]; then
		status=1
		[ "$f" != 0 ] || f=1
	fi
	vm_pass=$((vm_pass + p))
	vm_fail=$((vm_fail + f))
}
# The kselftests on a kernel: those that leave the hooks as they found them
# (any_order.list, the Makefile's TEST_GEN_PROGS) in one boot, then each that
# locks hooks until reboot (own_boot.list, TEST_GEN_PROGS_EXTENDED) in a boot
# of its own, so that no test depends on another's order. CHECMATE_TESTS
# names a subset; a name on neither list runs in the first boot (and fails).
run_kselftests() { # label, kernel image, timeout (s) of the first boot
	local label=$1 kernel=$2 tmo=$3 any own one=() t
	any=$(cat "$top/build/selftests/any_order.list")
	own=$(cat "$top/build/selftests/own_boot.list")
	for t in ${CHECMATE_TESTS:-$any $own}; do
		case " $own " in *" $t "*) ;; *) one+=("$t") ;; esac
	done
	[ ${#one[@]} = 0 ] || run_vm "$label" "$kernel" "$tmo" sh ./run_all.sh "${one[@]}"
	for t in ${CHECMATE_TESTS:-$own}; do
		case " $own " in *" $t "*) ;; *) continue ;; esac
		run_vm "$label: $t, in a boot of its own" "$kernel" "$tmo" sh ./run_all.sh "$t"
	done
}
# Guest time measured on 2 cores: 19 s on the Checmate kernel, 990 s on the
# debug kernel (its stress test alone 441 s); the timeouts leave room for a
# machine twice as slow. A boot of its own costs about 6 s on the Checmate
# kernel and 60 s on the debug kernel (KASAN under TCG, the kmemleak scan).
kernel="$top/build/out/arch/x86/boot/bzImage"
run_kselftests "kselftests on the Checmate kernel" "$kernel" 600
# Each in its own boot: the peer suites need hooks no test has locked, the
# container a system no test has changed. CHECMATE_TESTS limits a run to
# the named kselftests only.
if [ -z "${CHECMATE_TESTS:-}" ]; then
	run_vm "peer LSM suites three ways on the Checmate kernel" "$kernel" 1200 \
		sh ./peer/peer_suites.sh
	run_vm "a crun container under every sample policy" "$kernel" 600 \
		sh ./container/container_test.sh
fi
if [ "${CHECMATE_DEBUG:-1}" != 0 ]; then
	if "$top/tools/kbuild.sh" debug; then
		run_kselftests "kselftests on the debug kernel" \
			"$top/build/out-debug/arch/x86/boot/bzImage" 2400
	else
		echo "not ok - the debug kernel did not build"
		status=1
		vm_fail=$((vm_fail + 1))
	fi
fi
vm_pass=$((vm_pass + $(grep -cE '^ok [0-9]+ ' "$log.lint")))
vm_fail=$((vm_fail + $(grep -cE '^not ok [0-9]+ ' "$log.lint")))
rm -f "$log.lint"
echo "$((host_pass + vm_pass)) passed, $((host_fail + vm_fail)) failed"
exit $status
