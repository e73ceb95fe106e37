#!/usr/bin/env bash
# Build what the test VM runs into build/selftests: the kselftests (static,
# against the patched kernel's UAPI headers), the demo and benchmark,
# checmatectl and the sample policies.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
out="$top/build/out"
hdr="$top/build/headers"
dest="$top/build/selftests"
"${KMAKE[@]}" O="$out" headers_install INSTALL_HDR_PATH="$hdr" >/dev/null
# bpftool from the patched tree, which knows the checmate program type.
mkdir -p "$top/build/bpftool"
# Without the LLVM or libbfd disassembler: a small binary for the initramfs.
make -s -C "$SRC/tools/bpf/bpftool" OUTPUT="$top/build/bpftool/" -j"$jobs" \
	feature-llvm=0 feature-libbfd=0 feature-libbfd-liberty=0 \
	feature-libbfd-liberty-z=0 feature-clang-bpf-co-re=0 >/dev/null
mkdir -p "$dest"
cp "$top/build/bpftool/bpftool" "$dest/"
# The Checmate kselftests build where the patch series puts them, in the
# kernel's tools/testing/selftests/checmate, with its lib.mk: copy them there,
# then `make -C $SRC/tools/testing/selftests TARGETS=checmate` works as for
# any kselftest. -B: the UAPI headers are not prerequisites. tamper_test
# links the libbpf that bpftool built.
ks="$SRC/tools/testing/selftests/checmate"
rm -rf "$ks"
cp -r "$top/tools/testing/selftests/checmate" "$ks"
make -s -B -C "$ks" OUTPUT="$dest" \
	KHDR_INCLUDES="-isystem $hdr/include" \
	LIBBPF_DIR="$top/build/bpftool/libbpf" CLANG=clang-19 >/dev/null
cp "$ks/run_all.sh" "$top/tools/vm/demo.sh" "$dest/"
# The kernel's own selftests of the LSMs Checmate stacks with, run three
# ways by peer_suites.sh; a suite that does not build fails the build.
for suite in lsm landlock seccomp; do
	mkdir -p "$dest/peer/$suite"
	make -s -C "$SRC/tools/testing/selftests/$suite" OUTPUT="$dest/peer/$suite" \
		KHDR_INCLUDES="-isystem $hdr/include" >/dev/null ||
		{ echo "build-selftests: the $suite selftests did not build" >&2; exit 1; }
done
cp "$top/tools/testing/peer/peer_suites.sh" "$dest/peer/"
gcc -O2 -Wall -static -isystem "$hdr/include" -o "$dest/checmate-every-hook" \
	"$top/tools/testing/peer/checmate-every-hook.c"
# The end-to-end container test: Debian's crun (its shared libraries are
# copied into the initramfs by tools/vm/run.sh) and its guest script.
mkdir -p "$dest/container"
cp /usr/bin/crun "$dest/container/"
cp "$top/tools/testing/container/"*.sh "$dest/container/"
cp "$top/tools/bench/guest.sh" "$dest/bench-guest.sh"
for prog in demo/checmate-demo bench/checmate-bench; do
	gcc -O2 -Wall -static -isystem "$hdr/include" -o "$dest/${prog#*/}" "$top/tools/$prog.c"
done
cargo build --quiet --release --manifest-path "$top/tools/checmatectl/Cargo.toml"
cp "$top/tools/checmatectl/target/release/checmatectl" "$dest/"
mkdir -p "$dest/samples"
make -s -C "$top/samples" OUT="$dest/samples" HDR="$hdr"
# The example policy files, next to the objects they name.
cp "$top/samples/"*.toml "$dest/samples/"
# The benchmark's BPF LSM twin of the egress sample.
mkdir -p "$dest/bench"
clang-19 -O2 -g -Wall -target bpf -I"$hdr/include" -idirafter /usr/include \
	-c "$top/tools/bench/egress_lsm.bpf.c" -o "$dest/bench/egress_lsm.bpf.o"
