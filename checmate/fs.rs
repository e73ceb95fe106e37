// SPDX-License-Identifier: GPL-2.0
//! File contexts (`struct checmate_file_ctx`): the file hooks.

use crate::ctx::encode_dev;
use kernel::bindings;
use kernel::bindings::checmate_file_ctx as FileCtx;
use kernel::ffi::c_int;

/// Number, device, mode and owner of `inode`.
///
/// # Safety
///
/// `inode` must be a valid inode.
unsafe fn from_inode(ctx: &mut FileCtx, inode: *const bindings::inode) {
    // SAFETY: the caller guarantees `inode` is valid, and a live inode's
    // superblock is valid.
    let (inode, sb) = unsafe { (&*inode, &*(*inode).i_sb) };
    ctx.ino = inode.i_ino as u64;
    ctx.dev = encode_dev(sb.s_dev);
    ctx.mode = inode.i_mode as u32;
    // kuid/kgid values are the ids in the initial user namespace.
    ctx.uid = inode.i_uid.val;
    ctx.gid = inode.i_gid.val;
}

/// Fills the context of the `file_open` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_open(ctx: &mut FileCtx, file: *mut bindings::file) {
    // SAFETY: valid hook arguments; an open file has an inode.
    unsafe {
        from_inode(ctx, (*file).f_inode);
        ctx.flags = (*file).f_flags;
    }
}

/// Fills the context of the `file_permission` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_permission(ctx: &mut FileCtx, file: *mut bindings::file, mask: c_int) {
    // SAFETY: valid hook arguments; an open file has an inode.
    unsafe { from_inode(ctx, (*file).f_inode) };
    ctx.flags = mask as u32;
}

/// Fills the context of the `inode_create` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn inode_create(
    ctx: &mut FileCtx,
    dir: *mut bindings::inode,
    _dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_inode(ctx, dir) };
    ctx.dir_ino = ctx.ino;
    ctx.ino = 0;
    ctx.mode = mode as u32;
}
