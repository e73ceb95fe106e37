# Shared by tools/*.sh: paths, toolchain environment.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$top/tools/pin.env"
SRC="$top/build/linux"
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm${LLVM_SUFFIX}/lib
KMAKE=(make -s -C "$SRC" LLVM="$LLVM_SUFFIX")
jobs=$(( $(nproc) + 1 ))
