#!/bin/sh
# Runs every Checmate kselftest in the VM; TAP on stdout.
# Exit status: 0 if all passed.
rc=0
for t in ${CHECMATE_TESTS:-base_test verifier_test hooks_test ctx_test samples_test securityfs_test stress_test api_test lock_test fuzz_test}; do
	echo "# selftest: checmate/$t"
	./"$t" || rc=1
done
exit $rc
