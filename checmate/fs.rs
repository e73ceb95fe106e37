// SPDX-License-Identifier: GPL-2.0
//! File contexts (`struct checmate_file_ctx`): the file hooks, on an open
//! file (`file_open`, `file_permission`, `file_truncate`, `file_ioctl`,
//! `file_ioctl_compat`, `file_receive`) or a directory (`inode_create`).
//! All in process context; the fills only read the file, its inode, mount
//! and superblock, which an open file holds.

use crate::ctx::encode_dev;
use crate::ctx::Want;
use kernel::bindings;
use kernel::bindings::checmate_file_ctx as FileCtx;
use kernel::ffi::{c_int, c_uint, c_ulong};

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

/// The open file's inode, filesystem, mount and `f_flags`.
///
/// # Safety
///
/// `file` must be an open file, held by the caller.
#[inline]
unsafe fn from_file(ctx: &mut FileCtx, file: *const bindings::file) {
    // SAFETY: an open file holds its inode, its mount and, through the
    // mount, its superblock.
    let (f, inode, sb, mnt) = unsafe {
        let f = &*file;
        let inode = f.f_inode;
        (f, &*inode, &*(*inode).i_sb, &*f.f_path.mnt)
    };
    // SAFETY: as above, a valid inode.
    unsafe { from_inode(ctx, inode) };
    ctx.flags = f.f_flags;
    ctx.s_magic = sb.s_magic as u32;
    ctx.mnt_flags = mnt.mnt_flags as u32;
    let ty = inode.i_mode as u32 & bindings::S_IFMT;
    if ty == bindings::S_IFCHR || ty == bindings::S_IFBLK {
        ctx.rdev = encode_dev(inode.i_rdev);
    }
}

/// Fills the context of the `file_open` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_open(ctx: &mut FileCtx, _want: Want, file: *mut bindings::file) {
    // SAFETY: valid hook arguments: the file being opened, held.
    unsafe { from_file(ctx, file) };
}

/// Fills the context of the `file_permission` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_permission(
    ctx: &mut FileCtx,
    _want: Want,
    file: *mut bindings::file,
    mask: c_int,
) {
    // SAFETY: valid hook arguments: an open file, held.
    unsafe { from_file(ctx, file) };
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
    _want: Want,
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

/// Fills the context of the `file_truncate` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_truncate(ctx: &mut FileCtx, _want: Want, file: *mut bindings::file) {
    // SAFETY: `do_ftruncate()` and `handle_truncate()` pass an open file.
    unsafe { from_file(ctx, file) };
}

/// Fills the context of the `file_ioctl` LSM hook; `arg` is only a value
/// (often a user pointer) and is not read.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_ioctl(
    ctx: &mut FileCtx,
    _want: Want,
    file: *mut bindings::file,
    cmd: c_uint,
    _arg: c_ulong,
) {
    // SAFETY: `ioctl(2)` holds the file (`fdget()`); overlayfs passes a
    // file it just opened.
    unsafe { from_file(ctx, file) };
    ctx.cmd = cmd;
}

/// Fills the context of the `file_ioctl_compat` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_ioctl_compat(
    ctx: &mut FileCtx,
    want: Want,
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) {
    // SAFETY: as for `file_ioctl` (`compat_ioctl(2)`).
    unsafe { file_ioctl(ctx, want, file, cmd, arg) };
}

/// Fills the context of the `file_receive` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_receive(ctx: &mut FileCtx, _want: Want, file: *mut bindings::file) {
    // SAFETY: `receive_fd()` and `receive_fd_replace()` hold the file.
    unsafe { from_file(ctx, file) };
}
