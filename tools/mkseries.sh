#!/usr/bin/env bash
# Write Checmate as a git am-able patch series against the pinned source,
# one logical change per patch, in the order a reviewer reads them, with a
# cover letter: build/series/*.patch. Then check it: it applies with git am
# to a clean tree and yields exactly the tree the build uses.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$top/tools/sync-tree.sh" >/dev/null
wt="$top/build/series-tree"
out="$top/build/series"
rm -rf "$wt" "$out"
git -C "$SRC" worktree prune
git -C "$SRC" worktree add -q --detach "$wt" pristine
g() { git -C "$wt" -c user.name="Checmate developers" -c user.email="checmate@localhost" "$@"; }
# step SUBJECT BODY FILE... : files at kernel paths, taken from the built tree
# (build/linux) or, for samples, selftests and docs, from this repository.
step() {
	local subject=$1 body=$2 f src; shift 2
	for f in "$@"; do
		case "$f" in
		samples/checmate/*) src="$top/samples/${f#samples/checmate/}" ;;
		tools/testing/selftests/checmate/*) src="$top/$f" ;;
		Documentation/*/checmate*) src="$top/$f" ;;
		*) src="$SRC/$f" ;;
		esac
		mkdir -p "$wt/$(dirname "$f")"
		cp "$src" "$wt/$f"
	done
	g add -f -- "$@"
	g commit -q -m "$subject" -m "$(echo "$body" | fmt -w 72)" \
		-m "Signed-off-by: Checmate developers <checmate@localhost>"
}
ck=security/checmate
st=tools/testing/selftests/checmate
step "checmate: add the user API" \
"include/uapi/linux/checmate.h is the whole ABI of Checmate: prctl operations
(PR_CHECMATE), hook numbers, hook modes, the query structure and the context
each hook's programs see: copies of values, never kernel pointers. Reserve
LSM_ID_CHECMATE. include/linux/checmate.h is what the BPF core calls." \
	include/uapi/linux/checmate.h include/linux/checmate.h include/uapi/linux/lsm.h \
	include/uapi/linux/prctl.h
step "bpf: add BPF_PROG_TYPE_CHECMATE" \
"A Checmate program names its hook in expected_attach_type; the LSM checks
the hook number at load time (checmate_prog_check_attach()) and the verifier
checks every context access against that hook's context. Loading one asks
for CAP_PERFMON like the other tracing-class types. Keep attr->kern_version
in bpf_prog_aux: Checmate offers helpers that read kernel memory only to
programs built for the running kernel, as the 2016 RFC did. Add
bpf_prog_aux->ctx_access_mask, where a program type's is_valid_access() may
record the context words (4 bytes each) a program reads or writes: Checmate
fills a hook's context only when an attached program reads it. A Checmate
program decides for every task on the system, so the verifier treats it as
unprivileged where leaks are concerned: no pointer may be stored into a map
or otherwise leaked, and no uninitialized stack may be read, whatever the
loader's capabilities.

Checmate's administrator can lock a hook until reboot, against root too.
No trampoline may target a Checmate program: bpf_check_attach_target()
refuses freplace (BPF_PROG_TYPE_EXT) of its global subprograms and fentry,
fexit and fmod_ret programs on it with -EINVAL. bpf_map_freeze_kern() lets
the kernel freeze a map as BPF_MAP_FREEZE does, and optionally seal it: a
sealed map gets no new user, so that no program loaded afterwards can write
it; the verifier, map-in-map and map element iterators refuse it with -EPERM.
Programs that already use it may still update it." \
	include/uapi/linux/bpf.h tools/include/uapi/linux/bpf.h include/linux/bpf_types.h \
	include/linux/bpf.h kernel/bpf/syscall.c kernel/bpf/verifier.c \
	kernel/bpf/map_in_map.c kernel/bpf/map_iter.c
step "libbpf: know BPF_PROG_TYPE_CHECMATE" \
"Name the program type \"checmate\", so that bpftool prog show prints it,
take \"checmate/<hook>\" sections as Checmate programs (the loader sets the
hook in expected_attach_type), and probe the type with a program for the
first hook." \
	tools/lib/bpf/libbpf.c tools/lib/bpf/libbpf_probes.c
