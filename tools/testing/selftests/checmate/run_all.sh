#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs every Checmate kselftest in the VM; TAP on stdout.
# Exit status: 0 if all passed.
rc=0
# Order matters: lock_test and fuzz_test lock and freeze hooks until reboot.
all="base_test verifier_test hooks_test ctx_test samples_test securityfs_test"
all="$all stress_test api_test priv_test fs_test net_test policy_test hooks2_test stack_test"
all="$all paths_test kernel_test creds_test hooks3_test monitor_test"
all="$all lock_test tamper_test attack_test fuzz_test"
for t in ${CHECMATE_TESTS:-$all}; do
	echo "# selftest: checmate/$t"
	./"$t" || rc=1
done
exit $rc
