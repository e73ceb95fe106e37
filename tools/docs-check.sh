#!/usr/bin/env bash
# Build the Checmate pages with the kernel's own Sphinx setup (its conf.py
# and extensions, from the pinned tree) and fail on any warning: the pages
# are copied with their folders into a scratch source tree whose index has
# them in a toctree, which is what `make htmldocs` would build of them.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# The hook count the admin guide states is the enum's: __CHECMATE_HOOK_MAX - 1,
# as the C compiler evaluates it from the UAPI header.
guide="$top/Documentation/admin-guide/LSM/checmate.rst"
hookmax=$(mktemp)
printf '#include <stdio.h>\n#include "%s"\nint main(void) { printf("%%d\\n", __CHECMATE_HOOK_MAX - 1); return 0; }\n' \
	"$top/kernel/include/uapi/linux/checmate.h" | gcc -x c -o "$hookmax" - &&
	hooks=$("$hookmax")
rc=$?
rm -f "$hookmax"
[ $rc = 0 ] || { echo "docs-check: cannot evaluate __CHECMATE_HOOK_MAX"; exit 1; }
stated=$(tr '\n' ' ' <"$guide" | grep -oE 'Checmate has [0-9]+ hooks' | grep -oE '[0-9]+')
if [ "$(echo "$stated" | wc -w)" != 1 ] || [ "$stated" != "$hooks" ]; then
	echo "docs-check: $guide says \"Checmate has ${stated:-?} hooks\"; enum checmate_hook has $hooks (__CHECMATE_HOOK_MAX - 1)"
	exit 1
fi
# The header the pages pull in is complete kernel-doc: every struct member and
# enum value described, no warning of kernel-doc -Wall.
kdoc=$("$SRC/scripts/kernel-doc" -none -Wall "$top/kernel/include/uapi/linux/checmate.h" 2>&1)
[ -z "$kdoc" ] || { echo "$kdoc"; echo "docs-check: kernel-doc -Wall warns on include/uapi/linux/checmate.h"; exit 1; }
command -v sphinx-build >/dev/null || { echo "docs-check: no sphinx-build (tools/setup.sh installs python3-sphinx)"; exit 1; }
scratch="$top/build/docs"
rm -rf "$scratch"
mkdir -p "$scratch/src"
cp -r "$top/Documentation/." "$scratch/src/"
{
	printf 'Checmate\n========\n\n.. toctree::\n   :maxdepth: 2\n\n'
	(cd "$scratch/src" && find . -name '*.rst' ! -name index.rst | sed 's|^\./||; s|\.rst$||' | sort |
		sed 's/^/   /')
} >"$scratch/src/index.rst"
# `.. kernel-doc:: include/uapi/linux/checmate.h` names a file of the kernel
# tree; as `make htmldocs` does, point kerneldoc_srctree at a tree that has it:
# kernel/, whose files sit at their kernel paths (the header as edited, not the
# copy tools/sync-tree.sh last put into build/linux), and run the pinned
# tree's scripts/kernel-doc on it.
out=$(sphinx-build -b html -c "$SRC/Documentation" -d "$scratch/doctrees" \
	-D kerneldoc_srctree="$top/kernel" -D kerneldoc_bin="$SRC/scripts/kernel-doc" \
	"$scratch/src" "$scratch/html" 2>&1)
rc=$?
# The one notice that is about this machine, not the pages: kfigure wants
# graphviz for figures these pages do not have.
warnings=$(echo "$out" | grep -E 'WARNING|ERROR|CRITICAL|SEVERE' | grep -v 'dot(1) not found')
if [ $rc != 0 ] || [ -n "$warnings" ]; then
	echo "$warnings"
	[ $rc = 0 ] || echo "$out" | tail -5
	exit 1
fi
echo "docs-check: $(find "$scratch/src" -name 'checmate*.rst' | wc -l) pages built by Sphinx $(sphinx-build --version | awk '{print $2}'), no warning; $hooks hooks, as the admin guide says"
