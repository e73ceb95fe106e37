#!/usr/bin/env bash
# Write Checmate as a git am-able patch series against the pinned source,
# one logical change per patch, in the order a reviewer reads them, with a
# cover letter: build/series/*.patch. Then check it: it applies with git am
# to a clean tree and yields exactly the tree the build uses.
#
# The kernel changes that tools/refresh-patches.sh writes as patches/ are
# steps of the series with the same files and the same message, taken from
# tools/patch-messages.txt (kstep). The LSM's own files come in by concern,
# as large new subsystems are merged (fs/ntfs3): nothing compiles them until
# patches/0002, which hooks security/checmate into security/Kconfig and
# security/Makefile, so every patch builds (tools/series-check.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$top/tools/sync-tree.sh" >/dev/null
wt="$top/build/series-tree"
out="$top/build/series"
rm -rf "$wt" "$out"
git -C "$SRC" worktree prune
git -C "$SRC" worktree add -q --detach "$wt" pristine
g() { git -C "$wt" -c user.name="Checmate developers" -c user.email="checmate@localhost" "$@"; }
sob="Signed-off-by: Checmate developers <checmate@localhost>"
# What each patch is, for the cover letter: "group<TAB>subject" per patch.
shape=$(mktemp)
# The files the steps put, to check that each of the LSM's goes in one.
used=$(mktemp)
trap 'rm -f "$shape" "$used"' EXIT
# put FILE...: files at kernel paths, taken from the built tree (build/linux)
# or, for samples, selftests and docs, from this repository.
put() {
	local f src
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
	printf '%s\n' "$@" >>"$used"
}
# commit GROUP MESSAGE: the message as written, wrapped at 72 by hand.
commit() {
	if echo "$2" | awk 'length($0) > 72 { exit 1 }'; then :; else
		echo "mkseries: a line over 72 columns in \"$(echo "$2" | head -n1)\"" >&2
		exit 1
	fi
	printf '%s\n\n%s\n' "$2" "$sob" | g commit -q -F -
	printf '%s\t%s\n' "$1" "$(echo "$2" | head -n1)" >>"$shape"
}
# step GROUP SUBJECT BODY FILE...
step() {
	local group=$1 subject=$2 body=$3; shift 3
	put "$@"
	commit "$group" "$subject

$body"
}
# kstep GROUP NNNN [NEWFILE...]: patches/NNNN-*.patch as a step: its files
# (tools/patchfiles.txt) and new files of its change, with its message
# (tools/patch-messages.txt, which ends with the Signed-off-by).
kstep() {
	local group=$1 n=$2 patch files msg; shift 2
	read -r patch files < <(grep "^$n-" "$top/tools/patchfiles.txt") || true
	msg=$(sed -n "/^$patch\$/,/^---\$/p" "$top/tools/patch-messages.txt" | sed '1d;$d')
	if [ -z "$patch" ] || [ -z "$msg" ]; then
		echo "mkseries: no patch $n in tools/patchfiles.txt or no message in tools/patch-messages.txt" >&2
		exit 1
	fi
	put $files "$@"
	echo "$msg" | g commit -q -F -
	printf '%s\t%s\n' "$group" "$(echo "$msg" | head -n1)" >>"$shape"
}
ck=security/checmate
st=tools/testing/selftests/checmate
# Counted, not typed: the rows of the hook table.
nhooks=$(grep -c '= checmate_hook_CHECMATE_HOOK_' "$SRC/$ck/hooks.rs")

step core "checmate: add the user API" \
"include/uapi/linux/checmate.h is the whole ABI of Checmate: the
operations of prctl(PR_CHECMATE, ...) and their arguments, the hook
numbers, the hook modes, the query structure, the denial event read
from securityfs, and the context each hook's programs see: copies of
values, never kernel pointers. include/linux/checmate.h is what the BPF
core calls.

