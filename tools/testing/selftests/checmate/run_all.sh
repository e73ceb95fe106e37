#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs Checmate kselftests in this boot; TAP on stdout. Exit status: 0 if
# all passed.
#
#   run_all.sh [TEST...]
#
# Without arguments: $CHECMATE_TESTS, else every test of any_order.list
# (TEST_GEN_PROGS), which leave the hooks as they found them. The tests of
# own_boot.list (TEST_GEN_PROGS_EXTENDED) lock or freeze hooks until reboot:
# give each a boot of its own (tools/run-tests.sh does).
cd "$(dirname "$0")" || exit 1
rc=0
tests=${*:-${CHECMATE_TESTS:-$(cat any_order.list)}}
for t in $tests; do
	echo "# selftest: checmate/$t"
	start=$(date +%s)
	./"$t" || rc=1
	echo "# checmate/$t: $(($(date +%s) - start)) s"
done
exit $rc
