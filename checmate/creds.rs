// SPDX-License-Identifier: GPL-2.0
//! Credential contexts (`struct checmate_cred_ctx`): `userns_create`
//! (`kernel/user_namespace.c`, for `clone()` and `unshare()`), `capable`
//! (`security/commoncap.c`'s callers, everywhere), `task_fix_setuid` and
//! `task_fix_setgid` (`kernel/sys.c`), `capset` (`kernel/capability.c`),
//! `task_prctl` (`kernel/sys.c`).
//!
//! `capable` is called from any context a capability is checked in: under
//! spinlocks (`task_lock()` in `__ptrace_may_access()`), under RCU, with
//! another task's credentials (`has_capability()`) or an open file's
//! (`file_ns_capable()`). So the fills only read credentials the caller
//! holds a reference to, and the user namespaces those pin (a namespace
//! holds a reference to its parent); they take no lock but RCU's (for the
//! cgroup id), no reference, never sleep.
//!
//! They also decide whether a denial may be enforced (`CHECMATE_CRED_F_DROP`
//! and [`Context::enforceable`]): a credential change that only gives up
//! privilege is never refused, since a program that does not check a
//! failed `setuid()` would run on with the privilege it meant to drop.

use crate::ctx::Context;
use crate::ctx::{wants, Want};
use crate::report::Describe;
use core::fmt::{self, Write};
use kernel::bindings;
use kernel::bindings::{checmate_cred_ctx as CredCtx, cred, kernel_cap_t, user_namespace};
use kernel::ffi::{c_int, c_uint, c_ulong};

/// `CAP_OPT_INSETID` (`include/linux/security.h`, a `BIT()` bindgen skips):
/// the capability check of a set*id() call.
const CAP_OPT_INSETID: u32 = 1 << 2;
/// `LSM_SETID_FS` (`include/linux/security.h`): setfsuid(), setfsgid().
const LSM_SETID_FS: c_int = 8;

// SAFETY: a UAPI structure of `__u32`/`__u64` fields only
// (include/uapi/linux/checmate.h), generated `repr(C)` by bindgen.
unsafe impl Context for CredCtx {
    // Read on a context filled in full, or at least with `info`: the fills
    // set `CHECMATE_CRED_F_DROP` whatever is asked of them, and a walk on
    // an unfilled context settles its outcome after the fill
    // (`progs::settle`).
    fn enforceable(&self) -> bool {
        self.info & bindings::CHECMATE_CRED_F_DROP == 0
    }
}

impl Describe for CredCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "uid={} euid={} gid={} egid={} userns_level={} cap_effective={:#x}",
            self.uid, self.euid, self.gid, self.egid, self.userns_level, self.cap_effective
        )?;
        if self.info & bindings::CHECMATE_CRED_F_DROP != 0 {
            w.write_str(" drop=1")?;
        }
        Ok(())
    }
}

/// The ids, capabilities and user namespace level of `cred`, and the
/// caller's pid, tgid and cgroup id.
///
/// # Safety
///
/// `cred` must be valid credentials whose user namespace is set; the
/// caller is a task (not an interrupt).
unsafe fn from_cred(ctx: &mut CredCtx, want: Want, cred: *const cred) {
    // SAFETY: the caller guarantees valid credentials.
    let c = unsafe { &*cred };
    // kuid/kgid values are the ids in the initial user namespace. Copies of
    // the credentials, filled whatever is asked: `mark_setid_drop()` and
    // `caps_grow()` read them for `CHECMATE_CRED_F_DROP`.
    ctx.uid = c.uid.val;
    ctx.euid = c.euid.val;
    ctx.suid = c.suid.val;
    ctx.fsuid = c.fsuid.val;
    ctx.gid = c.gid.val;
    ctx.egid = c.egid.val;
    ctx.sgid = c.sgid.val;
    ctx.fsgid = c.fsgid.val;
    ctx.cap_effective = c.cap_effective.val;
    ctx.cap_permitted = c.cap_permitted.val;
    ctx.cap_inheritable = c.cap_inheritable.val;
    // SAFETY: credentials hold a reference to their user namespace.
    ctx.userns_level = unsafe { (*c.user_ns).level } as u32;
    // The rest are calls into the kernel: only for programs that read them.
    if wants!(want, CredCtx, pid, tgid) {
        // SAFETY: `current` is a valid task in task context (the caller).
        unsafe {
            let me = bindings::get_current();
            ctx.pid = bindings::task_pid_nr(me) as u32;
            ctx.tgid = bindings::task_tgid_nr(me) as u32;
        }
    }
    if wants!(want, CredCtx, cgroup_id) {
        // SAFETY: the cgroup id is read under RCU, which any task context
        // allows.
        ctx.cgroup_id = unsafe { bindings::checmate_current_cgroup_id() };
    }
    if wants!(want, CredCtx, pidns_level) {
        // SAFETY: current's own pid namespace, in task context.
        ctx.pidns_level = unsafe { bindings::checmate_current_pidns_level() };
    }
    if wants!(want, CredCtx, info) {
        // SAFETY: `current_cred()` is valid while the task runs.
        let current = unsafe { bindings::checmate_current_cred() };
        if core::ptr::eq(cred, current) {
            ctx.info |= bindings::CHECMATE_CRED_F_CURRENT;
        }
    }
}

