// SPDX-License-Identifier: GPL-2.0
//! The user API: `prctl(PR_CHECMATE, op, arg3, arg4, arg5)`.
//!
//! Every argument is checked and turned into a typed [`Request`] before
//! anything changes; `progs.rs` then carries it out.

use crate::admin;
use crate::bpf::Prog;
use crate::hooks::Hook;
use crate::progs::{self, Mode};
use kernel::bindings;
use kernel::ffi::{c_int, c_ulong};
use kernel::prelude::*;
use kernel::types::{AsBytes, FromBytes};
use kernel::uaccess::UserSlice;

/// A checked request.
enum Request {
    /// Hook, program, `CHECMATE_ATTACH_F_LOG_ONLY`.
    Attach(Hook, Prog, bool),
    /// Hook, program, `CHECMATE_ATTACH_F_LOG_ONLY`.
    SetProgFlags(Hook, Prog, bool),
    Detach(Hook, Prog),
    /// Hook, new program, old program.
    Replace(Hook, Prog, Prog),
    Reset(Hook),
    DenyReset(Hook, bool),
    SetMode(Hook, Mode),
    /// Hook, user pointer, size of `struct checmate_query` there.
    Query(Hook, usize, usize),
    SetAudit(Hook, bool),
}

/// `struct checmate_query`, as read from and written to user space (its
/// first `CHECMATE_QUERY_SIZE_VER0` bytes for a caller of that size).
#[repr(transparent)]
#[derive(Clone, Copy)]
struct Query(bindings::checmate_query);

// SAFETY: `checmate_query` is four `__u32` and two `__u64`, in that order
// (32 bytes, no padding, checked below): every byte pattern is a valid
// value, and no byte is uninitialized.
unsafe impl FromBytes for Query {}
// SAFETY: as for `FromBytes`: no padding, so every byte is initialized.
unsafe impl AsBytes for Query {}

impl Query {
    /// The structure's bytes.
    fn bytes(&self) -> &[u8] {
        // SAFETY: `self` is readable for its size and, being `AsBytes`,
        // has every byte initialized.
        unsafe {
            core::slice::from_raw_parts((self as *const Self).cast(), core::mem::size_of::<Self>())
        }
    }

    /// The structure's bytes, to be written.
    fn bytes_mut(&mut self) -> &mut [u8] {
        // Every byte is initialized (`AsBytes`), any bytes are valid (`FromBytes`).
        // SAFETY: `self` is writable for its size; see above.
        unsafe {
            core::slice::from_raw_parts_mut(
                (self as *mut Self).cast(),
                core::mem::size_of::<Self>(),
            )
        }
    }
}

// The UAPI layout, as Landlock's build_check_abi().
const _: () = {
    use core::mem::{offset_of, size_of};
    type Q = bindings::checmate_query;
    assert!(size_of::<Q>() == bindings::CHECMATE_QUERY_SIZE_VER1 as usize);
    assert!(offset_of!(Q, mode) == 0);
    assert!(offset_of!(Q, flags) == 4);
    assert!(offset_of!(Q, prog_cnt) == 8);
    assert!(offset_of!(Q, reserved) == 12);
    assert!(offset_of!(Q, prog_ids) == 16);
    assert!(offset_of!(Q, prog_flags) == bindings::CHECMATE_QUERY_SIZE_VER0 as usize);
};

/// The `CHECMATE_ATTACH_F_*` flags in `arg`: `Some(log_only)`, or `None`
/// for an unknown flag.
fn attach_flags(arg: c_ulong) -> Option<bool> {
    let known = bindings::CHECMATE_ATTACH_F_LOG_ONLY as c_ulong;
    (arg & !known == 0).then_some(arg & known != 0)
}

fn hook(arg: c_ulong) -> Result<Hook> {
    Hook::from_num(arg as u64).ok_or(EINVAL)
}

/// Checks the arguments of `op`. Unused arguments must be 0.
fn parse(op: c_ulong, a3: c_ulong, a4: c_ulong, a5: c_ulong) -> Result<Request> {
    let zero = |args: &[c_ulong]| {
        if args.iter().all(|&a| a == 0) {
            Ok(())
        } else {
            Err(EINVAL)
        }
    };
    let op = u32::try_from(op).map_err(|_| EINVAL)?;
    Ok(match op {
        bindings::checmate_op_CHECMATE_OP_ATTACH
        | bindings::checmate_op_CHECMATE_OP_SET_PROG_FLAGS => {
            let h = hook(a3)?;
            let log_only = attach_flags(a5).ok_or(EINVAL)?;
            let prog = Prog::from_fd(a4 as u64, h)?;
            if op == bindings::checmate_op_CHECMATE_OP_ATTACH {
                Request::Attach(h, prog, log_only)
            } else {
                Request::SetProgFlags(h, prog, log_only)
            }
        }
        bindings::checmate_op_CHECMATE_OP_DETACH => {
            let h = hook(a3)?;
            zero(&[a5])?;
            Request::Detach(h, Prog::from_fd(a4 as u64, h)?)
        }
        bindings::checmate_op_CHECMATE_OP_REPLACE => {
            let h = hook(a3)?;
            let new = Prog::from_fd(a4 as u64, h)?;
            let old = Prog::from_fd(a5 as u64, h)?;
            Request::Replace(h, new, old)
        }
        bindings::checmate_op_CHECMATE_OP_RESET => {
            zero(&[a4, a5])?;
            Request::Reset(hook(a3)?)
        }
        bindings::checmate_op_CHECMATE_OP_DENY_RESET => {
            zero(&[a5])?;
            let h = hook(a3)?;
            let known = bindings::CHECMATE_LOCK_F_FREEZE_MAPS as c_ulong;
            if a4 & !known != 0 {
                return Err(EINVAL);
            }
            Request::DenyReset(h, a4 & known != 0)
        }
        bindings::checmate_op_CHECMATE_OP_SET_MODE => {
            zero(&[a5])?;
            let h = hook(a3)?;
            Request::SetMode(h, Mode::from_raw(a4 as u64).ok_or(EINVAL)?)
        }
        bindings::checmate_op_CHECMATE_OP_QUERY => {
            let h = hook(a3)?;
            let size = match a5 as u32 {
                _ if a5 > u32::MAX as c_ulong => return Err(EINVAL),
                0 | bindings::CHECMATE_QUERY_SIZE_VER0 => bindings::CHECMATE_QUERY_SIZE_VER0,
                bindings::CHECMATE_QUERY_SIZE_VER1 => bindings::CHECMATE_QUERY_SIZE_VER1,
                _ => return Err(EINVAL),
            };
            if a4 == 0 {
                return Err(EFAULT);
            }
            Request::Query(h, a4, size as usize)
        }
        bindings::checmate_op_CHECMATE_OP_SET_AUDIT => {
            zero(&[a5])?;
            let h = hook(a3)?;
            match a4 {
                0 | 1 => Request::SetAudit(h, a4 == 1),
                _ => return Err(EINVAL),
            }
        }
        _ => return Err(EINVAL),
    })
}