step "rust: bindings and helpers for Checmate" \
"Let bindgen see the headers Checmate's Rust code uses (LSM hooks, BPF,
sockets, the Checmate UAPI) and wrap, in rust/helpers/checmate.c, the static
inline functions and macros it calls; each wrapper only forwards." \
	rust/bindings/bindings_helper.h rust/helpers/helpers.c rust/helpers/checmate.c
step "lsm: let an LSM switch its hooks on and off at run time" \
"An LSM that only has work to do on a hook while it holds some run-time
state registers the hook with runtime set and switches its static call off
while idle with security_toggle_hook(), so that an idle hook costs nothing.
Checmate switches a hook on while programs are attached to it. Upstream
added the same function for BPF LSM after 6.12." \
	include/linux/lsm_hooks.h security/security.c
step "checmate: add the LSM" \
"A stackable LSM in Rust that runs BPF_PROG_TYPE_CHECMATE programs on 66 LSM
hooks, attached with prctl(PR_CHECMATE, ...) by CAP_SYS_ADMIN in the initial
user namespace only.

One table (hooks.rs) generates the hooks, their contexts, the verifier's
access rules and the LSM entry points. Programs run from per-hook arrays
published under RCU and read with no lock; writers build a new array under
the hook's mutex and free the old one by queue_rcu_work(). A hook with no
program has its LSM static call switched off. Hooks can be locked until
reboot (deny_reset) and put in append-only, read-only, disabled or log-only
mode. /sys/kernel/security/checmate/hooks shows each hook with per-CPU
counters; denials can be reported, rate-limited." \
	$ck/Makefile $ck/Kconfig $(cd "$SRC" && ls $ck/*.rs) include/linux/lsm_count.h \
	security/Kconfig security/Makefile tools/testing/selftests/lsm/lsm_list_modules_test.c
step "samples: checmate: add sample policies" \
"One policy per use case of the Checmate RFC: egress allowlist, ingress
filter, file-creation rate limit, port mapping without DNAT, Yama's
ptrace_scope 1, hardchroot, and the CVE-2014-9717 umount rule. Each is
loaded with checmatectl and exercised by the selftests." \
	$(cd "$top/samples" && ls *.c *.h Makefile | sed 's|^|samples/checmate/|')
step "selftests: checmate: add kselftests" \
"Every hook denying a real syscall and recovering on detach, the context
of each hook, the verifier's rules, every errno of the prctl API, the
privilege rules, locks and modes, the samples, securityfs, a concurrency
stress test and a prctl fuzzer with a model." \
	$(cd "$top" && ls $st/*.c $st/*.h $st/Makefile $st/run_all.sh)
# The pages join their books' tables of contents.
sed -i 's/^   ipe$/   ipe\n   checmate/' "$wt/Documentation/admin-guide/LSM/index.rst"
sed -i 's/^   landlock$/   landlock\n   checmate/' "$wt/Documentation/security/index.rst"
sed -i 's/^   landlock$/   landlock\n   checmate\n   checmate-policies/' \
	"$wt/Documentation/userspace-api/index.rst"
g add -f Documentation/admin-guide/LSM/index.rst Documentation/security/index.rst \
	Documentation/userspace-api/index.rst
step "Documentation: checmate" \
"An admin guide (enable, lock down, securityfs, audit and log-only), the
user API (prctl operations, errnos, hooks and contexts), the policy
writer's guide with the samples, and the design with the benchmark, each
in its book's table of contents." \
	$(cd "$top" && find Documentation -name 'checmate*' | sort)
cat >"$wt/MAINTAINERS.checmate" <<'MAINT'
CHECMATE SECURITY MODULE
M:	Checmate developers <checmate@localhost>
L:	linux-security-module@vger.kernel.org
S:	Maintained
F:	Documentation/admin-guide/LSM/checmate.rst
F:	Documentation/security/checmate*
F:	Documentation/userspace-api/checmate*
F:	include/linux/checmate.h
F:	include/uapi/linux/checmate.h
F:	rust/helpers/checmate.c
F:	samples/checmate/
F:	security/checmate/
F:	tools/testing/selftests/checmate/

