#!/usr/bin/env bash
# Bring build/linux to "pinned 6.12 + Checmate": extract the source once (a git
# repository whose first commit is the pristine tree), then apply patches/ and
# copy Checmate's files to their kernel paths. Only files whose content changed
# are written, so kbuild rebuilds only what a change touches.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ ! -d "$SRC/.git" ]; then
	echo "sync: extracting $LINUX_SOURCE_TARBALL (once)"
	rm -rf "$SRC.tmp" && mkdir -p "$SRC.tmp"
	tar -xf "$LINUX_SOURCE_TARBALL" -C "$SRC.tmp" --strip-components=1
	git -C "$SRC.tmp" init -q
	# Debian's .gitignore ignores the top level; track the tree anyway.
	git -C "$SRC.tmp" add -f -A .
	git -C "$SRC.tmp" -c user.name=checmate -c user.email=checmate@localhost \
		commit -q -m "Linux $LINUX_SOURCE_VERSION (Debian $LINUX_SOURCE_PKG)"
	git -C "$SRC.tmp" tag pristine
	mv "$SRC.tmp" "$SRC"
fi
subject=$(git -C "$SRC" log -1 --format=%s pristine)
case "$subject" in
*"$LINUX_SOURCE_VERSION "*) ;;
*) echo "sync: build/linux holds '$subject', not $LINUX_SOURCE_VERSION: rm -rf build/ and rebuild" >&2
   exit 1 ;;
esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# Pristine copies of the files the patches change, patched in the stage.
grep -v '^#' "$top/tools/patchfiles.txt" | while read -r patch files; do
	git -C "$SRC" archive pristine -- $files | tar -x -C "$stage"
	if ! patch -d "$stage" -p1 -s --no-backup-if-mismatch <"$top/patches/$patch"; then
		echo "sync: patches/$patch does not apply to $LINUX_SOURCE_VERSION" >&2
		exit 1
	fi
done
# New files, at their kernel paths.
cp -r "$top/kernel/." "$stage/"
ck="$stage/security/checmate"
mkdir -p "$ck"
cp "$top"/checmate/*.rs "$top/Kconfig" "$ck/"
{
	echo "# SPDX-License-Identifier: GPL-2.0"
	sed -n '/^# kbuild-begin/,/^# kbuild-end/p' "$top/Makefile" | sed '1d;$d'
} >"$ck/Makefile"

changed=0
while IFS= read -r f; do
	if ! cmp -s "$stage/$f" "$SRC/$f"; then
		mkdir -p "$(dirname "$SRC/$f")"
		cp "$stage/$f" "$SRC/$f"
		changed=$((changed + 1))
	fi
done < <(cd "$stage" && find . -type f | sed 's|^\./||')
# Checmate files removed from the repository leave the tree too.
for f in "$SRC"/security/checmate/*; do
	[ -e "$ck/$(basename "$f")" ] || { rm -f "$f"; changed=$((changed + 1)); }
done
[ "$changed" = 0 ] || echo "sync: $changed file(s) updated in build/linux"