/// `CHECMATE_OP_QUERY`: the count protocol of `BPF_PROG_QUERY`, on a
/// `struct checmate_query` of `size` bytes (`CHECMATE_QUERY_SIZE_VER0` or
/// `_VER1`); only those bytes are read and written.
fn query(h: Hook, uptr: usize, size: usize) -> Result {
    // SAFETY: all-zero is a valid `checmate_query` (integers only).
    let mut q = Query(unsafe { core::mem::zeroed() });
    UserSlice::new(uptr, size)
        .reader()
        .read_slice(&mut q.bytes_mut()[..size])?;
    let Query(q) = q;
    let cap = q.prog_cnt as usize;
    let ids_ptr = q.prog_ids as usize;
    let flags_ptr = q.prog_flags as usize;
    if q.reserved != 0 || (cap > 0 && ids_ptr == 0) {
        return Err(EINVAL);
    }
    let info = progs::query(h)?;
    let n = info.progs.len().min(cap);
    let mut ids = UserSlice::new(ids_ptr, n * core::mem::size_of::<u32>()).writer();
    for (id, ..) in &info.progs[..n] {
        ids.write(id)?;
    }
    if flags_ptr != 0 {
        let mut out = UserSlice::new(flags_ptr, n * core::mem::size_of::<u32>()).writer();
        for (.., flags) in &info.progs[..n] {
            out.write(flags)?;
        }
    }
    let mut flags = 0;
    if info.locked {
        flags |= bindings::CHECMATE_QUERY_F_LOCKED;
    }
    if info.audit {
        flags |= bindings::CHECMATE_QUERY_F_AUDIT;
    }
    if info.maps_frozen {
        flags |= bindings::CHECMATE_QUERY_F_MAPS_FROZEN;
    }
    let out = Query(bindings::checmate_query {
        mode: info.mode.raw(),
        flags,
        prog_cnt: info.ids.len() as u32,
        ..q
    });
    UserSlice::new(uptr, size)
        .writer()
        .write_slice(&out.bytes()[..size])?;
    // As BPF_PROG_QUERY: a zero count asks for the count only.
    if cap > 0 && info.ids.len() > cap {
        return Err(ENOSPC);
    }
    Ok(())
}

/// Carries out a checked request.
fn execute(req: Request) -> Result {
    match req {
        Request::Attach(h, p, log_only) => progs::attach(h, p, log_only),
        Request::SetProgFlags(h, p, log_only) => progs::set_prog_flags(h, &p, log_only),
        Request::Detach(h, p) => progs::detach(h, &p),
        Request::Replace(h, new, old) => progs::replace(h, new, &old),
        Request::Reset(h) => progs::reset(h),
        Request::DenyReset(h, freeze) => progs::deny_reset(h, freeze),
        Request::SetMode(h, m) => progs::set_mode(h, m),
        Request::Query(h, uptr, size) => query(h, uptr, size),
        Request::SetAudit(h, on) => progs::set_audit(h, on),
    }
}

/// The `pre` function of the `task_prctl` hook: Checmate owns
/// `PR_CHECMATE` (`Some`: the call's result, no program runs) and leaves
/// every other option to the hook's programs and the other LSMs (`None`).
///
/// # Safety
///
/// Called by the LSM framework from `prctl(2)`, in process context; the
/// arguments are the caller's integers (user pointers among them are only
/// used through `UserSlice`).
pub(crate) unsafe fn task_prctl(
    option: c_int,
    op: c_ulong,
    a3: c_ulong,
    a4: c_ulong,
    a5: c_ulong,
) -> Option<c_int> {
    if option as u32 != bindings::PR_CHECMATE {
        return None;
    }
    // Checmate's own check, which no program on `capable` can refuse.
    if !admin::capable() {
        return Some(-(bindings::EPERM as c_int));
    }
    Some(match parse(op, a3, a4, a5).and_then(execute) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    })
}