/// Fills the context of the `userns_create` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn userns_create(ctx: &mut CredCtx, want: Want, cred: *const cred) {
    // SAFETY: `create_user_ns()` passes the credentials it prepares for the
    // new namespace's creator, whose `user_ns` is still the parent.
    unsafe { from_cred(ctx, want, cred) };
}

/// Where `ns` is seen from `own`: the same namespace, one below it, or
/// neither.
///
/// # Safety
///
/// Both are valid user namespaces (a namespace pins its parents).
unsafe fn relation(own: *const user_namespace, ns: *const user_namespace) -> u32 {
    // SAFETY: valid namespaces (the caller); `level` and `parent` never
    // change after creation, and each parent is pinned by its child.
    unsafe {
        let own_level = (*own).level;
        let mut p = ns;
        while !p.is_null() && (*p).level > own_level {
            p = (*p).parent;
        }
        if core::ptr::eq(ns, own) {
            bindings::CHECMATE_NS_OWN
        } else if core::ptr::eq(p, own) {
            bindings::CHECMATE_NS_DESCENDANT
        } else {
            bindings::CHECMATE_NS_OTHER
        }
    }
}

/// Fills the context of the `capable` LSM hook. Atomic context.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn capable(
    ctx: &mut CredCtx,
    want: Want,
    cred: *const cred,
    ns: *mut user_namespace,
    cap: c_int,
    opts: c_uint,
) {
    // `security_capable()`'s callers pass their own credentials, a task's
    // under RCU or `task_lock()`, or an open file's.
    // SAFETY: credentials the caller holds, user namespace set; the hook
    // runs in the asking task.
    unsafe { from_cred(ctx, want, cred) };
    ctx.cap = cap as u32;
    ctx.cap_opts = opts;
    // SAFETY: `ns` is valid for the call; the credentials pin theirs.
    unsafe {
        ctx.target_userns_level = (*ns).level as u32;
        ctx.ns_relation = relation((*cred).user_ns, ns);
    }
    // The set*id() calls' own check: their change is judged at
    // task_fix_setuid and task_fix_setgid. CAP_SETPCAP gates dropping
    // capabilities from the bounding set and setting securebits.
    let insetid = opts & CAP_OPT_INSETID != 0;
    let cap = cap as u32;
    if cap == bindings::CAP_SETPCAP
        || (insetid && (cap == bindings::CAP_SETUID || cap == bindings::CAP_SETGID))
    {
        ctx.info |= bindings::CHECMATE_CRED_F_DROP;
    }
}

/// Is every id of `new` one of `old` (a change the kernel allows without
/// `CAP_SETUID` or `CAP_SETGID`)?
fn only_own(new: &[u32], old: &[u32]) -> bool {
    new.iter().all(|id| old.contains(id))
}

/// Does an id become 0 (root) where it was not?
fn becomes_root(old: u32, new: u32) -> bool {
    new == 0 && old != 0
}

/// Does any capability set of `new` hold a capability the old credentials
/// in `ctx` (filled by `from_cred()`) lack? Ambient capabilities are
/// within the permitted and inheritable sets, so those two cover them.
fn caps_grow(ctx: &CredCtx, new: &cred) -> bool {
    let grows = |new: u64, old: u64| new & !old != 0;
    grows(new.cap_effective.val, ctx.cap_effective)
        || grows(new.cap_permitted.val, ctx.cap_permitted)
        || grows(new.cap_inheritable.val, ctx.cap_inheritable)
}

