#!/usr/bin/env bash
# Model-check the hook state machine with spin: tools/model/checmate.pml,
# whose transition table is the one the prctl fuzzer uses
# (tools/testing/selftests/checmate/hook_model.h).
#
#   check.sh [protocol|rcu|mutants|all]   (default: all)
#
# protocol  every operation, the LTL property "a lock never loosens", the
#           assertions, and the fuzzer's cm_step() at every transition
# rcu       readers, grace periods and references: nothing freed while
#           reachable; a replace publishes one array, never neither program
#           nor both
# mutants   seeded bugs the check must catch: a table that lets a locked
#           NORMAL hook go DISABLED, a table that lets a locked hook replace
#           its programs, arrays freed without a grace period, and a replace
#           done as a detach then an attach
#
# Installs nothing: spin comes from tools/setup.sh (Debian package spin).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
hdr_dir="$top/tools/testing/selftests/checmate"
what=${1:-all}
max_progs=2
# gcc's -O for pan: compiling at -O2 takes longer than the small searches
# (protocol, mutants stopping at their first error); rcu's is large.
opt=-O0

command -v spin >/dev/null || {
	echo "model: spin not found; install it (apt-get install spin, or tools/setup.sh)" >&2
	exit 1
}
command -v gcc >/dev/null || { echo "model: gcc not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run NAME MODEL HEADER_DIR SPIN_FLAGS PAN_CFLAGS PAN_FLAGS: one spin run in
# its own directory; its output in $work/NAME.out; status 0 if no error.
run() {
	local name=$1 model=$2 inc=$3 sflags=$4 cflags=$5 pflags=$6 d="$work/$1"
	mkdir -p "$d"
	(
		cd "$d" &&
		spin $sflags -DCM_MAX_PROGS=$max_progs -a "$model" >spin.out 2>&1 &&
		gcc $opt -w -DMEMLIM=4096 -DCM_MAX_PROGS=$max_progs $cflags -I"$inc" \
			-o pan pan.c >gcc.out 2>&1 &&
		./pan $pflags
	) >"$work/$name.out" 2>&1
	local st=$?
	[ -f "$d/spin.out" ] && cat "$d/spin.out" >>"$work/$name.out"
	[ -f "$d/gcc.out" ] && cat "$d/gcc.out" >>"$work/$name.out"
	[ $st = 0 ] || return 1
	grep -q 'errors: 0$' "$work/$name.out" || return 1
	! grep -qE 'max search depth too small|out of memory|Search not completed' \
		"$work/$name.out"
}

summary() { # NAME: the counts pan printed
	awk '/states, stored/ { s = $1 } /elapsed time/ { t = $4 }
	     END { printf "%s states, %s s", s, t }' "$work/$1.out"
}

fail() { # NAME, why
	echo "model: $2" >&2
	grep -E 'assertion violated|acceptance cycle|error|cm_step|max search|memory' \
		"$work/$1.out" | head -20 >&2
	exit 1
}

protocol() {
	run protocol "$here/checmate.pml" "$hdr_dir" "" "" "-a -m200000" ||
		fail protocol "the protocol model fails"
	echo "model: protocol, lock LTL, cm_step agrees: $(summary protocol)"
}

rcu() {
	local opt=-O2
	run rcu "$here/checmate.pml" "$hdr_dir" "-DRCU" "-DSAFETY" "-m3000000" ||
		fail rcu "the RCU model fails"
	echo "model: RCU publication and references: $(summary rcu)"
}

mutants() {
	# A copy of the model and the header in the same layout, with the
	# locked NORMAL row letting the hook go DISABLED.
	local m="$work/mutant"
	mkdir -p "$m/tools/model" "$m/tools/testing/selftests/checmate"
	cp "$here/checmate.pml" "$m/tools/model/"
	sed 's/^\(#define CM_LOCKED_FROM_NORMAL[[:space:]]*(\)/\1CM_M(CM_MODE_DISABLED) | /' \
		"$hdr_dir/hook_model.h" >"$m/tools/testing/selftests/checmate/hook_model.h"
	cmp -s "$hdr_dir/hook_model.h" "$m/tools/testing/selftests/checmate/hook_model.h" &&
		fail protocol "the mutation did not apply to hook_model.h"
	# The fuzzer's cm_step() shares the table, so only the LTL can see it:
	# without the never claim the mutant passes, with it it fails.
	run locked_disable_noltl "$m/tools/model/checmate.pml" \
		"$m/tools/testing/selftests/checmate" "" "-DNOCLAIM" "-m200000" ||
		fail locked_disable_noltl "the NORMAL -> DISABLED mutant fails without the LTL"
	if run locked_disable "$m/tools/model/checmate.pml" \
		"$m/tools/testing/selftests/checmate" "" "" "-a -m200000"; then
		fail locked_disable "a table letting a locked hook go NORMAL -> DISABLED passed"
	fi
	if run no_grace "$here/checmate.pml" "$hdr_dir" "-DRCU -DBUG_NO_GRACE" "-DSAFETY" \
		"-m3000000"; then
		fail no_grace "freeing arrays without a grace period passed"
	fi
	grep -q 'assertion violated' "$work/no_grace.out" ||
		fail no_grace "the no-grace-period mutant failed for another reason"
	# Replace allowed on a locked hook: the spec's EPERM rule (and the LTL,
	# an attached program leaves a locked hook) must see it.
	sed 's/^\(#define CM_REPLACE_LOCKED[[:space:]]*\)CM_DETACH_LOCKED$/\11/' \
		"$hdr_dir/hook_model.h" >"$m/tools/testing/selftests/checmate/hook_model.h"
	grep -q '^#define CM_REPLACE_LOCKED[[:space:]]*1$' \
		"$m/tools/testing/selftests/checmate/hook_model.h" ||
		fail protocol "the replace mutation did not apply to hook_model.h"
	if run locked_replace "$m/tools/model/checmate.pml" \
		"$m/tools/testing/selftests/checmate" "" "" "-a -m200000"; then
		fail locked_replace "a table letting a locked hook replace a program passed"
	fi
	grep -q 'assertion violated' "$work/locked_replace.out" ||
		fail locked_replace "the locked replace mutant failed for another reason"
	# Replace as detach + attach: the final list is right, but an array
	# without either program is published in between.
	if run replace_split "$here/checmate.pml" "$hdr_dir" "-DRCU -DBUG_REPLACE_SPLIT" \
		"-DSAFETY" "-m3000000"; then
		fail replace_split "a replace publishing two arrays passed"
	fi
	grep -qE 'assertion violated .*(npub==1|x_old==0)' "$work/replace_split.out" ||
		fail replace_split "the split replace mutant failed for another reason"
	echo "model: mutants caught: locked NORMAL -> DISABLED (LTL), no grace period (assert)," \
		"locked replace (assert), replace as detach + attach (publication assert)"
}

case "$what" in
protocol | rcu | mutants) "$what" ;;
all) protocol && rcu && mutants ;;
*) echo "usage: $0 [protocol|rcu|mutants|all]" >&2; exit 2 ;;
esac
