// SPDX-License-Identifier: GPL-2.0
//! Mount contexts (`struct checmate_mount_ctx`): the mount hooks.

use crate::ctx::encode_dev;
use crate::ctx::{wants, Want};
use kernel::bindings;
use kernel::bindings::checmate_mount_ctx as MountCtx;
use kernel::ffi::{c_char, c_int, c_ulong, c_void};

/// The caller's user namespace level and whether it is chrooted.
///
/// `chrooted` has the kernel's own meaning, that of `current_chrooted()`
/// (`fs/namespace.c`, which also refuses `unshare(CLONE_NEWUSER)` to a
/// chrooted task): the caller's root is not the root of its mount namespace,
/// where that root is found by following the mounts stacked on the
/// namespace's root mount down to the topmost one. So a `chroot()` into any
/// directory other than that one, a mount root included, reads 1; a root
/// that took the place of the namespace's root, by `mount --move` onto `/`
/// and `chroot(".")` (`switch_root`) or by a `pivot_root()` from such a
/// root (container runtimes), reads 0.
fn caller_confinement(ctx: &mut MountCtx, want: Want) {
    // SAFETY: `current` and its credentials are valid in process context.
    ctx.userns_level = unsafe { (*bindings::current_user_ns()).level } as u32;
    // The mount hooks are called from the mount, umount and chroot system
    // calls, or by a kernel thread doing the same (`init_mount()`,
    // `init_chroot()`), and the fill runs outside any RCU read-side section
    // or spinlock. `current_chrooted()` follows `current->fs` and
    // `current->nsproxy`, then drops path references (`path_put()`).
    // Only for programs that read it: it takes and drops references.
    if wants!(want, MountCtx, chrooted) {
        // SAFETY: `current` is live, with `fs` and `nsproxy` set (only
        // `do_exit()` clears them), and may sleep here.
        ctx.chrooted = unsafe { bindings::current_chrooted() } as u32;
    }
}

/// Inode number and device of a path's dentry.
///
/// # Safety
///
/// `path` must be a valid path with a positive dentry.
unsafe fn from_path(ctx: &mut MountCtx, path: *const bindings::path) {
    // SAFETY: the caller guarantees a valid path whose dentry has an inode.
    unsafe {
        let inode = &*(*(*path).dentry).d_inode;
        ctx.ino = inode.i_ino as u64;
        ctx.dev = encode_dev((*inode.i_sb).s_dev);
    }
}

/// Copies the NUL-terminated type name `fstype` into the context, cut to
/// 15 bytes (the zeroed field keeps its final NUL).
///
/// # Safety
///
/// `fstype` must be null or a NUL-terminated string.
unsafe fn copy_fstype(ctx: &mut MountCtx, fstype: *const c_char) {
    if fstype.is_null() {
        return;
    }
    for i in 0..ctx.fstype.len() - 1 {
        // SAFETY: the caller guarantees a NUL-terminated string; we stop at
        // its NUL.
        let c = unsafe { *fstype.add(i) };
        if c == 0 {
            break;
        }
        ctx.fstype[i] = c as _;
    }
}

/// Type name and magic number of a superblock's filesystem.
///
/// # Safety
///
/// `sb` must be a valid superblock.
unsafe fn fs_type(ctx: &mut MountCtx, sb: *const bindings::super_block) {
    // SAFETY: the caller guarantees a valid superblock; its type is a
    // registered `file_system_type` whose name is a static string.
    unsafe {
        ctx.s_magic = (*sb).s_magic as u32;
        copy_fstype(ctx, (*(*sb).s_type).name);
    }
}

/// Inode number and device of a path's dentry, into `ino2` and `dev2`.
///
/// # Safety
///
/// `path` must be a valid path with a positive dentry.
unsafe fn from_path2(ctx: &mut MountCtx, path: *const bindings::path) {
    // SAFETY: the caller guarantees a valid path whose dentry has an inode.
    unsafe {
        let inode = &*(*(*path).dentry).d_inode;
        ctx.ino2 = inode.i_ino as u64;
        ctx.dev2 = encode_dev((*inode.i_sb).s_dev);
    }
}