/// Fills the context of the `task_fix_setuid` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn task_fix_setuid(
    ctx: &mut CredCtx,
    want: Want,
    new: *mut cred,
    old: *const cred,
    flags: c_int,
) {
    // SAFETY: `kernel/sys.c` passes the caller's current credentials as
    // `old` and its prepared copy as `new`.
    let n = unsafe {
        from_cred(ctx, want, old);
        &*new
    };
    ctx.setid = flags as u32;
    ctx.new_uid = n.uid.val;
    ctx.new_euid = n.euid.val;
    ctx.new_suid = n.suid.val;
    ctx.new_fsuid = n.fsuid.val;
    let old = [ctx.uid, ctx.euid, ctx.suid, ctx.fsuid];
    let new = [ctx.new_uid, ctx.new_euid, ctx.new_suid, ctx.new_fsuid];
    mark_setid_drop(ctx, n, flags, old, new);
}

/// Marks a set*id change that gains nothing `CHECMATE_CRED_F_DROP`:
/// every new id is one of the old ones, no capability set grows, and
/// neither the effective nor the fs id becomes 0. `old` and `new` are the
/// (real, effective, saved, fs) uids, or gids, of the change.
fn mark_setid_drop(ctx: &mut CredCtx, n: &cred, flags: c_int, old: [u32; 4], new: [u32; 4]) {
    let gains_root = becomes_root(old[1], new[1]) || becomes_root(old[3], new[3]);
    let mut own = old;
    if flags != LSM_SETID_FS {
        // Only setfsuid() and setfsgid() may go back to the old fs id.
        own[3] = old[0];
    }
    // The capability module, first in the LSM order, has already fixed
    // up the new capability sets (`cap_task_fix_setuid()`).
    if only_own(&new, &own) && !caps_grow(ctx, n) && !gains_root {
        ctx.info |= bindings::CHECMATE_CRED_F_DROP;
    }
}

/// Fills the context of the `task_fix_setgid` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn task_fix_setgid(
    ctx: &mut CredCtx,
    want: Want,
    new: *mut cred,
    old: *const cred,
    flags: c_int,
) {
    // SAFETY: as in `task_fix_setuid`.
    let n = unsafe {
        from_cred(ctx, want, old);
        &*new
    };
    ctx.setid = flags as u32;
    ctx.new_gid = n.gid.val;
    ctx.new_egid = n.egid.val;
    ctx.new_sgid = n.sgid.val;
    ctx.new_fsgid = n.fsgid.val;
    let old = [ctx.gid, ctx.egid, ctx.sgid, ctx.fsgid];
    let new = [ctx.new_gid, ctx.new_egid, ctx.new_sgid, ctx.new_fsgid];
    mark_setid_drop(ctx, n, flags, old, new);
}

/// Fills the context of the `task_fix_setgroups` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn task_fix_setgroups(
    ctx: &mut CredCtx,
    want: Want,
    new: *mut cred,
    old: *const cred,
) {
    // `set_current_groups()` passes the caller's current credentials and
    // its prepared copy, their group lists sorted (`groups_sort()`).
    // SAFETY: valid credentials whose group lists are set, which the
    // helpers only read.
    let (subset, gains_root) = unsafe {
        from_cred(ctx, want, old);
        let (new_gi, old_gi) = ((*new).group_info, (*old).group_info);
        ctx.ngroups = bindings::checmate_ngroups(old_gi) as u32;
        ctx.new_ngroups = bindings::checmate_ngroups(new_gi) as u32;
        let mut gains_root = false;
        let subset = bindings::checmate_groups_subset(new_gi, old_gi, &mut gains_root);
        (subset, gains_root)
    };
    if gains_root {
        ctx.info |= bindings::CHECMATE_CRED_F_GROUP0;
    }
    if subset {
        ctx.info |= bindings::CHECMATE_CRED_F_DROP;
    }
}

/// Fills the context of the `capset` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn capset(
    ctx: &mut CredCtx,
    want: Want,
    _new: *mut cred,
    old: *const cred,
    effective: *const kernel_cap_t,
    inheritable: *const kernel_cap_t,
    permitted: *const kernel_cap_t,
) {
    // SAFETY: `cap_capset()`'s caller passes the current credentials and
    // the three requested sets, on its stack.
    unsafe {
        from_cred(ctx, want, old);
        ctx.new_cap_effective = (*effective).val;
        ctx.new_cap_inheritable = (*inheritable).val;
        ctx.new_cap_permitted = (*permitted).val;
    }
    let within = |new: u64, old: u64| new & !old == 0;
    if within(ctx.new_cap_effective, ctx.cap_effective)
        && within(ctx.new_cap_permitted, ctx.cap_permitted)
        && within(ctx.new_cap_inheritable, ctx.cap_inheritable)
    {
        ctx.info |= bindings::CHECMATE_CRED_F_DROP;
    }
}

