#!/usr/bin/env bash
# Write patches/ from the edits made in build/linux to the files each patch
# owns (tools/patchfiles.txt). Edit the kernel there, then run this.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
grep -v '^#' "$top/tools/patchfiles.txt" | while read -r patch files; do
	msg=$(sed -n "/^$patch\$/,/^---\$/p" "$top/tools/patch-messages.txt" | sed '1d;$d')
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "From: Checmate developers <checmate@localhost>"
		echo "Subject: [PATCH] $(echo "$msg" | head -n1)"
		echo "$msg" | tail -n +2
		echo "---"
		git -C "$SRC" diff --stat pristine -- $files
		echo
		git -C "$SRC" diff pristine -- $files
	} >"$top/patches/$patch"
	echo "refresh: patches/$patch"
done
