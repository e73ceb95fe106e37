#!/usr/bin/env bash
# Build the patch series one patch at a time (make series-check): apply each
# patch of build/series to a clean tree and build what it changes: the
# kernel (tinyconfig + configs/checmate.config, in build/out-series) for a
# patch that touches kernel code, libbpf, the samples or the selftests for
# theirs (each that a patch touches).
# Slow (a cold kernel build, then incremental ones): not part of make test,
# whose lint step already checks that the series applies and equals the
# built tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$top/tools/mkseries.sh" >/dev/null
wt="$top/build/series-build"
out="$top/build/out-series"
hdr="$top/build/series-headers"
git -C "$SRC" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
git -C "$SRC" worktree prune
git -C "$SRC" worktree add -q --detach "$wt" pristine
trap 'git -C "$SRC" worktree remove --force "$wt"' EXIT
mkdir -p "$out"
n=0 bad=0 t0=$(date +%s)
for p in $(ls "$top"/build/series/*.patch | grep -v /0000-cover-letter); do
	n=$((n + 1))
	name=$(basename "$p" .patch)
	git -C "$wt" -c user.name=check -c user.email=check@localhost am -q "$p"
	files=$(git -C "$wt" diff --name-only HEAD~1 HEAD)
	start=$(date +%s)
	what=
	# Kernel code (not samples, tools, docs or MAINTAINERS): the kernel.
	if echo "$files" | grep -qvE '^(samples/|tools/|Documentation/|MAINTAINERS$)'; then
		what+=" kernel"
		"${KMAKE[@]}" -C "$wt" O="$out" tinyconfig >/dev/null
		(cd "$out" && "$wt/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
			"$top/configs/checmate.config" >/dev/null 2>&1)
		"${KMAKE[@]}" -C "$wt" O="$out" olddefconfig >/dev/null
		if ! "${KMAKE[@]}" -C "$wt" O="$out" -j"$jobs" bzImage >"$out/build.log" 2>&1; then
			tail -20 "$out/build.log"
			echo "not ok $n $name: the kernel does not build"
			bad=1
			continue
		fi
	fi
	if echo "$files" | grep -q '^tools/lib/bpf/'; then
		what+=" libbpf"
		mkdir -p "$out/libbpf"
		make -s -C "$wt/tools/lib/bpf" OUTPUT="$out/libbpf/" -j"$jobs" >"$out/libbpf.log" 2>&1 ||
			{ tail -20 "$out/libbpf.log"; echo "not ok $n $name: libbpf does not build"; bad=1; continue; }
	fi
	if echo "$files" | grep -q '^samples/'; then
		what+=" samples"
		"${KMAKE[@]}" -C "$wt" O="$out" headers_install INSTALL_HDR_PATH="$hdr" >/dev/null
		mkdir -p "$out/samples"
		make -s -C "$wt/samples/checmate" OUT="$out/samples" HDR="$hdr" ||
			{ echo "not ok $n $name: the samples do not build"; bad=1; continue; }
	fi
	if echo "$files" | grep -q '^tools/testing/selftests/checmate/'; then
		what+=" selftests"
		"${KMAKE[@]}" -C "$wt" O="$out" headers_install INSTALL_HDR_PATH="$hdr" >/dev/null
		mkdir -p "$out/selftests"
		make -s -C "$wt/tools/testing/selftests/checmate" OUTPUT="$out/selftests" \
			KHDR_INCLUDES="-isystem $hdr/include -I $wt/tools/testing/selftests" ||
			{ echo "not ok $n $name: the selftests do not build"; bad=1; continue; }
	fi
	what=${what# }
	echo "ok $n $name (${what:-nothing to build}, $(( $(date +%s) - start )) s)"
done
echo "# series-check: $n patches in $(( $(date +%s) - t0 )) s"
exit $bad
