// SPDX-License-Identifier: GPL-2.0
//! Code contexts (`struct checmate_exec_ctx`): the file whose contents
//! become a program or memory, and the credentials a program runs with.
//! `bprm_creds_from_file` (`fs/exec.c`), `mmap_file` (`mm/util.c`,
//! `mm/mmap.c`, `ipc/shm.c`) and `file_mprotect` (`mm/mprotect.c`).
//!
//! All three are called in process context by the task concerned.
//! `file_mprotect` holds the mmap lock for writing: its fill must not fault
//! on user memory or take that lock, and none of the fills here does either;
//! they only read the file, its inode and mount, the memory area and
//! credentials, and take no reference and no lock.

use crate::ctx::encode_dev;
use crate::ctx::Want;
use crate::report::Describe;
use core::fmt::{self, Write};
use kernel::bindings;
use kernel::bindings::checmate_exec_ctx as ExecCtx;
use kernel::ffi::c_ulong;

// SAFETY: a UAPI structure of `__u32`/`__u64` fields only
// (include/uapi/linux/checmate.h), generated `repr(C)` by bindgen.
unsafe impl crate::ctx::Context for ExecCtx {}

impl Describe for ExecCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "ino={} dev={} mode={:o} ouid={} info={:#x} prot={:#x} new_euid={} new_egid={}",
            self.ino,
            self.dev,
            self.mode,
            self.uid,
            self.info,
            self.prot,
            self.new_euid,
            self.new_egid
        )
    }
}

/// `FMODE_WRITE` (`include/linux/fs.h`, a `__force` cast bindgen skips).
const FMODE_WRITE: u32 = 0x2;

/// Identity of `file`: its inode, filesystem and mount.
///
/// # Safety
///
/// `file` must be an open file.
unsafe fn from_file(ctx: &mut ExecCtx, file: *const bindings::file) {
    // SAFETY: an open file holds its inode, its mount and, through the
    // mount, its superblock.
    let (f, inode, sb, mnt) = unsafe {
        let f = &*file;
        let inode = &*f.f_inode;
        (f, inode, &*inode.i_sb, &*f.f_path.mnt)
    };
    ctx.ino = inode.i_ino as u64;
    ctx.dev = encode_dev(sb.s_dev);
    ctx.mode = inode.i_mode as u32;
    // kuid/kgid values are the ids in the initial user namespace.
    ctx.uid = inode.i_uid.val;
    ctx.gid = inode.i_gid.val;
    // The link count changes under the inode's lock, which is not held: a
    // volatile read of the aligned word gives one of its values.
    // SAFETY: both variants of the union are the same `unsigned int`.
    ctx.nlink = unsafe { core::ptr::read_volatile(&inode.__bindgen_anon_1.i_nlink) };
    ctx.s_magic = sb.s_magic as u32;
    ctx.mnt_flags = mnt.mnt_flags as u32;
    if f.f_mode & FMODE_WRITE != 0 {
        ctx.info |= bindings::CHECMATE_EXEC_F_WRITABLE;
    }
}

/// The caller's effective ids and permitted capabilities.
fn caller(ctx: &mut ExecCtx) {
    // SAFETY: in process context `current_cred()` is valid while the task
    // runs: only the task itself replaces its credentials.
    let cred = unsafe { &*bindings::checmate_current_cred() };
    ctx.euid = cred.euid.val;
    ctx.egid = cred.egid.val;
    ctx.cap_permitted = cred.cap_permitted.val;
}

/// The file of a memory area, or anonymous memory.
///
/// # Safety
///
/// `file` must be null or an open file.
unsafe fn file_or_anon(ctx: &mut ExecCtx, file: *const bindings::file) {
    if file.is_null() {
        ctx.info |= bindings::CHECMATE_EXEC_F_ANON;
    } else {
        // SAFETY: a non-null `file` is open (caller).
        unsafe { from_file(ctx, file) };
    }
}

/// Fills the context of the `bprm_creds_from_file` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn bprm_creds_from_file(
    ctx: &mut ExecCtx,
    _want: Want,
    bprm: *mut bindings::linux_binprm,
    file: *const bindings::file,
) {
    // SAFETY: `begin_new_exec()` passes its `bprm` and the open file whose
    // set-id bits it applied.
    unsafe { from_file(ctx, file) };
    caller(ctx);
    // `bprm->cred` are the new program's prepared credentials, not yet
    // shared, computed by `bprm_fill_uid()` and the capability module.
    // SAFETY: `bprm` is the exec's, owned by the calling task, and its
    // `cred` is set (above): both are valid for reads during the hook.
    let (new, secureexec) = unsafe { (&*(*bprm).cred, (*bprm).secureexec()) };
    ctx.new_euid = new.euid.val;
    ctx.new_egid = new.egid.val;
    ctx.new_cap_permitted = new.cap_permitted.val;
    ctx.new_cap_effective = new.cap_effective.val;
    ctx.secureexec = secureexec;
}

/// Fills the context of the `bprm_creds_for_exec` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn bprm_creds_for_exec(
    ctx: &mut ExecCtx,
    _want: Want,
    bprm: *mut bindings::linux_binprm,
) {
    // SAFETY: `bprm_execve()` passes its `bprm`, whose `file` is the file
    // the caller named, open.
    unsafe { from_file(ctx, (*bprm).file) };
    caller(ctx);
}

/// Fills the context of the `mmap_file` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn mmap_file(
    ctx: &mut ExecCtx,
    _want: Want,
    file: *mut bindings::file,
    reqprot: c_ulong,
    prot: c_ulong,
    flags: c_ulong,
) {
    // SAFETY: the callers pass null (anonymous memory) or a file they hold
    // a reference to.
    unsafe { file_or_anon(ctx, file) };
    caller(ctx);
    ctx.reqprot = reqprot as u32;
    ctx.prot = prot as u32;
    ctx.flags = flags as u32;
}

/// Fills the context of the `file_mprotect` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_mprotect(
    ctx: &mut ExecCtx,
    _want: Want,
    vma: *mut bindings::vm_area_struct,
    reqprot: c_ulong,
    prot: c_ulong,
) {
    // `do_mprotect_pkey()` holds the mmap lock for writing.
    // SAFETY: `vma` is the caller's area, which the held mmap lock keeps,
    // with its flags and its file (held by the area), for the hook.
    let (file, vm_flags) = unsafe { ((*vma).vm_file, (*vma).__bindgen_anon_2.vm_flags) };
    // SAFETY: null or the area's file, held by it (above).
    unsafe { file_or_anon(ctx, file) };
    caller(ctx);
    ctx.vm_flags = vm_flags as u64;
    ctx.reqprot = reqprot as u32;
    ctx.prot = prot as u32;
}
