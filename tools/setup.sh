#!/usr/bin/env bash
# Install what a Checmate build needs on Debian 12. Idempotent: a second run
# only checks, in a second or two.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pin.env"

pkgs=(clang-19 lld-19 llvm-19 libclang-19-dev bc flex bison libelf-dev libssl-dev
      pahole cpio qemu-system-x86 busybox-static make gcc libc6-dev git python3
      zstd xz-utils libelf-dev zlib1g-dev pkg-config libbpf-dev python3-docutils
      python3-sphinx spin liburing-dev libcap-dev crun python3-matplotlib)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
have_src=$(dpkg-query -W -f='${Version}' "$LINUX_SOURCE_PKG" 2>/dev/null || true)
if [ "$have_src" != "$LINUX_SOURCE_VERSION" ]; then
	missing+=("$LINUX_SOURCE_PKG=$LINUX_SOURCE_VERSION")
fi

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	if ! $sudo apt-get install -y -qq --allow-downgrades "${missing[@]}" >/dev/null; then
		echo "setup: apt-get could not install: ${missing[*]}" >&2
		echo "setup: the kernel source is pinned to $LINUX_SOURCE_PKG $LINUX_SOURCE_VERSION" \
		     "in tools/pin.env; if the archive no longer has it, pin a listed version" \
		     "(apt-cache madison $LINUX_SOURCE_PKG)" >&2
		exit 1
	fi
fi
[ -f "$LINUX_SOURCE_TARBALL" ] || { echo "setup: $LINUX_SOURCE_TARBALL missing" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:$PATH"
command -v rustup >/dev/null || { echo "setup: rustup not found; install the Rust toolchain" >&2; exit 1; }
for c in rust-src rustfmt clippy; do
	rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done
if ! bindgen --version 2>/dev/null | grep -q '0\.73\.2'; then
	cargo install --locked --quiet --version 0.73.2 bindgen-cli
fi
