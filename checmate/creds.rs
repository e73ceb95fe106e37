// SPDX-License-Identifier: GPL-2.0
//! Credential contexts (`struct checmate_cred_ctx`): `userns_create`
//! (`kernel/user_namespace.c`, for `clone()` and `unshare()`).
//!
//! Called in process context by the creating task, with the credentials it
//! is preparing (a copy of its own, not yet shared with anyone). The fill
//! only reads them.

use crate::report::Describe;
use core::fmt::{self, Write};
use kernel::bindings;
use kernel::bindings::checmate_cred_ctx as CredCtx;

// SAFETY: a UAPI structure of `__u32`/`__u64` fields only
// (include/uapi/linux/checmate.h), generated `repr(C)` by bindgen.
unsafe impl crate::ctx::Context for CredCtx {}

impl Describe for CredCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "uid={} euid={} gid={} egid={} userns_level={} cap_effective={:#x}",
            self.uid, self.euid, self.gid, self.egid, self.userns_level, self.cap_effective
        )
    }
}

/// The ids, capabilities and user namespace level of `cred`, and the
/// caller's pid and tgid.
///
/// # Safety
///
/// `cred` must be valid credentials whose user namespace is set.
unsafe fn from_cred(ctx: &mut CredCtx, cred: *const bindings::cred) {
    // SAFETY: the caller guarantees valid credentials; `current` is valid in
    // process context.
    let (c, me) = unsafe { (&*cred, bindings::get_current()) };
    // kuid/kgid values are the ids in the initial user namespace.
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
    // SAFETY: credentials hold a reference to their user namespace.
    ctx.userns_level = unsafe { (*c.user_ns).level } as u32;
    // SAFETY: `current` is a valid task.
    unsafe {
        ctx.pid = bindings::task_pid_nr(me) as u32;
        ctx.tgid = bindings::task_tgid_nr(me) as u32;
    }
}

/// Fills the context of the `userns_create` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn userns_create(ctx: &mut CredCtx, cred: *const bindings::cred) {
    // SAFETY: `create_user_ns()` passes the credentials it prepares for the
    // new namespace's creator, whose `user_ns` is still the parent.
    unsafe { from_cred(ctx, cred) };
}