The prctl option PR_CHECMATE and LSM_ID_CHECMATE are defined with the
rest of Checmate's glue in shared files, by the patch that adds the LSM
to the build." \
	include/uapi/linux/checmate.h include/linux/checmate.h
kstep core 0001
kstep core 0004
kstep core 0003 rust/helpers/checmate.c
kstep core 0005
kstep core 0006

step lsm "checmate: add the hook table" \
"Checmate's hooks are one table, security/checmate/hooks.rs, as the LSM
framework's are lsm_hook_defs.h. A row names an LSM hook, its Checmate
hook number, the UAPI context its programs see, whether the kernel may
call it in interrupt context, its arguments, the function that fills the
context and, for a hook whose programs may write fields (socket_bind's
local port), those fields and the function that applies them.

Each consumer expands the rows with a macro of its own: here the hook
numbers and names, each context's layout, the verifier's rules and a
marker type per hook that ties it to its context type; the LSM entry
points and the static call slots come in later patches. Adding a hook is
one row, one fill function and one UAPI number. The table has $nhooks rows.

ctx.rs holds what the context fills share: the context words (4 bytes
each) an access touches, which the program type records of every
program so that a hook fills only what its programs read, and the rule
that the first program to change a writable field owns it: a program
attached later, after a lock for instance, sees the value and may deny,
but cannot undo or override it.

Like the patches after it up to the one that adds Checmate to
security/Makefile, this one adds files that nothing compiles yet." \
	$ck/{hooks,ctx}.rs

step lsm "checmate: add the socket contexts" \
"Fill struct checmate_sock_ctx for the network hooks (net.rs) and struct
checmate_unix_ctx for the AF_UNIX peer hooks (unix.rs).

Every field holds what the kernel acts on, after its compatibility
rules, so that a program decides on the operation that really happens:
the family of the traffic (IPv4-mapped addresses on an AF_INET6 socket
are AF_INET), a user address read only within the bytes the kernel
copied and given the meaning the code after the hook gives it, a
packet's ports after the IPv4 options or the IPv6 extension headers. A
value the kernel will refuse is shown as given, with a flag. The
AF_UNIX hooks are called under the sockets' spinlocks: their fills
allocate nothing and take no lock and no reference." \
	$ck/{net,unix}.rs

step lsm "checmate: add the file, name and mount contexts" \
"Fill struct checmate_file_ctx for the hooks on an open file and
inode_create (fs.rs), struct checmate_inode_ctx for the hooks that add,
remove or change a name or an inode by path, the extended attribute and
ACL hooks, and inode_follow_link (namei.rs), and struct
checmate_mount_ctx for the mount hooks (mount.rs).

The fills only read what the hook's caller holds: the file, its inode,
mount and superblock, the locked inode. inode_follow_link runs in
RCU-walk with no lock and no reference: its fill reads only what RCU
keeps valid." \
	$ck/{fs,namei,mount}.rs

step lsm "checmate: add the task, credential, code and kernel contexts" \
"Fill struct checmate_task_ctx for the task hooks (task.rs), struct
checmate_cred_ctx for userns_create, capable, the setuid and setgid
fixups, capset and task_prctl (creds.rs), struct checmate_exec_ctx for
the file that becomes a program or executable memory
(bprm_creds_from_file, mmap_file, file_mprotect; exec.rs), and struct
checmate_kernel_ctx for what the kernel is about to load into itself
and the anonymous inodes behind io_uring and userfaultfd
(integrity.rs).

capable is called under spinlocks, under RCU and with another task's
credentials, file_mprotect with the mmap lock held for writing: the
credential, code and kernel fills only read what their caller holds
and take no lock but RCU's read lock." \
	$ck/{task,creds,exec,integrity}.rs

step lsm "checmate: add the program type" \
"The LSM side of BPF_PROG_TYPE_CHECMATE: the verifier checks each
context access against the hook's context (offset, size, and for a
write whether the field is writable) and records in
bpf_prog_aux->ctx_access_mask the words the program reads, so that a
hook fills only those. A program may call the base helpers, helpers
about the current task (not on a hook called in interrupt context) and,
only if it was built for the running kernel (kern_version), the helpers
that read kernel memory. A tail call counts as reading the whole
context.

