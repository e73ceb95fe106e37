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

echo "# vm: kselftests"
"$top/tools/vm/run.sh" --cpus 4 --timeout "${CHECMATE_VM_TIMEOUT:-900}" -- sh ./run_all.sh | tee "$log"
vm_status=${PIPESTATUS[0]}
[ "$vm_status" = 0 ] || status=1
vm_pass=$(cat "$log" "$log.lint" | grep -cE '^ok [0-9]+ ')
vm_fail=$(cat "$log" "$log.lint" | grep -cE '^not ok [0-9]+ ')
rm -f "$log.lint"
# A guest that died before reporting counts as a failure, even with no TAP.
if [ "$vm_status" != 0 ] && [ "$vm_fail" = 0 ]; then
	vm_fail=1
fi
echo "$((host_pass + vm_pass)) passed, $((host_fail + vm_fail)) failed"
exit $status
