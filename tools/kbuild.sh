#!/usr/bin/env bash
# Build the Checmate kernel out of tree: tools/kbuild.sh [variant]
# variant "checmate" (default) uses configs/checmate.config and build/out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
variant=${1:-checmate}
out="$top/build/out"
[ "$variant" = checmate ] || out="$top/build/out-$variant"
# Every variant starts from the Checmate fragment; others add theirs.
frags=("$top/configs/checmate.config")
[ "$variant" = checmate ] || frags+=("$top/configs/$variant.config")
for frag in "${frags[@]}"; do
	[ -f "$frag" ] || { echo "kbuild: no config fragment $frag" >&2; exit 1; }
done

"$top/tools/sync-tree.sh"
mkdir -p "$out"
stamp="$out/.checmate-config-stamp"
want=$(cat "${frags[@]}" "$top/tools/pin.env" | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "kbuild: configuring $variant (tinyconfig + ${frags[*]#"$top/"})"
	"${KMAKE[@]}" O="$out" tinyconfig >/dev/null
	(cd "$out" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null)
	"${KMAKE[@]}" O="$out" olddefconfig >/dev/null
	# Every option the fragment sets must have survived olddefconfig.
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=n) continue ;; CONFIG_*) ;; *) continue ;; esac
		grep -qxF "$line" "$out/.config" || { echo "kbuild: $line did not take (missing dependency?)" >&2; bad=1; }
	done < <(cat "${frags[@]}")
	if [ "$bad" = 1 ]; then
		"${KMAKE[@]}" O="$out" rustavailable || true
		exit 1
	fi
	echo "$want" >"$stamp"
fi
start=$(date +%s)
"${KMAKE[@]}" O="$out" -j"$jobs" ${KBUILD_KEEP_GOING:+-k} bzImage
echo "kbuild: $out/arch/x86/boot/bzImage ($(( $(date +%s) - start )) s)"
