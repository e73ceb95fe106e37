// SPDX-License-Identifier: GPL-2.0
//! The user API: `prctl(PR_CHECMATE, op, arg3, arg4, arg5)`.
//!
//! Every argument is checked and turned into a typed [`Request`] before
//! anything changes; `progs.rs` then carries it out.

use crate::bpf::Prog;
use crate::hooks::Hook;
use crate::progs::{self, Mode};
use kernel::bindings;
use kernel::ffi::{c_int, c_ulong};
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

/// A checked request.
enum Request {
    Attach(Hook, Prog),
    Detach(Hook, Prog),
    Reset(Hook),
    DenyReset(Hook, bool),
    SetMode(Hook, Mode),
    Query(Hook, usize),
    SetAudit(Hook, bool),
}

/// Size of `struct checmate_query`.
const QUERY_SIZE: usize = core::mem::size_of::<bindings::checmate_query>();

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
        bindings::checmate_op_CHECMATE_OP_ATTACH | bindings::checmate_op_CHECMATE_OP_DETACH => {
            let h = hook(a3)?;
            zero(&[a5])?;
            let prog = Prog::from_fd(a4 as u64, h)?;
            if op == bindings::checmate_op_CHECMATE_OP_ATTACH {
                Request::Attach(h, prog)
            } else {
                Request::Detach(h, prog)
            }
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
            zero(&[a5])?;
            let h = hook(a3)?;
            if a4 == 0 {
                return Err(EFAULT);
            }
            Request::Query(h, a4)
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

/// `CHECMATE_OP_QUERY`: the size protocol of `BPF_PROG_QUERY`.
fn query(h: Hook, uptr: usize) -> Result {
    let mut raw = [0u8; QUERY_SIZE];
    UserSlice::new(uptr, QUERY_SIZE)
        .reader()
        .read_slice(&mut raw)?;
    let field = |i: usize| u32::from_ne_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    let cap = field(8) as usize;
    let ids_ptr = u64::from_ne_bytes(raw[16..24].try_into().map_err(|_| EINVAL)?) as usize;
    if field(12) != 0 || (cap > 0 && ids_ptr == 0) {
        return Err(EINVAL);
    }
    let info = progs::query(h)?;
    let n = info.ids.len().min(cap);
    if n > 0 {
        let mut bytes = KVec::with_capacity(n * 4, GFP_KERNEL)?;
        for id in info.ids.iter().take(n) {
            bytes.extend_from_slice(&id.to_ne_bytes(), GFP_KERNEL)?;
        }
        UserSlice::new(ids_ptr, n * 4)
            .writer()
            .write_slice(&bytes)?;
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
    let mut out = [0u8; 12];
    out[0..4].copy_from_slice(&info.mode.raw().to_ne_bytes());
    out[4..8].copy_from_slice(&flags.to_ne_bytes());
    out[8..12].copy_from_slice(&(info.ids.len() as u32).to_ne_bytes());
    UserSlice::new(uptr, out.len()).writer().write_slice(&out)?;
    // As BPF_PROG_QUERY: a zero count asks for the count only.
    if cap > 0 && info.ids.len() > cap {
        return Err(ENOSPC);
    }
    Ok(())
}

/// Carries out a checked request.
fn execute(req: Request) -> Result {
    match req {
        Request::Attach(h, p) => progs::attach(h, p),
        Request::Detach(h, p) => progs::detach(h, &p),
        Request::Reset(h) => progs::reset(h),
        Request::DenyReset(h, freeze) => progs::deny_reset(h, freeze),
        Request::SetMode(h, m) => progs::set_mode(h, m),
        Request::Query(h, uptr) => query(h, uptr),
        Request::SetAudit(h, on) => progs::set_audit(h, on),
    }
}

/// The `task_prctl` LSM hook: Checmate owns `PR_CHECMATE` and leaves every
/// other option to the other LSMs (`-ENOSYS`).
pub(crate) unsafe extern "C" fn task_prctl(
    option: c_int,
    op: c_ulong,
    a3: c_ulong,
    a4: c_ulong,
    a5: c_ulong,
) -> c_int {
    if option as u32 != bindings::PR_CHECMATE {
        return -(bindings::ENOSYS as c_int);
    }
    // `capable()` checks the initial user namespace: a namespaced root fails.
    // SAFETY: `capable` may be called from any process context.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) } {
        return -(bindings::EPERM as c_int);
    }
    match parse(op, a3, a4, a5).and_then(execute) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
