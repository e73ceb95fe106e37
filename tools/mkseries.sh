#!/usr/bin/env bash
# Write Checmate as a git am-able patch series against the pinned source:
# build/series/*.patch. Order: new headers, BPF core, Rust bindings, the LSM,
# then the glue that enables it, so that every step builds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$top/tools/sync-tree.sh" >/dev/null
wt="$top/build/series-tree"
out="$top/build/series"
rm -rf "$wt" "$out"
git -C "$SRC" worktree prune
git -C "$SRC" worktree add -q --detach "$wt" pristine
g() { git -C "$wt" -c user.name="Checmate developers" -c user.email="checmate@localhost" "$@"; }
am() { g am -q --keep-cr "$top/patches/$1"; }
commit() { # subject, body, paths...
	local subject=$1 body=$2; shift 2
	for p in "$@"; do
		mkdir -p "$wt/$(dirname "$p")"
		cp -r "$SRC/$p" "$wt/$p"
	done
	g add -f -- "$@"
	g commit -q -m "$subject" -m "$body" -m "Signed-off-by: Checmate developers <checmate@localhost>"
}
commit "checmate: add the UAPI header and the BPF core interface" \
"include/uapi/linux/checmate.h is the whole user ABI of Checmate: prctl
operations, hook numbers, hook modes and the context of each hook.
include/linux/checmate.h is what the BPF core calls; rust/helpers/checmate.c
wraps the static inline functions the Rust code needs." \
	include/uapi/linux/checmate.h include/linux/checmate.h rust/helpers/checmate.c
am 0001-bpf-add-BPF_PROG_TYPE_CHECMATE.patch
am 0003-rust-bindings-and-helpers-for-Checmate.patch
commit "checmate: add the LSM" \
"A stackable LSM in Rust that runs BPF_PROG_TYPE_CHECMATE programs on LSM
hooks, attached through prctl(PR_CHECMATE, ...). One table (hooks.rs)
generates the hooks, their contexts and the verifier's access rules;
programs run from RCU-published per-hook arrays." \
	security/checmate
am 0002-lsm-add-an-id-a-prctl-and-build-glue-for-Checmate.patch
mkdir -p "$out"
g format-patch -q -o "$out" pristine..HEAD
git -C "$SRC" worktree remove --force "$wt"
ls "$out"
