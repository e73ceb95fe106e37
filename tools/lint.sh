#!/usr/bin/env bash
# Static checks, as TAP: rustfmt and clippy on the LSM, a SAFETY comment on
# every unsafe block, checkpatch on the kernel patch series, the docs, and
# spin on the model of the hook state machine (tools/model/).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
n=0 fails=0
check() { # name, command...
	local name=$1 out; shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n lint: $name"
	else
		echo "not ok $n lint: $name"
		echo "$out" | head -40 | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
}
rustfmt_check() {
	rustfmt --check --edition 2021 --config-path "$SRC/.rustfmt.toml" "$top/checmate/checmate.rs"
}
clippy_check() {
	"$top/tools/sync-tree.sh" >/dev/null
	local out
	out=$("${KMAKE[@]}" O="$top/build/out" CLIPPY=1 KBUILD_EXTRA_WARN= \
		security/checmate/checmate.o 2>&1 | tee /dev/stderr) || return 1
	! echo "$out" | grep -qE '^(warning|error)'
}
safety_check() {
	# clippy's undocumented_unsafe_blocks: a "// SAFETY:" comment in the
	# comment block right above every unsafe block. The LSM's crate root
	# enables it (the clippy check above fails on any warning); here
	# checmatectl, with every other clippy warning too.
	cargo clippy --quiet --all-targets --manifest-path "$top/tools/checmatectl/Cargo.toml" -- \
		-D warnings -W clippy::undocumented_unsafe_blocks
}
checkpatch_series() {
	"$top/tools/mkseries.sh" >/dev/null || return 1
	local f bad=0
	for f in "$top"/build/series/*.patch; do
		# Ignored: FILE_PATH_CHANGES (MAINTAINERS comes last in the
		# series), and in user-space code USE_NEGATIVE_ERRNO (tests
		# return errno values), LINUX_VERSION_CODE (the kern_version
		# test needs it) and COMPLEX_MACRO (instruction and fixture
		# variant macros, as in the kernel's own BPF selftests), and
		# VOLATILE (libbpf's `const volatile` read-only globals in
		# progs/*.bpf.c).
		perl "$SRC/scripts/checkpatch.pl" --strict -q --no-tree --ignore \
			FILE_PATH_CHANGES,USE_NEGATIVE_ERRNO,LINUX_VERSION_CODE,COMPLEX_MACRO,VOLATILE \
			"$f" || bad=1
	done
	return $bad
}
check "rustfmt --check" rustfmt_check
check "clippy, no warnings" clippy_check
safety_near_check() {
	# And the SAFETY: line itself sits on, or within two lines above, the
	# unsafe block, where a reader of the block sees it.
	! find "$top/checmate" "$top/tools/checmatectl" -path '*/target' -prune -o \
		-name '*.rs' -print0 | xargs -0 awk '
		FNR == 1 { p2 = ""; p1 = "" }
		/unsafe[[:space:]]*\{/ && !/^[[:space:]]*\/\// {
			if (p1 !~ /SAFETY:/ && p2 !~ /SAFETY:/ && $0 !~ /SAFETY:/) {
				print FILENAME ":" FNR; bad = 1
			}
		}
		{ p2 = p1; p1 = $0 }
		END { exit !bad }'
}
check "checmatectl: clippy, and a SAFETY comment on every unsafe block" safety_check
check "a SAFETY: line right above every unsafe block" safety_near_check
check "checmatectl: rustfmt --check" cargo fmt --check --manifest-path "$top/tools/checmatectl/Cargo.toml"
check "checkpatch --strict on the patch series" checkpatch_series
check "the docs build with the kernel's Sphinx, no warning" "$top/tools/docs-check.sh"
check "model: spin: a lock never loosens, refusals change nothing, the fuzzer's table agrees" \
	"$top/tools/model/check.sh" protocol
check "model: spin: no program or array freed while RCU readers reach it" \
	"$top/tools/model/check.sh" rcu
check "model: spin catches its mutants (locked NORMAL -> DISABLED, no grace period, replace on a locked hook, replace as detach + attach)" \
	"$top/tools/model/check.sh" mutants
echo "# lint: $((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