Prog is a counted reference to a loaded Checmate program, taken from an
fd and checked against the hook it is attached to." \
	$ck/bpf.rs

step lsm "checmate: add the hot path" \
"Each hook has writer state behind its own mutex (mode, lock, audit
flag, attached programs) and a published, immutable array of the
programs to run, read under RCU with no lock (progs.rs). A writer
builds the new array first, so that a failed allocation changes nothing,
publishes it, and frees the old one with its program references after a
grace period by queue_rcu_work() (rcu.rs): no writer waits for one.

On a crossing, a hook's entry point (entry.rs, one per row of the hook
table) runs the programs in one RCU read section, pinned to one CPU, on
a context filled only in the words they read; the first errno denies.
If no program read the context, it is filled only to report a denial.
Runs and denials are counted per CPU (stats.rs). A hook with no program
has its LSM static call switched off with security_toggle_hook()
(switch.rs), so that it costs nothing." \
	$ck/{rcu,stats,progs,switch,entry}.rs

step lsm "checmate: check binds and connects made by other calls" \
"SCTP binds and connects lists of addresses without
security_socket_bind() or security_socket_connect(), through the
sctp_bind_connect hook; a sendmsg() that starts an SCTP association
adds the addresses of its SCTP_DSTADDRV4/V6 cmsgs; TCP and MPTCP Fast
Open connect from sendmsg(). Run each such address through the programs
of socket_bind or socket_connect, with the context those hooks fill, so
that a policy on bind or connect holds on these paths as it is. They
are not hooks of their own, and their LSM slots are on only while
socket_bind or socket_connect have programs." \
	$ck/indirect.rs

step lsm "checmate: add the prctl API and hook locks" \
"prctl(PR_CHECMATE, op, ...) attaches, detaches and replaces programs,
switches one between log-only and enforcing, resets a hook, locks it
until reboot (deny_reset), sets its mode (normal, append-only,
read-only, disabled, log-only) and its audit flag, and queries it
(api.rs). Every argument is checked and turned into a
typed request before anything changes.

Only CAP_SYS_ADMIN in the initial user namespace may call it (admin.rs).
The check goes through capable(), so that every LSM has its say, but
not through the programs on Checmate's own capable hook: no program,
locked or not, may keep the administrator from Checmate until reboot.

A locked hook's verdict must not change behind it. Locking freezes the
prog arrays its programs tail-call and holds them until reboot, and on
request freezes and seals their data maps (seal.rs). While
socket_connect, socket_sendmsg or socket_bind is locked, no cgroup
sock_addr program, which runs after those hooks and may rewrite the
address, can be attached or replaced (guard.rs, on the bpf hook)." \
	$ck/{api,admin,seal,guard}.rs

step lsm "checmate: report denials" \
"Every denial, enforced or not, becomes a struct checmate_event in a ring
that keeps the last CHECMATE_EVENTS_RING, read through
/sys/kernel/security/checmate/events (events.rs). Events are not
rate-limited: a reader that falls behind loses the oldest and sees the
gap in their seq. Writers copy an event in under a raw spinlock and wake
readers by irq_work, since a hook may run in any context.

The denials of a hook with its audit flag set, in log-only mode or of a
log-only program also go to the audit log (the kernel log without
audit), rate-limited (report.rs).

/sys/kernel/security/checmate/hooks shows each hook's mode, lock, audit
flag, whether its static call is on, its counters and its programs
(securityfs.rs). Both files are readable only with CAP_SYS_ADMIN in the
initial user namespace." \
	$ck/{report,events,securityfs}.rs