MAINT
# Insert the entry in alphabetical order (after CHECKPATCH DOCUMENTATION).
awk 'FNR == NR { entry = entry $0 "\n"; next }
     /^CHINESE DOCUMENTATION/ && !done { printf "%s", entry; done = 1 } { print }' \
	"$wt/MAINTAINERS.checmate" "$wt/MAINTAINERS" >"$wt/MAINTAINERS.new"
mv "$wt/MAINTAINERS.new" "$wt/MAINTAINERS"
rm "$wt/MAINTAINERS.checmate"
g add MAINTAINERS
g commit -q -m "MAINTAINERS: add Checmate" \
	-m "Add the Checmate LSM, its UAPI, samples, selftests and documentation." \
	-m "Signed-off-by: Checmate developers <checmate@localhost>"

mkdir -p "$out"
g format-patch -q --cover-letter -o "$out" pristine..HEAD
cover=$(ls "$out"/0000-*.patch)
bench="$top/Documentation/security/checmate-bench.inc"
python3 - "$cover" "$bench" <<'PY'
import sys
cover, bench = sys.argv[1], sys.argv[2]
text = open(cover).read()
blurb = """Checmate is a stackable LSM, written in Rust, that runs BPF programs on
LSM hooks. Root in the initial user namespace attaches programs of a new
type, BPF_PROG_TYPE_CHECMATE, to hooks with prctl(PR_CHECMATE, ...); on
every crossing the hook's programs run, and the first that returns an
errno denies the operation with it. A platform team can write policy for
containers in C (egress and ingress filtering, port mapping without DNAT,
per-cgroup rate limits, ptrace and chroot rules, mitigations spanning
several hooks), load and change it at run time, and never rebuild the
kernel. It follows the 2016 Checmate RFC and the review it received:

- only CAP_SYS_ADMIN in the initial user namespace may use it;
- programs see a stable context of copied values, never kernel pointers;
- attach, detach, reset, and deny_reset, which locks a hook until reboot
  against everyone; modes normal (default), append-only, read-only,
  disabled, log-only;
- per-hook program arrays are read under RCU with no lock.

Design: one table in security/checmate/hooks.rs generates the hooks, their
contexts, the verifier's access rules and the LSM entry points. A hook with
no program has its LSM static call switched off, so it costs nothing; when
called, a hook runs all its programs in one RCU section and one
migrate-disabled walk of a contiguous array; writers never wait for a grace
period (queue_rcu_work). Patch 1 is the user API; 2-4 touch the BPF core,
libbpf and the Rust bindings; 5 is the LSM; 6-8 are samples, selftests and
documentation; 9 is MAINTAINERS. Each builds on its own
(tools/series-check.sh).

Overhead against BPF LSM, same kernel image, QEMU -icount (instructions per
operation; see Documentation/security/checmate.rst for the method):

"""
import textwrap
rows = [l.strip() for l in open(bench) if l.startswith("- ")]
blurb += "".join(textwrap.fill(r, 72, subsequent_indent="  ") + "\n" for r in rows) + "\n"
text = text.replace("*** SUBJECT HERE ***", "Checmate: BPF programs on LSM hooks, in Rust")
text = text.replace("*** BLURB HERE ***", blurb.rstrip())
open(cover, "w").write(text)
PY
git -C "$SRC" worktree remove --force "$wt"

# The series applies to a clean tree and gives what the build uses.
wt2="$top/build/series-check"
rm -rf "$wt2"
git -C "$SRC" worktree prune
git -C "$SRC" worktree add -q --detach "$wt2" pristine
git -C "$wt2" -c user.name=check -c user.email=check@localhost am -q $(ls "$out"/*.patch | grep -v /0000-cover-letter)
bad=0
for f in $(git -C "$wt2" diff --name-only pristine HEAD); do
	case "$f" in samples/*|tools/testing/*|Documentation/*|MAINTAINERS) continue ;; esac
	cmp -s "$wt2/$f" "$SRC/$f" || { echo "mkseries: $f differs from the built tree" >&2; bad=1; }
done
git -C "$SRC" worktree remove --force "$wt2"
[ "$bad" = 0 ]
ls "$out"