/// Fills the context of the `sb_mount` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn sb_mount(
    ctx: &mut MountCtx,
    want: Want,
    _dev_name: *const c_char,
    path: *const bindings::path,
    fstype: *const c_char,
    flags: c_ulong,
    _data: *mut c_void,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_path(ctx, path) };
    ctx.flags = flags as u64;
    // SAFETY: `fstype` is null or the kernel's NUL-terminated copy of the
    // user's string (`copy_mount_string()`).
    unsafe { copy_fstype(ctx, fstype) };
    caller_confinement(ctx, want);
}

/// Fills the context of the `sb_umount` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn sb_umount(
    ctx: &mut MountCtx,
    want: Want,
    mnt: *mut bindings::vfsmount,
    flags: c_int,
) {
    // SAFETY: valid hook arguments; a mount's root dentry has an inode.
    unsafe {
        let root = bindings::path {
            mnt,
            dentry: (*mnt).mnt_root,
        };
        from_path(ctx, &root);
        ctx.mnt_flags = (*mnt).mnt_flags as u32;
        fs_type(ctx, (*mnt).mnt_sb);
    }
    ctx.flags = flags as u64;
    caller_confinement(ctx, want);
}

/// Fills the context of the `path_chroot` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn path_chroot(ctx: &mut MountCtx, want: Want, path: *const bindings::path) {
    // SAFETY: valid hook arguments.
    unsafe { from_path(ctx, path) };
    caller_confinement(ctx, want);
}

/// A new superblock about to be mounted by user space (`do_new_mount_fc()`,
/// `vfs_cmd_create()`): its `s_umount` is held for writing and its root is
/// set; process context, which may sleep.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn sb_kern_mount(
    ctx: &mut MountCtx,
    want: Want,
    sb: *const bindings::super_block,
) {
    // The superblock is born (`vfs_get_tree()`).
    // SAFETY: valid hook arguments: a live superblock, `s_umount` held.
    unsafe { superblock(ctx, want, sb) };
}

/// Fills the context of the `sb_remount` LSM hook: the superblock as it is
/// (`reconfigure_super()`, `s_umount` held for writing); the new options
/// in `mnt_opts` are the LSMs' own parse, not read.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn sb_remount(
    ctx: &mut MountCtx,
    want: Want,
    sb: *mut bindings::super_block,
    _mnt_opts: *mut c_void,
) {
    // SAFETY: valid hook arguments: a mounted superblock, `s_umount` held.
    unsafe { superblock(ctx, want, sb) };
}

/// A superblock's root, device, flags and type, and the caller's
/// confinement.
///
/// # Safety
///
/// `sb` must be a live superblock, its `s_umount` held.
unsafe fn superblock(ctx: &mut MountCtx, want: Want, sb: *const bindings::super_block) {
    // Its root dentry, when set, is held by it and positive, but is checked
    // rather than assumed (a mount's root is `fc->root`, which may lie below
    // `s_root`).
    // SAFETY: the caller guarantees a live superblock; pointers checked.
    unsafe {
        let root = (*sb).s_root;
        if !root.is_null() && !(*root).d_inode.is_null() {
            ctx.ino = (*(*root).d_inode).i_ino as u64;
        }
        ctx.dev = encode_dev((*sb).s_dev);
        ctx.flags = (*sb).s_flags as u64;
        fs_type(ctx, sb);
    }
    caller_confinement(ctx, want);
}

/// `move_mount()`, after both lookups, holding references to both paths
/// and no lock.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn move_mount(
    ctx: &mut MountCtx,
    want: Want,
    from: *const bindings::path,
    to: *const bindings::path,
) {
    // SAFETY: valid hook arguments: two looked-up paths the caller holds,
    // with positive dentries and live mounts.
    unsafe {
        from_path(ctx, to);
        from_path2(ctx, from);
        let mnt = (*from).mnt;
        ctx.mnt_flags = (*mnt).mnt_flags as u32;
        fs_type(ctx, (*mnt).mnt_sb);
    }
    caller_confinement(ctx, want);
}

/// `pivot_root()`, after both lookups, before `lock_mount()`.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn sb_pivotroot(
    ctx: &mut MountCtx,
    want: Want,
    old_path: *const bindings::path,
    new_path: *const bindings::path,
) {
    // SAFETY: valid hook arguments: two looked-up directories the caller
    // holds, with live mounts.
    unsafe {
        from_path(ctx, new_path);
        from_path2(ctx, old_path);
        fs_type(ctx, (*(*new_path).mnt).mnt_sb);
    }
    caller_confinement(ctx, want);
}