step lsm "checmate: register the LSM, add Kconfig and Makefile" \
"lsm.rs registers Checmate with the LSM framework: its LSM id, its hook
list, the blob it needs and its init function; checmate.rs is the
crate root, with a map of the files. SECURITY_CHECMATE depends on
SECURITY_NETWORK, INET, BPF_SYSCALL and RUST and selects SECURITY_PATH.
security/Kconfig and security/Makefile do not include them yet: the
next patch does, with the LSM id and the prctl option." \
	$ck/{lsm,checmate}.rs $ck/Kconfig $ck/Makefile
# Each of the LSM's files in exactly one step.
lsm_files=$(grep "^$ck/" "$used" | sort)
if [ "$lsm_files" != "$(cd "$SRC" && ls -d $ck/* | sort)" ] ||
	[ -n "$(echo "$lsm_files" | uniq -d)" ]; then
	echo "mkseries: the steps do not add each file of $ck once:" >&2
	diff <(echo "$lsm_files") <(cd "$SRC" && ls -d $ck/* | sort) >&2 || true
	exit 1
fi

kstep lsm 0002

step user "samples: checmate: add sample policies" \
"One policy per use case of the Checmate RFC: egress allowlist, ingress
filter, file-creation rate limit, port mapping without DNAT, Yama's
ptrace_scope 1, hardchroot, and the CVE-2014-9717 umount rule. Each is
loaded with checmatectl and exercised by the selftests." \
	$(cd "$top/samples" && ls *.c *.h Makefile | sed 's|^|samples/checmate/|')
step user "selftests: checmate: add kselftests" \
"Every hook denying a real syscall and recovering on detach, the context
of each hook, the verifier's rules, every errno of the prctl API, the
privilege rules, locks and modes, the samples, securityfs, a concurrency
stress test and a prctl fuzzer with a model." \
	$(git -C "$top" ls-files $st)
# The pages join their books' tables of contents.
sed -i 's/^   ipe$/   ipe\n   checmate/' "$wt/Documentation/admin-guide/LSM/index.rst"
sed -i 's/^   landlock$/   landlock\n   checmate/' "$wt/Documentation/security/index.rst"
sed -i 's/^   landlock$/   landlock\n   checmate\n   checmate-policies/' \
	"$wt/Documentation/userspace-api/index.rst"
g add -f Documentation/admin-guide/LSM/index.rst Documentation/security/index.rst \
	Documentation/userspace-api/index.rst
step user "Documentation: checmate" \
"An admin guide (enable, lock down, securityfs, audit and log-only), the
user API (prctl operations, errnos, hooks and contexts), the policy
writer's guide with the samples, and the design with the benchmark,
each in its book's table of contents." \
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
commit maint "MAINTAINERS: add Checmate

Add the Checmate LSM, its UAPI, samples, selftests and documentation."

mkdir -p "$out"
g format-patch -q --cover-letter -o "$out" pristine..HEAD
cover=$(ls "$out"/0000-*.patch)
bench="$top/Documentation/security/checmate-bench.inc"
python3 - "$cover" "$bench" "$shape" "$nhooks" <<'PY'
import sys, textwrap
cover, bench, shape, nhooks = sys.argv[1:]
text = open(cover).read()
patches = [l.rstrip("\n").split("\t", 1) for l in open(shape)]
total = len(patches)
def span(group):
    idx = [i + 1 for i, (g, _) in enumerate(patches) if g == group]
    return f"{idx[0]}-{idx[-1]}" if len(idx) > 1 else f"{idx[0]}"
def fill(s):
    return textwrap.fill(" ".join(s.split()), 72) + "\n"
blurb = fill(f"""Checmate is a stackable LSM, written in Rust, that runs BPF programs on
{nhooks} LSM hooks. Root in the initial user namespace attaches programs of a
new type, BPF_PROG_TYPE_CHECMATE, to hooks with prctl(PR_CHECMATE, ...);
on every crossing the hook's programs run, and the first that returns an
errno denies the operation with it. A platform team can write policy for
containers in C (egress and ingress filtering, port mapping without DNAT,
per-cgroup rate limits, ptrace and chroot rules, mitigations spanning
several hooks), load and change it at run time, and never rebuild the
kernel. It follows the 2016 Checmate RFC and the review it received:""")
blurb += """
- only CAP_SYS_ADMIN in the initial user namespace may use it;
- programs see a stable context of copied values, never kernel pointers;
- attach, detach, reset, and deny_reset, which locks a hook until reboot
  against everyone; modes normal (default), append-only, read-only,
  disabled, log-only;
- per-hook program arrays are read under RCU with no lock.

"""
blurb += fill("""Design: one table in security/checmate/hooks.rs generates the hooks,
their contexts, the verifier's access rules and the LSM entry points. A
hook with no program has its LSM static call switched off, so it costs
nothing; when called, a hook runs all its programs in one RCU section and
one migrate-disabled walk of a contiguous array, on a context filled only
where they read it; writers never wait for a grace period
(queue_rcu_work).""")
glue = [i + 1 for i, (g, _) in enumerate(patches) if g == "lsm"][-1]
blurb += "\n" + fill(f"""The series: patches {span("core")} add the user API and what the BPF
core, libbpf, the Rust bindings and the LSM framework need. Patches
{span("lsm")} add the LSM by concern, in reading order: the hook table, the
contexts by family, the program type, the hot path, the API and locks,
reporting, registration; nothing compiles these files until patch {glue}
hooks security/checmate into security/Kconfig and security/Makefile, so
every patch builds on its own (tools/series-check.sh). Patches
{span("user")} are the samples, selftests and documentation, {span("maint")}
MAINTAINERS.""") + "\n"
w = len(str(total))
blurb += "".join(f"  {i + 1:>{w}}/{total} {s}\n" for i, (_, s) in enumerate(patches))
blurb += "\n" + fill("""Overhead against BPF LSM, same kernel image, QEMU -icount (instructions
per operation; see Documentation/security/checmate.rst for the method):""") + "\n"
rows = [l.strip() for l in open(bench) if l.startswith("- ")]
blurb += "".join(textwrap.fill(r, 72, subsequent_indent="  ") + "\n" for r in rows) + "\n"
text = text.replace("*** SUBJECT HERE ***", "Checmate: BPF programs on LSM hooks, in Rust")
text = text.replace("*** BLURB HERE ***", blurb.rstrip())
# The diffstat lists every file; its "create mode" lines repeat it, some
# longer than checkpatch's 75 columns.
text = "".join(l for l in text.splitlines(True) if not l.startswith(" create mode "))
open(cover, "w").write(text)
PY
git -C "$SRC" worktree remove --force "$wt"

# The series applies to a clean tree and gives what the build uses: every
# kernel file it changes equals the built tree's, and it changes every file
# in which the built tree differs from the pristine source.
wt2="$top/build/series-check"
rm -rf "$wt2"
git -C "$SRC" worktree prune
git -C "$SRC" worktree add -q --detach "$wt2" pristine
git -C "$wt2" -c user.name=check -c user.email=check@localhost am -q $(ls "$out"/*.patch | grep -v /0000-cover-letter)
bad=0
kernel_only() { grep -vE '^(samples/|tools/testing/selftests/checmate/|Documentation/|MAINTAINERS$)' || true; }
series=$(git -C "$wt2" diff --name-only pristine HEAD | kernel_only)
for f in $series; do
	cmp -s "$wt2/$f" "$SRC/$f" || { echo "mkseries: $f differs from the built tree" >&2; bad=1; }
done
built=$(git -C "$SRC" status --porcelain --untracked-files=all --ignored | cut -c4- | kernel_only)
missing=$(comm -13 <(echo "$series" | sort) <(echo "$built" | sort))
[ -z "$missing" ] || { echo "mkseries: not in the series: $missing" >&2; bad=1; }
git -C "$SRC" worktree remove --force "$wt2"
[ "$bad" = 0 ]
echo "mkseries: the series (build/series) applies to the pinned source and equals the built tree"
ls "$out"
