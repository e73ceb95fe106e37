#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own selftests of the LSMs Checmate stacks with (lsm,
# landlock, seccomp), run three ways on one boot:
#   none      no Checmate program anywhere
#   allow     an allow-all program on every Checmate hook
#   log-only  a deny-all program on every hook, every hook in log-only mode
# Each suite must give the same result, test by test, in all three runs: a
# difference is a Checmate bug. TAP on stdout; exit 0 only if all agree and
# every suite ran.
cd "$(dirname "$0")" || exit 1
# Every test program of the three suites except seccomp_benchmark (a
# benchmark, not a test). Landlock's "true" is a helper its tests exec.
suites="lsm/lsm_list_modules_test lsm/lsm_get_self_attr_test lsm/lsm_set_self_attr_test"
for t in landlock/*_test; do suites="$suites $t"; done
suites="$suites seccomp/seccomp_bpf"
modes="none allow log-only"
res=/tmp/peer-results
rm -rf "$res" && mkdir -p "$res"
rc=0

# Runs and denials of every hook so far (cumulative per-CPU counters).
counters() {
	awk '{ for (i = 1; i <= NF; i++) {
		if ($i ~ /^runs=/) { split($i, a, "="); r += a[2] }
		if ($i ~ /^denials=/) { split($i, a, "="); d += a[2] } } }
	     END { print r + 0, d + 0 }' /sys/kernel/security/checmate/hooks
}

for mode in $modes; do
	case $mode in
	none) ../checmate-every-hook reset ;;
	*) ../checmate-every-hook "$mode" ;;
	esac || { echo "# peer: could not set up the '$mode' run"; rc=1; }
	set -- $(counters)
	runs0=$1 denials0=$2
	for s in $suites; do
		out="$res/$mode.$(echo "$s" | tr / .)"
		start=$(date +%s)
		# From the suite's directory, as the kselftest runner does
		# (Landlock's fs_test execs ./true and works in ./tmp).
		(cd "${s%/*}" && ./"${s##*/}") >"$out.log" 2>&1
		echo "# peer: $mode: $s exit $? ($(( $(date +%s) - start )) s):" \
			"$(grep '^# Totals:' "$out.log" | sed 's/^# Totals: //')"
		# One line per test case: its verdict and name, skips marked.
		sed -n 's/^\(not ok\|ok\) [0-9]* \([^#]*[^ #]\)\( *# SKIP\)\{0,1\}.*/\1 \2\3/p' \
			"$out.log" >"$out.cases"
	done
	set -- $(counters)
	echo "$(( $1 - runs0 )) $(( $2 - denials0 ))" >"$res/$mode.counters"
	echo "# peer: $mode: Checmate programs ran $(( $1 - runs0 )) times," \
		"$(( $2 - denials0 )) denials"
done
../checmate-every-hook reset >/dev/null || rc=1

echo "TAP version 13"
set -- $suites
echo "1..$(( $# + 3 ))"
# The runs really ran Checmate: no program in the first, programs that
# allowed everything in the second, programs that denied everything (counted,
# not enforced) in the third.
read -r runs denials <"$res/none.counters"
n=1
if [ "$runs" = 0 ]; then
	echo "ok $n - peer run without Checmate: no program ran"
else
	echo "not ok $n - peer run without Checmate: programs ran $runs times"; rc=1
fi
read -r runs denials <"$res/allow.counters"
n=2
if [ "$runs" -gt 0 ] && [ "$denials" = 0 ]; then
	echo "ok $n - peer run with allow-all programs: $runs runs, no denial"
else
	echo "not ok $n - peer run with allow-all programs: $runs runs, $denials denials"; rc=1
fi
read -r runs denials <"$res/log-only.counters"
n=3
if [ "$denials" -gt 0 ]; then
	echo "ok $n - peer run with log-only deny-all programs: $denials denials reported, none enforced"
else
	echo "not ok $n - peer run with log-only deny-all programs: $runs runs, no denial counted"; rc=1
fi
for s in $suites; do
	n=$((n + 1))
	base="$res/none.$(echo "$s" | tr / .)"
	tot=$(grep '^# Totals:' "$base.log" | sed 's/^# Totals: //')
	if [ -z "$tot" ] || [ ! -s "$base.cases" ]; then
		echo "not ok $n - peer $s did not run (no kselftest totals)"
		sed 's/^/# /' "$base.log" | tail -n 20
		rc=1
		continue
	fi
	diff=""
	for mode in allow log-only; do
		other="$res/$mode.$(echo "$s" | tr / .)"
		if ! cmp -s "$base.cases" "$other.cases"; then
			diff="$diff $mode"
			diff -u "$base.cases" "$other.cases" | sed "s/^/# $mode: /"
		fi
	done
	if [ -n "$diff" ]; then
		echo "not ok $n - peer $s differs with Checmate programs ($diff ): $tot without"
		rc=1
	else
		echo "ok $n - peer $s same in the 3 runs: $tot"
	fi
done
exit $rc