/// Does this `prctl()` only restrict its caller, or only read?
/// PR_SET_SECUREBITS is not among them: the capability module has set the
/// new bits before Checmate runs, and the old ones, which would tell a
/// drop from a gain, are gone.
fn gains_nothing(option: u32, arg2: c_ulong, arg3: c_ulong) -> bool {
    match option {
        bindings::PR_SET_NO_NEW_PRIVS
        | bindings::PR_SET_SECCOMP
        | bindings::PR_CAPBSET_DROP
        | bindings::PR_SET_MDWE
        | bindings::PR_CAPBSET_READ
        | bindings::PR_GET_SECUREBITS
        | bindings::PR_GET_KEEPCAPS => true,
        bindings::PR_CAP_AMBIENT => matches!(
            arg2 as u32,
            bindings::PR_CAP_AMBIENT_LOWER
                | bindings::PR_CAP_AMBIENT_CLEAR_ALL
                | bindings::PR_CAP_AMBIENT_IS_SET
        ),
        bindings::PR_SET_DUMPABLE | bindings::PR_SET_KEEPCAPS => arg2 == 0,
        bindings::PR_SET_SPECULATION_CTRL => {
            if arg2 as u32 == bindings::PR_SPEC_L1D_FLUSH {
                // Enabling the flush is the mitigation.
                arg3 as u32 == bindings::PR_SPEC_ENABLE
            } else {
                matches!(
                    arg3 as u32,
                    bindings::PR_SPEC_DISABLE
                        | bindings::PR_SPEC_FORCE_DISABLE
                        | bindings::PR_SPEC_DISABLE_NOEXEC
                )
            }
        }
        _ => false,
    }
}

/// Does the capability module (`cap_task_prctl()`, first in the LSM order)
/// carry out this option before Checmate's turn?
fn applied_by_capability(option: u32) -> bool {
    matches!(
        option,
        bindings::PR_CAPBSET_DROP
            | bindings::PR_SET_SECUREBITS
            | bindings::PR_SET_KEEPCAPS
            | bindings::PR_CAP_AMBIENT
    )
}

/// Fills the context of the `task_prctl` LSM hook (every option but
/// `PR_CHECMATE`, which `api.rs` takes first).
///
/// # Safety
///
/// Called from `prctl(2)` in process context.
pub(crate) unsafe fn task_prctl(
    ctx: &mut CredCtx,
    want: Want,
    option: c_int,
    arg2: c_ulong,
    arg3: c_ulong,
    arg4: c_ulong,
    arg5: c_ulong,
) {
    // After a change by the capability module these are the new ones.
    // SAFETY: in process context the caller's own credentials are valid
    // while it runs.
    unsafe { from_cred(ctx, want, bindings::checmate_current_cred()) };
    ctx.option = option as u32;
    ctx.args = [arg2 as u64, arg3 as u64, arg4 as u64, arg5 as u64];
    if gains_nothing(option as u32, arg2, arg3) {
        ctx.info |= bindings::CHECMATE_CRED_F_DROP;
    } else if applied_by_capability(option as u32) {
        ctx.info |= bindings::CHECMATE_CRED_F_APPLIED;
    }
}

/// The `on_deny` function of `task_prctl`: a refused change the capability
/// module already made is undone by killing the caller, as for
/// [`kill_caller`]; other refused options simply fail.
pub(crate) fn kill_if_applied(ctx: &CredCtx) {
    if ctx.info & bindings::CHECMATE_CRED_F_APPLIED != 0 {
        kill_caller(ctx);
    }
}

/// The `on_deny` function of `task_fix_setuid`, `task_fix_setgid` and
/// `capset`: a refused credential change also kills the caller, as
/// SafeSetID does, so that a program that ignores the error does not run
/// on with credentials it meant to change. Process context.
pub(crate) fn kill_caller(_ctx: &CredCtx) {
    // SAFETY: `force_sig()` signals the current task; any task context.
    unsafe { bindings::force_sig(bindings::SIGKILL as c_int) };
}
